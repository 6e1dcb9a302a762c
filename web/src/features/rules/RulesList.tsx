import { useState } from "react";
import { useIntl } from "react-intl";
import { Link, useSearchParams } from "react-router";
import { useAuth } from "@/auth/session";
import { Button, DataTable, Dialog, Notice } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import { deleteRule, listRules, loadScopes, type Rule, type ScopeKind } from "./api";
import { SCOPE_KINDS, ScopePicker, type Scopes } from "./Scope";
import { useMessages } from "@/lib/useMessages";

/** Where the list starts: the scope in the address, else the first course the person can see. */
export function scopeFromSearch(search: URLSearchParams, scopes: Scopes | null): [ScopeKind, number | null] {
  const kind = search.get("scope_kind") as ScopeKind | null;
  const id = Number(search.get("scope_id"));
  if (kind && SCOPE_KINDS.includes(kind) && Number.isInteger(id) && id > 0) return [kind, id];
  return ["course", scopes?.course[0]?.id ?? null];
}

/** `/rules`: the rules of one scope, highest priority first, with edit and delete for those who may write. */
export default function RulesList() {
  const intl = useIntl();
  const t = useMessages("console.rules");
  const { can } = useAuth();
  const mayWrite = can("rules:write");
  const [search, setSearch] = useSearchParams();
  const [scopes] = useLoad(loadScopes, []);
  const loaded = scopes.status === "ok" ? scopes.data : null;
  const [kind, id] = scopeFromSearch(search, loaded);
  const [rules, reload] = useLoad(id ? () => listRules(kind, id) : null, [kind, id]);
  const [message, setMessage] = useState<{ tone: "success" | "danger"; text: string } | null>(null);
  const scopeQuery = id ? `?scope_kind=${kind}&scope_id=${id}` : "";

  // Deleting removes the row, and with it the dialog it opened from.
  async function remove(rule: Rule) {
    try {
      await deleteRule(rule.id);
      setMessage({ tone: "success", text: t("list.deleted", { name: rule.name }) });
      reload();
    } catch (error) {
      setMessage({ tone: "danger", text: (error as Error).message });
    }
  }

  return (
    <div className="stack">
      <h1>{t("title")}</h1>
      <p className="muted">{t("list.intro")}</p>
      {scopes.status === "loading" && (
        <p className="muted" aria-busy="true">
          {intl.formatMessage({ id: "app.loading" })}
        </p>
      )}
      {scopes.status === "error" && <Notice tone="warning">{scopes.error}</Notice>}
      {loaded && (
        <ScopePicker
          scopes={loaded}
          kind={kind}
          id={id}
          onChange={(k, v) => setSearch(v ? { scope_kind: k, scope_id: String(v) } : { scope_kind: k })}
        />
      )}
      <div className="row">
        <Link className="pw-button pw-button--primary" to={`/rules/new${scopeQuery}`}>
          {mayWrite ? t("list.new") : t("list.try")}
        </Link>
      </div>
      {!mayWrite && <Notice tone="info">{t("readOnly")}</Notice>}
      <div aria-live="polite">{message && <Notice tone={message.tone}>{message.text}</Notice>}</div>
      {id && rules.status === "loading" && (
        <p className="muted" aria-busy="true">
          {intl.formatMessage({ id: "app.loading" })}
        </p>
      )}
      {rules.status === "error" && <Notice tone="warning">{rules.error}</Notice>}
      {rules.status === "ok" && (
        <DataTable<Rule>
          label={t("list.table")}
          empty={t("list.empty")}
          rows={rules.data}
          columns={[
            {
              id: "name",
              label: t("field.name"),
              render: (r) => <Link to={`/rules/${r.id}`}>{r.name}</Link>,
              isRowHeader: true,
            },
            { id: "priority", label: t("field.priority"), render: (r) => r.priority },
            { id: "enabled", label: t("field.enabled"), render: (r) => t(r.enabled ? "list.on" : "list.off") },
            { id: "source", label: t("field.source"), render: (r) => <code className="rules-code">{r.source}</code> },
            {
              id: "actions",
              label: t("list.actions"),
              render: (r) =>
                mayWrite ? (
                  <Dialog
                    title={t("list.deleteTitle", { name: r.name })}
                    closeLabel={t("cancel")}
                    trigger={
                      <Button variant="danger" aria-label={t("list.deleteNamed", { name: r.name })}>
                        {t("list.delete")}
                      </Button>
                    }
                  >
                    <p>{t("list.deleteWarning")}</p>
                    <Button variant="danger" onPress={() => remove(r)}>
                      {t("list.deleteConfirm")}
                    </Button>
                  </Dialog>
                ) : (
                  <span className="muted">{t("list.noWrite")}</span>
                ),
            },
          ]}
        />
      )}
    </div>
  );
}
