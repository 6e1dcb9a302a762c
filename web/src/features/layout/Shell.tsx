import { lazy, Suspense, useEffect, type ReactNode } from "react";
import { useIntl } from "react-intl";
import { NavLink } from "react-router";
import { useAuth } from "@/auth/session";
import { Button, Notice } from "@/design/components";
import { DisplaySettings } from "@/features/settings/DisplaySettings";
import { areasFor, isLearner } from "@/features/staff/areas";
import "./shell.css";
import { useOnline } from "@/lib/useOnline";

// The offline engine (IndexedDB, sync) loads after the first paint: the entry bundle stays small.
const SyncIndicator = lazy(() => import("@/offline/SyncIndicator").then((m) => ({ default: m.SyncIndicator })));
const SyncNotices = lazy(() => import("@/offline/SyncIndicator").then((m) => ({ default: m.SyncNotices })));

function useSync(userId: number | undefined): void {
  useEffect(() => {
    if (userId === undefined) return;
    let stop: (() => void) | undefined;
    let cancelled = false;
    void import("@/offline/sync").then(({ startSync }) => {
      if (!cancelled) stop = startSync(userId);
    });
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [userId]);
}

/** Every signed-in page: skip link, banner with navigation, the main landmark, and the offline notice. */
export function Shell({ children }: { children: ReactNode }) {
  const intl = useIntl();
  const { me, logout, can } = useAuth();
  const online = useOnline();
  const learner = isLearner(can); // staff and guardians have no device outbox to sync
  useSync(learner ? me?.id : undefined);
  const t = (id: string) => intl.formatMessage({ id });
  return (
    <>
      <a className="pw-skip" href="#main">
        {t("app.skipToContent")}
      </a>
      <header className="pw-banner">
        <span className="pw-brand">{t("app.name")}</span>
        <nav aria-label={t("nav.main")}>
          <ul className="pw-nav">
            <li>
              <NavLink to="/">{t("nav.home")}</NavLink>
            </li>
            {/* a guardian's own scope, not one an administrator's "*" stands for */}
            {me?.permissions.includes("linked_learners:read") && (
              <li>
                <NavLink to="/learners">{t("nav.learners")}</NavLink>
              </li>
            )}
            {areasFor(can).map((area) => (
              <li key={area.key}>
                <NavLink to={area.path}>{t(`console.${area.key}.title`)}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="row">
          {learner && (
            <Suspense fallback={null}>
              <SyncIndicator />
            </Suspense>
          )}
          <DisplaySettings />
          {me && (
            <Button variant="secondary" onPress={() => void logout()}>
              {t("nav.logout")}
            </Button>
          )}
        </div>
      </header>
      {!online && (
        <div className="pw-offline">
          <Notice tone="warning">{t("app.offline")}</Notice>
        </div>
      )}
      {learner && (
        <Suspense fallback={null}>
          <SyncNotices />
        </Suspense>
      )}
      <main id="main" tabIndex={-1} className="pw-main">
        {children}
      </main>
    </>
  );
}
