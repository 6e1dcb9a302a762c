import type { ReactNode } from "react";
import { useIntl } from "react-intl";
import { Notice } from "@/design/components";
import type { Load } from "@/lib/useLoad";

/**
 * What a part of a page shows for its data (`useLoad`): a busy line while loading (`aria-busy`, which
 * the browser tests and `pathwise bench web` wait on), the problem's own sentence when the call failed
 * (after `failed`, so the reader knows which part failed), the `empty` text, or the content.
 */
export function Loaded<T>({
  state,
  failed,
  tone = "warning",
  empty,
  isEmpty,
  children,
}: {
  state: Load<T>;
  failed?: string;
  /** `danger` interrupts (role alert): for a page whose one purpose failed to load. */
  tone?: "warning" | "danger";
  empty?: string;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  const intl = useIntl();
  if (state.status === "loading") {
    return (
      <p className="muted" aria-busy="true">
        {intl.formatMessage({ id: "app.loading" })}
      </p>
    );
  }
  if (state.status === "error") {
    return (
      <Notice tone={tone}>
        {failed && <strong>{failed}</strong>} {state.error}
      </Notice>
    );
  }
  if (empty && isEmpty?.(state.data)) return <p className="muted">{empty}</p>;
  return <>{children(state.data)}</>;
}
