import { diffWords } from "diff";
import { useIntl } from "react-intl";
import type { Change } from "./api";
import { useMessages } from "@/lib/useMessages";

const KINDS: Record<string, string> = { unit: "unit", lesson: "lesson", activity: "activity" };
const FIELDS = new Set(["title", "description", "language", "metadata", "content", "kind", "skill_ids", "item_ids"]);

/** `unit[0]/lesson[1]/activity[2]` as people count: "Unit 1 › Lesson 2 › Activity 3". */
export function usePathLabel(): (path: string) => string {
  const intl = useIntl();
  return (path) => {
    if (path === "course") return intl.formatMessage({ id: "console.publishing.path.course" });
    return path
      .split("/")
      .map((part) => {
        const match = /^(\w+)\[(\d+)\]$/.exec(part);
        if (!match || !KINDS[match[1]]) return part;
        return intl.formatMessage({ id: `console.publishing.path.${KINDS[match[1]]}` }, { n: Number(match[2]) + 1 });
      })
      .join(" › ");
  };
}

/** Stored content is sanitized HTML: compare what a reader reads, not the markup. */
const HTML_FIELDS = new Set(["content", "description"]);
function textOf(html: string): string {
  return new DOMParser().parseFromString(html, "text/html").body.textContent?.trim() ?? "";
}

/** Text changes word by word (removed words struck through, added ones underlined, each also named for
 * screen readers); anything else as its value before and after. */
function FieldChange({ field, before, after }: { field: string; before: unknown; after: unknown }) {
  const t = useMessages("console.publishing.diff");
  if (typeof before === "string" && typeof after === "string") {
    const [old, now] = HTML_FIELDS.has(field) ? [textOf(before), textOf(after)] : [before, after];
    return (
      <p className="pw-pub-words">
        {diffWords(old, now).map((part, i) =>
          part.added ? (
            <ins key={i} aria-label={`${t("inserted")}: ${part.value}`}>
              {part.value}
            </ins>
          ) : part.removed ? (
            <del key={i} aria-label={`${t("deleted")}: ${part.value}`}>
              {part.value}
            </del>
          ) : (
            <span key={i}>{part.value}</span>
          ),
        )}
      </p>
    );
  }
  return (
    <dl className="pw-pub-values">
      <dt>{t("before")}</dt>
      <dd>
        <code>{JSON.stringify(before ?? null)}</code>
      </dd>
      <dt>{t("after")}</dt>
      <dd>
        <code>{JSON.stringify(after ?? null)}</code>
      </dd>
    </dl>
  );
}

/** The changes between two trees, node by node, as the API's diff lists them. */
export function DiffView({ changes, label }: { changes: Change[]; label: string }) {
  const intl = useIntl();
  const pathLabel = usePathLabel();
  if (changes.length === 0) {
    return <p className="muted">{intl.formatMessage({ id: "console.publishing.diff.none" })}</p>;
  }
  return (
    <ul className="pw-plain-list pw-pub-diff" aria-label={label}>
      {changes.map((change) => (
        <li key={change.path} className={`pw-pub-change pw-pub-change--${change.change}`}>
          <p>
            <span className="pw-pub-badge">
              {intl.formatMessage({ id: `console.publishing.diff.${change.change}` })}
            </span>{" "}
            <strong>{pathLabel(change.path)}</strong>
          </p>
          {Object.entries(change.fields ?? {}).map(([field, values]) => (
            <div key={field} className="pw-pub-field">
              <p className="muted">
                {FIELDS.has(field) ? intl.formatMessage({ id: `console.publishing.field.${field}` }) : field}
              </p>
              <FieldChange field={field} before={values[0]} after={values[1]} />
            </div>
          ))}
        </li>
      ))}
    </ul>
  );
}
