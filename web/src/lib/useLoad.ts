import { useCallback, useEffect, useState } from "react";

export type Load<T> =
  | { status: "loading" }
  | { status: "ok"; data: T }
  | { status: "error"; error: string; code?: number };

/**
 * Load one thing for a section and follow it through loading, success and failure, so a failing call
 * shows its own problem in its own section and the rest of the page carries on. A result that arrives
 * after its inputs changed is dropped. `load` is called again when a dependency changes or on `reload`.
 */
export function useLoad<T>(load: (() => Promise<T>) | null, deps: unknown[]): [Load<T>, () => void] {
  const [state, setState] = useState<Load<T>>({ status: "loading" });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (!load) return;
    let live = true;
    setState({ status: "loading" });
    load().then(
      (data) => live && setState({ status: "ok", data }),
      (error: unknown) =>
        live &&
        setState({
          status: "error",
          error: error instanceof Error ? error.message : String(error),
          code: (error as { status?: number })?.status,
        }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return [state, reload];
}
