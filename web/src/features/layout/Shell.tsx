import { useEffect, useState, type ReactNode } from "react";
import { useIntl } from "react-intl";
import { NavLink } from "react-router";
import { useAuth } from "@/auth/session";
import { Button, Notice } from "@/design/components";
import { DisplaySettings } from "@/features/settings/DisplaySettings";
import { SyncIndicator, SyncNotices } from "@/offline/SyncIndicator";
import "./shell.css";

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener("online", update);
    window.addEventListener("offline", update);
    return () => {
      window.removeEventListener("online", update);
      window.removeEventListener("offline", update);
    };
  }, []);
  return online;
}

/** Every signed-in page: skip link, banner with navigation, the main landmark, and the offline notice. */
export function Shell({ children }: { children: ReactNode }) {
  const intl = useIntl();
  const { me, logout, can } = useAuth();
  const online = useOnline();
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
            {can("learners:read") && !can("attempts:write") && (
              <li>
                <NavLink to="/learners">{t("nav.learners")}</NavLink>
              </li>
            )}
          </ul>
        </nav>
        <div className="row">
          <SyncIndicator />
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
      <SyncNotices />
      <main id="main" tabIndex={-1} className="pw-main">
        {children}
      </main>
    </>
  );
}
