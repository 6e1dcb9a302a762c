/** The rules console's calls: one function per API call, each giving data or throwing the problem's sentence. */
import { api, ok, type Schemas } from "@/api/client";

export type ScopeKind = Schemas["RuleCreate"]["scope_kind"];
export type Rule = Schemas["RulePublic"];
export type Checked = Schemas["RuleCheckPublic"];
export type Vocabulary = Schemas["RuleVocabulary"];
export type Preview = Schemas["PreviewPublic"];
export type Override = Schemas["OverridePublic"];

/** A problem+json from the server; rule errors also carry the line and column. */
export interface RuleProblem {
  detail: string;
  line?: number;
  column?: number;
  expected?: string[];
}

export class ProblemFailure extends Error {
  constructor(readonly problem: RuleProblem, readonly status: number) {
    super(problem.detail);
  }
}

function fail(error: unknown, response: Response): never {
  const body = (error ?? {}) as Partial<RuleProblem>;
  const detail = typeof body.detail === "string" ? body.detail : `${response.status} ${response.statusText}`;
  throw new ProblemFailure({ ...body, detail }, response.status);
}

function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) fail(result.error, result.response);
  return result.data;
}

export interface ScopeChoice {
  id: number;
  name: string;
  courseId?: number | null;
}

/** Courses, cohorts and org units this person may see, to choose a rule's scope from. */
export async function loadScopes(): Promise<Record<Exclude<ScopeKind, "learner">, ScopeChoice[]>> {
  const query = { params: { query: { limit: 200 } } };
  const [courses, cohorts, units] = await Promise.all([
    api.GET("/v1/courses", query).then(ok),
    api.GET("/v1/cohorts", query).then(ok),
    api.GET("/v1/org-units", query).then(ok),
  ]);
  return {
    course: courses.items.map((c) => ({ id: c.id, name: c.title })),
    cohort: cohorts.items.map((c) => ({ id: c.id, name: c.name, courseId: c.course_id })),
    org_unit: units.items.map((u) => ({ id: u.id, name: u.name })),
  };
}

export async function listRules(scope_kind: ScopeKind, scope_id: number): Promise<Rule[]> {
  const page = ok(await api.GET("/v1/rules", { params: { query: { scope_kind, scope_id, limit: 200 } } }));
  return page.items;
}

export async function getRule(id: number): Promise<Rule> {
  return ok(await api.GET("/v1/rules/{rule_id}", { params: { path: { rule_id: id } } }));
}

export async function checkRule(source: string, scope_kind: ScopeKind, scope_id: number): Promise<Checked> {
  return must(await api.POST("/v1/rules:check", { body: { source, scope_kind, scope_id } }));
}

export async function loadVocabulary(courseId: number | null): Promise<Vocabulary> {
  const query = courseId ? { course_id: courseId } : {};
  return ok(await api.GET("/v1/rules:vocabulary", { params: { query } }));
}

export interface RuleFields {
  name: string;
  source: string;
  scope_kind: ScopeKind;
  scope_id: number;
  priority: number;
  enabled: boolean;
}

export async function saveRule(id: number | null, fields: RuleFields): Promise<Rule> {
  if (id === null) return must(await api.POST("/v1/rules", { body: fields }));
  return must(await api.PATCH("/v1/rules/{rule_id}", { params: { path: { rule_id: id } }, body: fields }));
}

export async function deleteRule(id: number): Promise<void> {
  const { error, response } = await api.DELETE("/v1/rules/{rule_id}", { params: { path: { rule_id: id } } });
  if (!response.ok) fail(error, response);
}

export async function previewRule(cohortId: number, fields: RuleFields): Promise<Preview> {
  return must(
    await api.POST("/v1/cohorts/{cohort_id}/rules/preview", {
      params: { path: { cohort_id: cohortId } },
      body: {
        source: fields.source,
        name: fields.name || "preview",
        scope_kind: fields.scope_kind,
        scope_id: fields.scope_id,
        priority: fields.priority,
        limit: 1000,
        k: 5,
      },
    }),
  );
}

/** The learner's override, or null when they have none (a 404 here is an answer, not a failure). */
export async function getOverride(userId: number): Promise<Override | null> {
  const result = await api.GET("/v1/users/{user_id}/override", { params: { path: { user_id: userId } } });
  if (result.response.status === 404) return null;
  return must(result);
}

export async function setOverride(userId: number, body: Schemas["OverrideSet"]): Promise<Override> {
  return must(await api.PUT("/v1/users/{user_id}/override", { params: { path: { user_id: userId } }, body }));
}

export async function clearOverride(userId: number): Promise<void> {
  const { error, response } = await api.DELETE("/v1/users/{user_id}/override", {
    params: { path: { user_id: userId } },
  });
  if (!response.ok) fail(error, response);
}
