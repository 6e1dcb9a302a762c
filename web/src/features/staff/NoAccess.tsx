import { Link } from "react-router";
import { useIntl } from "react-intl";

/** A console address opened by someone whose permissions do not open it: say so, rather than show another page. */
export function NoAccess() {
  const intl = useIntl();
  return (
    <div className="stack pw-prose">
      <h1>{intl.formatMessage({ id: "staff.noAccess.title" })}</h1>
      <p>{intl.formatMessage({ id: "staff.noAccess.body" })}</p>
      <p>
        <Link to="/">{intl.formatMessage({ id: "staff.noAccess.home" })}</Link>
      </p>
    </div>
  );
}
