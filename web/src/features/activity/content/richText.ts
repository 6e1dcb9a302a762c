/**
 * Author text to safe HTML. Everything injected into a page goes through `sanitize` (DOMPurify), even
 * HTML the API already cleaned: the API's copy is one line of defence, the page's is the last one.
 *
 * On top of DOMPurify's defaults the page also drops what would break the page's accessibility or
 * theme: form controls (unlabelled, and nothing to submit to), inline styles (they fix colours that
 * the dark and high-contrast themes must be free to change) and frames. Images keep the author's alt
 * text; an image without one is treated as decorative (alt=""), so screen readers skip it instead of
 * reading its file name. Headings are moved down so the content's top level sits under the page's h1.
 */
import DOMPurify from "dompurify";
import { Marked } from "marked";

const markdown = new Marked({ gfm: true, async: false });

const FORBID_TAGS = ["style", "form", "input", "button", "textarea", "select", "option", "iframe", "frame", "object", "embed"];
const FORBID_ATTR = ["style", "autofocus", "tabindex"];

let hooked = false;

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.nodeName === "IMG") {
      if (!node.hasAttribute("alt")) node.setAttribute("alt", "");
      node.setAttribute("loading", "lazy");
    }
  });
}

export interface Headings {
  /** The level the highest heading moves to (h2 under a page's h1). */
  topLevel?: number;
  /** Or a fixed number of levels to move every heading down (one shift for several pieces of one text). */
  shift?: number;
}

/** Sanitized HTML, with headings moved down under the page's own. */
export function sanitize(html: string, headings: Headings = {}): string {
  installHooks();
  const fragment = DOMPurify.sanitize(html, {
    FORBID_TAGS,
    FORBID_ATTR,
    RETURN_DOM_FRAGMENT: true,
  }) as DocumentFragment;
  demoteHeadings(fragment, headings.shift ?? shiftFor(fragment, headings.topLevel ?? 2));
  const box = document.createElement("div");
  box.appendChild(fragment);
  return box.innerHTML;
}

function levels(root: ParentNode): number[] {
  return Array.from(root.querySelectorAll("h1, h2, h3, h4, h5, h6")).map((h) => Number(h.tagName[1]));
}

function shiftFor(root: ParentNode, topLevel: number): number {
  const found = levels(root);
  return found.length ? Math.max(0, topLevel - Math.min(...found)) : 0;
}

/** How far to move the headings of several HTML pieces, read together, so the highest is `topLevel`. */
export function headingShift(htmls: readonly string[], topLevel = 2): number {
  const found = htmls.flatMap((html) => {
    const inert = document.createElement("template"); // parsed, never run nor fetched
    inert.innerHTML = html;
    return levels(inert.content);
  });
  return found.length ? Math.max(0, topLevel - Math.min(...found)) : 0;
}

function demoteHeadings(root: DocumentFragment, shift: number): void {
  if (shift <= 0) return;
  for (const heading of Array.from(root.querySelectorAll("h1, h2, h3, h4, h5, h6"))) {
    const level = Math.min(6, Number(heading.tagName[1]) + shift);
    const moved = heading.ownerDocument.createElement(`h${level}`);
    for (const attr of Array.from(heading.attributes)) moved.setAttribute(attr.name, attr.value);
    while (heading.firstChild) moved.appendChild(heading.firstChild);
    heading.replaceWith(moved);
  }
}

/** Markdown (GitHub flavour) as HTML, not yet sanitized: for callers that sanitize it themselves. */
export function markdownToHtml(text: string): string {
  return markdown.parse(text) as string;
}

/** Markdown (GitHub flavour) rendered and sanitized. */
export function markdownToSafeHtml(text: string, headings: Headings = {}): string {
  return sanitize(markdownToHtml(text), headings);
}

const HTML_START = /^\s*<(p|h[1-6]|div|section|article|ul|ol|dl|table|pre|blockquote|figure|img|hr|br|em|strong|a|span|code)[\s>/]/i;

/**
 * An activity's text as safe HTML. The API stores sanitized HTML, but the demo seed and imports may
 * store Markdown as written and the activity does not say which it is: text that starts with an HTML
 * element is read as HTML, anything else as Markdown. Both end sanitized.
 */
export function contentToSafeHtml(content: string, headings: Headings = {}): string {
  return HTML_START.test(content) ? sanitize(content, headings) : markdownToSafeHtml(content, headings);
}
