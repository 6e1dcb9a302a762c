/**
 * A byte budget for a runtime cache. Workbox's ExpirationPlugin limits entries and age, not bytes, and
 * a media cache is best bounded by size (one video outweighs hundreds of images), so this plugin
 * evicts the oldest-stored entries after each write until the cache fits. Cache.keys() lists entries
 * in the order they were stored (a re-stored entry moves to the end).
 */
import type { WorkboxPlugin } from "workbox-core/types";

/** An entry's size: its Content-Length when given, else the body's length. */
export async function entrySize(response: Response): Promise<number> {
  const length = Number(response.headers.get("Content-Length"));
  if (Number.isFinite(length) && length > 0) return length;
  return (await response.blob()).size;
}

/** The bytes a cache holds, oldest entry first. */
export async function cacheSizes(cache: Cache): Promise<{ request: Request; bytes: number }[]> {
  const keys = await cache.keys();
  return Promise.all(
    keys.map(async (request) => {
      const response = await cache.match(request);
      return { request, bytes: response ? await entrySize(response) : 0 };
    }),
  );
}

/** Evict the oldest entries until the cache holds at most `budget` bytes; resolves with what it then holds. */
export async function enforceBudget(cache: Cache, budget: number): Promise<number> {
  const entries = await cacheSizes(cache);
  let total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
  for (const entry of entries) {
    if (total <= budget) break;
    await cache.delete(entry.request);
    total -= entry.bytes;
  }
  return total;
}

export class ByteBudgetPlugin implements WorkboxPlugin {
  constructor(private readonly budget: number) {}

  cacheDidUpdate: WorkboxPlugin["cacheDidUpdate"] = async ({ cacheName }) => {
    await enforceBudget(await caches.open(cacheName), this.budget);
  };
}
