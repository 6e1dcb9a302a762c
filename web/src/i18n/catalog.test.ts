import { describe, expect, it } from "vitest";
import { createIntl } from "react-intl";
import en from "./messages/en.json";
import { LOCALES, messagesFor, missingKeys, preferredLocale } from "./catalog";

describe("message catalogues", () => {
  it("ship Spanish complete: no key of the English catalogue is missing", () => {
    expect(missingKeys(LOCALES.es.catalog)).toEqual([]);
  });

  it("have no Spanish key that English lacks (a typo would never show)", () => {
    expect(Object.keys(LOCALES.es.catalog).filter((k) => !(k in en))).toEqual([]);
  });

  it("fall back to English for a missing translation, and say which key", () => {
    const partial = { "nav.home": "Inicio" };
    expect(missingKeys(partial)).toContain("nav.logout");
    const messages = { ...en, ...partial };
    const intl = createIntl({ locale: "es", messages });
    expect(intl.formatMessage({ id: "nav.logout" })).toBe(en["nav.logout"]);
    expect(intl.formatMessage({ id: "nav.home" })).toBe("Inicio");
  });

  it("parse every message as ICU in every locale", () => {
    for (const locale of Object.keys(LOCALES) as (keyof typeof LOCALES)[]) {
      const errors: string[] = [];
      const intl = createIntl({ locale: LOCALES[locale].intl, messages: messagesFor(locale), onError: (e) => errors.push(e.message) });
      for (const id of Object.keys(en)) {
        // every argument the message names gets a value (2 suits text, numbers, dates and plurals alike)
        const names = Array.from(messagesFor(locale)[id].matchAll(/\{\s*(\w+)/g), (m) => m[1]);
        intl.formatMessage({ id }, Object.fromEntries(names.map((n) => [n, 2])));
      }
      expect(errors, locale).toEqual([]);
    }
  });

  it("mirror the pseudo-locale right to left", () => {
    expect(LOCALES["rtl-pseudo"].dir).toBe("rtl");
    expect(messagesFor("rtl-pseudo")["nav.home"]).toContain(en["nav.home"]);
  });

  it("pick the browser's language when we have it", () => {
    expect(preferredLocale(["es-MX", "en"])).toBe("es");
    expect(preferredLocale(["fr-FR"])).toBe("en");
  });
});
