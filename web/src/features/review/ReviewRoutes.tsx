import { Route, Routes } from "react-router";
import { useIntl } from "react-intl";

/** Routes under /review (mounted by App for people whose permissions open this console). */
export default function ReviewRoutes() {
  const intl = useIntl();
  return (
    <Routes>
      <Route index element={<h1>{intl.formatMessage({ id: "console.review.title" })}</h1>} />
    </Routes>
  );
}
