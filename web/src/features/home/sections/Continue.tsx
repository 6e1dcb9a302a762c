import { useIntl } from "react-intl";
import { Link } from "react-router";
import type { Schemas } from "@/api/client";
import { Progress } from "@/design/components";

type Entry = Schemas["ContinueEntry"];

/**
 * One card per enrolled course: the activity touched last, how far into it, and the course's progress.
 * The learner gets a link to carry on; a read-only reader (a guardian) gets the same facts, no link.
 */
export function ContinueCards({ entries, readOnly }: { entries: Entry[]; readOnly: boolean }) {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const percent = (value: number) => intl.formatNumber(value, { style: "percent", maximumFractionDigits: 0 });
  return (
    <ul className="grid pw-plain-list">
      {entries.map((e) => (
        <li key={e.course_id} className="pw-card">
          <h3 className="pw-card__title">{e.course_title}</h3>
          {e.activity_id !== null && e.activity_title ? (
            <>
              <p>
                {e.status === "completed"
                  ? t("home.continue.completedLast", { activity: e.activity_title })
                  : t("home.continue.last", { activity: e.activity_title })}
                {e.last_touched_at && (
                  <span className="muted">
                    {" "}
                    {t("home.continue.when", { date: intl.formatDate(e.last_touched_at, { dateStyle: "medium" }) })}
                  </span>
                )}
              </p>
              {e.position !== null && e.status !== "completed" && (
                <Progress
                  label={t("home.continue.activityProgress", { activity: e.activity_title })}
                  value={e.position}
                  valueText={percent(e.position)}
                />
              )}
            </>
          ) : (
            <p className="muted">{t("home.continue.notStarted")}</p>
          )}
          {e.course_progress !== null ? (
            <Progress
              label={t("home.continue.courseProgress", { course: e.course_title })}
              value={e.course_progress}
              valueText={t("home.continue.activitiesDone", { done: e.activities_completed, count: e.activities_total })}
            />
          ) : (
            <p className="muted">{t("home.continue.unpublished")}</p>
          )}
          {!readOnly && (
            <Link to={`/courses/${e.course_id}`}>{t("course.outline", { course: e.course_title })}</Link>
          )}
          {!readOnly && e.activity_id !== null && e.activity_title && (
            <div className="pw-card__actions">
              <Link className="pw-button pw-button--primary pw-link-button" to={`/learn/${e.activity_id}`}>
                {e.status === "completed"
                  ? t("home.continue.review", { activity: e.activity_title })
                  : t("home.continue.resume", { activity: e.activity_title })}
              </Link>
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}
