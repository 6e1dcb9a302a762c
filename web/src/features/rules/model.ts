/**
 * The builder's model of a rule: a flat list of comparisons joined by one "and"/"or", and its actions.
 *
 * Text is the source of truth and the server parses it (`POST /v1/rules:check`); this file only writes
 * text from the builder and reads the server's parsed tree back into rows. A rule the builder cannot
 * show (a "not", or "and" inside "or") stays editable as text.
 */
import type { Schemas } from "@/api/client";

export type Verb = "recommend" | "require" | "block" | "prioritize";
export type Join = "and" | "or";

export interface ConditionRow {
  key: number;
  fn: string;
  skill: string;
  op: string;
  value: string;
  unit: string;
}

export interface ActionRow {
  key: number;
  verb: Verb;
  target: string;
}

export interface Builder {
  join: Join;
  conditions: ConditionRow[];
  actions: ActionRow[];
}

let nextKey = 1;
export const newKey = () => nextKey++;

/** A name in quotes the grammar accepts: double quotes unless the name holds one. */
export function quote(name: string): string {
  return name.includes('"') ? `'${name}'` : `"${name}"`;
}

export function conditionText(row: ConditionRow): string {
  const args = row.skill ? quote(row.skill) : "";
  const unit = row.unit === "%" ? "%" : row.unit ? ` ${row.unit}` : "";
  return `${row.fn}(${args}) ${row.op} ${row.value.trim()}${unit}`;
}

export function actionText(row: ActionRow): string {
  return `${row.verb} ${quote(row.target)}`;
}

/** The rule text the builder stands for (possibly invalid, e.g. without actions: the check says where). */
export function toSource(builder: Builder): string {
  const when = builder.conditions.map(conditionText).join(` ${builder.join} `);
  return `if ${when} then ${builder.actions.map(actionText).join(", ")}`;
}

const FLIPPED: Record<string, string> = { ">=": "<=", "<=": ">=", ">": "<", "<": ">", "==": "==", "!=": "!=" };

function row(node: Schemas["ConditionNode"]): ConditionRow | null {
  if (node.kind !== "comparison" || !node.left || !node.right || !node.op) return null;
  let [call, quantity, op] = [node.left, node.right, node.op];
  if (call.kind !== "call") [call, quantity, op] = [node.right, node.left, FLIPPED[node.op] ?? node.op];
  if (call.kind !== "call" || quantity.kind !== "quantity" || !call.function) return null;
  return {
    key: newKey(),
    fn: call.function,
    skill: call.args?.[0] ?? "",
    op,
    value: String(quantity.number ?? ""),
    unit: quantity.unit ?? "",
  };
}

/** The builder rows for a parsed rule, or null when its shape needs the text editor. */
export function fromChecked(checked: Schemas["RuleCheckPublic"]): Builder | null {
  const { condition } = checked;
  const parts = condition.kind === "comparison" ? [condition] : condition.kind === "not" ? null : condition.operands;
  if (!parts) return null;
  const rows = parts.map(row);
  if (rows.some((r) => r === null)) return null;
  const actions = checked.actions.map((a) => ({
    key: newKey(),
    verb: (a.verb === "hide" ? "block" : a.verb) as Verb,
    target: a.target,
  }));
  return { join: condition.kind === "or" ? "or" : "and", conditions: rows as ConditionRow[], actions };
}

/** The offending line split at the error's column, so the page can underline what the parser stopped at. */
export function errorSpan(source: string, line: number, column: number): { before: string; at: string; after: string } {
  const text = source.split("\n")[line - 1] ?? "";
  const start = Math.max(0, Math.min(column - 1, text.length));
  const word = /^[^\s,()]+/.exec(text.slice(start))?.[0] ?? "";
  const at = word || text.slice(start, start + 1) || " ";
  return { before: text.slice(0, start), at, after: text.slice(start + at.length) };
}
