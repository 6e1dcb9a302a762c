import { useIntl } from "react-intl";
import type { Schemas } from "@/api/client";
import { Progress } from "@/design/components";
import { badgeText } from "../shaping";

type Summary = Schemas["ProgressSummary"];
type Badge = Schemas["Badge"];

/** A badge's name and description in the reader's language; the API's English words when we lack the code. */
function useBadgeWords() {
  const intl = useIntl();
  return (badge: Badge) => {
    const known = `home.badge.${badge.code}.name` in intl.messages;
    return {
      name: known ? intl.formatMessage({ id: `home.badge.${badge.code}.name` }) : badge.name,
      description: known ? intl.formatMessage({ id: `home.badge.${badge.code}.description` }) : badge.description,
    };
  };
}

/**
 * Completed objectives (activities done, skills mastered, this course's progress) and the badges: each
 * badge says in words whether and when it was earned; the mark beside it only repeats that.
 */
export function ProgressSummary({ summary, course }: { summary: Summary; course: Schemas["ContinueEntry"] | null }) {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const words = useBadgeWords();
  const earned = summary.badges.filter((b) => b.earned);
  const mastered = summary.skills_mastered;
  return (
    <div className="stack">
      <dl className="pw-stats">
        <div>
          <dt>{t("home.progress.activities")}</dt>
          <dd>{intl.formatNumber(summary.activities_completed)}</dd>
        </div>
        <div>
          <dt>{t("home.progress.skills")}</dt>
          <dd>{intl.formatNumber(mastered.length)}</dd>
        </div>
        <div>
          <dt>{t("home.progress.badges")}</dt>
          <dd>{t("home.progress.badgesOf", { earned: earned.length, count: summary.badges.length })}</dd>
        </div>
      </dl>
      {course && course.course_progress !== null && (
        <Progress
          label={t("home.progress.course", { course: course.course_title })}
          value={course.course_progress}
          valueText={t("home.continue.activitiesDone", { done: course.activities_completed, count: course.activities_total })}
        />
      )}
      {mastered.length > 0 && (
        <p>
          {t(summary.mastered_source === "model" ? "home.progress.masteredModel" : "home.progress.masteredAttempts", {
            skills: intl.formatList(mastered.map((s) => s.name.trim()), { type: "conjunction" }),
          })}
        </p>
      )}
      <h3>{t("home.progress.badgesTitle")}</h3>
      <ul className="pw-badges pw-plain-list">
        {summary.badges.map((badge) => {
          const { name, description } = words(badge);
          const text = badge.earned
            ? badgeText(
                { name, earnedAt: badge.earned_at },
                {
                  earned: (v) => t("home.badge.earnedOn", v),
                  undated: (v) => t("home.badge.earned", v),
                },
                (date) => intl.formatDate(date, { dateStyle: "medium" }),
              )
            : t("home.badge.notYet", { name });
          return (
            <li key={badge.code} className={`pw-badge ${badge.earned ? "pw-badge--earned" : "pw-badge--locked"}`}>
              <span className="pw-badge__mark" aria-hidden="true">
                {badge.earned ? "★" : "☆"}
              </span>
              <span>
                <strong>{text}</strong>
                <span className="pw-badge__description">{description}</span>
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
