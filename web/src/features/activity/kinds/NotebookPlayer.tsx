import { useEffect, useState } from "react";
import { useIntl } from "react-intl";
import { Notice } from "@/design/components";
import { NotebookError, readNotebook, type Cell, type Notebook, type Output } from "../content/notebook";
import { mediaOf } from "../media";
import type { Activity } from "../types";
import { ActivityText } from "./PagePlayer";
import "./players.css";

/** One output of a code cell; HTML has been sanitized by the notebook reader. */
function OutputView({ output }: { output: Output }) {
  const intl = useIntl();
  switch (output.kind) {
    case "text":
      return (
        <div className={`pw-cell__output ${output.stream === "stderr" ? "pw-cell__output--stderr" : ""}`}>
          <pre>{output.text}</pre>
        </div>
      );
    case "error":
      return (
        <div className="pw-cell__output pw-cell__output--error">
          <p className="pw-cell__label">{intl.formatMessage({ id: "notebook.error" }, { name: output.name })}</p>
          <pre>{output.text}</pre>
        </div>
      );
    case "image":
      return (
        <div className="pw-cell__output">
          <img src={output.src} alt={output.alt} />
        </div>
      );
    case "html":
      return <div className="pw-cell__output pw-prose" dangerouslySetInnerHTML={{ __html: output.html }} />;
  }
}

function CellView({ cell, language }: { cell: Cell; language: string }) {
  const intl = useIntl();
  if (cell.kind === "markdown") return <div className="pw-cell pw-prose" dangerouslySetInnerHTML={{ __html: cell.html }} />;
  if (cell.kind === "raw") return <pre className="pw-cell">{cell.text}</pre>;
  const label = intl.formatMessage({ id: "notebook.codeCell" }, { number: cell.number, language });
  return (
    <figure className="pw-cell pw-cell--code">
      <figcaption className="pw-cell__label">{label}</figcaption>
      <pre>
        <code className={`language-${language.toLowerCase()}`}>{cell.source}</code>
      </pre>
      {cell.outputs.length > 0 && (
        <div className="pw-cell__outputs">
          <p className="pw-cell__label">{intl.formatMessage({ id: "notebook.output" }, { number: cell.number })}</p>
          {cell.outputs.map((output, i) => (
            <OutputView key={i} output={output} />
          ))}
        </div>
      )}
    </figure>
  );
}

/** A Jupyter notebook, read-only: fetched from the activity's signed media URL and read by content/notebook.ts. */
export default function NotebookPlayer({ activity }: { activity: Activity }) {
  const intl = useIntl();
  const { url } = mediaOf(activity);
  const [notebook, setNotebook] = useState<Notebook | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!url) return;
    let live = true;
    (async () => {
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
        const read = readNotebook(await response.text(), (n) => intl.formatMessage({ id: "notebook.imageAlt" }, { number: n }));
        if (live) setNotebook(read);
      } catch (error) {
        if (live) setProblem(error instanceof NotebookError || error instanceof Error ? error.message : String(error));
      }
    })();
    return () => {
      live = false;
    };
  }, [url, intl]);

  if (!url) return <Notice tone="warning">{intl.formatMessage({ id: "notebook.unavailable" })}</Notice>;
  if (problem) return <Notice tone="danger">{intl.formatMessage({ id: "notebook.failed" }, { detail: problem })}</Notice>;
  if (!notebook) return <p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>;
  return (
    <div className="stack">
      <ActivityText activity={activity} />
      <p className="muted">{intl.formatMessage({ id: "notebook.readOnly" }, { language: notebook.language })}</p>
      <div className="pw-notebook">
        {notebook.cells.map((cell) => (
          <CellView key={cell.index} cell={cell} language={notebook.language} />
        ))}
      </div>
    </div>
  );
}
