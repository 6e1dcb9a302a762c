import { Link } from "react-router";
import { useIntl } from "react-intl";
import { api, ok, type Schemas } from "@/api/client";
import { Card, DataTable, Notice } from "@/design/components";
import { useLoad } from "@/lib/useLoad";

type Model = Schemas["ModelSummary"];
type Experiment = Schemas["ExperimentSummary"];

/** `/ml`: every registered model with its aliases, and every experiment stored. */
export function RegistryPage() {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const [models] = useLoad(async () => ok(await api.GET("/v1/models")), []);
  const [experiments] = useLoad(async () => ok(await api.GET("/v1/experiments")), []);
  const aliases = (m: Model) =>
    Object.entries(m.aliases)
      .map(([alias, version]) => t("console.ml.alias", { alias, version }))
      .join(", ") || t("console.ml.none");
  return (
    <div className="stack">
      <h1>{t("console.ml.registry.title")}</h1>
      <section aria-busy={models.status === "loading"} aria-labelledby="ml-models" className="stack">
        <h2 id="ml-models">{t("console.ml.registry.models")}</h2>
        {models.status === "error" && <Notice tone="danger">{models.error}</Notice>}
        {models.status === "ok" && (
          <DataTable<Model & { id: string }>
            label={t("console.ml.registry.models")}
            rows={models.data.map((m) => ({ ...m, id: m.name }))}
            empty={t("console.ml.registry.empty")}
            columns={[
              { id: "name", label: t("console.ml.col.model"), render: (m) => <Link to={`/ml/models/${encodeURIComponent(m.name)}`}>{m.name}</Link> },
              { id: "aliases", label: t("console.ml.col.aliases"), render: aliases },
              { id: "versions", label: t("console.ml.col.versions"), render: (m) => m.versions },
              { id: "latest", label: t("console.ml.col.latest"), render: (m) => m.latest_version ?? "–" },
              {
                id: "updated",
                label: t("console.ml.col.updated"),
                render: (m) => (m.updated_at ? intl.formatDate(m.updated_at, { dateStyle: "medium", timeStyle: "short" }) : "–"),
              },
            ]}
          />
        )}
      </section>
      <section aria-busy={experiments.status === "loading"} aria-labelledby="ml-experiments" className="stack">
        <h2 id="ml-experiments">{t("console.ml.experiments.title")}</h2>
        {experiments.status === "error" && <Notice tone="danger">{experiments.error}</Notice>}
        {experiments.status === "ok" && (
          <DataTable<Experiment & { id: string }>
            label={t("console.ml.experiments.title")}
            rows={experiments.data.map((e) => ({ ...e, id: e.name }))}
            empty={t("console.ml.experiments.empty")}
            columns={[
              { id: "name", label: t("console.ml.col.experiment"), render: (e) => <Link to={`/ml/experiments/${encodeURIComponent(e.name)}`}>{e.name}</Link> },
              { id: "status", label: t("console.ml.col.status"), render: (e) => t(`console.ml.state.${e.status}`) },
              { id: "mode", label: t("console.ml.col.mode"), render: (e) => (e.mode ? t(`console.ml.mode.${e.mode}`) : "–") },
              { id: "exposures", label: t("console.ml.col.exposures"), render: (e) => e.exposures },
            ]}
          />
        )}
      </section>
      <Card title={t("console.ml.nav.rollouts")} headingLevel={2}>
        <p>
          {t("console.ml.registry.rolloutsHint")} <Link to="/ml/rollouts">{t("console.ml.registry.rolloutsLink")}</Link>
        </p>
      </Card>
    </div>
  );
}
