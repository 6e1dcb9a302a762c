import { useEffect, useId, useMemo, useRef, useState } from "react";
import { useIntl } from "react-intl";
import { Link, useLocation, useNavigate, useParams, useSearchParams } from "react-router";
import { useAuth } from "@/auth/session";
import { Button, Card, Checkboxes, Field, Notice, Select } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import {
  checkRule,
  getRule,
  loadScopes,
  loadVocabulary,
  previewRule,
  ProblemFailure,
  saveRule,
  type Checked,
  type Preview,
  type RuleFields,
  type RuleProblem,
  type ScopeKind,
  type Vocabulary,
} from "./api";
import { errorSpan, fromChecked, newKey, toSource, type ActionRow, type Builder, type ConditionRow, type Verb } from "./model";
import { PreviewTable, markPreviewArrived } from "./PreviewTable";
import { scopeFromSearch } from "./RulesList";
import { ScopePicker, type Scopes } from "./Scope";
import { useMessages } from "@/lib/useMessages";

/** The palette's conditions: the DSL's learner functions. Cohort and org unit are the rule's scope. */
const FUNCTIONS = ["mastery", "time_on_task", "attempts", "streak", "days_since_last_activity", "days_since"] as const;
/** The palette's actions and the DSL verb each one writes (hide = block, boost = prioritize). */
const ACTIONS: { key: string; verb: Verb }[] = [
  { key: "recommend", verb: "recommend" },
  { key: "require", verb: "require" },
  { key: "hide", verb: "block" },
  { key: "boost", verb: "prioritize" },
];

type CheckState =
  | { status: "idle" | "checking" }
  | { status: "ok"; checked: Checked }
  | { status: "error"; problem: RuleProblem };

/** `/rules/new` and `/rules/:ruleId`: the loaded rule (if any) and the scopes, then the editor. */
export default function RuleEditorPage() {
  const intl = useIntl();
  const { ruleId } = useParams();
  const id = ruleId && /^\d+$/.test(ruleId) ? Number(ruleId) : null;
  const [scopes] = useLoad(loadScopes, []);
  const [rule] = useLoad(async () => (id ? getRule(id) : null), [id]);
  if (ruleId && id === null) return <Notice tone="danger">{intl.formatMessage({ id: "console.rules.badId" })}</Notice>;
  if (scopes.status === "error" || rule.status === "error") {
    return <Notice tone="warning">{scopes.status === "error" ? scopes.error : (rule as { error: string }).error}</Notice>;
  }
  if (scopes.status !== "ok" || rule.status !== "ok") {
    return (
      <p className="muted" aria-busy="true">
        {intl.formatMessage({ id: "app.loading" })}
      </p>
    );
  }
  return <RuleEditor key={id ?? "new"} ruleId={id} scopes={scopes.data} initial={rule.data} />;
}

function startingBuilder(vocabulary: Vocabulary | null): Builder {
  return {
    join: "and",
    conditions: [
      { key: newKey(), fn: "mastery", skill: vocabulary?.skills[0]?.name ?? "", op: "<", value: "60", unit: "%" },
    ],
    actions: [{ key: newKey(), verb: "recommend", target: vocabulary?.activities[0]?.name ?? "" }],
  };
}

function RuleEditor({
  ruleId,
  scopes,
  initial,
}: {
  ruleId: number | null;
  scopes: Scopes;
  initial: RuleFields | null;
}) {
  const intl = useIntl();
  const t = useMessages("console.rules");
  const { can } = useAuth();
  const mayWrite = can("rules:write");
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const [startKind, startId] = initial ? [initial.scope_kind, initial.scope_id] : scopeFromSearch(search, scopes);

  const [name, setName] = useState(initial?.name ?? "");
  const [priority, setPriority] = useState(String(initial?.priority ?? 0));
  const [enabled, setEnabled] = useState(initial?.enabled ?? true);
  const [scopeKind, setScopeKind] = useState<ScopeKind>(startKind);
  const [scopeId, setScopeId] = useState<number | null>(startId);
  const [source, setSource] = useState(initial?.source ?? "");
  const [builder, setBuilder] = useState<Builder | null>(null);
  const [check, setCheck] = useState<CheckState>({ status: "idle" });
  const location = useLocation();
  const savedName = (location.state as { saved?: string } | null)?.saved;
  const [saveState, setSaveState] = useState<{ tone: "success" | "danger"; text: string } | null>(
    savedName ? { tone: "success", text: t("save.done", { name: savedName }) } : null,
  );
  /** Whether the text was last written by the builder (then a check must not rebuild the rows under the cursor). */
  const fromBuilder = useRef(false);

  const courseId = useMemo(() => {
    if (scopeKind === "course") return scopeId;
    if (scopeKind === "cohort") return scopes.cohort.find((c) => c.id === scopeId)?.courseId ?? null;
    return null;
  }, [scopeKind, scopeId, scopes]);
  const [vocabulary] = useLoad(() => loadVocabulary(courseId), [courseId]);
  const words = vocabulary.status === "ok" ? vocabulary.data : null;

  // A new rule starts from one palette condition and one action, once the names are known.
  useEffect(() => {
    if (!initial && words && !source) editBuilder(startingBuilder(words));
  }, [words]); // eslint-disable-line react-hooks/exhaustive-deps

  // Every change of the text (or scope) is parsed by the server, a moment after typing stops.
  useEffect(() => {
    if (!source.trim() || !scopeId) return;
    setCheck({ status: "checking" });
    let live = true;
    const timer = setTimeout(() => {
      checkRule(source, scopeKind, scopeId).then(
        (checked) => {
          if (!live) return;
          setCheck({ status: "ok", checked });
          if (!fromBuilder.current) setBuilder(fromChecked(checked));
        },
        (error: unknown) =>
          live &&
          setCheck({
            status: "error",
            problem: error instanceof ProblemFailure ? error.problem : { detail: String(error) },
          }),
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [source, scopeKind, scopeId]);

  function editBuilder(next: Builder) {
    fromBuilder.current = true;
    setBuilder(next);
    setSource(toSource(next));
  }

  function editText(text: string) {
    fromBuilder.current = false;
    setSource(text);
  }

  const fields = (): RuleFields | null =>
    scopeId && /^-?\d+$/.test(priority.trim())
      ? { name: name.trim(), source, scope_kind: scopeKind, scope_id: scopeId, priority: Number(priority), enabled }
      : null;

  async function save() {
    const body = fields();
    if (!body) return setSaveState({ tone: "danger", text: t("save.incomplete") });
    try {
      const saved = await saveRule(ruleId, body);
      // a new rule gets its own address; the editor there starts with this message
      if (ruleId === null) navigate(`/rules/${saved.id}`, { replace: true, state: { saved: saved.name } });
      else setSaveState({ tone: "success", text: t("save.done", { name: saved.name }) });
    } catch (error) {
      const problem = error instanceof ProblemFailure ? error.problem : { detail: String(error) };
      if (problem.line && problem.column) setCheck({ status: "error", problem });
      setSaveState({ tone: "danger", text: problem.detail });
    }
  }

  const helpId = useId();
  const errorId = useId();
  const problem = check.status === "error" ? check.problem : null;
  const span = problem?.line && problem.column ? errorSpan(source, problem.line, problem.column) : null;

  return (
    <div className="stack">
      <p>
        <Link to={`/rules?scope_kind=${scopeKind}&scope_id=${scopeId ?? ""}`}>{t("back")}</Link>
      </p>
      <h1>{ruleId ? t("editor.editTitle", { name: initial?.name ?? "" }) : t("editor.newTitle")}</h1>
      {!mayWrite && <Notice tone="info">{t("readOnly")}</Notice>}

      <Card title={t("editor.about")} headingLevel={2}>
        <div className="rules-form">
          <Field label={t("field.name")} description={t("help.name")} value={name} onChange={setName} isRequired />
          <Field
            label={t("field.priority")}
            description={t("help.priority")}
            inputMode="numeric"
            value={priority}
            onChange={setPriority}
            isInvalid={!/^-?\d+$/.test(priority.trim())}
            errorMessage={t("help.priorityInvalid")}
          />
          <Checkboxes
            label={t("field.enabled")}
            description={t("help.enabled")}
            options={[{ id: "on", label: t("field.enabledOption") }]}
            value={enabled ? ["on"] : []}
            onChange={(v) => setEnabled(v.includes("on"))}
          />
        </div>
        <h3>{t("editor.who")}</h3>
        <p className="muted">{t("help.scope")}</p>
        <ScopePicker
          scopes={scopes}
          kind={scopeKind}
          id={scopeId}
          onChange={(k, v) => {
            setScopeKind(k);
            setScopeId(v);
          }}
        />
      </Card>

      <div className="rules-split">
        <Card title={t("editor.builder")} headingLevel={2}>
          {words ? (
            <BuilderPanel
              builder={builder}
              words={words}
              onChange={editBuilder}
              onScope={(k) => {
                setScopeKind(k);
                setScopeId(k === "learner" ? null : (scopes[k][0]?.id ?? null));
              }}
            />
          ) : (
            <p className="muted" aria-busy={vocabulary.status === "loading"}>
              {vocabulary.status === "error" ? vocabulary.error : intl.formatMessage({ id: "app.loading" })}
            </p>
          )}
        </Card>

        <Card title={t("editor.text")} headingLevel={2}>
          <div className="pw-field">
            <label className="pw-field__label" htmlFor={`${helpId}-text`}>
              {t("field.source")}
            </label>
            <textarea
              id={`${helpId}-text`}
              className="pw-field__input rules-code"
              rows={6}
              spellCheck={false}
              value={source}
              onChange={(e) => editText(e.target.value)}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? `${errorId} ${helpId}` : helpId}
            />
            <p id={helpId} className="pw-field__description">
              {t("help.source")}
            </p>
            <div aria-live="polite" className="rules-check">
              {check.status === "checking" && <span className="muted">{t("check.checking")}</span>}
              {check.status === "ok" && (
                <span className="rules-ok">
                  {t("check.ok")} <span className="muted">{check.checked.description}</span>
                </span>
              )}
            </div>
            {problem && (
              <div id={errorId} className="rules-error" role="alert">
                <p>
                  <strong>
                    {problem.line && problem.column
                      ? t("check.at", { line: problem.line, column: problem.column })
                      : t("check.failed")}
                  </strong>{" "}
                  {problem.detail}
                </p>
                {span && (
                  <pre className="rules-code rules-caret" aria-hidden="true">
                    {span.before}
                    <mark data-testid="rule-error-mark">{span.at}</mark>
                    {span.after}
                  </pre>
                )}
              </div>
            )}
            {check.status === "ok" && builder === null && <Notice tone="info">{t("check.textOnly")}</Notice>}
          </div>
        </Card>
      </div>

      <PreviewPanel scopes={scopes} fields={fields} ready={check.status === "ok"} />

      {mayWrite && (
        <div className="row">
          <Button onPress={save} isDisabled={check.status !== "ok" || !name.trim()}>
            {ruleId ? t("save.update") : t("save.create")}
          </Button>
          {!name.trim() && <span className="muted">{t("save.needsName")}</span>}
        </div>
      )}
      <div aria-live="polite">{saveState && <Notice tone={saveState.tone}>{saveState.text}</Notice>}</div>
    </div>
  );
}

function BuilderPanel({
  builder,
  words,
  onChange,
  onScope,
}: {
  builder: Builder | null;
  words: Vocabulary;
  onChange: (builder: Builder) => void;
  onScope: (kind: ScopeKind) => void;
}) {
  const t = useMessages("console.rules");
  const current = builder ?? { join: "and", conditions: [], actions: [] };
  const functions = new Map(words.functions.map((f) => [f.name, f]));

  function addCondition(fn: string) {
    const spec = functions.get(fn);
    const row: ConditionRow = {
      key: newKey(),
      fn,
      skill: spec?.arg_kind === "date" ? today() : spec && spec.min_args > 0 ? (words.skills[0]?.name ?? "") : "",
      op: ">=",
      value: fn === "mastery" ? "80" : fn === "time_on_task" ? "30" : fn === "days_since" ? "0" : "3",
      unit: spec?.units[0] ?? "",
    };
    onChange({ ...current, conditions: [...current.conditions, row] });
  }
  function addAction(verb: Verb) {
    const row: ActionRow = { key: newKey(), verb, target: words.activities[0]?.name ?? "" };
    onChange({ ...current, actions: [...current.actions, row] });
  }
  const setCondition = (key: number, change: Partial<ConditionRow>) =>
    onChange({ ...current, conditions: current.conditions.map((c) => (c.key === key ? { ...c, ...change } : c)) });
  const setAction = (key: number, change: Partial<ActionRow>) =>
    onChange({ ...current, actions: current.actions.map((a) => (a.key === key ? { ...a, ...change } : a)) });

  return (
    <div className="stack">
      <section aria-labelledby="rules-palette" className="rules-palette">
        <h3 id="rules-palette">{t("palette.title")}</h3>
        <p className="muted">{t("palette.intro")}</p>
        <ul className="pw-plain-list rules-palette__list" aria-label={t("palette.conditions")}>
          {FUNCTIONS.filter((fn) => functions.has(fn)).map((fn) => (
            <li key={fn}>
              <Button variant="secondary" onPress={() => addCondition(fn)}>
                {t("palette.add", { what: t(`fn.${fn}`) })}
              </Button>
              <p className="muted rules-help">{t(`fnHelp.${fn}`)}</p>
            </li>
          ))}
          {(["cohort", "org_unit"] as const).map((kind) => (
            <li key={kind}>
              <Button variant="secondary" onPress={() => onScope(kind)}>
                {t("palette.limit", { what: t(`scope.${kind}`) })}
              </Button>
              <p className="muted rules-help">{t(`scopeHelp.${kind}`)}</p>
            </li>
          ))}
        </ul>
        <ul className="pw-plain-list rules-palette__list" aria-label={t("palette.actions")}>
          {ACTIONS.map((a) => (
            <li key={a.key}>
              <Button variant="secondary" onPress={() => addAction(a.verb)}>
                {t("palette.add", { what: t(`action.${a.key}`) })}
              </Button>
              <p className="muted rules-help">{t(`actionHelp.${a.key}`)}</p>
            </li>
          ))}
        </ul>
      </section>

      {builder === null ? (
        <Notice tone="info">{t("check.textOnly")}</Notice>
      ) : (
        <>
          <Select<"and" | "or">
            label={t("field.join")}
            description={t("help.join")}
            value={current.join}
            options={[
              { id: "and", label: t("join.and") },
              { id: "or", label: t("join.or") },
            ]}
            onChange={(join) => onChange({ ...current, join })}
          />
          {current.conditions.map((c, i) => {
            const spec = functions.get(c.fn);
            return (
              <fieldset key={c.key} className="rules-row">
                <legend>{t("builder.condition", { n: i + 1, what: t(`fn.${c.fn}`) })}</legend>
                <Select<string>
                  label={t("field.measure")}
                  description={t(`fnHelp.${c.fn}`)}
                  value={c.fn}
                  options={words.functions.map((f) => ({ id: f.name, label: t(`fn.${f.name}`) }))}
                  onChange={(fn) => {
                    const next = functions.get(fn);
                    setCondition(c.key, {
                      fn,
                      unit: next?.units[0] ?? "",
                      skill:
                        next?.arg_kind === "date"
                          ? today()
                          : next && next.max_args > 0 && spec?.arg_kind !== "date"
                            ? c.skill || (words.skills[0]?.name ?? "")
                            : next && next.min_args > 0
                              ? (words.skills[0]?.name ?? "")
                              : "",
                    });
                  }}
                />
                {spec?.arg_kind === "date" && (
                  <Field
                    label={t("field.date")}
                    description={t("help.date")}
                    type="date"
                    value={c.skill}
                    onChange={(skill) => setCondition(c.key, { skill })}
                  />
                )}
                {spec && spec.max_args > 0 && spec.arg_kind !== "date" && (
                  <Select<string>
                    label={t("field.skill")}
                    description={spec.min_args === 0 ? t("help.skillOptional") : t("help.skill")}
                    value={c.skill || "*"}
                    options={[
                      ...(spec.min_args === 0 ? [{ id: "*", label: t("builder.anySkill") }] : []),
                      ...words.skills.map((s) => ({ id: s.name, label: s.name })),
                    ]}
                    onChange={(skill) => setCondition(c.key, { skill: skill === "*" ? "" : skill })}
                  />
                )}
                <Select<string>
                  label={t("field.op")}
                  description={t("help.op")}
                  value={c.op}
                  options={words.comparators.map((op) => ({ id: op, label: t(`op.${opKey(op)}`) }))}
                  onChange={(op) => setCondition(c.key, { op })}
                />
                <Field
                  label={t("field.value")}
                  description={t(`valueHelp.${spec?.dimension ?? "count"}`)}
                  inputMode="decimal"
                  value={c.value}
                  onChange={(value) => setCondition(c.key, { value })}
                />
                {spec && spec.units.length > 1 && (
                  <Select<string>
                    label={t("field.unit")}
                    value={c.unit}
                    options={spec.units.map((u) => ({ id: u, label: t(`unit.${u}`) }))}
                    onChange={(unit) => setCondition(c.key, { unit })}
                  />
                )}
                <Button
                  variant="quiet"
                  onPress={() => onChange({ ...current, conditions: current.conditions.filter((x) => x.key !== c.key) })}
                >
                  {t("builder.removeCondition", { n: i + 1 })}
                </Button>
              </fieldset>
            );
          })}
          {current.actions.map((a, i) => (
            <fieldset key={a.key} className="rules-row">
              <legend>{t("builder.action", { n: i + 1 })}</legend>
              <Select<Verb>
                label={t("field.verb")}
                description={t(`actionHelp.${verbKey(a.verb)}`)}
                value={a.verb}
                options={ACTIONS.map((x) => ({ id: x.verb, label: t(`action.${x.key}`) }))}
                onChange={(verb) => setAction(a.key, { verb })}
              />
              <Select<string>
                label={t("field.activity")}
                description={t("help.activity")}
                value={a.target}
                options={words.activities.map((x) => ({ id: x.name, label: x.name }))}
                onChange={(target) => setAction(a.key, { target })}
              />
              <Button
                variant="quiet"
                onPress={() => onChange({ ...current, actions: current.actions.filter((x) => x.key !== a.key) })}
              >
                {t("builder.removeAction", { n: i + 1 })}
              </Button>
            </fieldset>
          ))}
        </>
      )}
    </div>
  );
}

/** Today as YYYY-MM-DD in the person's own time zone: the date condition's starting value. */
function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

const opKey = (op: string) => ({ ">=": "ge", ">": "gt", "<=": "le", "<": "lt", "==": "eq", "!=": "ne" })[op] ?? "eq";
const verbKey = (verb: Verb) => ACTIONS.find((a) => a.verb === verb)?.key ?? "recommend";

function PreviewPanel({
  scopes,
  fields,
  ready,
}: {
  scopes: Scopes;
  fields: () => RuleFields | null;
  ready: boolean;
}) {
  const t = useMessages("console.rules");
  const cohorts = scopes.cohort.filter((c) => c.courseId);
  const [cohortId, setCohortId] = useState<number | null>(cohorts[0]?.id ?? null);
  const [state, setState] = useState<
    { status: "idle" | "loading" } | { status: "ok"; preview: Preview } | { status: "error"; text: string }
  >({ status: "idle" });

  async function run() {
    const body = fields();
    if (!body || !cohortId) return;
    setState({ status: "loading" });
    try {
      const preview = await previewRule(cohortId, body);
      markPreviewArrived();
      setState({ status: "ok", preview });
    } catch (error) {
      setState({ status: "error", text: (error as Error).message });
    }
  }

  return (
    <Card title={t("preview.title")} headingLevel={2}>
      <p className="muted">{t("preview.intro")}</p>
      <div className="row rules-preview-controls">
        <Select<number>
          label={t("preview.cohort")}
          description={cohorts.length === 0 ? t("preview.noCohorts") : t("preview.cohortHelp")}
          value={cohortId}
          isDisabled={cohorts.length === 0}
          options={cohorts.map((c) => ({ id: c.id, label: c.name }))}
          onChange={setCohortId}
        />
        <Button variant="secondary" onPress={run} isDisabled={!ready || !cohortId || state.status === "loading"}>
          {t("preview.run")}
        </Button>
      </div>
      {!ready && <p className="muted">{t("preview.needsValid")}</p>}
      <div aria-live="polite" aria-busy={state.status === "loading"}>
        {state.status === "loading" && <p className="muted">{t("preview.running")}</p>}
        {state.status === "error" && <Notice tone="danger">{state.text}</Notice>}
        {state.status === "ok" && (
          <p>
            {t("preview.summary", { affected: state.preview.affected_count, learners: state.preview.learners })}
          </p>
        )}
      </div>
      {state.status === "ok" && <PreviewTable preview={state.preview} />}
    </Card>
  );
}
