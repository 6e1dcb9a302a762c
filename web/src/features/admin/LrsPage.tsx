import { useState } from "react";
import { api, ok, type Schemas } from "@/api/client";
import { Button, Card, Checkboxes, Field, Notice } from "@/design/components";
import { AdminPage, failure, useKeptLoad, useT } from "./shared";
import { Loaded } from "@/lib/Loaded";
import { useWhen } from "@/lib/useWhen";

const SCOPES = ["all", "statements/write", "statements/read", "state", "profile"] as const;
type Scope = (typeof SCOPES)[number];

/** `/admin/lrs`: the organization's LRS clients; a new secret is shown once, then only its hash exists. */
export function LrsPage() {
  const t = useT();
  const when = useWhen();
  const [credentials, reload] = useKeptLoad(async () => ok(await api.GET("/v1/lrs-credentials", { params: { query: { limit: 200 } } })), []);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["all"]);
  const [issued, setIssued] = useState<Schemas["LRSCredentialIssued"] | null>(null);
  const [message, setMessage] = useState<{ tone: "success" | "danger"; text: string } | null>(null);
  const [nameError, setNameError] = useState<string | undefined>();

  async function create() {
    const result = await api.POST("/v1/lrs-credentials", { body: { name, scopes: scopes as Scope[] } });
    const problem = failure(result);
    setNameError(problem ?? undefined);
    setMessage(null);
    if (problem || !result.data) return;
    setIssued(result.data);
    setName("");
    reload();
  }

  async function revoke(credential: Schemas["LRSCredentialPublic"]) {
    const result = await api.DELETE("/v1/lrs-credentials/{credential_id}", { params: { path: { credential_id: credential.id } } });
    const problem = failure(result);
    setMessage(problem ? { tone: "danger", text: problem } : { tone: "success", text: t("lrs.revoked", { name: credential.name }) });
    if (!problem) {
      if (issued?.id === credential.id) setIssued(null);
      reload();
    }
  }

  return (
    <AdminPage title={t("lrs.title")} intro={t("lrs.intro")}>
      <Card title={t("lrs.create")} headingLevel={2}>
        <form
          className="pw-admin-form"
          onSubmit={(e) => {
            e.preventDefault();
            void create();
          }}
        >
          <Field label={t("lrs.name")} description={t("lrs.nameHelp")} value={name} onChange={setName} isRequired isInvalid={!!nameError} errorMessage={nameError} />
          <Checkboxes label={t("lrs.scopes")} description={t("lrs.scopesHelp")} options={SCOPES.map((s) => ({ id: s, label: s }))} value={scopes} onChange={setScopes} />
          <div className="row">
            <Button type="submit" isDisabled={scopes.length === 0}>
              {t("lrs.createAction")}
            </Button>
          </div>
        </form>
      </Card>
      <div aria-live="polite">
        {issued && (
          <Notice tone="warning">
            <p>
              <strong>{t("lrs.once", { name: issued.name })}</strong>
            </p>
            <dl className="pw-admin-facts">
              <dt>{t("lrs.endpoint")}</dt>
              <dd className="pw-admin-secret" id="lrs-endpoint">{issued.endpoint}</dd>
              <dt>{t("lrs.key")}</dt>
              <dd className="pw-admin-secret" id="lrs-key">{issued.key}</dd>
              <dt>{t("lrs.secret")}</dt>
              <dd className="pw-admin-secret" id="lrs-secret">{issued.secret}</dd>
            </dl>
          </Notice>
        )}
        {message && <Notice tone={message.tone}>{message.text}</Notice>}
      </div>
      <section aria-labelledby="lrs-list" className="stack">
        <h2 id="lrs-list">{t("lrs.list")}</h2>
        <Loaded tone="danger" state={credentials}>
          {(page) =>
            page.items.length === 0 ? (
              <p className="muted">{t("lrs.none")}</p>
            ) : (
              <div className="pw-table-wrap">
                <table className="pw-table pw-admin-table">
                  <caption className="visually-hidden">{t("lrs.list")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("lrs.name")}</th>
                      <th scope="col">{t("lrs.key")}</th>
                      <th scope="col">{t("lrs.scopes")}</th>
                      <th scope="col">{t("lrs.created")}</th>
                      <th scope="col">{t("users.status")}</th>
                      <th scope="col">{t("user.actions")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((c) => (
                      <tr key={c.id}>
                        <th scope="row">{c.name}</th>
                        <td className="pw-admin-secret">{c.key}</td>
                        <td>{c.scopes.join(", ")}</td>
                        <td>{when(c.created_at)}</td>
                        <td>{c.revoked_at ? t("lrs.revokedAt", { when: when(c.revoked_at) }) : t("users.active")}</td>
                        <td>
                          {!c.revoked_at && (
                            <Button variant="danger" onPress={() => void revoke(c)} aria-label={t("lrs.revokeOne", { name: c.name })}>
                              {t("lrs.revoke")}
                            </Button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </section>
    </AdminPage>
  );
}
