import { useEffect, useState } from "react";
import { useIntl } from "react-intl";
import { Dialog as AriaDialog, DialogTrigger, Heading, Modal, ModalOverlay } from "react-aria-components";
import { api, ok, problemText, type Schemas } from "@/api/client";
import { useAuth } from "@/auth/session";
import { Button, Card, DataTable, Field, LineChart, Notice, Select, type Series } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import { usePoll } from "./usePoll";

type Rollout = Schemas["RolloutPublic"];
type Gates = Schemas["GateMetrics"];
type Slot = "kt" | "sequencer";
type T = (id: string, values?: Record<string, string | number>) => string;

const POLL_MS = 2000;
/** The gates a person sets when starting a rollout (the rest keep the slot's current values). */
const GATE_FIELDS = ["max_error_rate", "max_p95_latency_ms", "min_online_auc", "min_requests", "min_step_seconds"] as const;
type GateField = (typeof GATE_FIELDS)[number];

function gateText(gates: Schemas["Gates"]): Record<GateField, string> {
  return Object.fromEntries(GATE_FIELDS.map((f) => [f, String(gates[f] ?? "")])) as Record<GateField, string>;
}

/** `/ml/rollouts`: each slot's rollout, its live gate metrics and decision log, and (for models:write) the actions. */
export function RolloutsPage() {
  const intl = useIntl();
  const t: T = (id, values) => intl.formatMessage({ id }, values);
  const [rollouts] = useLoad(async () => ok(await api.GET("/v1/rollouts")), []);
  return (
    <div className="stack" aria-busy={rollouts.status === "loading"}>
      <h1>{t("console.ml.rollouts.title")}</h1>
      {rollouts.status === "error" && <Notice tone="danger">{rollouts.error}</Notice>}
      {rollouts.status === "ok" && rollouts.data.map((r) => <SlotCard key={r.slot} initial={r} t={t} />)}
    </div>
  );
}

function SlotCard({ initial, t }: { initial: Rollout; t: T }) {
  const intl = useIntl();
  const { can } = useAuth();
  const [rollout, setRollout] = useState<Rollout>(initial);
  const [said, setSaid] = useState<string | null>(null);
  const slot = rollout.slot as Slot;
  const running = rollout.state === "running";
  const changed = (next: Rollout, message: string) => {
    setRollout(next);
    setSaid(message);
  };
  // the watcher decides too (advance, rollback, promote): follow the slot while the page is open
  useEffect(() => {
    let live = true;
    const timer = window.setInterval(async () => {
      const { data } = await api.GET("/v1/rollouts/{slot}", { params: { path: { slot } } });
      if (live && data) setRollout(data);
    }, POLL_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [slot]);
  const heading = `ml-slot-${slot}`;
  return (
    <Card headingLevel={2} title={t(`console.ml.slot.${slot}`)} labelledBy={heading}>
      <p>{rollout.serving}</p>
      <dl className="pw-ml-facts">
        <dt>{t("console.ml.rollout.state")}</dt>
        <dd data-testid={`state-${slot}`}>{t(`console.ml.state.${rollout.state}`)}</dd>
        <dt>{t("console.ml.rollout.champion")}</dt>
        <dd>{rollout.champion ?? "–"}</dd>
        <dt>{t("console.ml.rollout.challenger")}</dt>
        <dd>{rollout.challenger ?? "–"}</dd>
        <dt>{t("console.ml.col.mode")}</dt>
        <dd>{t(`console.ml.mode.${rollout.mode}`)}</dd>
        <dt>{t("console.ml.rollout.traffic")}</dt>
        <dd>{intl.formatNumber(rollout.traffic_percent / 100, { style: "percent", maximumFractionDigits: 2 })}</dd>
        {rollout.mode === "canary" && running && (
          <>
            <dt>{t("console.ml.rollout.step")}</dt>
            <dd>{t("console.ml.rollout.stepOf", { step: rollout.step_index + 1, steps: rollout.steps.length })}</dd>
          </>
        )}
      </dl>
      <div aria-live="polite">{said && <Notice tone="success">{said}</Notice>}</div>
      {can("models:write") ? (
        <div className="row">
          {!running && <StartDialog rollout={rollout} t={t} onDone={(r) => changed(r, t("console.ml.start.done", { version: r.challenger ?? "" }))} />}
          {running && (
            <ActionDialog
              rollout={rollout}
              action="promote"
              t={t}
              onDone={(r) => changed(r, t("console.ml.promote.done", { version: r.champion ?? "" }))}
            />
          )}
          {running && (
            <ActionDialog rollout={rollout} action="abort" t={t} onDone={(r) => changed(r, t("console.ml.abort.done"))} />
          )}
        </div>
      ) : (
        <p>{t("console.ml.readOnly")}</p>
      )}
      {rollout.champion && <GateView slot={slot} t={t} watching={rollout} />}
      <h3>{t("console.ml.decisions.title")}</h3>
      <DataTable
        label={t("console.ml.decisions.label", { slot: t(`console.ml.slot.${slot}`) })}
        rows={rollout.decisions}
        empty={t("console.ml.decisions.empty")}
        columns={[
          { id: "at", label: t("console.ml.col.when"), render: (d) => intl.formatDate(d.at, { dateStyle: "short", timeStyle: "medium" }) },
          { id: "action", label: t("console.ml.col.action"), render: (d) => t(`console.ml.action.${d.action}`) },
          {
            id: "traffic",
            label: t("console.ml.rollout.traffic"),
            render: (d) => t("console.ml.decisions.traffic", { before: d.traffic_before, after: d.traffic_after }),
          },
          { id: "versions", label: t("console.ml.col.versions"), render: (d) => (d.challenger ? t("console.ml.decisions.pair", { champion: d.champion ?? "–", challenger: d.challenger }) : "–") },
          { id: "reason", label: t("console.ml.col.reason"), render: (d) => d.reason },
        ]}
      />
    </Card>
  );
}

/** A modal whose open state the caller holds, so a successful action can close it (the design Dialog closes only by hand). */
function ModalForm({
  label,
  variant,
  title,
  open,
  setOpen,
  children,
}: {
  label: string;
  variant: "primary" | "secondary" | "danger";
  title: string;
  open: boolean;
  setOpen: (open: boolean) => void;
  children: React.ReactNode;
}) {
  return (
    <DialogTrigger isOpen={open} onOpenChange={setOpen}>
      <Button variant={variant}>{label}</Button>
      <ModalOverlay className="pw-modal-overlay" isDismissable>
        <Modal className="pw-modal pw-ml-modal">
          <AriaDialog className="pw-dialog">
            <Heading slot="title">{title}</Heading>
            {children}
          </AriaDialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  );
}

function StartDialog({ rollout, t, onDone }: { rollout: Rollout; t: T; onDone: (r: Rollout) => void }) {
  const candidates = rollout.versions.filter((v) => v !== rollout.champion);
  const [open, setOpen] = useState(false);
  const [challenger, setChallenger] = useState<string | null>(candidates[0] ?? null);
  const [mode, setMode] = useState<"canary" | "ab" | "shadow">("canary");
  const [traffic, setTraffic] = useState("50");
  const [gates, setGates] = useState<Record<GateField, string>>(() => gateText(rollout.gates));
  const [error, setError] = useState<{ detail: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  if (candidates.length === 0) return <p>{t("console.ml.start.noCandidates", { name: rollout.model_name })}</p>;
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body: Schemas["RolloutStart"] = { challenger: challenger ?? "", mode };
    if (mode === "ab") body.traffic_percent = Number(traffic);
    body.gates = { ...rollout.gates, ...Object.fromEntries(GATE_FIELDS.map((f) => [f, Number(gates[f])])) };
    const { data, error: problem, response } = await api.POST("/v1/rollouts/{slot}/start", {
      params: { path: { slot: rollout.slot as Slot } },
      body,
    });
    setBusy(false);
    if (data) {
      setOpen(false);
      onDone(data);
    } else {
      const errors = (problem as { errors?: { location?: string }[] } | undefined)?.errors ?? [];
      const field = errors[0]?.location?.replace(/^body\.(gates\.)?/, "");
      setError({ detail: problemText(problem, `${response.status} ${response.statusText}`), field });
    }
  };
  return (
    <ModalForm label={t("console.ml.start.open")} variant="primary" title={t("console.ml.start.title", { slot: t(`console.ml.slot.${rollout.slot}`) })} open={open} setOpen={setOpen}>
      <form className="pw-ml-form" onSubmit={submit}>
        <p>{t("console.ml.start.intro", { name: rollout.model_name, champion: rollout.champion ?? "–" })}</p>
        <Select
          label={t("console.ml.rollout.challenger")}
          value={challenger}
          options={candidates.map((v) => ({ id: v, label: t("console.ml.versionLabel", { version: v }) }))}
          onChange={setChallenger}
          description={error?.field === "challenger" ? error.detail : undefined}
        />
        <Select
          label={t("console.ml.col.mode")}
          value={mode}
          options={(["canary", "ab", "shadow"] as const).map((m) => ({ id: m, label: t(`console.ml.mode.${m}`) }))}
          onChange={(m) => setMode(m)}
          description={t(`console.ml.mode.${mode}.help`)}
        />
        {mode === "ab" && (
          <Field
            label={t("console.ml.start.traffic")}
            description={t("console.ml.start.trafficHelp")}
            value={traffic}
            onChange={setTraffic}
            inputMode="decimal"
            isInvalid={error?.field === "traffic_percent"}
            errorMessage={error?.field === "traffic_percent" ? error.detail : undefined}
          />
        )}
        <fieldset className="pw-ml-gates">
          <legend>{t("console.ml.start.gates")}</legend>
          {GATE_FIELDS.map((f) => (
            <Field
              key={f}
              label={t(`console.ml.start.gate.${f}`)}
              value={gates[f]}
              onChange={(v) => setGates((g) => ({ ...g, [f]: v }))}
              inputMode="decimal"
              isInvalid={error?.field === f}
              errorMessage={error?.field === f ? error.detail : undefined}
            />
          ))}
        </fieldset>
        {error && <Notice tone="danger">{error.detail}</Notice>}
        <div className="row">
          <Button type="submit" isDisabled={busy || !challenger}>
            {t("console.ml.start.submit")}
          </Button>
          <Button variant="secondary" onPress={() => setOpen(false)}>
            {t("console.ml.cancel")}
          </Button>
        </div>
      </form>
    </ModalForm>
  );
}

function ActionDialog({
  rollout,
  action,
  t,
  onDone,
}: {
  rollout: Rollout;
  action: "promote" | "abort";
  t: T;
  onDone: (r: Rollout) => void;
}) {
  const [open, setOpen] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const values = { challenger: rollout.challenger ?? "", champion: rollout.champion ?? "", mode: t(`console.ml.mode.${rollout.mode}`) };
  const act = async () => {
    setBusy(true);
    setRefusal(null);
    const path = action === "promote" ? "/v1/rollouts/{slot}/promote" : "/v1/rollouts/{slot}/abort";
    const { data, error, response } = await api.POST(path, { params: { path: { slot: rollout.slot as Slot } } });
    setBusy(false);
    if (data) {
      setOpen(false);
      onDone(data);
    } else {
      setRefusal(problemText(error, `${response.status} ${response.statusText}`));
    }
  };
  return (
    <ModalForm
      label={t(`console.ml.${action}.open`)}
      variant={action === "abort" ? "danger" : "secondary"}
      title={t(`console.ml.${action}.title`, values)}
      open={open}
      setOpen={(next) => {
        setOpen(next);
        if (!next) setRefusal(null);
      }}
    >
      <p>{t(`console.ml.${action}.intro`, values)}</p>
      {refusal && (
        <Notice tone="danger">
          {t(`console.ml.${action}.refused`)} {refusal}
        </Notice>
      )}
      <div className="row">
        <Button variant={action === "abort" ? "danger" : "primary"} onPress={act} isDisabled={busy}>
          {t(`console.ml.${action}.submit`)}
        </Button>
        <Button variant="secondary" onPress={() => setOpen(false)}>
          {t("console.ml.cancel")}
        </Button>
      </div>
    </ModalForm>
  );
}

/** The current step's pooled metrics per variant, polled every 2 s, as a table and three charts. */
function GateView({ slot, t, watching }: { slot: Slot; t: T; watching: Rollout }) {
  const intl = useIntl();
  const key = `${watching.state}-${watching.challenger}-${watching.step_started_at}`;
  const polled = usePoll<Gates>(async () => ok(await api.GET("/v1/rollouts/{slot}/metrics", { params: { path: { slot } } })), POLL_MS, [slot, key]);
  const gates = polled.data;
  const pct = (v: number) => intl.formatNumber(v, { style: "percent", maximumFractionDigits: 2 });
  const ms = (v: number) => t("console.ml.ms", { value: intl.formatNumber(v, { maximumFractionDigits: 1 }) });
  const auc = (v: number) => intl.formatNumber(v, { maximumFractionDigits: 3 });
  const time = (x: number) => intl.formatTime(new Date(x), { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const series = (pick: (p: Gates["series"][number]) => number | null): Series[] =>
    (["champion", "challenger"] as const).map((variant) => ({
      key: variant,
      label: t(`console.ml.variant.${variant}`),
      dashed: variant === "challenger",
      points: (gates?.series ?? []).filter((p) => p.variant === variant).map((p) => ({ x: Date.parse(p.at), y: pick(p) })),
    }));
  return (
    <section aria-labelledby={`gates-${slot}`} aria-busy={!gates && !polled.error} className="stack">
      <h3 id={`gates-${slot}`}>{t("console.ml.gates.title")}</h3>
      {polled.error && <Notice tone="warning">{polled.error}</Notice>}
      {gates && (
        <>
          <p>{t("console.ml.gates.intro", { seconds: POLL_MS / 1000 })}</p>
          <DataTable
            label={t("console.ml.gates.label", { slot: t(`console.ml.slot.${slot}`) })}
            rows={gates.variants.map((v) => ({ ...v, id: v.variant }))}
            empty={t("console.ml.gates.empty")}
            columns={[
              { id: "variant", label: t("console.ml.col.variant"), render: (v) => t(`console.ml.variant.${v.variant}`) + (v.version ? ` (v${v.version})` : "") },
              { id: "requests", label: t("console.ml.gates.requests"), render: (v) => <span data-testid={`requests-${slot}-${v.variant}`}>{v.requests}</span> },
              { id: "errors", label: t("console.ml.gates.errorRate"), render: (v) => pct(v.error_rate) },
              { id: "p95", label: t("console.ml.gates.p95"), render: (v) => (v.p95_latency_ms === null ? "–" : ms(v.p95_latency_ms)) },
              { id: "outcomes", label: t("console.ml.gates.outcomes"), render: (v) => v.outcomes },
              { id: "auc", label: t("console.ml.gates.auc"), render: (v) => (v.online_auc === null ? "–" : auc(v.online_auc)) },
            ]}
          />
          <p>
            {t("console.ml.gates.limits", {
              errors: pct(gates.gates.max_error_rate),
              p95: ms(gates.gates.max_p95_latency_ms),
              auc: auc(gates.gates.min_online_auc),
              requests: gates.gates.min_requests,
            })}
          </p>
          {gates.series.length > 0 && (
            <div className="pw-ml-charts">
              <LineChart
                title={t("console.ml.gates.errorRate")}
                series={series((p) => p.error_rate)}
                threshold={gates.gates.max_error_rate}
                thresholdLabel={t("console.ml.gates.threshold")}
                format={pct}
                formatX={time}
                tableLabel={t("console.ml.gates.asTable")}
                xLabel={t("console.ml.col.when")}
              />
              <LineChart
                title={t("console.ml.gates.p95")}
                series={series((p) => p.p95_latency_ms)}
                threshold={gates.gates.max_p95_latency_ms}
                thresholdLabel={t("console.ml.gates.threshold")}
                format={ms}
                formatX={time}
                tableLabel={t("console.ml.gates.asTable")}
                xLabel={t("console.ml.col.when")}
              />
              <LineChart
                title={t("console.ml.gates.auc")}
                series={series((p) => p.online_auc)}
                threshold={gates.gates.min_online_auc}
                thresholdLabel={t("console.ml.gates.threshold")}
                format={auc}
                formatX={time}
                tableLabel={t("console.ml.gates.asTable")}
                xLabel={t("console.ml.col.when")}
              />
            </div>
          )}
        </>
      )}
    </section>
  );
}
