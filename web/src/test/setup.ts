import "fake-indexeddb/auto";

// jsdom has no CSS.escape; react-aria's popovers call it to read a CSP nonce from a <meta> tag. The
// names it escapes are plain words, so the identity is exact for them.
if (typeof globalThis.CSS === "undefined") {
  (globalThis as { CSS?: unknown }).CSS = { escape: (value: string) => value };
}
