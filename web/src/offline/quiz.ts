/**
 * Quizzes on the device. Starting (or resuming) a sitting needs the network, so the sitting the API
 * gives is kept here; offline, the player works from that copy. Answers always go through the outbox
 * (an answer change for `POST /v1/sync`), which makes them idempotent: a send whose response is lost
 * is resent under the same id and answered `duplicate`, never graded twice. Online the one change is
 * sent at once for immediate feedback; offline it waits and is graded on reconnect.
 */
import { api, ok, type Schemas } from "@/api/client";
import { db, type AnswerRow, type ResultRow } from "./db";
import { enqueue, newId } from "./outbox";
import { sendNow } from "./sync";

type Sitting = Schemas["SittingPublic"];

export class OfflineUnavailable extends Error {}

function sittingKey(userId: number, assessmentId: number): string {
  return `${userId}:${assessmentId}`;
}

export async function keepSitting(userId: number, activityId: number, sitting: Sitting): Promise<void> {
  await db.sittings.put({
    key: sittingKey(userId, sitting.assessment_id),
    userId,
    assessmentId: sitting.assessment_id,
    activityId,
    sittingId: sitting.id,
    sitting: sitting as unknown as Record<string, unknown>,
    savedAt: Date.now(),
  });
}

export async function keptSitting(userId: number, assessmentId: number): Promise<Sitting | undefined> {
  const row = await db.sittings.get(sittingKey(userId, assessmentId));
  return row?.sitting as unknown as Sitting | undefined;
}

/** True for the errors fetch gives when no response came at all (offline, connection refused or lost). */
export function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError;
}

/**
 * Start or resume the learner's sitting and keep a copy; with no network, the copy kept earlier.
 * Throws OfflineUnavailable when offline with no copy, and the API's problem when it refuses.
 */
export async function openSitting(userId: number, activityId: number, assessmentId: number): Promise<{ sitting: Sitting; fromDevice: boolean }> {
  try {
    const sitting = ok(await api.POST("/v1/assessments/{assessment_id}/sittings", { params: { path: { assessment_id: assessmentId } } }));
    await keepSitting(userId, activityId, sitting);
    return { sitting, fromDevice: false };
  } catch (error) {
    if (!isNetworkError(error)) throw error;
    const kept = await keptSitting(userId, assessmentId);
    if (!kept) throw new OfflineUnavailable("not kept");
    return { sitting: kept, fromDevice: true };
  }
}

/**
 * Record an answer on the device and, when online, send it at once. Resolves with the change id and,
 * if the server answered in time, its outcome (result: the graded answer with `sitting_id`).
 */
export async function answer(
  userId: number,
  sittingId: number,
  itemId: number,
  body: Record<string, unknown>,
  durationMs: number,
): Promise<{ changeId: string; outcome?: ResultRow }> {
  const changeId = newId();
  // The device's record first: the sync engine may settle the change the moment it is in the outbox.
  const row: AnswerRow = { changeId, userId, sittingId, itemId, answer: body, answeredAt: Date.now(), state: "queued", result: null, problem: null };
  await db.answers.put(row);
  await enqueue({ type: "answer", sitting_id: sittingId, item_id: itemId, answer: body, duration_ms: durationMs }, userId, changeId);
  if (typeof navigator !== "undefined" && !navigator.onLine) return { changeId };
  const outcome = await sendNow(changeId);
  return { changeId, outcome };
}

/** Answers given on this device in a sitting (a live query's source). */
export function answersIn(userId: number, sittingId: number): Promise<AnswerRow[]> {
  return db.answers.where("[userId+sittingId]").equals([userId, sittingId]).toArray();
}
