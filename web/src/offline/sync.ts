/**
 * The sync engine: sends the outbox through `POST /v1/sync` and pulls what changed with
 * `GET /v1/sync?since=<cursor>`, the cursor kept in IndexedDB.
 *
 * The rules that keep work safe:
 * - a change leaves the outbox only with a definite outcome for its id (applied, duplicate, conflict,
 *   rejected); a network error, a 5xx, a lost response or an outcome list without its id keeps it;
 * - a resend uses the same change ids, so a batch replayed after a dropped response is answered
 *   `duplicate` (with the stored result) and changes nothing on the server;
 * - conflicts and rejections are kept for the learner to see (./status) rather than dropped silently.
 *
 * It runs at start, on the browser's `online` event, when a change is enqueued, and after a failure
 * again with exponential backoff (2 s doubling to 5 min, with jitter). Across tabs one sync runs at a
 * time (Web Locks where the browser has them); two at once would still be harmless.
 */
import { api } from "@/api/client";
import type { Schemas } from "@/api/client";
import { db, type AnswerRow, type OutboxRow, type PulledRow, type ResultRow } from "./db";
import { newId, onSyncRequested, pendingChanges } from "./outbox";
import { lastSyncedKey, setSyncActivity } from "./status";

type Client = Pick<typeof api, "GET" | "POST">;
type Pushed = Schemas["SyncPushed"];
type Pulled = Schemas["SyncPull"];
type ChangeOutcome = Schemas["ChangeOutcome"];

/** Below the server's `sync_max_changes` (100), so one batch is never refused for its length. */
export const BATCH_SIZE = 50;
const LOCK = "pathwise-sync";

export class SyncError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export function cursorKey(userId: number): string {
  return `cursor:${userId}`;
}

function problemDetail(error: unknown, response: Response): string {
  if (error && typeof error === "object" && "detail" in error && typeof error.detail === "string") return error.detail;
  return `${response.status} ${response.statusText}`;
}

/** Record the server's outcomes: settled changes leave the outbox, in one transaction with their results. */
export async function settle(userId: number, sent: OutboxRow[], outcomes: ChangeOutcome[]): Promise<ResultRow[]> {
  const byId = new Map(outcomes.filter((o) => o.id).map((o) => [o.id as string, o]));
  const settled: ResultRow[] = [];
  await db.transaction("rw", db.outbox, db.results, db.answers, async () => {
    for (const row of sent) {
      const outcome = byId.get(row.id);
      if (!outcome) continue; // no definite answer for this change: it stays and goes again
      const problem = (outcome.problem ?? null) as ResultRow["problem"];
      const result: ResultRow = {
        id: row.id,
        userId,
        type: row.type,
        outcome: outcome.outcome,
        result: (outcome.result ?? null) as ResultRow["result"],
        problem,
        at: Date.now(),
        attention: outcome.outcome === "conflict" || outcome.outcome === "rejected" ? 1 : 0,
      };
      await db.results.put(result);
      await db.outbox.delete(row.id);
      if (row.type === "answer") {
        const change: Partial<AnswerRow> =
          outcome.outcome === "rejected"
            ? { state: "rejected", problem: problem?.detail ?? problem?.title ?? null }
            : { state: "graded", result: result.result };
        await db.answers.update(row.id, change);
      }
      settled.push(result);
    }
  });
  return settled;
}

/**
 * Send these outbox rows in batches; resolves with the outcomes that came back. Throws SyncError when
 * a batch got no definite answer (the rows of that batch and the later ones stay in the outbox).
 */
export async function push(client: Client, userId: number, rows: OutboxRow[], batchSize = BATCH_SIZE): Promise<ResultRow[]> {
  const settled: ResultRow[] = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    const chunk = rows.slice(start, start + batchSize);
    const sent = client.POST("/v1/sync", { body: { batch_id: newId(), changes: chunk.map((row) => row.change) } });
    const answer = await sent.catch(async (error: unknown) => {
      await bumpTries(chunk);
      throw new SyncError(error instanceof Error ? error.message : String(error), null);
    });
    const { data, error, response } = answer;
    if (!data) {
      if (response.status === 413 && chunk.length > 1) {
        // Too many bytes for one request: the same changes in smaller batches.
        settled.push(...(await push(client, userId, chunk, Math.ceil(chunk.length / 2))));
        continue;
      }
      if (response.status === 413) {
        // One change alone is over the server's body limit: it never will be taken; say so rather than retry forever.
        const problem = { id: chunk[0].id, type: chunk[0].type, outcome: "rejected" as const, problem: error as Record<string, unknown> };
        settled.push(...(await settle(userId, chunk, [problem])));
        continue;
      }
      await bumpTries(chunk);
      throw new SyncError(problemDetail(error, response), response.status);
    }
    settled.push(...(await settle(userId, chunk, (data as Pushed).outcomes)));
  }
  return settled;
}

async function bumpTries(rows: OutboxRow[]): Promise<void> {
  await db.outbox.bulkUpdate(rows.map((row) => ({ key: row.id, changes: { tries: row.tries + 1 } })));
}

/** Store a pull's records as the device's copy: replaced by id, or all of them on a full pull. */
async function keepPulled(userId: number, pulled: Pulled): Promise<void> {
  const rows: PulledRow[] = [
    { key: `${userId}:preferences:me`, userId, kind: "preferences", value: pulled.preferences as Record<string, unknown> },
    ...pulled.progress.map((p) => ({ key: `${userId}:progress:${p.activity_id}`, userId, kind: "progress" as const, value: p })),
    ...pulled.attempts.map((a) => ({ key: `${userId}:attempt:${a.id}`, userId, kind: "attempt" as const, value: a })),
    ...pulled.submissions.map((s) => ({ key: `${userId}:submission:${s.id}`, userId, kind: "submission" as const, value: s })),
    ...pulled.enrollments.map((e) => ({ key: `${userId}:enrollment:${e.course_id}`, userId, kind: "enrollment" as const, value: e })),
  ] as PulledRow[];
  await db.transaction("rw", db.pulled, db.meta, async () => {
    if (pulled.full) await db.pulled.where("userId").equals(userId).delete();
    else await db.pulled.where("[userId+kind]").equals([userId, "enrollment"]).delete(); // always the whole list
    await db.pulled.bulkPut(rows);
    await db.meta.put({ key: cursorKey(userId), value: pulled.cursor });
  });
}

/** Pull what changed since the stored cursor; a cursor the server no longer takes starts a full pull. */
export async function pull(client: Client, userId: number): Promise<Pulled> {
  const since = (await db.meta.get(cursorKey(userId)))?.value;
  const query = typeof since === "string" ? { since } : {};
  let answer = await client.GET("/v1/sync", { params: { query } });
  if (!answer.data && answer.response.status === 422 && "since" in query) {
    await db.meta.delete(cursorKey(userId));
    answer = await client.GET("/v1/sync", { params: { query: {} } });
  }
  if (!answer.data) throw new SyncError(problemDetail(answer.error, answer.response), answer.response.status);
  await keepPulled(userId, answer.data);
  return answer.data;
}

/** One full round: send everything waiting, then pull. Throws SyncError if either got no answer. */
export async function syncOnce(client: Client, userId: number): Promise<{ settled: ResultRow[]; pulled: Pulled }> {
  const settled = await push(client, userId, await pendingChanges(userId));
  const pulled = await pull(client, userId);
  await db.meta.put({ key: lastSyncedKey(userId), value: Date.now() });
  return { settled, pulled };
}

/** Run `task` holding the cross-tab sync lock where the browser has Web Locks. */
function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  return locks ? (locks.request(LOCK, task) as Promise<T>) : task();
}

/**
 * Send one change now and give its outcome: what a quiz needs for immediate feedback. The change is in
 * the outbox first, so if this send fails it is simply sent later; undefined means "not yet".
 */
export async function sendNow(changeId: string, client: Client = api): Promise<ResultRow | undefined> {
  const row = await db.outbox.get(changeId);
  if (!row) return db.results.get(changeId); // a background sync got there first
  try {
    const settled = await push(client, row.userId, [row]);
    return settled.find((result) => result.id === changeId);
  } catch (error) {
    if (error instanceof SyncError) {
      engine?.failed(error);
      return undefined;
    }
    throw error;
  }
}

export const MIN_BACKOFF_MS = 2_000;
export const MAX_BACKOFF_MS = 5 * 60_000;

/** The delay before retry number `failures` (1, 2, …): doubling from 2 s, at most 5 min, ±20 % jitter. */
export function backoff(failures: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

interface Engine {
  failed: (error: SyncError) => void;
}
let engine: Engine | null = null;

/** Start syncing for a signed-in learner; returns the function that stops it (log-out). */
export function startSync(userId: number, client: Client = api): () => void {
  let stopped = false;
  let running = false;
  let again = false;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const schedule = (delay: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(() => void run(), delay);
  };

  const failed = (error: SyncError) => {
    failures += 1;
    setSyncActivity({ syncing: false, lastError: error.message });
    if (error.status === 401 || error.status === 403) return; // signed out: the next sign-in starts over
    schedule(backoff(failures));
  };

  const run = async () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    setSyncActivity({ syncing: true });
    try {
      await exclusive(() => syncOnce(client, userId));
      failures = 0;
      setSyncActivity({ syncing: false, lastError: null });
    } catch (error) {
      if (error instanceof SyncError) failed(error);
      else {
        setSyncActivity({ syncing: false, lastError: error instanceof Error ? error.message : String(error) });
        schedule(backoff(++failures));
      }
    } finally {
      running = false;
      if (again && !stopped) {
        again = false;
        schedule(0);
      }
    }
  };

  const soon = () => schedule(250); // coalesce a burst of enqueued changes into one batch
  const online = () => {
    failures = 0;
    schedule(0);
  };
  const unsubscribe = onSyncRequested(soon);
  window.addEventListener("online", online);
  engine = { failed };
  schedule(0);

  return () => {
    stopped = true;
    clearTimeout(timer);
    unsubscribe();
    window.removeEventListener("online", online);
    engine = null;
    setSyncActivity({ syncing: false, lastError: null });
  };
}
