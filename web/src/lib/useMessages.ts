import { useIntl } from "react-intl";

export type Messages = (id: string, values?: Record<string, string | number>) => string;

/** `t` for one part of the catalogue: `useMessages("console.admin")("nav.users")` reads `console.admin.nav.users`. */
export function useMessages(prefix: string): Messages {
  const intl = useIntl();
  return (id, values) => intl.formatMessage({ id: `${prefix}.${id}` }, values);
}
