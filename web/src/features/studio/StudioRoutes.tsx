import { Route, Routes } from "react-router";
import { useIntl } from "react-intl";

/** Routes under /studio (mounted by App for people whose permissions open this console). */
export default function StudioRoutes() {
  const intl = useIntl();
  return (
    <Routes>
      <Route index element={<h1>{intl.formatMessage({ id: "console.studio.title" })}</h1>} />
    </Routes>
  );
}
