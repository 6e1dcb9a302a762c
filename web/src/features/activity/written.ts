/**
 * Written work (code and essays) as the API takes it.
 *
 * In a sitting: an essay or code item is answered like any item (`POST /v1/sittings/{id}/answers`),
 * comes back `pending_review`, and is graded after the response (the sandbox runs the item's tests;
 * the essay model scores the essay). A learner reads the outcome in the sitting once it is finished
 * (`results`: status, score, one feedback line per failed test or the essay's scoring note), so the
 * players finish the sitting when nothing else is left to answer and poll it until it is graded; a
 * flagged answer stays `pending_review` until an instructor scores it.
 *
 * As an assignment: an essay is a text file submitted to `POST /v1/assignments/{id}/submissions`; the
 * submission shows its grading state (queued, grading, graded, review), its released score and the
 * essay model's report and flags.
 */
import { api, ok, type Schemas } from "@/api/client";
import type { Activity } from "./types";

export type Assignment = Schemas["AssignmentPublic"];
export type Sitting = Schemas["SittingPublic"];
export type Item = Schemas["ItemForLearner"];
export type Submission = Schemas["SubmissionPublic"];
export type ItemOutcome = Schemas["ItemOutcome"];

/**
 * Where an activity's graded work lives: its first quiz (the activity names them, `assessment_ids`) and
 * the assignment of its course that names the activity.
 */
export async function findWork(activity: Activity): Promise<{ assessmentId: number | null; assignment: Assignment | null }> {
  const assignments = ok(
    await api.GET("/v1/courses/{course_id}/assignments", { params: { path: { course_id: activity.course_id }, query: { limit: 100 } } }),
  );
  return {
    assessmentId: activity.assessment_ids?.[0] ?? null,
    assignment: assignments.items.find((a) => a.activity_id === activity.id) ?? null,
  };
}

/** Start a sitting, or resume the open one. */
export async function openSitting(assessmentId: number): Promise<Sitting> {
  return ok(await api.POST("/v1/assessments/{assessment_id}/sittings", { params: { path: { assessment_id: assessmentId } } }));
}

/** The learner's latest sitting of an assessment, finished or not (to show an earlier result). */
export async function latestSitting(userId: number, assessmentId: number): Promise<Sitting | null> {
  const page = ok(await api.GET("/v1/users/{user_id}/sittings", { params: { path: { user_id: userId }, query: { limit: 100 } } }));
  const mine = page.items.filter((s) => s.assessment_id === assessmentId);
  return mine[mine.length - 1] ?? null;
}

export async function answer(sittingId: number, itemId: number, body: Record<string, unknown>, durationMs?: number) {
  return ok(
    await api.POST("/v1/sittings/{sitting_id}/answers", {
      params: { path: { sitting_id: sittingId } },
      body: { item_id: itemId, answer: body, duration_ms: durationMs ?? null },
    }),
  );
}

export async function finish(sittingId: number): Promise<Sitting> {
  return ok(await api.POST("/v1/sittings/{sitting_id}/finish", { params: { path: { sitting_id: sittingId } } }));
}

export async function getSitting(sittingId: number): Promise<Sitting> {
  return ok(await api.GET("/v1/sittings/{sitting_id}", { params: { path: { sitting_id: sittingId } } }));
}

/** The outcome of one item in a finished sitting. */
export function outcomeOf(sitting: Sitting, itemId: number): ItemOutcome | null {
  return sitting.results?.find((r) => r.item_id === itemId) ?? null;
}

/** True while a finished sitting still waits for a grader (or an instructor) on some answer. */
export function awaitingGrade(sitting: Sitting): boolean {
  return sitting.status === "finished" && (sitting.results ?? []).some((r) => r.status === "pending_review");
}

export async function assignmentItems(assignmentId: number): Promise<Item[]> {
  return ok(await api.GET("/v1/assignments/{assignment_id}/items", { params: { path: { assignment_id: assignmentId } } }));
}

export async function mySubmissions(assignmentId: number): Promise<Submission[]> {
  return ok(await api.GET("/v1/assignments/{assignment_id}/submissions", { params: { path: { assignment_id: assignmentId }, query: { limit: 100 } } })).items;
}

export async function getSubmission(submissionId: number): Promise<Submission> {
  return ok(await api.GET("/v1/submissions/{submission_id}", { params: { path: { submission_id: submissionId } } }));
}

/** Submit an essay's text as the text file an essay assignment takes. */
export async function submitEssay(assignmentId: number, text: string): Promise<Submission> {
  const form = new FormData();
  form.append("file", new Blob([text], { type: "text/plain" }), "essay.txt");
  return ok(
    await api.POST("/v1/assignments/{assignment_id}/submissions", {
      params: { path: { assignment_id: assignmentId } },
      body: form as never,
      bodySerializer: (body: unknown) => body as FormData,
    }),
  );
}

/** A submission is settled once graded, or once it waits for an instructor (review). */
export function submissionSettled(submission: Submission): boolean {
  return submission.status === "graded" || submission.status === "review";
}

/**
 * Call `load` every `everyMs` until `done` says so or `signal` aborts; resolves with the last value.
 * Polling (not the event WebSocket) keeps the players independent of a socket being open.
 */
export async function pollUntil<T>(load: () => Promise<T>, done: (value: T) => boolean, signal: AbortSignal, everyMs = 1500, maxMs = 180_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await load();
    if (done(value) || signal.aborted || Date.now() - started > maxMs) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    if (signal.aborted) return value;
  }
}
