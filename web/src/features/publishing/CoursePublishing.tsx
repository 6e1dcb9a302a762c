import { useEffect, useRef, useState } from "react";
import { useWhen } from "@/lib/useWhen";
import { useIntl } from "react-intl";
import { Dialog as AriaDialog, DialogTrigger, Heading, Modal, ModalOverlay } from "react-aria-components";
import { Link, useParams } from "react-router";
import { Button, Notice, Select } from "@/design/components";
import { useLoad, type Load } from "@/lib/useLoad";
import { BranchPanel } from "./BranchPanel";
import { DiffView } from "./DiffView";
import { ReviewPanel } from "./ReviewPanel";
import { act, load, type AuditEntry, type Schedule, type Version } from "./api";
import { useMessages } from "@/lib/useMessages";

/** Like useLoad, but a reload keeps showing the last answer until the next one arrives, so sections
 * (and the feedback inside them) stay in place while the page refreshes after an action. */
function useKept<T>(loader: () => Promise<T>, deps: unknown[]): Load<T> {
  const [state] = useLoad(loader, deps);
  const last = useRef<Load<T>>(state);
  if (state.status !== "loading") last.current = state;
  return state.status === "loading" && last.current.status === "ok" ? last.current : state;
}

/** One course's publishing: review requests, branches, versions with their diff, schedules, history. */
export default function CoursePublishing() {
  const intl = useIntl();
  const t = useMessages("console.publishing");
  const courseId = Number(useParams().courseId);
  const [round, setRound] = useState(0);
  const changed = () => setRound((r) => r + 1);
  const course = useKept(() => load.course(courseId), [courseId, round]);
  const versions = useKept(() => load.versions(courseId), [courseId, round]);
  const schedules = useKept(() => load.schedules(courseId), [courseId, round]);
  const requests = useKept(() => load.requests(courseId), [courseId, round]);
  const branches = useKept(() => load.branches(courseId), [courseId, round]);
  const history = useKept(() => load.history(courseId), [courseId, round]);

  if (course.status === "loading") return <p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>;
  if (course.status === "error") {
    return (
      <div className="stack pw-pub">
        <h1>{t("title")}</h1>
        <Notice tone="danger">{course.error}</Notice>
      </div>
    );
  }
  return (
    <div className="stack pw-pub">
      <p>
        <Link to="/publishing">{t("back")}</Link>
      </p>
      <h1>{t("course.heading", { title: course.data.title })}</h1>
      <Section state={requests} label="reviews">
        {(data) => (
          <ReviewPanel
            courseId={courseId}
            requests={data}
            branches={branches.status === "ok" ? branches.data : []}
            round={round}
            changed={changed}
          />
        )}
      </Section>
      <Section state={schedules} label="schedules">
        {(data) => <Schedules schedules={data} changed={changed} />}
      </Section>
      <Section state={versions} label="versions">
        {(data) => <Versions courseId={courseId} versions={data} changed={changed} />}
      </Section>
      <Section state={branches} label="branches">
        {(data) => (
          <BranchPanel
            courseId={courseId}
            branches={data}
            requests={requests.status === "ok" ? requests.data : []}
            round={round}
            changed={changed}
          />
        )}
      </Section>
      <Section state={history} label="history">
        {(data) => <History entries={data} />}
      </Section>
    </div>
  );
}

function Section<T>({ state, label, children }: { state: Load<T>; label: string; children: (data: T) => React.ReactNode }) {
  const intl = useIntl();
  if (state.status === "loading") {
    return (
      <p aria-busy="true" data-section={label}>
        {intl.formatMessage({ id: "app.loading" })}
      </p>
    );
  }
  if (state.status === "error") return <Notice tone="danger">{state.error}</Notice>;
  return <>{children(state.data)}</>;
}

function Schedules({ schedules, changed }: { schedules: Schedule[]; changed: () => void }) {
  const t = useMessages("console.publishing");
  const [error, setError] = useState<string | null>(null);
  const fmt = useWhen();
  const pending = schedules.filter((s) => s.status === "pending");
  const past = schedules.filter((s) => s.status !== "pending");
  const cancel = async (id: number) => {
    setError(null);
    try {
      await act.cancelSchedule(id);
      changed();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section aria-labelledby="pub-schedules" className="stack">
      <h2 id="pub-schedules">{t("schedule.heading")}</h2>
      {pending.length === 0 ? (
        <p className="muted">{t("schedule.none")}</p>
      ) : (
        <ul className="pw-plain-list stack" aria-label={t("schedule.pending")}>
          {pending.map((s) => (
            <li key={s.id} className="row pw-pub-item">
              <span>{t("schedule.at", { when: fmt(s.publish_at) })}</span>
              <span className="pw-pub-badge">{t("schedule.status.pending")}</span>
              <Button variant="danger" onPress={() => void cancel(s.id)} aria-label={t("schedule.cancelAt", { when: fmt(s.publish_at) })}>
                {t("schedule.cancel")}
              </Button>
            </li>
          ))}
        </ul>
      )}
      {past.length > 0 && (
        <details>
          <summary>{t("schedule.past")}</summary>
          <ul className="pw-plain-list">
            {past.map((s) => (
              <li key={s.id}>
                {t("schedule.at", { when: fmt(s.publish_at) })} · {t(`schedule.status.${s.status}`)}
                {s.version ? ` · ${t("version.n", { n: s.version })}` : ""}
              </li>
            ))}
          </ul>
        </details>
      )}
      {error && <Notice tone="danger">{error}</Notice>}
    </section>
  );
}

function Versions({ courseId, versions, changed }: { courseId: number; versions: Version[]; changed: () => void }) {
  const intl = useIntl();
  const t = useMessages("console.publishing");
  const fmt = useWhen();
  const numbers = versions.map((v) => v.version);
  const latest = numbers.at(-1) ?? null;
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => {
    setTo(latest);
    setFrom(latest !== null && latest > 1 ? latest - 1 : latest);
  }, [latest]);
  const [diff] = useLoad(
    from !== null && to !== null ? () => load.diff(courseId, to, from) : null,
    [courseId, from, to],
  );
  const options = numbers.map((n) => ({ id: n, label: t("version.n", { n }) }));
  const rollback = async (version: number, close: () => void) => {
    setError(null);
    setDone(null);
    try {
      const made = await act.rollback(courseId, version);
      close();
      setDone(t("done.rolledBack", { from: version, n: made.version }));
      changed();
    } catch (e) {
      close();
      setError((e as Error).message);
    }
  };
  return (
    <section aria-labelledby="pub-versions" className="stack">
      <h2 id="pub-versions">{t("version.heading")}</h2>
      {versions.length === 0 ? (
        <p className="muted">{t("version.none")}</p>
      ) : (
        <table className="pw-pub-table">
          <caption className="visually-hidden">{t("version.heading")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("version.version")}</th>
              <th scope="col">{t("version.publishedAt")}</th>
              <th scope="col">{t("version.actions")}</th>
            </tr>
          </thead>
          <tbody>
            {[...versions].reverse().map((v) => (
              <tr key={v.id}>
                <th scope="row">{t("version.n", { n: v.version })}</th>
                <td>
                  <time dateTime={v.published_at}>{fmt(v.published_at)}</time>
                </td>
                <td>
                  {v.version === latest ? (
                    <span className="muted">{t("version.current")}</span>
                  ) : (
                    <DialogTrigger>
                      <Button variant="secondary" aria-label={t("version.rollbackTo", { n: v.version })}>
                        {t("version.rollback")}
                      </Button>
                      <ModalOverlay className="pw-modal-overlay" isDismissable>
                        <Modal className="pw-modal">
                          <AriaDialog className="pw-dialog" role="alertdialog">
                            {({ close }) => (
                              <>
                                <Heading slot="title">{t("version.confirmTitle", { n: v.version })}</Heading>
                                <p>{t("version.confirmText", { n: v.version, next: (latest ?? 0) + 1 })}</p>
                                <div className="row">
                                  <Button variant="secondary" onPress={close}>
                                    {t("cancel")}
                                  </Button>
                                  <Button variant="danger" onPress={() => void rollback(v.version, close)}>
                                    {t("version.confirm", { n: v.version })}
                                  </Button>
                                </div>
                              </>
                            )}
                          </AriaDialog>
                        </Modal>
                      </ModalOverlay>
                    </DialogTrigger>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div aria-live="polite">{done && <Notice tone="success">{done}</Notice>}</div>
      {error && <Notice tone="danger">{error}</Notice>}
      {versions.length > 0 && (
        <section aria-labelledby="pub-compare" className="stack">
          <h3 id="pub-compare">{t("version.compare")}</h3>
          <div className="row">
            <Select label={t("version.from")} value={from} options={options} onChange={setFrom} />
            <Select label={t("version.to")} value={to} options={options} onChange={setTo} />
          </div>
          {diff.status === "loading" && <p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>}
          {diff.status === "error" && <Notice tone="danger">{diff.error}</Notice>}
          {diff.status === "ok" && <DiffView changes={diff.data.changes} label={t("version.compare")} />}
        </section>
      )}
    </section>
  );
}

function History({ entries }: { entries: AuditEntry[] }) {
  const intl = useIntl();
  const t = useMessages("console.publishing");
  const fmt = (value: string) => intl.formatDate(value, { dateStyle: "medium", timeStyle: "medium" });
  const known = (action: string) =>
    intl.messages[`console.publishing.action.${action}`] ? t(`action.${action}`) : action;
  return (
    <section aria-labelledby="pub-history" className="stack">
      <h2 id="pub-history">{t("history.heading")}</h2>
      {entries.length === 0 ? (
        <p className="muted">{t("history.none")}</p>
      ) : (
        <ol className="pw-plain-list stack pw-pub-history" aria-label={t("history.heading")}>
          {entries.map((e) => (
            <li key={e.id}>
              <time dateTime={e.at}>{fmt(e.at)}</time> · <strong>{e.actor_name || t("history.system")}</strong> ·{" "}
              {known(e.action)}
              {typeof e.detail.version === "number" ? ` (${t("version.n", { n: e.detail.version })})` : ""}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
