import { useIntl } from "react-intl";
import type { Schemas } from "@/api/client";
import { daysUntil, upcoming } from "../shaping";

/** Assignments and exams still open, soonest first, with the date and how far off it is in words. */
export function DeadlineList({
  deadlines,
  courseTitles,
  now = new Date(),
}: {
  deadlines: Schemas["Deadline"][];
  courseTitles: Map<number, string>;
  now?: Date;
}) {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const open = upcoming(
    deadlines.map((d) => ({ ...d, dueAt: d.due_at, closesAt: d.closes_at })),
    now,
  );
  if (open.length === 0) return <p className="muted">{t("home.deadlines.empty")}</p>;
  const when = (d: Date) => intl.formatDate(d, { dateStyle: "medium", timeStyle: "short" });
  return (
    <ul className="pw-deadlines pw-plain-list">
      {open.map((d) => {
        const due = new Date(d.due_at);
        const days = daysUntil(due, now);
        const late = due < now;
        return (
          <li key={`${d.kind}-${d.assignment_id}`} className="pw-deadline">
            <span className={`pw-tag pw-tag--${d.kind}`}>{t(`home.deadlines.kind.${d.kind}`)}</span>
            <span className="pw-deadline__what">
              <strong>{d.title}</strong>
              {courseTitles.size > 1 && courseTitles.get(d.course_id) && (
                <span className="muted"> · {courseTitles.get(d.course_id)}</span>
              )}
            </span>
            <span className="pw-deadline__when">
              <time dateTime={d.due_at}>{t("home.deadlines.due", { date: when(due) })}</time>
              <span className={late ? "pw-deadline__late" : "muted"}>
                {" "}
                {late
                  ? t("home.deadlines.late", { date: when(new Date(d.closes_at ?? d.due_at)) })
                  : t("home.deadlines.inDays", { count: days })}
              </span>
            </span>
          </li>
        );
      })}
    </ul>
  );
}
