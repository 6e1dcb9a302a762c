import { liveQuery } from "dexie";
import { useEffect, useState } from "react";

/**
 * A Dexie live query as React state: re-runs when the tables it read change, in this tab or another.
 * (dexie-react-hooks does the same; these few lines spare a dependency.)
 */
export function useLive<T>(query: () => Promise<T>, deps: unknown[], initial: T): T {
  const [value, setValue] = useState<T>(initial);
  useEffect(() => {
    const subscription = liveQuery(query).subscribe({ next: setValue, error: () => undefined });
    return () => subscription.unsubscribe();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller names what the query depends on
  }, deps);
  return value;
}
