import { useParams } from "react-router";
import { useIntl } from "react-intl";
import { api, ok, type Schemas } from "@/api/client";
import { Card, DataTable, Notice } from "@/design/components";
import { useLoad } from "@/lib/useLoad";

type Report = Schemas["ExperimentReport"];

/** `/ml/experiments/:key`: per-variant outcomes with always-valid confidence sequences, and each variant against the control. */
export function ExperimentPage() {
  const { key = "" } = useParams();
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const [report] = useLoad(async () => ok(await api.GET("/v1/experiments/{key}/report", { params: { path: { key } } })), [key]);
  const num = (v: number | null | undefined) => (v === null || v === undefined ? "–" : intl.formatNumber(v, { maximumFractionDigits: 4 }));
  const interval = (low: number | null | undefined, high: number | null | undefined) =>
    low === null || low === undefined || high === null || high === undefined ? t("console.ml.report.notYet") : t("console.ml.report.interval", { low: num(low), high: num(high) });
  return (
    <div className="stack" aria-busy={report.status === "loading"}>
      <h1>{t("console.ml.report.title", { key })}</h1>
      {report.status === "error" && <Notice tone="danger">{report.error}</Notice>}
      {report.status === "ok" && (
        <>
          <p>
            {t("console.ml.report.method", {
              method: report.data.method,
              level: intl.formatNumber(1 - report.data.alpha, { style: "percent" }),
              control: t(`console.ml.variant.${report.data.control}`),
            })}
          </p>
          {report.data.metrics.map((metric) => (
            <MetricCard key={metric} metric={metric} report={report.data} t={t} num={num} interval={interval} />
          ))}
        </>
      )}
    </div>
  );
}

function MetricCard({
  metric,
  report,
  t,
  num,
  interval,
}: {
  metric: string;
  report: Report;
  t: (id: string, values?: Record<string, string | number>) => string;
  num: (v: number | null | undefined) => string;
  interval: (low: number | null | undefined, high: number | null | undefined) => string;
}) {
  const rows = report.variants.map((v) => ({ id: v.variant, variant: v.variant, learners: v.learners, ...v.metrics[metric] }));
  const diffs = report.comparisons.map((c) => ({ id: c.variant, variant: c.variant, ...c.metrics[metric] }));
  const name = t(`console.ml.report.metric.${metric}`);
  return (
    <Card headingLevel={2} title={name}>
      <p>{t(`console.ml.report.metric.${metric}.help`)}</p>
      <DataTable
        label={t("console.ml.report.perVariant", { metric: name })}
        rows={rows}
        empty={t("console.ml.report.empty")}
        columns={[
          { id: "variant", label: t("console.ml.col.variant"), render: (r) => t(`console.ml.variant.${r.variant}`) },
          { id: "n", label: t("console.ml.report.n"), render: (r) => r.n },
          { id: "estimate", label: t("console.ml.report.estimate"), render: (r) => num(r.estimate) },
          { id: "interval", label: t("console.ml.report.sequence"), render: (r) => interval(r.low, r.high) },
        ]}
      />
      {diffs.length > 0 && (
        <DataTable
          label={t("console.ml.report.versusControl", { metric: name })}
          rows={diffs}
          empty={t("console.ml.report.empty")}
          columns={[
            { id: "variant", label: t("console.ml.col.variant"), render: (r) => t(`console.ml.variant.${r.variant}`) },
            { id: "estimate", label: t("console.ml.report.difference"), render: (r) => num(r.estimate) },
            { id: "interval", label: t("console.ml.report.sequence"), render: (r) => interval(r.low, r.high) },
            { id: "p", label: t("console.ml.report.p"), render: (r) => num(r.p_value) },
            { id: "significant", label: t("console.ml.report.significant"), render: (r) => t(r.significant ? "console.ml.yes" : "console.ml.no") },
          ]}
        />
      )}
    </Card>
  );
}
