/**
 * Message catalogues (ICU MessageFormat, read by react-intl). English is complete by definition; any
 * other locale falls back to English key by key, and `missingKeys` names what it lacks so a test can
 * report it. `rtl-pseudo` is English turned right-to-left, to check that the layout mirrors.
 */
import en from "./messages/en.json";
import es from "./messages/es.json";

export type MessageId = keyof typeof en;
export type Catalog = Partial<Record<MessageId, string>>;

export const LOCALES = {
  en: { label: "English", dir: "ltr", intl: "en", catalog: en as Catalog },
  es: { label: "Español", dir: "ltr", intl: "es", catalog: es as Catalog },
  "rtl-pseudo": { label: "RTL pseudo-locale", dir: "rtl", intl: "en", catalog: pseudoRtl(en) },
} as const;

export type Locale = keyof typeof LOCALES;

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && value in LOCALES;
}

/** The messages a locale shows: its own, with English for whatever it lacks. */
export function messagesFor(locale: Locale): Record<string, string> {
  return { ...en, ...LOCALES[locale].catalog };
}

export function missingKeys(catalog: Catalog): string[] {
  return Object.keys(en).filter((key) => !(key in catalog));
}

/** Each message wrapped in right-to-left override marks; ICU arguments stay untouched inside. */
function pseudoRtl(messages: Record<string, string>): Catalog {
  return Object.fromEntries(Object.entries(messages).map(([k, v]) => [k, `\u202e${v}\u202c`])) as Catalog;
}

/** The locale the browser prefers, among ours. */
export function preferredLocale(languages: readonly string[] = navigator.languages ?? []): Locale {
  for (const tag of languages) {
    const base = tag.toLowerCase().split("-")[0];
    if (isLocale(base)) return base;
  }
  return "en";
}
