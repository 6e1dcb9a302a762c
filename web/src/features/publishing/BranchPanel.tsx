import { useState } from "react";
import { useIntl } from "react-intl";
import { useAuth } from "@/auth/session";
import { Button, Notice } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import { DiffView, usePathLabel } from "./DiffView";
import { act, load, type Branch, type Conflict, type ReviewRequest } from "./api";
import { useMessages } from "@/lib/useMessages";

/** What a merge refused over: each node, as the branch's base had it, the branch has it and the draft has it. */
export function ConflictList({ conflicts }: { conflicts: Conflict[] }) {
  const t = useMessages("console.publishing.conflict");
  const pathLabel = usePathLabel();
  const show = (node: Conflict["base"]) => (node && typeof node.title === "string" ? node.title : JSON.stringify(node));
  return (
    <section aria-labelledby="pub-conflicts" className="stack pw-pub-conflicts">
      <h4 id="pub-conflicts">{t("heading")}</h4>
      <ul className="pw-plain-list stack">
        {conflicts.map((c) => (
          <li key={c.path}>
            <strong>{pathLabel(c.path)}</strong> ({t(c.reason === "both changed" ? "both" : "shape")})
            <dl className="pw-pub-values">
              <dt>{t("base")}</dt>
              <dd>{show(c.base)}</dd>
              <dt>{t("branch")}</dt>
              <dd>{show(c.branch)}</dd>
              <dt>{t("draft")}</dt>
              <dd>{show(c.draft)}</dd>
            </dl>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Authors' branches: start mine from the draft, see what it changes and whether the draft moved on,
 * merge it once a review approved it, or abandon it. The tree itself is edited in the course studio. */
export function BranchPanel({
  courseId,
  branches,
  requests,
  round,
  changed,
}: {
  courseId: number;
  branches: Branch[];
  requests: ReviewRequest[];
  round: number;
  changed: () => void;
}) {
  const t = useMessages("console.publishing");
  const { me } = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [conflicts, setConflicts] = useState<Conflict[]>([]);
  const [busy, setBusy] = useState(false);
  const open = branches.filter((b) => b.state === "open");
  const mine = open.find((b) => b.author_id === me?.id);
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setConflicts([]);
    try {
      await action();
      changed();
    } catch (e) {
      setError((e as Error).message);
      setConflicts((e as { conflicts?: Conflict[] }).conflicts ?? []);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="pub-branches" className="stack">
      <h2 id="pub-branches">{t("branch.heading")}</h2>
      <p className="muted">{t("branch.help")}</p>
      {!mine && (
        <div className="row">
          <Button variant="secondary" isDisabled={busy} onPress={() => void run(() => act.branch(courseId))}>
            {t("branch.start")}
          </Button>
        </div>
      )}
      {open.length === 0 ? (
        <p className="muted">{t("branch.none")}</p>
      ) : (
        <ul className="pw-plain-list stack" aria-label={t("branch.list")}>
          {open.map((b) => {
            const approved = requests.some((r) => r.branch_id === b.id && r.state === "approved");
            return (
              <li key={b.id} className="stack pw-pub-item">
                <p>
                  <strong>{t("branch.name", { n: b.id, name: b.author_name })}</strong>{" "}
                  <span className="muted">
                    {b.base_version ? t("branch.base", { n: b.base_version }) : t("branch.baseDraft")}
                  </span>
                </p>
                <BranchChanges courseId={courseId} branchId={b.id} round={round} />
                <div className="row">
                  <Button isDisabled={busy || !approved} onPress={() => void run(() => act.merge(courseId, b.id))}>
                    {t("branch.mergeInto")}
                  </Button>
                  <Button variant="danger" isDisabled={busy} onPress={() => void run(() => act.abandon(courseId, b.id))}>
                    {t("branch.abandon")}
                  </Button>
                </div>
                {!approved && <p className="muted">{t("branch.needsApproval")}</p>}
              </li>
            );
          })}
        </ul>
      )}
      {error && <Notice tone="danger">{error}</Notice>}
      {conflicts.length > 0 && <ConflictList conflicts={conflicts} />}
    </section>
  );
}

function BranchChanges({ courseId, branchId, round }: { courseId: number; branchId: number; round: number }) {
  const intl = useIntl();
  const t = useMessages("console.publishing");
  const [state] = useLoad(() => load.branch(courseId, branchId), [courseId, branchId, round]);
  if (state.status === "loading") return <p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>;
  if (state.status === "error") return <Notice tone="danger">{state.error}</Notice>;
  const branch = state.data;
  return (
    <div className="stack">
      <DiffView changes={branch.changes} label={t("branch.changes")} />
      {branch.draft_moved && (
        <Notice tone={branch.conflicts.length ? "warning" : "info"}>
          {branch.conflicts.length ? t("branch.moved.conflicts") : t("branch.moved.clean")}
        </Notice>
      )}
      {branch.conflicts.length > 0 && <ConflictList conflicts={branch.conflicts} />}
    </div>
  );
}
