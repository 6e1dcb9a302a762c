/**
 * How the app looks and speaks on this device: theme, text size and language. Kept in localStorage
 * (they are about the device, not the learner's data) and applied to <html> so every page follows.
 */
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { IntlProvider } from "react-intl";
import { LOCALES, isLocale, messagesFor, preferredLocale, type Locale } from "@/i18n/catalog";

export type Theme = "system" | "light" | "dark" | "contrast";
export const THEMES: Theme[] = ["system", "light", "dark", "contrast"];
export const FONT_SCALES = [1, 1.125, 1.25, 1.5] as const;

interface Display {
  theme: Theme;
  fontScale: number;
  locale: Locale;
  setTheme: (theme: Theme) => void;
  setFontScale: (scale: number) => void;
  setLocale: (locale: Locale) => void;
}

const DisplayContext = createContext<Display | null>(null);
const KEY = "pathwise.display";

function load(): Pick<Display, "theme" | "fontScale" | "locale"> {
  const fallback = { theme: "system" as Theme, fontScale: 1, locale: preferredLocale() };
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    return {
      theme: THEMES.includes(saved.theme) ? saved.theme : fallback.theme,
      fontScale: FONT_SCALES.includes(saved.fontScale) ? saved.fontScale : fallback.fontScale,
      locale: isLocale(saved.locale) ? saved.locale : fallback.locale,
    };
  } catch {
    return fallback;
  }
}

function systemTheme(): "light" | "dark" {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function DisplayProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState(load);
  useEffect(() => {
    const root = document.documentElement;
    root.dataset.theme = state.theme === "system" ? systemTheme() : state.theme;
    root.style.setProperty("--font-scale", String(state.fontScale));
    root.lang = LOCALES[state.locale].intl;
    root.dir = LOCALES[state.locale].dir;
    localStorage.setItem(KEY, JSON.stringify(state));
  }, [state]);
  const value = useMemo<Display>(
    () => ({
      ...state,
      setTheme: (theme) => setState((s) => ({ ...s, theme })),
      setFontScale: (fontScale) => setState((s) => ({ ...s, fontScale })),
      setLocale: (locale) => setState((s) => ({ ...s, locale })),
    }),
    [state],
  );
  const messages = useMemo(() => messagesFor(state.locale), [state.locale]);
  return (
    <DisplayContext.Provider value={value}>
      <IntlProvider locale={LOCALES[state.locale].intl} defaultLocale="en" messages={messages}>
        {children}
      </IntlProvider>
    </DisplayContext.Provider>
  );
}

export function useDisplay(): Display {
  const value = useContext(DisplayContext);
  if (!value) throw new Error("useDisplay outside DisplayProvider");
  return value;
}
