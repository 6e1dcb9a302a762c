import { useIntl } from "react-intl";

/** A moment as the reader's locale writes it (date and time); nothing for a missing one. */
export function useWhen(): (value: string | Date | null | undefined) => string {
  const intl = useIntl();
  return (value) => (value ? intl.formatDate(value, { dateStyle: "medium", timeStyle: "short" }) : "");
}
