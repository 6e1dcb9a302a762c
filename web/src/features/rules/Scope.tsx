import { Field, Select } from "@/design/components";
import type { ScopeChoice, ScopeKind } from "./api";
import { useMessages } from "@/lib/useMessages";

export const SCOPE_KINDS: ScopeKind[] = ["course", "cohort", "org_unit", "learner"];

export type Scopes = Record<Exclude<ScopeKind, "learner">, ScopeChoice[]>;

/** A rule's scope: which kind, and which course, cohort, org unit or learner. Cohort and org unit conditions live here. */
export function ScopePicker({
  scopes,
  kind,
  id,
  onChange,
  isDisabled,
}: {
  scopes: Scopes;
  kind: ScopeKind;
  id: number | null;
  onChange: (kind: ScopeKind, id: number | null) => void;
  isDisabled?: boolean;
}) {
  const t = useMessages("console.rules");
  const choices = kind === "learner" ? [] : scopes[kind];
  return (
    <div className="rules-scope">
      <Select<ScopeKind>
        label={t("scope.kind")}
        description={t("scope.kindHelp")}
        value={kind}
        isDisabled={isDisabled}
        options={SCOPE_KINDS.map((k) => ({ id: k, label: t(`scope.${k}`) }))}
        onChange={(k) => onChange(k, k === "learner" ? null : (scopes[k][0]?.id ?? null))}
      />
      {kind === "learner" ? (
        <Field
          label={t("scope.learnerId")}
          description={t("scope.learnerIdHelp")}
          inputMode="numeric"
          isDisabled={isDisabled}
          value={id ? String(id) : ""}
          onChange={(v) => onChange("learner", /^\d+$/.test(v) ? Number(v) : null)}
        />
      ) : (
        <Select<number>
          label={t(`scope.${kind}`)}
          description={choices.length === 0 ? t("scope.none") : undefined}
          value={id}
          isDisabled={isDisabled || choices.length === 0}
          options={choices.map((c) => ({ id: c.id, label: c.name }))}
          onChange={(v) => onChange(kind, v)}
        />
      )}
    </div>
  );
}
