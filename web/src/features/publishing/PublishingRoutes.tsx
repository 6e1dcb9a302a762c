import { Route, Routes } from "react-router";
import { useIntl } from "react-intl";

/** Routes under /publishing (mounted by App for people whose permissions open this console). */
export default function PublishingRoutes() {
  const intl = useIntl();
  return (
    <Routes>
      <Route index element={<h1>{intl.formatMessage({ id: "console.publishing.title" })}</h1>} />
    </Routes>
  );
}
