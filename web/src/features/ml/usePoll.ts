import { useEffect, useState } from "react";

/**
 * Load now and again every `ms` while mounted, keeping the last answer on screen between loads (no
 * loading flash): the live gate metrics. A failed poll keeps the last data and says why.
 */
export function usePoll<T>(load: (() => Promise<T>) | null, ms: number, deps: unknown[]): { data?: T; error?: string } {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  useEffect(() => {
    if (!load) return;
    let live = true;
    const tick = () =>
      load().then(
        (data) => live && setState({ data }),
        (error: unknown) => live && setState((s) => ({ data: s.data, error: error instanceof Error ? error.message : String(error) })),
      );
    void tick();
    const timer = window.setInterval(tick, ms);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, deps);
  return state;
}
