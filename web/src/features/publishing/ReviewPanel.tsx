import { useState } from "react";
import { useWhen } from "@/lib/useWhen";
import { useIntl } from "react-intl";
import { Label, Radio, RadioGroup, Text } from "react-aria-components";
import { useAuth } from "@/auth/session";
import { Button, Field, Notice, Select } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import { DiffView } from "./DiffView";
import { act, load, type Branch, type Conflict, type ReviewRequest, type Verdict } from "./api";
import { ConflictList } from "./BranchPanel";
import { SchedulePicker, soon } from "./SchedulePicker";
import { useMessages } from "@/lib/useMessages";

const LIVE = new Set(["open", "changes_requested", "approved"]);

/** Review requests of a course: open one, read the changes, comment, approve or ask for changes, and
 * publish (or merge) once a reviewer has approved the content as it now is. */
export function ReviewPanel({
  courseId,
  requests,
  branches,
  round,
  changed,
}: {
  courseId: number;
  requests: ReviewRequest[];
  branches: Branch[];
  round: number;
  changed: () => void;
}) {
  const t = useMessages("console.publishing");
  const { me } = useAuth();
  const [selected, setSelected] = useState<number | null>(null);
  const current = selected ?? requests.find((r) => LIVE.has(r.state))?.id ?? requests[0]?.id ?? null;
  const myBranch = branches.find((b) => b.state === "open" && b.author_id === me?.id);
  return (
    <section aria-labelledby="pub-reviews" className="stack">
      <h2 id="pub-reviews">{t("review.heading")}</h2>
      <NewRequest courseId={courseId} myBranch={myBranch} changed={(id) => (setSelected(id), changed())} />
      {requests.length === 0 ? (
        <p className="muted">{t("review.none")}</p>
      ) : (
        <ul className="pw-plain-list stack" aria-label={t("review.list")}>
          {requests.map((r) => (
            <li key={r.id} className="row pw-pub-item">
              <strong>{r.title}</strong>
              <span className="pw-pub-badge">{t(`state.${r.state}`)}</span>
              <span className="muted">
                {r.branch_id ? t("review.onBranch", { n: r.branch_id }) : t("review.onDraft")} ·{" "}
                {t("review.by", { name: r.author_name })}
              </span>
              <Button
                variant={r.id === current ? "primary" : "secondary"}
                onPress={() => setSelected(r.id)}
                aria-label={t("review.show", { title: r.title })}
                aria-pressed={r.id === current}
              >
                {t("review.showShort")}
              </Button>
            </li>
          ))}
        </ul>
      )}
      {current !== null && <RequestDetail courseId={courseId} requestId={current} round={round} changed={changed} />}
    </section>
  );
}

function NewRequest({
  courseId,
  myBranch,
  changed,
}: {
  courseId: number;
  myBranch: Branch | undefined;
  changed: (id: number) => void;
}) {
  const t = useMessages("console.publishing");
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [target, setTarget] = useState<string>("draft");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const options = [{ id: "draft", label: t("review.targetDraft") }];
  if (myBranch) options.push({ id: String(myBranch.id), label: t("review.targetBranch", { n: myBranch.id }) });
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const made = await act.openRequest(courseId, title, description, target === "draft" ? null : Number(target));
      setTitle("");
      setDescription("");
      changed(made.id);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="stack pw-pub-form"
      aria-labelledby="pub-new-review"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3 id="pub-new-review">{t("review.new")}</h3>
      <Field label={t("review.title")} value={title} onChange={setTitle} isRequired maxLength={300} />
      <Field label={t("review.description")} value={description} onChange={setDescription} multiline rows={3} />
      <Select label={t("review.target")} value={target} options={options} onChange={setTarget} />
      {error && <Notice tone="danger">{error}</Notice>}
      <div className="row">
        <Button type="submit" isDisabled={busy || !title.trim()}>
          {t("review.open")}
        </Button>
      </div>
    </form>
  );
}

function RequestDetail({
  courseId,
  requestId,
  round,
  changed,
}: {
  courseId: number;
  requestId: number;
  round: number;
  changed: () => void;
}) {
  const intl = useIntl();
  const t = useMessages("console.publishing");
  const { me } = useAuth();
  const [state] = useLoad(() => load.request(courseId, requestId), [courseId, requestId, round]);
  const [verdict, setVerdict] = useState<Verdict>("comment");
  const [body, setBody] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [conflicts, setConflicts] = useState<Conflict[]>([]);
  const [at, setAt] = useState(soon);
  const [busy, setBusy] = useState(false);

  if (state.status === "loading") return <p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>;
  if (state.status === "error") return <Notice tone="danger">{state.error}</Notice>;
  const request = state.data;
  const mine = request.author_id === me?.id;
  const live = LIVE.has(request.state);
  const run = async (action: () => Promise<unknown>, message: string) => {
    setBusy(true);
    setError(null);
    setDone(null);
    setConflicts([]);
    try {
      await action();
      setDone(message);
      setBody("");
      setVerdict("comment");
      changed();
    } catch (e) {
      setError((e as Error).message);
      setConflicts((e as { conflicts?: Conflict[] }).conflicts ?? []);
    } finally {
      setBusy(false);
    }
  };
  const fmt = useWhen();
  return (
    <article className="stack pw-card" aria-labelledby="pub-request-title">
      <h3 id="pub-request-title">{t("review.detail", { title: request.title })}</h3>
      <p>
        <span className="pw-pub-badge">{t(`state.${request.state}`)}</span>{" "}
        {request.state === "approved" && !request.approval_current && t("review.stale")}
        {request.version ? ` ${t("version.n", { n: request.version })}` : ""}
      </p>
      {request.description && <p>{request.description}</p>}
      <h4>{t("review.changes")}</h4>
      <DiffView changes={request.changes} label={t("review.changes")} />
      <h4>{t("review.comments")}</h4>
      {request.comments.length === 0 ? (
        <p className="muted">{t("review.noComments")}</p>
      ) : (
        <ol className="pw-plain-list stack" aria-label={t("review.comments")}>
          {request.comments.map((c) => (
            <li key={c.id} className="pw-pub-comment">
              <p>
                <strong>{c.author_name}</strong> · <time dateTime={c.created_at}>{fmt(c.created_at)}</time> ·{" "}
                <span className="pw-pub-badge">{t(`verdict.${c.verdict}`)}</span>
              </p>
              {c.body && <p>{c.body}</p>}
            </li>
          ))}
        </ol>
      )}
      {live && (
        <form
          className="stack pw-pub-form"
          aria-label={t("review.respond")}
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => act.comment(courseId, request.id, verdict, body), t(`done.${verdict}`));
          }}
        >
          <Field label={t("review.comment")} value={body} onChange={setBody} multiline rows={3} />
          <RadioGroup
            value={verdict}
            onChange={(v) => setVerdict(v as Verdict)}
            className="pw-pub-radios"
            orientation="horizontal"
          >
            <Label className="pw-field__label">{t("review.verdict")}</Label>
            <Radio value="comment">{t("verdict.comment")}</Radio>
            <Radio value="approve" isDisabled={mine}>
              {t("verdict.approve")}
            </Radio>
            <Radio value="request_changes" isDisabled={mine}>
              {t("verdict.request_changes")}
            </Radio>
            {mine && (
              <Text slot="description" className="pw-field__description">
                {t("review.ownRequest")}
              </Text>
            )}
          </RadioGroup>
          <div className="row">
            <Button type="submit" isDisabled={busy}>
              {t("review.send")}
            </Button>
          </div>
        </form>
      )}
      {live && !request.branch_id && (
        <div className="stack pw-pub-form" role="group" aria-labelledby="pub-publish">
          <h4 id="pub-publish">{t("publish.heading")}</h4>
          {request.approval_current ? (
            <>
              <div className="row">
                <Button isDisabled={busy} onPress={() => void run(() => act.publish(courseId, request.id, null), t("done.published"))}>
                  {t("publish.now")}
                </Button>
              </div>
              <SchedulePicker label={t("publish.at")} description={t("publish.atHelp")} value={at} onChange={setAt} />
              <div className="row">
                <Button
                  variant="secondary"
                  isDisabled={busy}
                  onPress={() =>
                    void run(() => act.publish(courseId, request.id, at.toAbsoluteString()), t("done.scheduled"))
                  }
                >
                  {t("publish.schedule")}
                </Button>
              </div>
            </>
          ) : (
            <p className="muted">{t("publish.needsApproval")}</p>
          )}
        </div>
      )}
      {live && request.branch_id && (
        <div className="stack pw-pub-form" role="group" aria-labelledby="pub-merge">
          <h4 id="pub-merge">{t("branch.merge")}</h4>
          {request.approval_current ? (
            <div className="row">
              <Button
                isDisabled={busy}
                onPress={() => void run(() => act.merge(courseId, request.branch_id ?? 0), t("done.merged"))}
              >
                {t("branch.mergeInto")}
              </Button>
            </div>
          ) : (
            <p className="muted">{t("branch.needsApproval")}</p>
          )}
        </div>
      )}
      {error && <Notice tone="danger">{error}</Notice>}
      {conflicts.length > 0 && <ConflictList conflicts={conflicts} />}
      <div aria-live="polite">{done && <Notice tone="success">{done}</Notice>}</div>
    </article>
  );
}
