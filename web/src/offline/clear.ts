/**
 * Log-out on a shared device: the next person must not find this learner's lessons, answers or media.
 * The runtime caches and the device's copies (sittings, graded answers, pulled records, outcomes)
 * are deleted. Changes not yet sent stay in the outbox under the learner's id, so nothing is lost:
 * they are sent when that learner signs in again (a last send is tried first).
 */
import { USER_CACHES } from "./cacheRules";
import { db } from "./db";
import { pendingChanges } from "./outbox";
import { push } from "./sync";
import { api } from "@/api/client";

const LAST_SEND_MS = 3000;

export async function clearOfflineData(userId: number): Promise<void> {
  if (typeof caches !== "undefined") await Promise.all(USER_CACHES.map((name) => caches.delete(name)));
  const waiting = new Set((await pendingChanges(userId)).map((row) => row.id));
  await db.transaction("rw", [db.sittings, db.answers, db.pulled, db.results, db.meta], async () => {
    await db.sittings.where("userId").equals(userId).delete();
    await db.answers.where("userId").equals(userId).filter((row) => !waiting.has(row.changeId)).delete();
    await db.pulled.where("userId").equals(userId).delete();
    await db.results.where("userId").equals(userId).delete();
    await db.meta.filter((row) => row.key.startsWith(`offline:${userId}:`) || row.key === `cursor:${userId}`).delete();
  });
}

/** Before log-out: try once (briefly) to send what waits, then clear the device's copies. */
export async function beforeLogout(userId: number): Promise<void> {
  const rows = await pendingChanges(userId);
  if (rows.length > 0 && navigator.onLine) {
    await Promise.race([push(api, userId, rows).catch(() => undefined), new Promise((done) => setTimeout(done, LAST_SEND_MS))]);
  }
  await clearOfflineData(userId);
}
