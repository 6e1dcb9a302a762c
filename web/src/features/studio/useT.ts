import { useIntl } from "react-intl";

/** The studio's messages by their short key (`console.studio.<key>`). */
export function useT() {
  const intl = useIntl();
  return (key: string, values?: Record<string, string | number>) =>
    intl.formatMessage({ id: `console.studio.${key}` }, values);
}
