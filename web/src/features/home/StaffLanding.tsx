import { useIntl } from "react-intl";
import { useAuth } from "@/auth/session";

/** Staff land here until their consoles exist: what the app offers them today, and where the API is. */
export default function StaffLanding() {
  const intl = useIntl();
  const { me } = useAuth();
  const t = (id: string, values?: Record<string, string>) => intl.formatMessage({ id }, values);
  return (
    <div className="stack pw-prose">
      <h1>{t("staff.title", { name: me?.display_name ?? "" })}</h1>
      <p>{t("staff.intro")}</p>
      <ul>
        <li>
          <a href="/docs">{t("staff.docs")}</a>
        </li>
        <li>
          <a href="/openapi.json">{t("staff.openapi")}</a>
        </li>
      </ul>
    </div>
  );
}
