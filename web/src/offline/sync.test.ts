import createClient from "openapi-fetch";
import type { paths } from "@/api/schema";
import { db } from "./db";
import { enqueue, pendingChanges } from "./outbox";
import { backoff, cursorKey, pull, push, sendNow, syncOnce, MAX_BACKOFF_MS } from "./sync";

type Change = { id: string; type: string; [key: string]: unknown };

/**
 * A stand-in for the server's sync API, behind a fake fetch: it applies each change id once (a
 * replay answers duplicate with the stored result), and can be told to reject or conflict on some
 * changes, to fail, or to apply a batch and then drop the response.
 */
class FakeServer {
  applied = new Map<string, Record<string, unknown>>();
  applications: string[] = [];
  verdict: (change: Change) => "applied" | "conflict" | "rejected" = () => "applied";
  dropNextResponse = false;
  downFor = 0;
  pulls: (string | null)[] = [];
  cursorAccepted = true;
  batches = 0;

  fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (this.downFor > 0) {
      this.downFor -= 1;
      throw new TypeError("Failed to fetch");
    }
    if (url.pathname === "/v1/sync" && request.method === "POST") {
      this.batches += 1;
      const body = (await request.json()) as { batch_id: string; changes: Change[] };
      const outcomes = body.changes.map((change) => this.apply(change));
      if (this.dropNextResponse) {
        this.dropNextResponse = false;
        throw new TypeError("network connection lost"); // the server applied it; the device never heard
      }
      return json({ batch_id: body.batch_id, outcomes, cursor: "c-push" });
    }
    if (url.pathname === "/v1/sync" && request.method === "GET") {
      const since = url.searchParams.get("since");
      this.pulls.push(since);
      if (since && !this.cursorAccepted) return json({ status: 422, detail: "The cursor is not one this server issued." }, 422);
      return json({
        cursor: `c${this.pulls.length}`,
        full: since === null,
        preferences: { goals: [] },
        progress: [],
        attempts: [{ id: 9, item_id: 3, activity_id: 1, sitting_id: 4, correct: true, score: 1, duration_ms: null, submitted_at: "2026-01-01T00:00:00Z" }],
        submissions: [],
        enrollments: [{ course_id: 1, title: "Maths", status: "active", enrolled_at: "2026-01-01T00:00:00Z" }],
      });
    }
    return json({ detail: "not found" }, 404);
  };

  private apply(change: Change) {
    const stored = this.applied.get(change.id);
    if (stored) return { id: change.id, type: change.type, outcome: "duplicate", result: stored };
    const verdict = this.verdict(change);
    if (verdict === "rejected") {
      return { id: change.id, type: change.type, outcome: "rejected", problem: { status: 422, detail: "The change is not valid: answer.choice: Field required." } };
    }
    const result = { change: change.id, score: 1 };
    this.applied.set(change.id, result);
    this.applications.push(change.id);
    return { id: change.id, type: change.type, outcome: verdict, result };
  }
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

let server: FakeServer;
let client: ReturnType<typeof createClient<paths>>;
const USER = 5;

beforeEach(async () => {
  await db.delete();
  await db.open();
  server = new FakeServer();
  client = createClient<paths>({ baseUrl: "http://pathwise.test", fetch: server.fetch });
});

const answer = (item_id: number) => enqueue({ type: "answer", sitting_id: 4, item_id, answer: { choice: "b" } }, USER);

describe("push", () => {
  it("sends the outbox and removes each change only with its definite outcome", async () => {
    const ids = [await answer(1), await answer(2)];
    const settled = await push(client, USER, await pendingChanges(USER));
    expect(settled.map((r) => [r.id, r.outcome])).toEqual(ids.map((id) => [id, "applied"]));
    expect(await db.outbox.count()).toBe(0);
    expect((await db.results.get(ids[0]))?.result).toEqual({ change: ids[0], score: 1 });
  });

  it("replays a batch whose response was dropped without applying anything twice, and loses nothing", async () => {
    const ids = [await answer(1), await answer(2), await answer(3)];
    server.dropNextResponse = true;
    await expect(push(client, USER, await pendingChanges(USER))).rejects.toThrow(/connection lost/);
    // The server applied all three, but the device did not hear: all three are still waiting.
    expect(server.applications).toEqual(ids);
    expect((await pendingChanges(USER)).map((r) => [r.id, r.tries])).toEqual(ids.map((id) => [id, 1]));

    const settled = await push(client, USER, await pendingChanges(USER));
    expect(settled.map((r) => r.outcome)).toEqual(["duplicate", "duplicate", "duplicate"]);
    expect(server.applications).toEqual(ids); // nothing applied a second time
    expect(await db.outbox.count()).toBe(0);
    expect((await db.results.get(ids[1]))?.result).toEqual({ change: ids[1], score: 1 }); // the stored result came back
  });

  it("keeps everything when the network is down, and sends it once it is back", async () => {
    const id = await answer(1);
    server.downFor = 1;
    await expect(push(client, USER, await pendingChanges(USER))).rejects.toThrow(/Failed to fetch/);
    expect(server.applications).toEqual([]);
    expect(await db.outbox.get(id)).toBeDefined();
    await push(client, USER, await pendingChanges(USER));
    expect(server.applications).toEqual([id]);
    expect(await db.outbox.count()).toBe(0);
  });

  it("settles a partly rejected batch change by change: the good ones applied, the bad one shown with its problem", async () => {
    const good = await answer(1);
    const bad = await enqueue({ type: "answer", sitting_id: 4, item_id: 2, answer: {} }, USER);
    const alsoGood = await enqueue({ type: "progress", activity_id: 1, position: 0.5 }, USER);
    await db.answers.add({ changeId: bad, userId: USER, sittingId: 4, itemId: 2, answer: {}, answeredAt: 0, state: "queued", result: null, problem: null });
    server.verdict = (change) => (change.id === bad ? "rejected" : "applied");

    await push(client, USER, await pendingChanges(USER));
    expect(server.applications).toEqual([good, alsoGood]);
    expect(await db.outbox.count()).toBe(0);
    const rejected = await db.results.get(bad);
    expect(rejected).toMatchObject({ outcome: "rejected", attention: 1 });
    expect(rejected?.problem?.detail).toMatch(/Field required/);
    expect(await db.answers.get(bad)).toMatchObject({ state: "rejected", problem: expect.stringMatching(/Field required/) });
    expect((await db.results.get(good))?.attention).toBe(0);
  });

  it("keeps a conflict for the learner to see (sent for instructor review), not silently dropped", async () => {
    const id = await enqueue({ type: "submission", assignment_id: 3, text: "my essay", base_version: 0 }, USER);
    server.verdict = () => "conflict";
    await push(client, USER, await pendingChanges(USER));
    expect(await db.outbox.count()).toBe(0);
    expect(await db.results.where("[userId+attention]").equals([USER, 1]).toArray()).toEqual([
      expect.objectContaining({ id, type: "submission", outcome: "conflict" }),
    ]);
  });

  it("keeps a change the server's answer does not mention", async () => {
    const id = await answer(1);
    const silent = createClient<paths>({
      baseUrl: "http://pathwise.test",
      fetch: async () => json({ batch_id: "x", outcomes: [], cursor: "c" }),
    });
    await push(silent, USER, await pendingChanges(USER));
    expect(await db.outbox.get(id)).toBeDefined();
  });

  it("keeps everything on a server error, and sends in batches the server accepts", async () => {
    for (let i = 0; i < 7; i += 1) await answer(i + 1);
    const failing = createClient<paths>({ baseUrl: "http://pathwise.test", fetch: async () => json({ detail: "Down for maintenance." }, 503) });
    await expect(push(failing, USER, await pendingChanges(USER))).rejects.toThrow(/maintenance/);
    expect(await db.outbox.count()).toBe(7);
    await push(client, USER, await pendingChanges(USER), 3);
    expect(server.batches).toBe(3);
    expect(await db.outbox.count()).toBe(0);
  });

  it("only sends the signed-in learner's changes", async () => {
    await enqueue({ type: "progress", activity_id: 1, position: 1 }, 99);
    const mine = await answer(1);
    await syncOnce(client, USER);
    expect(server.applications).toEqual([mine]);
    expect(await db.outbox.where("userId").equals(99).count()).toBe(1);
  });
});

describe("sendNow", () => {
  it("gives one change's outcome at once, and leaves it queued when the network is down", async () => {
    const id = await answer(1);
    server.downFor = 1;
    expect(await sendNow(id, client)).toBeUndefined();
    expect(await db.outbox.get(id)).toBeDefined();
    expect(await sendNow(id, client)).toMatchObject({ id, outcome: "applied" });
    expect(await sendNow(id, client)).toMatchObject({ id, outcome: "applied" }); // already settled: the stored outcome
    expect(server.applications).toEqual([id]);
  });
});

describe("pull", () => {
  it("keeps the cursor on the device and pulls from it next time", async () => {
    await pull(client, USER);
    expect((await db.meta.get(cursorKey(USER)))?.value).toBe("c1");
    await pull(client, USER);
    expect(server.pulls).toEqual([null, "c1"]);
    expect(await db.pulled.where("[userId+kind]").equals([USER, "attempt"]).count()).toBe(1);
  });

  it("starts over with a full pull when the server no longer takes the cursor", async () => {
    await db.meta.put({ key: cursorKey(USER), value: "stale" });
    server.cursorAccepted = false;
    const pulled = await pull(client, USER);
    expect(server.pulls).toEqual(["stale", null]);
    expect(pulled.full).toBe(true);
  });
});

describe("backoff", () => {
  it("doubles from two seconds up to five minutes, with jitter", () => {
    expect(backoff(1, () => 0.5)).toBe(2000);
    expect(backoff(3, () => 0.5)).toBe(8000);
    expect(backoff(30, () => 0.5)).toBe(MAX_BACKOFF_MS);
    expect(backoff(1, () => 0)).toBe(1600);
  });
});
