import { useEffect, useState } from "react";
import { useIntl } from "react-intl";
import { Link } from "react-router";
import { api, ok, type Schemas } from "@/api/client";
import { useAuth } from "@/auth/session";
import { Button } from "@/design/components";

type Recommendations = Schemas["RecommendationsOut"];

/** The serving side updates mastery from the answer's event a moment after the answer: ask again once then. */
const SETTLE_MS = 2500;

/**
 * "Your next step": the learner's recommendations for the course, fetched again whenever `version`
 * changes (a newly graded answer) and once more a moment later, when the answer has travelled the
 * spine to the model. Offline it says it will update on reconnect.
 */
export function NextStep({
  courseId,
  skillIds,
  version,
  headingLevel = 2,
}: {
  courseId: number;
  /** The activity's skills: their mastery is shown, and how it moved since the page asked before. */
  skillIds: number[];
  version: number;
  headingLevel?: 2 | 3;
}) {
  const intl = useIntl();
  const { me } = useAuth();
  const [data, setData] = useState<Recommendations | null>(null);
  const [failed, setFailed] = useState(false);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  const [again, setAgain] = useState(0);
  const [before, setBefore] = useState<Record<string, number>>({});
  const Heading = `h${headingLevel}` as const;

  useEffect(() => {
    if (!me) return;
    let live = true;
    const load = async () => {
      try {
        const found = ok(
          await api.GET("/v1/learners/{learner_id}/recommendations", {
            params: { path: { learner_id: me.id }, query: { course: courseId, k: 3 } },
          }),
        );
        if (live) {
          setData((previous) => {
            if (previous) setBefore(previous.mastery);
            return found;
          });
          setFailed(false);
          setLoadedAt(Date.now());
        }
      } catch {
        if (live) setFailed(true);
      }
    };
    void load();
    const later = version > 0 ? setTimeout(() => void load(), SETTLE_MS) : undefined;
    return () => {
      live = false;
      clearTimeout(later);
    };
  }, [me, courseId, version, again]);

  const percent = (value: number) => intl.formatNumber(value, { style: "percent", maximumFractionDigits: 0 });
  return (
    <section className="pw-card pw-next" aria-labelledby="next-step-title">
      <Heading id="next-step-title" className="pw-card__title">
        {intl.formatMessage({ id: "quiz.nextStep" })}
      </Heading>
      {!navigator.onLine && <p className="muted">{intl.formatMessage({ id: "quiz.nextStepOffline" })}</p>}
      {failed && navigator.onLine && <p className="muted">{intl.formatMessage({ id: "quiz.nextStepFailed" })}</p>}
      {data && data.items.length === 0 && <p>{intl.formatMessage({ id: "quiz.nextStepNone" })}</p>}
      {data && (
        <ul className="pw-next__mastery">
          {skillIds
            .map(String)
            .filter((skill) => data.mastery[skill] !== undefined)
            .map((skill) => {
              const now = data.mastery[skill];
              const was = before[skill];
              const moved = was !== undefined && Math.round(was * 100) !== Math.round(now * 100);
              return (
                <li key={skill}>
                  {intl.formatMessage(
                    { id: moved ? "quiz.masteryMoved" : "quiz.mastery" },
                    {
                      skill: data.skill_names?.[skill] ?? skill,
                      mastery: percent(now),
                      was: moved ? percent(was) : "",
                      answers: data.answers?.[skill] ?? 0,
                    },
                  )}
                </li>
              );
            })}
        </ul>
      )}
      {data && data.items.length > 0 && (
        <ol className="pw-next__list">
          {data.items.map((rec) => (
            <li key={rec.activity_id} className="pw-next__item">
              <Link to={`/learn/${rec.activity_id}`}>{rec.title}</Link>{" "}
              <span className="pw-tag">{intl.formatMessage({ id: `quiz.recType.${rec.type}` })}</span>
              <p className="pw-next__reason">{rec.reason}</p>
            </li>
          ))}
        </ol>
      )}
      <span className="visually-hidden" role="status">
        {version > 0 && loadedAt !== null ? intl.formatMessage({ id: "quiz.nextStepAnnounce" }) : ""}
      </span>
      <div className="row">
        {loadedAt !== null && (
          <span className="muted">
            {intl.formatMessage({ id: "quiz.nextStepUpdated" }, { when: intl.formatTime(loadedAt, { timeStyle: "medium" }) })}
          </span>
        )}
        <Button variant="secondary" onPress={() => setAgain((n) => n + 1)}>
          {intl.formatMessage({ id: "quiz.nextStepRefresh" })}
        </Button>
      </div>
    </section>
  );
}
