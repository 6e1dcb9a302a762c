import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, ok, type Schemas } from "@/api/client";
import { useAuth } from "@/auth/session";
import { Button, Card, Notice, Select } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import { loadUnits } from "./OrgUnitsPage";
import { AdminPage, failure, useKeptLoad, useT } from "./shared";
import { Loaded } from "@/lib/Loaded";
import { useWhen } from "@/lib/useWhen";

type ScopeType = "org_unit" | "course" | "cohort";
type Scopes = Record<ScopeType, { id: number; label: string }[]>;

/** What a grant can be scoped to, named, from the lists the person may read. */
async function loadScopes(): Promise<Scopes> {
  const [units, courses, cohorts] = await Promise.all([
    loadUnits(),
    api.GET("/v1/courses", { params: { query: { limit: 200 } } }).then(ok),
    api.GET("/v1/cohorts", { params: { query: { limit: 200 } } }).then((r) => (r.response.ok ? ok(r) : { items: [] })),
  ]);
  return {
    org_unit: units.map((u) => ({ id: u.id, label: u.name })),
    course: courses.items.map((c) => ({ id: c.id, label: `${c.code} · ${c.title}` })),
    cohort: cohorts.items.map((c) => ({ id: c.id, label: c.name })),
  };
}

/** `/admin/users/{id}`: one person, their grants, granting and revoking roles, deactivation, invitations. */
export function UserPage() {
  const t = useT();
  const { userId } = useParams();
  const id = Number(userId);
  const [user, reloadUser] = useKeptLoad(
    async () => ok(await api.GET("/v1/users/{user_id}", { params: { path: { user_id: id } } })),
    [id],
  );
  const title = user.status === "ok" ? user.data.display_name : t("user.title");
  return (
    <AdminPage title={title}>
      <p>
        <Link to="/admin/users">{t("user.back")}</Link>
      </p>
      <Loaded tone="danger" state={user}>{(u) => <UserDetails user={u} onChanged={reloadUser} />}</Loaded>
    </AdminPage>
  );
}

function UserDetails({ user, onChanged }: { user: Schemas["UserPublic"]; onChanged: () => void }) {
  const t = useT();
  const { can } = useAuth();
  const when = useWhen();
  const [grants, reloadGrants] = useKeptLoad(
    async () => ok(await api.GET("/v1/users/{user_id}/grants", { params: { path: { user_id: user.id }, query: { limit: 200 } } })),
    [user.id],
  );
  const [scopes] = useLoad(loadScopes, []);
  const [message, setMessage] = useState<{ tone: "success" | "danger"; text: string } | null>(null);
  const [invitation, setInvitation] = useState<Schemas["InvitationPublic"] | null>(null);
  const named = (type: string, id: number) =>
    (scopes.status === "ok" ? scopes.data[type as ScopeType]?.find((s) => s.id === id)?.label : undefined) ?? `#${id}`;

  async function setActive(active: boolean) {
    const result = await api.PATCH("/v1/users/{user_id}", { params: { path: { user_id: user.id } }, body: { is_active: active } });
    const problem = failure(result);
    setMessage(problem ? { tone: "danger", text: problem } : { tone: "success", text: t(active ? "user.reactivated" : "user.deactivated") });
    if (!problem) onChanged();
  }

  async function reissue() {
    const result = await api.POST("/v1/users/{user_id}/invitations", { params: { path: { user_id: user.id } } });
    const problem = failure(result);
    setInvitation(result.data ?? null);
    setMessage(problem ? { tone: "danger", text: problem } : null);
  }

  async function revoke(grant: Schemas["GrantPublic"]) {
    const result = await api.DELETE("/v1/grants/{grant_id}", { params: { path: { grant_id: grant.id } } });
    const problem = failure(result);
    setMessage(problem ? { tone: "danger", text: problem } : { tone: "success", text: t("user.revoked", { role: grant.role }) });
    if (!problem) reloadGrants();
  }

  return (
    <>
      <dl className="pw-admin-facts">
        <dt>{t("users.email")}</dt>
        <dd>{user.email}</dd>
        <dt>{t("users.status")}</dt>
        <dd>{user.is_active ? t("users.active") : t("users.inactive")}</dd>
        <dt>{t("user.since")}</dt>
        <dd>{when(user.created_at)}</dd>
      </dl>
      <div aria-live="polite">{message && <Notice tone={message.tone}>{message.text}</Notice>}</div>
      {can("users:write") && (
        <div className="row">
          <Button variant={user.is_active ? "danger" : "secondary"} onPress={() => void setActive(!user.is_active)}>
            {t(user.is_active ? "user.deactivate" : "user.reactivate")}
          </Button>
          <Button variant="secondary" onPress={() => void reissue()}>
            {t("user.reissue")}
          </Button>
        </div>
      )}
      {invitation && (
        <Notice tone="success">
          <p>{t("user.invitation", { email: invitation.email, expires: when(invitation.expires_at) })}</p>
          <p className="pw-admin-secret">{t("user.invitationLink", { link: invitation.link })}</p>
        </Notice>
      )}
      <section aria-labelledby="grants-title" className="stack">
        <h2 id="grants-title">{t("user.grants")}</h2>
        <Loaded tone="danger" state={grants}>
          {(page) =>
            page.items.length === 0 ? (
              <p className="muted">{t("user.noGrants")}</p>
            ) : (
              <div className="pw-table-wrap">
                <table className="pw-table pw-admin-table">
                  <caption className="visually-hidden">{t("user.grants")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("user.role")}</th>
                      <th scope="col">{t("user.scope")}</th>
                      <th scope="col">{t("user.expires")}</th>
                      {can("grants:write") && <th scope="col">{t("user.actions")}</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((g) => (
                      <tr key={g.id}>
                        <th scope="row">{g.role}</th>
                        <td>
                          {t(`scope.${g.scope_type}`)}: {named(g.scope_type, g.scope_id)}
                        </td>
                        <td>{g.expires_at ? when(g.expires_at) : t("user.never")}</td>
                        {can("grants:write") && (
                          <td>
                            <Button variant="secondary" onPress={() => void revoke(g)} aria-label={t("user.revokeOne", { role: g.role, scope: named(g.scope_type, g.scope_id) })}>
                              {t("user.revoke")}
                            </Button>
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </section>
      {can("grants:write") && (
        <Loaded tone="danger" state={scopes}>{(s) => <GrantForm userId={user.id} scopes={s} onGranted={reloadGrants} />}</Loaded>
      )}
    </>
  );
}

/** Grant a role on a scope; only the roles the server says this person may delegate there are offered. */
function GrantForm({ userId, scopes, onGranted }: { userId: number; scopes: Scopes; onGranted: () => void }) {
  const t = useT();
  const [scopeType, setScopeType] = useState<ScopeType>("org_unit");
  const [scopeId, setScopeId] = useState<number | null>(null);
  const [role, setRole] = useState<string | null>(null);
  const [result, setResult] = useState<{ tone: "success" | "danger"; text: string } | null>(null);
  const [offers] = useLoad(
    scopeId === null
      ? null
      : async () => ok(await api.GET("/v1/roles", { params: { query: { scope_type: scopeType, scope_id: scopeId } } })),
    [scopeType, scopeId],
  );
  const grantable = offers.status === "ok" ? offers.data.filter((o) => o.grantable) : [];
  const refused = offers.status === "ok" ? offers.data.filter((o) => !o.grantable) : [];

  async function grant() {
    if (scopeId === null || role === null) return;
    const response = await api.POST("/v1/grants", { body: { user_id: userId, role, scope_type: scopeType, scope_id: scopeId } });
    const problem = failure(response);
    setResult(problem ? { tone: "danger", text: problem } : { tone: "success", text: t("grant.done", { role }) });
    if (!problem) onGranted();
  }

  return (
    <Card title={t("grant.title")} headingLevel={2}>
      <div className="pw-admin-form">
        <Select
          label={t("grant.scopeType")}
          value={scopeType}
          options={(["org_unit", "course", "cohort"] as const).map((k) => ({ id: k, label: t(`scope.${k}`) }))}
          onChange={(v) => {
            setScopeType(v);
            setScopeId(null);
            setRole(null);
          }}
        />
        <Select
          label={t("grant.scope")}
          value={scopeId}
          options={scopes[scopeType]}
          onChange={(v) => {
            setScopeId(v);
            setRole(null);
          }}
          isDisabled={scopes[scopeType].length === 0}
          description={scopes[scopeType].length === 0 ? t("grant.noScopes") : undefined}
        />
        {scopeId !== null && (
          <Loaded tone="danger" state={offers}>
            {() => (
              <>
                <Select
                  label={t("grant.role")}
                  value={role}
                  options={grantable.map((o) => ({ id: o.name, label: o.name }))}
                  onChange={setRole}
                  isDisabled={grantable.length === 0}
                  description={grantable.length === 0 ? t("grant.nothing") : t("grant.roleHelp")}
                />
                {refused.length > 0 && (
                  <div>
                    <p className="muted">{t("grant.notOffered")}</p>
                    <ul className="muted">
                      {refused.map((o) => (
                        <li key={o.name}>{t("grant.lacks", { role: o.name, missing: (o.missing ?? []).join(", ") })}</li>
                      ))}
                    </ul>
                  </div>
                )}
              </>
            )}
          </Loaded>
        )}
        <div aria-live="polite">{result && <Notice tone={result.tone}>{result.text}</Notice>}</div>
        <div className="row">
          <Button isDisabled={scopeId === null || role === null} onPress={() => void grant()}>
            {t("grant.action")}
          </Button>
        </div>
      </div>
    </Card>
  );
}
