import { db } from "@/offline/db";
import { setOfflineUser } from "@/offline/outbox";
import { sendStatements, XAPI_VERSION } from "./send";
import { videoStatement } from "./video";

const ctx = { userId: 7, activityId: 42, title: "Video", skillId: 3, sessionId: "s-1", lang: "en" };
const played = () => videoStatement("played", ctx, { time: 0, length: 60, segments: [] });
const realFetch = globalThis.fetch;

function online(value: boolean) {
  Object.defineProperty(navigator, "onLine", { configurable: true, get: () => value });
}

beforeEach(async () => {
  await db.delete();
  await db.open();
  setOfflineUser(7);
});

afterEach(() => {
  globalThis.fetch = realFetch;
  online(true);
});

describe("sendStatements", () => {
  it("posts to the LRS with the xAPI version header when online", async () => {
    const seen: Request[] = [];
    globalThis.fetch = (async (input: Request) => {
      seen.push(input);
      return new Response("[]", { status: 200 });
    }) as typeof fetch;
    const statement = played();
    expect(await sendStatements([statement])).toBe("sent");
    expect(seen).toHaveLength(1);
    expect(new URL(seen[0].url).pathname).toBe("/xAPI/statements");
    expect(seen[0].headers.get("X-Experience-API-Version")).toBe(XAPI_VERSION);
    expect(await seen[0].json()).toEqual([statement]);
    expect(await db.outbox.count()).toBe(0);
  });

  it("keeps statements in the outbox, under their own ids, when offline or the network fails", async () => {
    online(false);
    const first = played();
    expect(await sendStatements([first])).toBe("queued");
    online(true);
    globalThis.fetch = (async () => {
      throw new TypeError("network down");
    }) as typeof fetch;
    const second = played();
    expect(await sendStatements([second])).toBe("queued");
    const rows = await db.outbox.toArray();
    expect(rows.map((r) => r.type)).toEqual(["statement", "statement"]);
    expect(rows.map((r) => (r.change.statement as { id: string }).id).sort()).toEqual([first.id, second.id].sort());
  });

  it("drops a statement the LRS refuses, since sending it again cannot succeed", async () => {
    globalThis.fetch = (async () => new Response('{"detail":"no"}', { status: 403 })) as typeof fetch;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    expect(await sendStatements([played()])).toBe("refused");
    expect(await db.outbox.count()).toBe(0);
    warn.mockRestore();
  });
});
