import { Link, useNavigate, useParams } from "react-router";
import { Select } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import * as review from "./api";
import { Region, usePercent, useT } from "./parts";
import { modelView } from "./shaping";
import { Loaded } from "@/lib/Loaded";
import { useWhen } from "@/lib/useWhen";

interface QueueRow {
  key: string;
  href: string;
  learner: string;
  work: string;
  kind: string;
  report: Record<string, unknown>;
  rawScore: number | null;
  flags: string[];
  submittedAt: string;
}

/** Both queues of a course with what a reviewer needs to pick: who, what, the model's score, confidence and reasons. */
async function loadQueues(courseId: number): Promise<{ submissions: QueueRow[]; answers: QueueRow[] }> {
  const [submissions, answers, assignments] = await Promise.all([
    review.submissionQueue(courseId),
    review.answerQueue(courseId),
    review.assignments(courseId),
  ]);
  const byId = new Map(assignments.map((a) => [a.id, a]));
  const itemIds = [...new Set([...assignments.filter((a) => submissions.some((s) => s.assignment_id === a.id)).map((a) => a.item_id), ...answers.map((a) => a.item_id)])];
  const testIds = [...new Set(answers.map((a) => a.assessment_id))];
  const [items, tests, names] = await Promise.all([
    Promise.all(itemIds.map((id) => review.item(id).catch(() => null))),
    Promise.all(testIds.map((id) => review.assessmentTitle(id).catch(() => `#${id}`))),
    review.learnerNames([...submissions.map((s) => s.user_id), ...answers.map((a) => a.user_id)]),
  ]);
  const kinds = new Map(items.flatMap((item) => (item ? [[item.id, item.kind] as const] : [])));
  const testTitle = new Map(testIds.map((id, i) => [id, tests[i]]));
  const learner = (id: number) => names.get(id) ?? `#${id}`;
  return {
    submissions: submissions.map((s) => {
      const assignment = byId.get(s.assignment_id);
      return {
        key: `s${s.id}`,
        href: `/review/courses/${courseId}/submissions/${s.id}`,
        learner: learner(s.user_id),
        work: assignment?.title ?? `#${s.assignment_id}`,
        kind: (assignment && kinds.get(assignment.item_id)) ?? "",
        report: s.report,
        rawScore: s.raw_score ?? null,
        flags: s.flags,
        submittedAt: s.submitted_at,
      };
    }),
    answers: answers.map((a) => ({
      key: `a${a.attempt_id}`,
      href: `/review/courses/${courseId}/sittings/${a.sitting_id}/answers/${a.attempt_id}`,
      learner: learner(a.user_id),
      work: testTitle.get(a.assessment_id) ?? `#${a.assessment_id}`,
      kind: kinds.get(a.item_id) ?? "",
      report: a.report,
      rawScore: null,
      flags: a.flags,
      submittedAt: a.submitted_at,
    })),
  };
}

function QueueTable({ label, rows, empty }: { label: string; rows: QueueRow[]; empty: string }) {
  const t = useT();
  const percent = usePercent();
  const when = useWhen();
  if (!rows.length) return <p className="muted">{empty}</p>;
  return (
    <div className="pw-table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table className="pw-table pw-review__queue">
        <caption className="visually-hidden">{label}</caption>
        <thead>
          <tr>
            <th scope="col">{t("queue.work")}</th>
            <th scope="col">{t("queue.kind")}</th>
            <th scope="col">{t("queue.modelScore")}</th>
            <th scope="col">{t("queue.confidence")}</th>
            <th scope="col">{t("queue.reasons")}</th>
            <th scope="col">{t("queue.submitted")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const model = modelView(row.report, row.rawScore);
            return (
              <tr key={row.key}>
                <th scope="row">
                  <Link to={row.href}>{t("queue.open", { work: row.work, learner: row.learner })}</Link>
                </th>
                <td>{row.kind ? t(`kind.${row.kind === "code" ? "code" : row.kind === "essay" ? "essay" : "other"}`) : "–"}</td>
                <td>
                  {model.points !== null && model.max !== null
                    ? t("model.points", { points: model.points, max: model.max, percent: percent(model.score) })
                    : percent(model.score)}
                </td>
                <td>{percent(model.confidence)}</td>
                <td>
                  {row.flags.length ? (
                    <ul className="pw-review__reasons">
                      {row.flags.map((flag, i) => (
                        <li key={i}>{flag}</li>
                      ))}
                    </ul>
                  ) : (
                    "–"
                  )}
                </td>
                <td>{when(row.submittedAt)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** `/review` and `/review/courses/{id}`: pick a course, then its review queues (submitted work and answers in tests). */
export function QueuePage() {
  const t = useT();
  const navigate = useNavigate();
  const { courseId } = useParams();
  const id = courseId ? Number(courseId) : null;
  const [courses] = useLoad(() => review.courses(), []);
  const [queues] = useLoad(id ? () => loadQueues(id) : null, [id]);
  const current = courses.status === "ok" ? courses.data.find((c) => c.id === id) : undefined;
  return (
    <div className="stack">
      <h1>{t("title")}</h1>
      <p className="muted">{t("queue.intro")}</p>
      <Loaded state={courses} failed={t("courses.failed")}>
        {(list) => (
          <div className="pw-review__picker">
            <Select
              label={t("courses.label")}
              value={id}
              options={list.map((c) => ({ id: c.id, label: `${c.title} (${c.code})` }))}
              onChange={(next) => navigate(`/review/courses/${next}`)}
            />
          </div>
        )}
      </Loaded>
      {id && (
        <>
          <p>
            <Link to={`/review/courses/${id}/gradebook`}>{t("gradebook.link", { course: current?.title ?? `#${id}` })}</Link>
          </p>
          <Loaded state={queues} failed={t("queue.failed")}>
            {(data) => (
              <>
                <Region id="queue-submissions" title={t("queue.submissions", { count: data.submissions.length })}>
                  <QueueTable label={t("queue.submissionsLabel")} rows={data.submissions} empty={t("queue.submissionsEmpty")} />
                </Region>
                <Region id="queue-answers" title={t("queue.answers", { count: data.answers.length })}>
                  <QueueTable label={t("queue.answersLabel")} rows={data.answers} empty={t("queue.answersEmpty")} />
                </Region>
              </>
            )}
          </Loaded>
        </>
      )}
      {!id && <p>{t("courses.pick")}</p>}
    </div>
  );
}
