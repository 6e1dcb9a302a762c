import { useState } from "react";
import { authorizedFetch, type Schemas } from "@/api/client";
import { Button, Card, Notice, Select } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import { loadUnits } from "./OrgUnitsPage";
import { AdminPage, useT, type T } from "./shared";
import { Loaded } from "@/lib/Loaded";
import { useWhen } from "@/lib/useWhen";

type Report = Schemas["OnboardingReport"];
type Outcome = Schemas["RowOutcome"];
/** Rows of a clean dry run shown in the page; the counts above them cover every row. */
const SHOWN_ROWS = 200;

type Stage =
  | { kind: "idle" }
  | { kind: "busy" }
  | { kind: "checked"; report: Report }
  | { kind: "invalid"; detail: string; rows: Outcome[] }
  | { kind: "failed"; detail: string }
  | { kind: "applied"; report: Report };

/** Send the file to the onboarding route: a dry run first, then for real. */
async function upload(unitId: number, file: File, dryRun: boolean): Promise<Stage> {
  const form = new FormData();
  form.append("file", file, file.name);
  const url = `${window.location.origin}/v1/org-units/${unitId}/onboarding/csv?dry_run=${dryRun}`;
  let response: Response;
  try {
    response = await authorizedFetch(new Request(url, { method: "POST", body: form }));
  } catch (error) {
    return { kind: "failed", detail: error instanceof Error ? error.message : String(error) };
  }
  const body = (await response.json().catch(() => ({}))) as Partial<Report> & { detail?: string };
  if (response.ok) return { kind: dryRun ? "checked" : "applied", report: body as Report };
  const detail = body.detail ?? `${response.status} ${response.statusText}`;
  if (response.status === 422 && Array.isArray(body.rows)) {
    return { kind: "invalid", detail, rows: body.rows.filter((r) => r.status === "error") };
  }
  return { kind: "failed", detail };
}

/** `/admin/onboarding`: bulk onboarding by CSV, checked by a dry run before anything is written. */
export function OnboardingPage() {
  const t = useT();
  const [units] = useLoad(loadUnits, []);
  return (
    <AdminPage title={t("onboarding.title")} intro={t("onboarding.intro")}>
      <Loaded tone="danger" state={units}>
        {(list) => <Onboarding units={list.map((u) => ({ id: u.id, label: u.name }))} rootId={list.find((u) => u.parent_id === null)?.id ?? list[0]?.id ?? null} />}
      </Loaded>
    </AdminPage>
  );
}

function Onboarding({ units, rootId }: { units: { id: number; label: string }[]; rootId: number | null }) {
  const t = useT();
  const [unit, setUnit] = useState<number | null>(rootId);
  const [file, setFile] = useState<File | null>(null);
  const [stage, setStage] = useState<Stage>({ kind: "idle" });

  const run = async (dryRun: boolean) => {
    if (unit === null || file === null) return;
    setStage({ kind: "busy" });
    setStage(await upload(unit, file, dryRun));
  };

  return (
    <>
      <Card title={t("onboarding.upload")} headingLevel={2}>
        <div className="pw-admin-form">
          <Select label={t("onboarding.unit")} value={unit} options={units} onChange={(v) => (setUnit(v), setStage({ kind: "idle" }))} description={t("onboarding.unitHelp")} />
          <div className="pw-field">
            <label className="pw-field__label" htmlFor="onboarding-file">
              {t("onboarding.file")}
            </label>
            <input
              id="onboarding-file"
              className="pw-admin-file"
              type="file"
              accept=".csv,text/csv"
              aria-describedby="onboarding-file-help"
              onChange={(e) => {
                setFile(e.currentTarget.files?.[0] ?? null);
                setStage({ kind: "idle" });
              }}
            />
            <p id="onboarding-file-help" className="pw-field__description">
              {t("onboarding.fileHelp")}
            </p>
          </div>
          <div className="row">
            <Button isDisabled={file === null || unit === null || stage.kind === "busy"} onPress={() => void run(true)}>
              {t("onboarding.check")}
            </Button>
            <Button
              variant="secondary"
              isDisabled={stage.kind !== "checked" || (stage.report.counts.error ?? 0) > 0}
              onPress={() => void run(false)}
            >
              {t("onboarding.apply")}
            </Button>
          </div>
        </div>
      </Card>
      <section aria-labelledby="onboarding-result" aria-busy={stage.kind === "busy"} className="stack">
        <h2 id="onboarding-result">{t("onboarding.result")}</h2>
        <StageView stage={stage} t={t} />
      </section>
    </>
  );
}

function StageView({ stage, t }: { stage: Stage; t: T }) {
  const when = useWhen();
  switch (stage.kind) {
    case "idle":
      return <p className="muted">{t("onboarding.idle")}</p>;
    case "busy":
      return <p className="muted">{t("onboarding.busy")}</p>;
    case "failed":
      return <Notice tone="danger">{stage.detail}</Notice>;
    case "invalid":
      return (
        <>
          <Notice tone="danger">
            {stage.detail} {t("onboarding.fix")}
          </Notice>
          <div className="pw-table-wrap">
            <table className="pw-table pw-admin-table" id="onboarding-errors">
              <caption>{t("onboarding.errors", { count: stage.rows.length })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("onboarding.row")}</th>
                  <th scope="col">{t("onboarding.column")}</th>
                  <th scope="col">{t("users.email")}</th>
                  <th scope="col">{t("onboarding.message")}</th>
                </tr>
              </thead>
              <tbody>
                {stage.rows.map((r) => (
                  <tr key={r.row}>
                    <th scope="row">{r.row}</th>
                    <td>{r.column ?? "—"}</td>
                    <td>{r.email || "—"}</td>
                    <td>{r.error}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      );
    case "checked":
      return (
        <>
          <Notice tone="success">{t("onboarding.clean", { counts: countsText(stage.report, t) })}</Notice>
          <OutcomeTable rows={stage.report.rows} t={t} caption={t("onboarding.preview")} />
        </>
      );
    case "applied":
      return (
        <>
          <Notice tone="success">{t("onboarding.applied", { counts: countsText(stage.report, t) })}</Notice>
          <Invitations invitations={stage.report.invitations ?? []} t={t} when={when} />
        </>
      );
  }
}

function countsText(report: Report, t: T): string {
  return Object.entries(report.counts)
    .map(([status, n]) => t("onboarding.count", { n, status }))
    .join(", ");
}

function OutcomeTable({ rows, t, caption }: { rows: Outcome[]; t: T; caption: string }) {
  return (
    <div className="pw-table-wrap">
      <table className="pw-table pw-admin-table">
        <caption>{rows.length > SHOWN_ROWS ? t("onboarding.firstRows", { shown: SHOWN_ROWS, total: rows.length }) : caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("onboarding.row")}</th>
            <th scope="col">{t("users.email")}</th>
            <th scope="col">{t("onboarding.outcome")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, SHOWN_ROWS).map((r) => (
            <tr key={r.row}>
              <th scope="row">{r.row}</th>
              <td>{r.email}</td>
              <td>{r.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The invitations made by the batch: shown once (the server keeps no token), and downloadable. */
function Invitations({ invitations, t, when }: { invitations: Schemas["InvitationPublic"][]; t: T; when: (iso: string) => string }) {
  if (invitations.length === 0) return <p className="muted">{t("onboarding.noInvitations")}</p>;
  const download = () => {
    const quote = (v: string) => `"${v.replaceAll('"', '""')}"`;
    const lines = [
      "email,link,token,accept_url,expires_at",
      ...invitations.map((i) => [i.email, i.link, i.token, i.accept_url, i.expires_at].map(quote).join(",")),
    ];
    const url = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }));
    const link = Object.assign(document.createElement("a"), { href: url, download: "invitations.csv" });
    link.click();
    URL.revokeObjectURL(url);
  };
  return (
    <>
      <Notice tone="warning">{t("onboarding.once", { url: invitations[0].accept_url })}</Notice>
      <div className="row">
        <Button variant="secondary" onPress={download}>
          {t("onboarding.download")}
        </Button>
      </div>
      <div className="pw-table-wrap">
        <table className="pw-table pw-admin-table" id="onboarding-invitations">
          <caption>{t("onboarding.invitations", { count: invitations.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("users.email")}</th>
              <th scope="col">{t("onboarding.link")}</th>
              <th scope="col">{t("user.expires")}</th>
            </tr>
          </thead>
          <tbody>
            {invitations.map((i) => (
              <tr key={i.user_id}>
                <th scope="row">{i.email}</th>
                <td className="pw-admin-secret">{i.link}</td>
                <td>{when(i.expires_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
