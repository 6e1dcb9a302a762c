import { Route, Routes } from "react-router";
import { useIntl } from "react-intl";

/** Routes under /ml (mounted by App for people whose permissions open this console). */
export default function MlRoutes() {
  const intl = useIntl();
  return (
    <Routes>
      <Route index element={<h1>{intl.formatMessage({ id: "console.ml.title" })}</h1>} />
    </Routes>
  );
}
