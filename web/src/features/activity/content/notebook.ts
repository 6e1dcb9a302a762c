/**
 * A Jupyter notebook (nbformat 4 JSON) read into what the page shows, read-only.
 *
 * Written here rather than taken from a library: the maintained viewers (nbviewer, JupyterLab's
 * renderers, @jupyterlab/*) are server-side or pull in most of JupyterLab, far over the learner
 * bundle, and the small npm viewers are unmaintained and inject HTML unsanitized. A read-only view
 * needs little: markdown cells (marked, then DOMPurify), code cells as plain `<pre><code>` with the
 * language named, and outputs by MIME type in Jupyter's own order of preference, never JavaScript.
 * Every piece of HTML that leaves this module has been sanitized.
 */
import { headingShift, markdownToHtml, sanitize } from "./richText";

export type Output =
  | { kind: "text"; text: string; stream: "stdout" | "stderr" | null }
  | { kind: "image"; src: string; alt: string }
  | { kind: "html"; html: string }
  | { kind: "error"; name: string; text: string };

export type Cell =
  | { kind: "markdown"; index: number; html: string }
  | { kind: "code"; index: number; number: number; source: string; executionCount: number | null; outputs: Output[] }
  | { kind: "raw"; index: number; text: string };

export interface Notebook {
  /** The kernel's language as people call it (Python, R, Julia …). */
  language: string;
  cells: Cell[];
}

export class NotebookError extends Error {}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** nbformat's multiline strings: a string, or a list of lines to join. */
export function joinSource(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.filter((part) => typeof part === "string").join("");
  return "";
}

const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Tracebacks arrive coloured with terminal escapes; the page shows their text. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

const IMAGE_TYPES = ["image/svg+xml", "image/png", "image/jpeg", "image/gif"] as const;
const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

function imageSource(mime: (typeof IMAGE_TYPES)[number], data: string): string | null {
  if (mime === "image/svg+xml") {
    // an SVG shown through <img> runs no script and loads nothing, whatever it contains
    return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(data)}`;
  }
  const compact = data.replace(/\s+/g, "");
  return BASE64.test(compact) && compact.length > 0 ? `data:${mime};base64,${compact}` : null;
}

function altFor(cellMeta: Json, output: Json, mime: string): string {
  const outputMeta = isObject(output.metadata) ? output.metadata : {};
  const perType = isObject(outputMeta[mime]) ? (outputMeta[mime] as Json) : {};
  for (const candidate of [perType.alt, outputMeta.alt, cellMeta.alt]) {
    if (typeof candidate === "string" && candidate.trim()) return candidate.trim();
  }
  return "";
}

function richOutput(data: Json, output: Json, cellMeta: Json, fallbackAlt: string): Output | null {
  if (data["text/html"] !== undefined) return { kind: "html", html: sanitize(joinSource(data["text/html"]), { topLevel: 3 }) };
  if (data["text/markdown"] !== undefined) {
    return { kind: "html", html: sanitize(markdownToHtml(joinSource(data["text/markdown"])), { topLevel: 3 }) };
  }
  for (const mime of IMAGE_TYPES) {
    if (data[mime] === undefined) continue;
    const src = imageSource(mime, joinSource(data[mime]));
    if (src) return { kind: "image", src, alt: altFor(cellMeta, output, mime) || fallbackAlt };
  }
  if (data["text/plain"] !== undefined) return { kind: "text", text: joinSource(data["text/plain"]), stream: null };
  return null;
}

function outputsOf(cell: Json, number: number, fallbackAlt: (n: number) => string): Output[] {
  const outputs = Array.isArray(cell.outputs) ? cell.outputs : [];
  const cellMeta = isObject(cell.metadata) ? cell.metadata : {};
  const shown: Output[] = [];
  for (const output of outputs) {
    if (!isObject(output)) continue;
    switch (output.output_type) {
      case "stream": {
        const text = joinSource(output.text);
        const stream = output.name === "stderr" ? "stderr" : "stdout";
        const last = shown[shown.length - 1];
        if (last?.kind === "text" && last.stream === stream) last.text += text; // Jupyter splits a stream's writes
        else shown.push({ kind: "text", text, stream });
        break;
      }
      case "execute_result":
      case "display_data": {
        const found = isObject(output.data) ? richOutput(output.data, output, cellMeta, fallbackAlt(number)) : null;
        if (found) shown.push(found);
        break;
      }
      case "error": {
        const traceback = Array.isArray(output.traceback) ? output.traceback.filter((l) => typeof l === "string") : [];
        const text = traceback.length ? traceback.join("\n") : `${String(output.ename ?? "")}: ${String(output.evalue ?? "")}`;
        shown.push({ kind: "error", name: String(output.ename ?? "Error"), text: stripAnsi(text) });
        break;
      }
      default:
        break; // an output type this viewer does not know is left out rather than guessed at
    }
  }
  return shown;
}

function languageOf(meta: Json): string {
  const info = isObject(meta.language_info) ? meta.language_info : {};
  const kernel = isObject(meta.kernelspec) ? meta.kernelspec : {};
  const name = [info.name, kernel.language].find((v): v is string => typeof v === "string" && v.length > 0);
  if (!name) return "Python";
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * Read a notebook (its JSON text or the parsed object). `imageAlt(n)` names an output image whose cell
 * gives no alt text ("Output of cell n"), n counting code cells from 1 as the page shows them.
 */
export function readNotebook(input: string | unknown, imageAlt: (n: number) => string = (n) => `Output of cell ${n}`): Notebook {
  let raw: unknown = input;
  if (typeof input === "string") {
    try {
      raw = JSON.parse(input);
    } catch {
      throw new NotebookError("The notebook is not valid JSON.");
    }
  }
  if (!isObject(raw) || !Array.isArray(raw.cells)) throw new NotebookError("The notebook has no list of cells.");
  if (typeof raw.nbformat === "number" && raw.nbformat < 4) throw new NotebookError(`Notebook format ${raw.nbformat} is not supported; save it as format 4.`);
  const meta = isObject(raw.metadata) ? raw.metadata : {};
  const markdownHtml = raw.cells.filter(isObject).filter((c) => c.cell_type === "markdown").map((c) => markdownToHtml(joinSource(c.source)));
  const shift = headingShift(markdownHtml, 2);
  const cells: Cell[] = [];
  let markdownIndex = 0;
  let codeNumber = 0;
  raw.cells.forEach((cell, index) => {
    if (!isObject(cell)) return;
    if (cell.cell_type === "markdown") {
      cells.push({ kind: "markdown", index, html: sanitize(markdownHtml[markdownIndex++], { shift }) });
    } else if (cell.cell_type === "code") {
      codeNumber += 1;
      cells.push({
        kind: "code",
        index,
        number: codeNumber,
        source: joinSource(cell.source),
        executionCount: typeof cell.execution_count === "number" ? cell.execution_count : null,
        outputs: outputsOf(cell, codeNumber, imageAlt),
      });
    } else if (cell.cell_type === "raw") {
      cells.push({ kind: "raw", index, text: joinSource(cell.source) });
    }
  });
  return { language: languageOf(meta), cells };
}
