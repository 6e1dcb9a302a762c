import { Link } from "react-router";
import { useIntl } from "react-intl";
import { useAuth } from "@/auth/session";
import { Card } from "@/design/components";
import { areasFor } from "./areas";

/** `/` for staff: one card per console their permissions open, and the API for everything else. */
export default function StaffHome() {
  const intl = useIntl();
  const { me, can } = useAuth();
  const t = (id: string, values?: Record<string, string>) => intl.formatMessage({ id }, values);
  return (
    <div className="stack">
      <h1>{t("staff.title", { name: me?.display_name ?? "" })}</h1>
      <ul className="grid pw-plain-list" aria-label={t("staff.consoles")}>
        {areasFor(can).map((area) => (
          <li key={area.key}>
            <Card title={<Link to={area.path}>{t(`console.${area.key}.title`)}</Link>} headingLevel={2}>
              <p>{t(`console.${area.key}.summary`)}</p>
            </Card>
          </li>
        ))}
      </ul>
      <p>
        {t("staff.api")} <a href="/docs">{t("staff.docs")}</a>
      </p>
    </div>
  );
}
