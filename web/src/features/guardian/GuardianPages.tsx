import { useIntl } from "react-intl";
import { Link, useParams } from "react-router";
import { api, ok } from "@/api/client";
import { Notice } from "@/design/components";
import { LearnerHome } from "@/features/home/LearnerHome";
import { useLoad } from "@/lib/useLoad";
import { Loaded } from "@/lib/Loaded";

function useLinkedLearners() {
  return useLoad(async () => ok(await api.GET("/v1/me/learners", { params: { query: { limit: 200 } } })), []);
}

/** `/learners`: the learners linked to this guardian, each a link to their read-only home. */
export function GuardianLearners() {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const [learners] = useLinkedLearners();
  return (
    <div className="stack">
      <h1>{t("guardian.title")}</h1>
      <p className="muted">{t("guardian.intro")}</p>
      <Loaded
        state={learners}
        failed={t("guardian.failed")}
        empty={t("guardian.empty")}
        isEmpty={(page) => page.items.length === 0}
      >
        {(page) => (
          <ul className="grid pw-plain-list" aria-label={t("guardian.list")}>
            {page.items.map((learner) => (
              <li key={learner.id} className="pw-card">
                <h2 className="pw-card__title">
                  <Link to={`/learners/${learner.id}`}>{learner.display_name}</Link>
                </h2>
                <p className="muted">{t("guardian.seeProgress", { name: learner.display_name })}</p>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </div>
  );
}

/** `/learners/{id}`: one linked learner's home sections, read-only. */
export function GuardianLearner() {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const { learnerId } = useParams();
  const id = Number(learnerId);
  const [learners] = useLinkedLearners();
  if (!Number.isInteger(id) || id < 1) return <Notice tone="danger">{t("guardian.badId")}</Notice>;
  const learner = learners.status === "ok" ? learners.data.items.find((l) => l.id === id) : undefined;
  if (learners.status === "ok" && !learner) {
    return (
      <div className="stack">
        <h1>{t("guardian.notLinkedTitle")}</h1>
        <Notice tone="warning">{t("guardian.notLinked")}</Notice>
        <p>
          <Link to="/learners">{t("guardian.back")}</Link>
        </p>
      </div>
    );
  }
  return (
    <div className="stack">
      <nav aria-label={t("guardian.breadcrumb")}>
        <Link to="/learners">{t("guardian.back")}</Link>
      </nav>
      <Loaded state={learners} failed={t("guardian.failed")}>
        {() => <LearnerHome learnerId={id} title={t("guardian.learnerTitle", { name: learner?.display_name ?? "" })} readOnly />}
      </Loaded>
    </div>
  );
}

export default GuardianLearners;
