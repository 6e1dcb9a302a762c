/**
 * Pieces every admin page shares: the message helper, the section navigation (only what the
 * signed-in person may use), a reload that keeps the page in place, and the way a failed call's problem reaches
 * the page (the server's own `detail`).
 */
import { useRef, type ReactNode } from "react";
import { NavLink } from "react-router";
import { useAuth } from "@/auth/session";
import { useLoad, type Load } from "@/lib/useLoad";
import { useMessages, type Messages } from "@/lib/useMessages";
import "./admin.css";

export type T = Messages;

export function useT(): T {
  return useMessages("console.admin");
}

/** The admin sections and the permission each needs; the server checks again on every call. */
export const SECTIONS = [
  { path: "/admin", key: "units", permission: "org:read", end: true },
  { path: "/admin/users", key: "users", permission: "users:read", end: false },
  { path: "/admin/onboarding", key: "onboarding", permission: "users:write", end: false },
  { path: "/admin/lrs", key: "lrs", permission: "lrs.credentials:write", end: false },
  { path: "/admin/schedules", key: "schedules", permission: "content:publish", end: false },
] as const;

export function AdminNav() {
  const t = useT();
  const { can } = useAuth();
  return (
    <nav aria-label={t("nav.label")} className="pw-admin-nav">
      <ul className="pw-plain-list row">
        {SECTIONS.filter((s) => can(s.permission)).map((s) => (
          <li key={s.key}>
            <NavLink to={s.path} end={s.end}>
              {t(`nav.${s.key}`)}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** A page of the console: the section navigation, then one h1 and the page's content. */
export function AdminPage({ title, intro, children }: { title: string; intro?: string; children: ReactNode }) {
  return (
    <div className="stack">
      <AdminNav />
      <h1>{title}</h1>
      {intro && <p className="muted">{intro}</p>}
      {children}
    </div>
  );
}

/** The problem's sentence of a failed openapi-fetch call, or null when it succeeded. */
export function failure(result: { error?: unknown; response: Response }): string | null {
  if (result.error === undefined && result.response.ok) return null;
  const error = result.error as { detail?: unknown } | undefined;
  if (error && typeof error.detail === "string") return error.detail;
  return `${result.response.status} ${result.response.statusText}`;
}

/** Like useLoad, but a reload after an action keeps showing what was loaded before until the new data
 * arrives, so the page (and the message saying what the action did) stays in place. */
export function useKeptLoad<D>(load: () => Promise<D>, deps: unknown[]): [Load<D>, () => void] {
  const [state, reload] = useLoad(load, deps);
  const last = useRef<Load<D> | null>(null);
  if (state.status !== "loading") last.current = state;
  return [state.status === "loading" && last.current ? last.current : state, reload];
}
