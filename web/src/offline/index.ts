/**
 * Offline-first, for the rest of the app. Players record what the learner did with `enqueue(change)`
 * (it is kept on the device and sent through `POST /v1/sync` when the network allows) and show the
 * state with `useSyncStatus()`; a player that needs the server's answer for its change looks it up
 * with `resultOf(changeId)`.
 *
 *   const id = await enqueue({ type: "statement", statement });          // xAPI, id added if missing
 *   await enqueue({ type: "progress", activity_id, position: 0.5 });      // last writer wins
 *   await enqueue({ type: "submission", assignment_id, text, base_version });
 */
export { enqueue, newId, requestSync } from "./outbox";
export { dismissNotice, useSyncStatus, type SyncStatus } from "./status";
export type { ChangeInput, ChangeType, Outcome, ResultRow } from "./db";
import { db, type ResultRow } from "./db";

/** The server's answer for a change sent earlier, once it has come (undefined while it waits). */
export function resultOf(changeId: string): Promise<ResultRow | undefined> {
  return db.results.get(changeId);
}
