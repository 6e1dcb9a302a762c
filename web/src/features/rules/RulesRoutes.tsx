import { Route, Routes } from "react-router";
import { useIntl } from "react-intl";

/** Routes under /rules (mounted by App for people whose permissions open this console). */
export default function RulesRoutes() {
  const intl = useIntl();
  return (
    <Routes>
      <Route index element={<h1>{intl.formatMessage({ id: "console.rules.title" })}</h1>} />
    </Routes>
  );
}
