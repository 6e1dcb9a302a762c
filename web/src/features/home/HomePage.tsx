import { useIntl } from "react-intl";
import { useAuth } from "@/auth/session";

/** The learner's home: what to continue, what to do next, and how it is going. */
export function HomePage() {
  const intl = useIntl();
  const { me } = useAuth();
  return (
    <div className="stack">
      <h1>{intl.formatMessage({ id: "home.title" }, { name: me?.display_name ?? "" })}</h1>
      <p className="muted">{intl.formatMessage({ id: "home.placeholder" })}</p>
    </div>
  );
}
