import { useParams } from "react-router";
import { useIntl, type IntlShape } from "react-intl";
import { api, ok, type Schemas } from "@/api/client";
import { Card, DataTable, Notice } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import { AuthImage } from "./AuthImage";

type Version = Schemas["ModelVersionPublic"];

/** `/ml/models/:name`: each version with its aliases, run metrics, tags, data digests, commit and plots. */
export function ModelPage() {
  const { name = "" } = useParams();
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const [model] = useLoad(async () => ok(await api.GET("/v1/models/{name}", { params: { path: { name } } })), [name]);
  return (
    <div className="stack" aria-busy={model.status === "loading"}>
      <h1>{t("console.ml.model.title", { name })}</h1>
      {model.status === "error" && <Notice tone="danger">{model.error}</Notice>}
      {model.status === "ok" &&
        model.data.versions.map((v) => <VersionCard key={v.version} name={name} version={v} t={t} format={intl} />)}
      {model.status === "ok" && model.data.versions.length === 0 && <p>{t("console.ml.model.noVersions")}</p>}
    </div>
  );
}

function VersionCard({
  name,
  version: v,
  t,
  format,
}: {
  name: string;
  version: Version;
  t: (id: string, values?: Record<string, string | number>) => string;
  format: IntlShape;
}) {
  const metrics = Object.entries(v.metrics).map(([key, value]) => ({ id: key, key, value }));
  const tags = Object.entries(v.tags).map(([key, value]) => ({ id: key, key, value }));
  const digests = Object.entries(v.data_digest);
  return (
    <Card headingLevel={2} title={t("console.ml.model.version", { version: v.version })}>
      <dl className="pw-ml-facts">
        <dt>{t("console.ml.col.aliases")}</dt>
        <dd>{v.aliases.join(", ") || t("console.ml.none")}</dd>
        <dt>{t("console.ml.model.status")}</dt>
        <dd>{v.status}</dd>
        <dt>{t("console.ml.model.created")}</dt>
        <dd>{v.created_at ? format.formatDate(v.created_at, { dateStyle: "medium", timeStyle: "short" }) : "–"}</dd>
        <dt>{t("console.ml.model.commit")}</dt>
        <dd>
          <code>{v.git_commit ?? "–"}</code>
        </dd>
        <dt>{t("console.ml.model.featureService")}</dt>
        <dd>{v.feature_service ?? "–"}</dd>
        <dt>{t("console.ml.model.dataset")}</dt>
        <dd>{v.dataset ?? "–"}</dd>
        <dt>{t("console.ml.model.digest")}</dt>
        <dd>
          {digests.length === 0
            ? "–"
            : digests.map(([key, value]) => (
                <span key={key} className="pw-ml-digest">
                  {key}: <code>{value}</code>{" "}
                </span>
              ))}
        </dd>
      </dl>
      <DataTable
        label={t("console.ml.model.metrics", { version: v.version })}
        rows={metrics}
        empty={t("console.ml.model.noMetrics")}
        columns={[
          { id: "key", label: t("console.ml.col.metric"), render: (m) => m.key },
          { id: "value", label: t("console.ml.col.value"), render: (m) => format.formatNumber(m.value, { maximumFractionDigits: 4 }) },
        ]}
      />
      <DataTable
        label={t("console.ml.model.tags", { version: v.version })}
        rows={tags}
        empty={t("console.ml.model.noTags")}
        columns={[
          { id: "key", label: t("console.ml.col.tag"), render: (m) => m.key },
          { id: "value", label: t("console.ml.col.value"), render: (m) => m.value },
        ]}
      />
      {v.plots.length === 0 ? (
        <p>{t("console.ml.model.noPlots")}</p>
      ) : (
        <div className="pw-ml-plots">
          {v.plots.map((kind) => (
            <figure key={kind}>
              <AuthImage
                path={`/v1/models/${encodeURIComponent(name)}/versions/${v.version}/plots/${kind}`}
                alt={t(`console.ml.plot.${kind}.alt`, { name, version: v.version })}
                failed={t("console.ml.plot.failed")}
              />
              <figcaption>{t(`console.ml.plot.${kind}`)}</figcaption>
            </figure>
          ))}
        </div>
      )}
    </Card>
  );
}
