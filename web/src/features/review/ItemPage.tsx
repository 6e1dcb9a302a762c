import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { useAuth } from "@/auth/session";
import { Button, Field, Notice } from "@/design/components";
import { useLoad, type Load } from "@/lib/useLoad";
import * as review from "./api";
import { Region, usePercent, useT } from "./parts";
import { codeReport, modelView, parsePercent } from "./shaping";
import { Loaded } from "@/lib/Loaded";
import { useWhen } from "@/lib/useWhen";

/** One piece of flagged work, whichever queue it came from, as the page shows it. */
interface Work {
  title: string;
  learner: string;
  kind: string;
  itemId: number | null;
  stem: string | null;
  status: string;
  score: number | null;
  rawScore: number | null;
  flags: string[];
  report: Record<string, unknown>;
  text: string;
  submittedAt: string;
  audit: review.Audit[];
  /** Submitted files carry a comment thread; answers in tests do not. */
  comments: review.Comment[] | null;
}

async function loadSubmission(courseId: number, submissionId: number): Promise<Work> {
  const [s, assignments, audit, comments, text] = await Promise.all([
    review.submission(submissionId),
    review.assignments(courseId),
    review.submissionAudit(submissionId),
    review.comments(submissionId),
    review.submissionText(submissionId).catch(() => ""),
  ]);
  const assignment = assignments.find((a) => a.id === s.assignment_id);
  const [item, learner] = await Promise.all([
    assignment ? review.item(assignment.item_id).catch(() => null) : null,
    review.learnerName(s.user_id).catch(() => null),
  ]);
  return {
    title: assignment?.title ?? `#${s.assignment_id}`,
    learner: learner ?? `#${s.user_id}`,
    kind: item?.kind ?? "",
    itemId: assignment?.item_id ?? null,
    stem: item?.stem ?? null,
    status: s.status,
    score: s.score ?? null,
    rawScore: s.raw_score ?? null,
    flags: s.flags,
    report: s.report,
    text,
    submittedAt: s.submitted_at,
    audit,
    comments,
  };
}

async function loadAnswer(sittingId: number, attemptId: number): Promise<Work> {
  const [a, audit] = await Promise.all([review.answer(sittingId, attemptId), review.answerAudit(sittingId, attemptId)]);
  const [item, learner, title] = await Promise.all([
    review.item(a.item_id).catch(() => null),
    review.learnerName(a.user_id).catch(() => null),
    review.assessmentTitle(a.assessment_id).catch(() => `#${a.assessment_id}`),
  ]);
  const answer = a.answer as Record<string, unknown>;
  const text = typeof answer.text === "string" ? answer.text : typeof answer.source === "string" ? answer.source : JSON.stringify(answer);
  return {
    title,
    learner: learner ?? `#${a.user_id}`,
    kind: item?.kind ?? "",
    itemId: a.item_id,
    stem: item?.stem ?? null,
    status: a.status,
    score: a.score ?? null,
    rawScore: null,
    flags: a.flags,
    report: a.report,
    text,
    submittedAt: a.submitted_at,
    audit,
    comments: null,
  };
}

/** Where a refusal belongs: the field the server named (or whose name its sentence carries), else the form. */
function fieldOf(error: unknown, fields: string[]): string | null {
  if (!(error instanceof review.Refusal)) return null;
  for (const field of fields) {
    if (error.fields.some((f) => f === field || f.endsWith(`.${field}`))) return field;
  }
  return fields.find((f) => error.message.toLowerCase().includes(f)) ?? null;
}

function AdjustForm({ current, onAdjust }: { current: number | null; onAdjust: (score: number, reason: string) => Promise<review.Audit> }) {
  const t = useT();
  const percent = usePercent();
  const [score, setScore] = useState(current === null ? "" : String(Math.round(current * 1000) / 10));
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<{ score?: string; reason?: string; form?: string }>({});
  const [done, setDone] = useState<review.Audit | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    const value = parsePercent(score);
    if (value === null) {
      setErrors({ score: t("adjust.scoreInvalid") });
      document.getElementById("review-adjust-score")?.focus();
      return;
    }
    setBusy(true);
    try {
      const audit = await onAdjust(value, reason);
      setErrors({});
      setReason("");
      setDone(audit);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const field = fieldOf(error, ["reason", "score"]);
      setErrors(field ? { [field]: message } : { form: message });
      if (field) document.getElementById(`review-adjust-${field}`)?.focus();
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack pw-review__form" onSubmit={submit} noValidate aria-labelledby="review-adjust-title">
      <Field
        id="review-adjust-score"
        label={t("adjust.score")}
        description={t("adjust.scoreHelp")}
        inputMode="decimal"
        value={score}
        onChange={setScore}
        isInvalid={Boolean(errors.score)}
        errorMessage={errors.score}
      />
      <Field
        id="review-adjust-reason"
        label={t("adjust.reason")}
        description={t("adjust.reasonHelp")}
        multiline
        rows={3}
        value={reason}
        onChange={setReason}
        isRequired
        validationBehavior="aria"
        isInvalid={Boolean(errors.reason)}
        errorMessage={errors.reason}
      />
      {errors.form && <Notice tone="danger">{errors.form}</Notice>}
      <div className="row">
        <Button type="submit" isDisabled={busy}>
          {t("adjust.submit")}
        </Button>
      </div>
      <div aria-live="polite">{done && <Notice tone="success">{t("adjust.done", { score: percent(done.new_score) })}</Notice>}</div>
    </form>
  );
}

function AuditTable({ audit }: { audit: review.Audit[] }) {
  const t = useT();
  const percent = usePercent();
  const when = useWhen();
  const { me } = useAuth();
  if (!audit.length) return <p className="muted">{t("audit.empty")}</p>;
  return (
    <div className="pw-table-wrap" role="region" aria-label={t("audit.title")} tabIndex={0}>
      <table className="pw-table">
        <thead>
          <tr>
            <th scope="col">{t("audit.when")}</th>
            <th scope="col">{t("audit.kind")}</th>
            <th scope="col">{t("audit.from")}</th>
            <th scope="col">{t("audit.to")}</th>
            <th scope="col">{t("audit.reason")}</th>
            <th scope="col">{t("audit.by")}</th>
          </tr>
        </thead>
        <tbody>
          {audit.map((a) => (
            <tr key={a.id}>
              <th scope="row">{when(a.at)}</th>
              <td>{["manual", "auto", "regrade"].includes(a.kind) ? t(`audit.kind.${a.kind}`) : a.kind}</td>
              <td>{percent(a.old_score)}</td>
              <td>{percent(a.new_score)}</td>
              <td>{a.reason}</td>
              <td>{a.actor_id === null ? t("audit.grader") : a.actor_id === me?.id ? t("audit.you") : t("audit.staff", { id: a.actor_id })}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Comments({ comments, onAdd }: { comments: review.Comment[]; onAdd: (body: string) => Promise<unknown> }) {
  const t = useT();
  const when = useWhen();
  const { me } = useAuth();
  const [body, setBody] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await onAdd(body);
      setBody("");
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      document.getElementById("review-comment")?.focus();
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="stack">
      {comments.length ? (
        <ol className="pw-plain-list stack pw-review__comments" aria-label={t("comments.list")}>
          {comments.map((c) => (
            <li key={c.id} className="pw-card">
              <p className="muted">
                {c.author_id === me?.id ? t("audit.you") : c.author_id === null ? "–" : t("audit.staff", { id: c.author_id })} ·{" "}
                {when(c.created_at)}
              </p>
              <p className="pw-review__text">{c.body}</p>
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">{t("comments.empty")}</p>
      )}
      <form className="stack pw-review__form" onSubmit={submit} noValidate>
        <Field
          id="review-comment"
          label={t("comments.field")}
          multiline
          rows={3}
          value={body}
          onChange={setBody}
          isInvalid={Boolean(error)}
          errorMessage={error ?? undefined}
        />
        <div className="row">
          <Button type="submit" variant="secondary" isDisabled={busy}>
            {t("comments.add")}
          </Button>
        </div>
      </form>
    </div>
  );
}

function RegradeForm({ itemId, onDone }: { itemId: number; onDone: () => void }) {
  const t = useT();
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<review.Regrade | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      const summary = await review.regrade(itemId, reason);
      setResult(summary);
      setError(null);
      setReason("");
      onDone();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      document.getElementById("review-regrade-reason")?.focus();
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack pw-review__form" onSubmit={submit} noValidate>
      <p>{t("regrade.intro")}</p>
      <Field
        id="review-regrade-reason"
        label={t("regrade.reason")}
        value={reason}
        onChange={setReason}
        isInvalid={Boolean(error)}
        errorMessage={error ?? undefined}
      />
      <div className="row">
        <Button type="submit" variant="secondary" isDisabled={busy}>
          {t("regrade.submit")}
        </Button>
      </div>
      <div aria-live="polite">
        {result && (
          <Notice tone="success">
            {t("regrade.done", {
              rescored: result.attempts_rescored,
              unchanged: result.attempts_unchanged,
              queued: result.submissions_queued.length + result.answers_queued.length,
              skipped: result.attempts_skipped.length,
            })}
          </Notice>
        )}
      </div>
    </form>
  );
}

function ModelReport({ work }: { work: Work }) {
  const t = useT();
  const percent = usePercent();
  const model = modelView(work.report, work.rawScore);
  const feedback = Array.isArray(work.report.feedback) ? (work.report.feedback as unknown[]).map(String) : [];
  return (
    <dl className="pw-review__facts">
      <dt>{t("model.score")}</dt>
      <dd>
        {model.points !== null && model.max !== null
          ? t("model.points", { points: model.points, max: model.max, percent: percent(model.score) })
          : model.score === null
            ? t("model.none")
            : percent(model.score)}
      </dd>
      <dt>{t("model.confidence")}</dt>
      <dd>{model.confidence === null ? t("model.none") : percent(model.confidence)}</dd>
      {model.scoredBy && (
        <>
          <dt>{t("model.scoredBy")}</dt>
          <dd>{model.scoredBy}</dd>
        </>
      )}
      <dt>{t("model.reasons")}</dt>
      <dd>
        {work.flags.length ? (
          <ul className="pw-review__reasons">
            {work.flags.map((flag, i) => (
              <li key={i}>{flag}</li>
            ))}
          </ul>
        ) : (
          t("model.noReasons")
        )}
      </dd>
      {feedback.length > 0 && (
        <>
          <dt>{t("model.feedback")}</dt>
          <dd>
            <ul className="pw-review__reasons">
              {feedback.map((line, i) => (
                <li key={i}>{line}</li>
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}

function CodeResults({ report }: { report: Record<string, unknown> }) {
  const t = useT();
  const { tests, events, status } = codeReport(report);
  return (
    <>
      <Region id="review-tests" title={t("code.tests")} level={3}>
        {status === "rejected" && <Notice tone="warning">{t("code.rejected")}</Notice>}
        {tests.length ? (
          <div className="pw-table-wrap" role="region" aria-label={t("code.tests")} tabIndex={0}>
            <table className="pw-table">
              <thead>
                <tr>
                  <th scope="col">{t("code.test")}</th>
                  <th scope="col">{t("code.suite")}</th>
                  <th scope="col">{t("code.status")}</th>
                  <th scope="col">{t("code.cases")}</th>
                  <th scope="col">{t("code.points")}</th>
                  <th scope="col">{t("code.feedback")}</th>
                </tr>
              </thead>
              <tbody>
                {tests.map((test) => (
                  <tr key={`${test.suite}:${test.name}`}>
                    <th scope="row">
                      <code>{test.name}</code>
                    </th>
                    <td>{test.suite === "hidden" ? t("code.hidden") : t("code.visible")}</td>
                    <td>
                      <span className={`pw-review__status pw-review__status--${test.status === "passed" ? "ok" : "bad"}`}>
                        {test.status.replace(/_/g, " ")}
                      </span>
                    </td>
                    <td>{t("code.casesOf", { passed: test.casesPassed, total: test.casesTotal })}</td>
                    <td>{t("code.pointsOf", { points: test.points, weight: test.weight })}</td>
                    <td>{test.feedback || "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="muted">{t("code.noTests")}</p>
        )}
      </Region>
      <Region id="review-events" title={t("code.events")} level={3}>
        {events.length ? (
          <ul className="pw-review__reasons">
            {events.map((e, i) => (
              <li key={i}>
                <strong>{e.kind.replace(/_/g, " ")}</strong> ({e.suite}
                {e.test ? `, ${e.test}` : ""}){e.detail ? `: ${e.detail}` : ""}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">{t("code.noEvents")}</p>
        )}
      </Region>
    </>
  );
}

function WorkView({
  courseId,
  state,
  reload,
  onAdjust,
  onComment,
}: {
  courseId: number;
  state: Load<Work>;
  reload: () => void;
  onAdjust: (score: number, reason: string) => Promise<review.Audit>;
  onComment?: (body: string) => Promise<unknown>;
}) {
  const t = useT();
  const percent = usePercent();
  const when = useWhen();
  const { can } = useAuth();
  const grader = can("grades:write");
  // the title stays while the page reloads after an action, so focus and the heading outline stay put
  const [last, setLast] = useState<Work | null>(null);
  if (state.status === "ok" && state.data !== last) setLast(state.data);
  const work = state.status === "ok" ? state.data : last;
  return (
    <div className="stack pw-review">
      <nav aria-label={t("item.breadcrumb")}>
        <Link to={`/review/courses/${courseId}`}>{t("item.back")}</Link>
      </nav>
      {!work ? (
        <>
          <h1>{t("item.loadingTitle")}</h1>
          <Loaded state={state} failed={t("item.failed")}>
            {() => null}
          </Loaded>
        </>
      ) : (
        <>
          <h1>{t("item.title", { work: work.title, learner: work.learner })}</h1>
          <dl className="pw-review__facts">
            <dt>{t("item.kind")}</dt>
            <dd>{work.kind ? t(`kind.${work.kind === "code" ? "code" : work.kind === "essay" ? "essay" : "other"}`) : "–"}</dd>
            <dt>{t("item.status")}</dt>
            <dd>{["queued", "grading", "graded", "review"].includes(work.status) ? t(`status.${work.status}`) : work.status}</dd>
            <dt>{t("item.score")}</dt>
            <dd data-testid="current-score">{percent(work.score)}</dd>
            <dt>{t("item.submitted")}</dt>
            <dd>{when(work.submittedAt)}</dd>
          </dl>
          <Region id="review-model" title={t("model.title")}>
            <ModelReport work={work} />
          </Region>
          <Region id="review-work" title={work.kind === "code" ? t("item.code") : t("item.essay")}>
            {work.stem && <p className="muted">{t("item.prompt", { stem: work.stem })}</p>}
            {work.kind === "code" ? (
              <pre className="pw-review__code" tabIndex={0} aria-label={t("item.code")}>
                <code>{work.text}</code>
              </pre>
            ) : (
              <div className="pw-review__text pw-card">{work.text || t("item.noText")}</div>
            )}
            {work.kind === "code" && <CodeResults report={work.report} />}
          </Region>
          {grader && (
            <Region id="review-adjust" title={t("adjust.title")}>
              <AdjustForm
                current={work.score}
                onAdjust={async (score, reason) => {
                  const audit = await onAdjust(score, reason);
                  reload();
                  return audit;
                }}
              />
            </Region>
          )}
          <Region id="review-audit" title={t("audit.title")}>
            <AuditTable audit={work.audit} />
          </Region>
          {work.comments && onComment && (
            <Region id="review-comments" title={t("comments.title")}>
              <Comments
                comments={work.comments}
                onAdd={async (body) => {
                  await onComment(body);
                  reload();
                }}
              />
            </Region>
          )}
          {grader && work.itemId !== null && (
            <Region id="review-regrade" title={t("regrade.title")}>
              <RegradeForm itemId={work.itemId} onDone={reload} />
            </Region>
          )}
        </>
      )}
    </div>
  );
}

/** `/review/courses/{course}/submissions/{id}`: a submitted essay or program under review. */
export function SubmissionPage() {
  const params = useParams();
  const courseId = Number(params.courseId);
  const submissionId = Number(params.submissionId);
  const [state, reload] = useLoad(() => loadSubmission(courseId, submissionId), [courseId, submissionId]);
  return (
    <WorkView
      courseId={courseId}
      state={state}
      reload={reload}
      onAdjust={(score, reason) => review.adjustSubmission(submissionId, score, reason)}
      onComment={(body) => review.addComment(submissionId, body)}
    />
  );
}

/** `/review/courses/{course}/sittings/{sitting}/answers/{attempt}`: an essay or code answer given in a test. */
export function AnswerPage() {
  const params = useParams();
  const courseId = Number(params.courseId);
  const sittingId = Number(params.sittingId);
  const attemptId = Number(params.attemptId);
  const [state, reload] = useLoad(() => loadAnswer(sittingId, attemptId), [sittingId, attemptId]);
  return (
    <WorkView
      courseId={courseId}
      state={state}
      reload={reload}
      onAdjust={(score, reason) => review.adjustAnswer(sittingId, attemptId, score, reason)}
    />
  );
}
