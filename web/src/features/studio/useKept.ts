import { useRef } from "react";
import { useLoad, type Load } from "@/lib/useLoad";

/**
 * useLoad that keeps showing the last data while it loads again, so a page that reloads after each
 * edit keeps its focus, its scroll and its messages instead of flashing "Loading".
 */
export function useKept<T>(load: () => Promise<T>, deps: unknown[]): [Load<T>, () => void] {
  const [state, reload] = useLoad<T>(load, deps);
  const last = useRef<{ deps: string; data: T } | null>(null);
  const key = JSON.stringify(deps);
  if (state.status === "ok") last.current = { deps: key, data: state.data };
  if (state.status === "loading" && last.current?.deps === key) return [{ status: "ok", data: last.current.data }, reload];
  return [state, reload];
}
