import { Route, Routes } from "react-router";
import { useIntl } from "react-intl";

/** Routes under /admin (mounted by App for people whose permissions open this console). */
export default function AdminRoutes() {
  const intl = useIntl();
  return (
    <Routes>
      <Route index element={<h1>{intl.formatMessage({ id: "console.admin.title" })}</h1>} />
    </Routes>
  );
}
