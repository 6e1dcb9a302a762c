import { NavLink, Route, Routes } from "react-router";
import { useIntl } from "react-intl";
import { ExperimentPage } from "./ExperimentPage";
import { ModelPage } from "./ModelPage";
import { RegistryPage } from "./RegistryPage";
import { RolloutsPage } from "./RolloutsPage";
import "./ml.css";

/** Routes under /ml (mounted by App for people whose permissions open this console). */
export default function MlRoutes() {
  const intl = useIntl();
  const t = (id: string) => intl.formatMessage({ id });
  return (
    <div className="stack">
      <nav aria-label={t("console.ml.nav")} className="pw-ml-nav">
        <NavLink to="/ml" end>
          {t("console.ml.nav.registry")}
        </NavLink>
        <NavLink to="/ml/rollouts">{t("console.ml.nav.rollouts")}</NavLink>
      </nav>
      <Routes>
        <Route index element={<RegistryPage />} />
        <Route path="models/:name" element={<ModelPage />} />
        <Route path="rollouts" element={<RolloutsPage />} />
        <Route path="experiments/:key" element={<ExperimentPage />} />
      </Routes>
    </div>
  );
}
