/**
 * The device's store (IndexedDB through Dexie): the outbox of changes made on this device that the
 * server has not yet answered, what the server answered for them, and the local copy of what the
 * learner needs offline (open quiz sittings, the last pull's answers and progress).
 *
 * Every row carries the signed-in user's id: a shared device keeps one learner's unsent work apart
 * from the next learner's, and sends it only when that learner signs in again.
 */
import Dexie, { type EntityTable } from "dexie";

/** The change bodies `POST /v1/sync` takes (platform_api/api/routes/sync.py), without the id and type. */
export interface AnswerBody {
  sitting_id?: number;
  assessment_id?: number;
  item_id: number;
  answer: Record<string, unknown>;
  duration_ms?: number;
  answered_at?: string;
}
export interface StatementBody {
  /** An xAPI statement about the learner; its own `id` must be set (enqueue sets one if missing). */
  statement: Record<string, unknown>;
}
export interface PreferencesBody {
  preferences: Record<string, unknown>;
  client_updated_at?: string;
}
export interface ProgressBody {
  activity_id: number;
  position: number;
  status?: "started" | "completed";
  client_updated_at?: string;
}
export interface SubmissionBody {
  assignment_id: number;
  text: string;
  /** How many of the learner's submissions to the assignment the device had seen when editing began. */
  base_version: number;
}

export type ChangeInput =
  | ({ type: "answer" } & AnswerBody)
  | ({ type: "statement" } & StatementBody)
  | ({ type: "preferences" } & PreferencesBody)
  | ({ type: "progress" } & ProgressBody)
  | ({ type: "submission" } & SubmissionBody);

export type ChangeType = ChangeInput["type"];

/** A change waiting for a definite answer from the server. `id` is the change id sent with it. */
export interface OutboxRow {
  id: string;
  userId: number;
  type: ChangeType;
  /** The change as sent: `{id, type, ...body}`. */
  change: Record<string, unknown>;
  createdAt: number;
  /** Sends tried without a definite answer (network down, 5xx, response lost). */
  tries: number;
}

export type Outcome = "applied" | "duplicate" | "conflict" | "rejected";

/** What the server answered for a change; kept so players can show it (a graded answer, a conflict). */
export interface ResultRow {
  id: string;
  userId: number;
  type: ChangeType;
  outcome: Outcome;
  result: Record<string, unknown> | null;
  problem: { title?: string; detail?: string; status?: number } | null;
  at: number;
  /** 1 while a conflict or rejection waits for the learner to see and dismiss it (IndexedDB keys take no booleans). */
  attention: 0 | 1;
}

/** The local copy of an open quiz sitting (the `SittingPublic` the API gave), so it can be taken offline. */
export interface SittingRow {
  /** `${userId}:${assessmentId}` */
  key: string;
  userId: number;
  assessmentId: number;
  activityId: number;
  sittingId: number;
  sitting: Record<string, unknown>;
  savedAt: number;
}

/** One answer given in a quiz on this device, online or off, and its grading when known. */
export interface AnswerRow {
  changeId: string;
  userId: number;
  sittingId: number;
  itemId: number;
  answer: Record<string, unknown>;
  answeredAt: number;
  /** "queued": in the outbox; "graded": the server answered (see result); "rejected": see problem. */
  state: "queued" | "graded" | "rejected";
  result: Record<string, unknown> | null;
  problem: string | null;
}

/** The last pull's records (attempts, progress, preferences, enrolments), keyed `${userId}:${kind}:${id}`. */
export interface PulledRow {
  key: string;
  userId: number;
  kind: "attempt" | "progress" | "preferences" | "enrollment" | "submission";
  value: Record<string, unknown>;
}

export interface MetaRow {
  key: string;
  value: unknown;
}

export class OfflineDb extends Dexie {
  outbox!: EntityTable<OutboxRow, "id">;
  results!: EntityTable<ResultRow, "id">;
  sittings!: EntityTable<SittingRow, "key">;
  answers!: EntityTable<AnswerRow, "changeId">;
  pulled!: EntityTable<PulledRow, "key">;
  meta!: EntityTable<MetaRow, "key">;

  constructor(name = "pathwise-offline") {
    super(name);
    this.version(1).stores({
      outbox: "id, userId, [userId+createdAt]",
      results: "id, userId, [userId+attention], at",
      sittings: "key, userId, sittingId",
      answers: "changeId, userId, [userId+sittingId]",
      pulled: "key, userId, [userId+kind]",
      meta: "key",
    });
  }
}

export const db = new OfflineDb();
