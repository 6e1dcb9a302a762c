/**
 * The outbox: every change the learner makes that must reach the server (answers, xAPI statements,
 * preferences, progress pointers, submissions) is written here first, with an id made on the device.
 * The sync engine (./sync) sends it through `POST /v1/sync` and removes it only on a definite answer,
 * so a closed tab, a dropped connection or a lost response loses nothing, and a resend under the same
 * id is answered `duplicate` instead of being applied twice.
 */
import { db, type ChangeInput } from "./db";
import { offlineUser, requestSync } from "./user";

export { offlineUser, onSyncRequested, requestSync, setOfflineUser } from "./user";

/** A random (v4) UUID: `crypto.randomUUID` where the page is a secure context, else built from getRandomValues. */
export function newId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The change as `POST /v1/sync` takes it: the id, the type, the body, and the device's clock where a type needs it. */
export function toChange(id: string, input: ChangeInput, now = new Date()): Record<string, unknown> {
  const change: Record<string, unknown> = { ...input, id };
  const stamp = now.toISOString();
  if ((input.type === "preferences" || input.type === "progress") && !input.client_updated_at) {
    change.client_updated_at = stamp; // last writer wins by the device's clock
  }
  if (input.type === "answer" && !input.answered_at) change.answered_at = stamp;
  if (input.type === "statement" && !input.statement.id) change.statement = { ...input.statement, id: newId() };
  return change;
}

let lastStamp = 0;

/**
 * A strictly increasing stamp for this page: two changes kept within one millisecond still leave in
 * the order they were made (answers to one item count their tries in that order).
 */
function nextStamp(): number {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return lastStamp;
}

/**
 * Keep a change for the server and ask for a sync; resolves with the change id once it is on the device.
 * Works the same online and offline: online it is usually sent within a moment. `id` lets a caller
 * write its own record of the change (under the same id) before the change can be sent.
 */
export async function enqueue(input: ChangeInput, userId: number | null = offlineUser(), id: string = newId()): Promise<string> {
  if (userId === null) throw new Error("Nobody is signed in on this device, so the change cannot be kept.");
  await db.outbox.add({ id, userId, type: input.type, change: toChange(id, input), createdAt: nextStamp(), tries: 0 });
  requestSync();
  return id;
}

/** The signed-in user's changes still waiting for the server, oldest first. */
export function pendingChanges(userId: number) {
  return db.outbox.where("[userId+createdAt]").between([userId, -Infinity], [userId, Infinity]).toArray();
}
