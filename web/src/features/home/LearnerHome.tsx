import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { useIntl } from "react-intl";
import { api, ok, type Schemas } from "@/api/client";
import { Notice, Select } from "@/design/components";
import { Section } from "./Section";
import { ContinueCards } from "./sections/Continue";
import { DeadlineList } from "./sections/Deadlines";
import { MasteryView } from "./sections/Mastery";
import { ProgressSummary } from "./sections/Progress";
import { RecommendationsSection } from "./sections/Recommendations";
import { TimeUsageChart } from "./sections/TimeUsage";
import { useLoad } from "@/lib/useLoad";
import "./home.css";
import { Loaded } from "@/lib/Loaded";

const RECOMMENDATIONS = 10;
/** The form (react-aria's checkbox groups) sits at the bottom of the page: it loads after the rest. */
const PreferencesForm = lazy(() => import("./sections/Preferences").then((m) => ({ default: m.PreferencesForm })));

/**
 * A learner's home: every section loads on its own (the home document, the recommendations, the
 * preferences), so one failing call leaves the others on the page. `readOnly` is the guardian's view:
 * the same facts, no links that would act as the learner and no preference form.
 */
export function LearnerHome({ learnerId, title, readOnly }: { learnerId: number; title: string; readOnly: boolean }) {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const [enrollments] = useLoad(
    async () =>
      ok(await api.GET("/v1/users/{user_id}/enrollments", { params: { path: { user_id: learnerId }, query: { limit: 200 } } })),
    [learnerId],
  );
  const courseIds = useMemo(
    () => (enrollments.status === "ok" ? enrollments.data.items.filter((e) => e.status === "active").map((e) => e.course_id) : []),
    [enrollments],
  );
  const [chosen, setChosen] = useState<number | null>(null);
  useEffect(() => setChosen(null), [learnerId]);
  const course = chosen ?? courseIds[0] ?? null;

  const [home] = useLoad(
    course === null
      ? null
      : async () =>
          ok(await api.GET("/v1/learners/{learner_id}/home", { params: { path: { learner_id: learnerId }, query: { course } } })),
    [learnerId, course],
  );
  const [recs, reloadRecs] = useLoad(
    course === null
      ? null
      : async () =>
          ok(
            await api.GET("/v1/learners/{learner_id}/recommendations", {
              params: { path: { learner_id: learnerId }, query: { course, k: RECOMMENDATIONS } },
            }),
          ),
    [learnerId, course],
  );
  const [saved, setSaved] = useState<Schemas["Preferences"] | null>(null);
  useEffect(() => setSaved(null), [learnerId]);
  const [prefs] = useLoad(
    readOnly
      ? null
      : async () => ok(await api.GET("/v1/learners/{learner_id}/preferences", { params: { path: { learner_id: learnerId } } })),
    [learnerId, readOnly],
  );

  // The sections appear together once the home document and the recommendations have both answered
  // (or failed) for this course: drawn one by one, each would push the ones below it down the page.
  // Later reloads (after saving preferences) keep the page as it is.
  const [shown, setShown] = useState<string | null>(null);
  const showing = `${learnerId}-${course}`;
  const settled = home.status !== "loading" && recs.status !== "loading";
  useEffect(() => {
    if (settled) setShown(showing);
  }, [settled, showing]);

  const titles = useMemo(() => {
    const known = new Map<number, string>();
    if (home.status === "ok") for (const e of home.data.continue) known.set(e.course_id, e.course_title);
    return known;
  }, [home]);
  const courseTitle = (id: number) => titles.get(id) ?? t("home.course.fallback", { id });
  const current = home.status === "ok" ? (home.data.continue.find((e) => e.course_id === course) ?? null) : null;

  const header = (
    <header className="stack pw-home__head">
      <h1>{title}</h1>
      {courseIds.length > 1 && (
        <div className="pw-home__course">
          <Select
            label={t("home.course.label")}
            value={course}
            options={courseIds.map((id) => ({ id, label: courseTitle(id) }))}
            onChange={(id) => setChosen(id)}
          />
        </div>
      )}
    </header>
  );

  if (enrollments.status !== "ok" || courseIds.length === 0) {
    return (
      <div className="stack pw-home">
        {header}
        <Loaded state={enrollments} failed={t("home.course.failed")}>
          {() => <Notice>{t(readOnly ? "home.course.noneGuardian" : "home.course.none")}</Notice>}
        </Loaded>
      </div>
    );
  }

  if (shown !== showing && !settled) {
    return (
      <div className="stack pw-home">
        {header}
        <p aria-busy="true">{t("app.loading")}</p>
      </div>
    );
  }

  return (
    <div className="stack pw-home">
      {header}
      <Section id="continue" title={t("home.continue.title")}>
        <Loaded state={home} failed={t("home.failed")} empty={t("home.continue.empty")} isEmpty={(d) => d.continue.length === 0}>
          {(data) => <ContinueCards entries={data.continue} readOnly={readOnly} />}
        </Loaded>
      </Section>
      <RecommendationsSection state={recs} readOnly={readOnly} />
      <div className="pw-home__columns">
        <Section id="progress" title={t("home.progress.title")}>
          <Loaded state={home} failed={t("home.failed")}>
            {(data) => <ProgressSummary summary={data.progress} course={current} />}
          </Loaded>
        </Section>
        <Section id="deadlines" title={t("home.deadlines.title")}>
          <Loaded state={home} failed={t("home.failed")}>
            {(data) => <DeadlineList deadlines={data.deadlines} courseTitles={titles} />}
          </Loaded>
        </Section>
      </div>
      <Section id="mastery" title={t("home.mastery.title")}>
        <Loaded state={home} failed={t("home.failed")}>
          {(data) =>
            (data.mastery === null || data.mastery === undefined) && recs.status === "error" && recs.code === 404 ? (
              <p className="muted">{t("home.mastery.empty")}</p>
            ) : data.mastery === null || data.mastery === undefined ? (
              <Notice tone="warning">{t("home.mastery.unavailable")}</Notice>
            ) : data.mastery.length === 0 ? (
              <p className="muted">{t("home.mastery.empty")}</p>
            ) : (
              <MasteryView skills={data.mastery} />
            )
          }
        </Loaded>
      </Section>
      <Section id="time" title={t("home.time.title")}>
        <Loaded state={home} failed={t("home.failed")}>
          {(data) => <TimeUsageChart usage={data.time_usage} />}
        </Loaded>
      </Section>
      {!readOnly && (
        <Section id="preferences" title={t("home.prefs.title")}>
          <Loaded state={prefs} failed={t("home.prefs.loadFailed")}>
            {(data) => (
              <Suspense fallback={<p aria-busy="true">{t("app.loading")}</p>}>
                <PreferencesForm
                  key={`${learnerId}-${course}`}
                  learnerId={learnerId}
                  initial={saved ?? data}
                  skills={home.status === "ok" ? (home.data.mastery ?? []).map((s) => ({ id: s.skill_id, name: s.name })) : []}
                  onSaved={(stored) => {
                    setSaved(stored);
                    // the sequencer applies preferences within about a second: rank again after it has
                    window.setTimeout(reloadRecs, 1500);
                  }}
                />
              </Suspense>
            )}
          </Loaded>
        </Section>
      )}
    </div>
  );
}
