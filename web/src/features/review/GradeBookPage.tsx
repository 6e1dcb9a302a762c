import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { SearchField, Input, Label } from "react-aria-components";
import { authorizedFetch } from "@/api/client";
import { Button, Notice } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import * as review from "./api";
import { GradeGrid } from "./GradeGrid";
import { useT } from "./parts";
import { filterRows, gradeTable } from "./shaping";
import { Loaded } from "@/lib/Loaded";

/** Performance marks `pathwise bench web` reads: the grade book's body has arrived, and its table is painted. */
export const MARK_DATA = "pw-gradebook-data";
export const MARK_RENDERED = "pw-gradebook-rendered";

/** The grade book, marking the moment its whole body has arrived (before it is parsed and drawn). */
async function loadBook(courseId: number): Promise<review.GradeBook> {
  const response = await authorizedFetch(new Request(`${window.location.origin}/v1/courses/${courseId}/gradebook`));
  const text = await response.text();
  performance.mark(MARK_DATA);
  const body = JSON.parse(text) as review.GradeBook & { detail?: string };
  if (!response.ok) throw Object.assign(new Error(body.detail ?? `${response.status}`), { status: response.status });
  return body;
}

/** `/review/courses/{id}/gradebook`: learners x assignments and tests, filterable, with the CSV the server writes. */
export function GradeBookPage() {
  const t = useT();
  const courseId = Number(useParams().courseId);
  const [course] = useLoad(() => review.course(courseId), [courseId]);
  const [book] = useLoad(() => loadBook(courseId), [courseId]);
  const table = useMemo(() => (book.status === "ok" ? gradeTable(book.data) : null), [book]);
  const [query, setQuery] = useState("");
  const rows = useMemo(() => (table ? filterRows(table.rows, query) : []), [table, query]);
  const [csvError, setCsvError] = useState<string | null>(null);
  const [marked, setMarked] = useState(false);
  const title = course.status === "ok" ? course.data.title : `#${courseId}`;
  return (
    <div className="stack pw-review">
      <nav aria-label={t("item.breadcrumb")}>
        <Link to={`/review/courses/${courseId}`}>{t("item.back")}</Link>
      </nav>
      <h1>{t("gradebook.title", { course: title })}</h1>
      <Loaded state={book} failed={t("gradebook.failed")}>
        {() =>
          table && (
            <>
              <div className="row pw-gradebook__tools">
                <SearchField value={query} onChange={setQuery} className="pw-field">
                  <Label className="pw-field__label">{t("gradebook.search")}</Label>
                  <Input className="pw-field__input" />
                </SearchField>
                <Button
                  variant="secondary"
                  onPress={() => {
                    setCsvError(null);
                    review.downloadGradeBookCsv(courseId).catch((e: unknown) => setCsvError(e instanceof Error ? e.message : String(e)));
                  }}
                >
                  {t("gradebook.csv")}
                </Button>
              </div>
              {csvError && <Notice tone="danger">{t("gradebook.csvFailed", { error: csvError })}</Notice>}
              <p className="muted" aria-live="polite">
                {t("gradebook.count", { shown: rows.length, total: table.rows.length, columns: table.columns.length })}
              </p>
              <p className="muted">{t("gradebook.keys")}</p>
              {table.rows.length === 0 ? (
                <p>{t("gradebook.empty")}</p>
              ) : (
                <GradeGrid
                  label={t("gradebook.label", { course: title })}
                  columns={table.columns}
                  rows={rows}
                  onRendered={
                    marked
                      ? undefined
                      : () => {
                          performance.mark(MARK_RENDERED);
                          setMarked(true);
                        }
                  }
                />
              )}
            </>
          )
        }
      </Loaded>
    </div>
  );
}
