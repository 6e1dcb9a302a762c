import { enforceBudget } from "./budget";

/** An in-memory Cache with the insertion order the Cache API keeps. */
class MemoryCache {
  entries = new Map<string, Response>();
  async keys() {
    return [...this.entries.keys()].map((url) => new Request(url));
  }
  async match(request: Request) {
    return this.entries.get(request.url)?.clone();
  }
  async delete(request: Request) {
    return this.entries.delete(request.url);
  }
  put(url: string, bytes: number, withLength = true) {
    const headers = withLength ? { "Content-Length": String(bytes) } : undefined;
    this.entries.delete(url);
    this.entries.set(url, new Response(new Uint8Array(bytes), { headers }));
  }
}

describe("the media byte budget", () => {
  it("evicts the oldest entries until the cache fits, and keeps the rest", async () => {
    const cache = new MemoryCache();
    cache.put("http://x/v1/media/a", 40);
    cache.put("http://x/v1/media/b", 30, false); // no Content-Length: the body is measured
    cache.put("http://x/v1/media/c", 50);
    expect(await enforceBudget(cache as unknown as Cache, 100)).toBe(80);
    expect([...cache.entries.keys()]).toEqual(["http://x/v1/media/b", "http://x/v1/media/c"]);
  });

  it("leaves a cache under budget alone, and drops a file larger than the whole budget", async () => {
    const cache = new MemoryCache();
    cache.put("http://x/v1/media/a", 10);
    expect(await enforceBudget(cache as unknown as Cache, 100)).toBe(10);
    cache.put("http://x/v1/media/huge", 500);
    expect(await enforceBudget(cache as unknown as Cache, 100)).toBe(0);
    expect(cache.entries.size).toBe(0);
  });
});
