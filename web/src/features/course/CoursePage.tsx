import { useIntl } from "react-intl";
import { Link, useParams } from "react-router";
import { api, ok, type Schemas } from "@/api/client";
import { Notice } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import "./course.css";

type Tree = Schemas["CourseTreePublic"];
const KNOWN_KINDS = new Set(["video", "reading", "lesson", "practice", "quiz", "challenge", "review", "peer", "notebook", "code", "essay"]);

/** A course's outline: its units and lessons in order, each activity a link to its player. */
export default function CoursePage() {
  const { courseId } = useParams();
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const [state] = useLoad<Tree>(
    async () => ok(await api.GET("/v1/courses/{course_id}/tree", { params: { path: { course_id: Number(courseId) } } })),
    [courseId],
  );
  if (state.status === "loading") return <p aria-busy="true">{t("app.loading")}</p>;
  if (state.status === "error") {
    return (
      <>
        <h1>{t("course.unavailable")}</h1>
        <Notice tone="danger">{t("app.error", { detail: state.error })}</Notice>
      </>
    );
  }
  const tree = state.data;
  const kindLabel = (activity: Schemas["TreeActivity"]) => {
    const itemKind = typeof activity.metadata?.item_kind === "string" ? activity.metadata.item_kind : null;
    const kind = itemKind && KNOWN_KINDS.has(itemKind) ? itemKind : activity.kind;
    return KNOWN_KINDS.has(kind) ? t(`course.kind.${kind}`) : kind;
  };
  return (
    <div className="stack pw-course">
      <h1>{tree.course.title}</h1>
      {tree.course.description && <p className="muted">{tree.course.description}</p>}
      {(tree.units ?? []).length === 0 && <p>{t("course.empty")}</p>}
      {(tree.units ?? []).map((unit, u) => (
        <section key={unit.id ?? u} aria-labelledby={`unit-${u}`} className="pw-course__unit">
          <h2 id={`unit-${u}`}>{unit.title}</h2>
          {(unit.lessons ?? []).map((lesson, l) => (
            <section key={lesson.id ?? l} aria-labelledby={`lesson-${u}-${l}`}>
              <h3 id={`lesson-${u}-${l}`}>{lesson.title}</h3>
              <ol className="pw-course__activities">
                {(lesson.activities ?? []).map((activity, a) => (
                  <li key={activity.id ?? a}>
                    {activity.id ? <Link to={`/learn/${activity.id}`}>{activity.title}</Link> : activity.title}{" "}
                    <span className="pw-course__kind">{kindLabel(activity)}</span>
                  </li>
                ))}
              </ol>
            </section>
          ))}
        </section>
      ))}
    </div>
  );
}
