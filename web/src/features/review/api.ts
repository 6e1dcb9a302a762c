/**
 * The review console's calls. Everything here is an API route a grader may call with `grades:write`
 * (instructors, assistant instructors, administrators); the server checks each call again.
 */
import { api, authorizedFetch, ok, type Schemas } from "@/api/client";

export type Course = Schemas["CoursePublic"];
export type Submission = Schemas["SubmissionPublic"];
export type FlaggedAnswer = Schemas["AnswerReviewPublic"];
export type AnswerDetail = Schemas["AnswerDetailPublic"];
export type Audit = Schemas["AuditPublic"];
export type Comment = Schemas["CommentPublic"];
export type Assignment = Schemas["AssignmentPublic"];
export type Item = Schemas["ItemPublic"];
export type GradeBook = Schemas["GradeBookPublic"];
export type Regrade = Schemas["RegradePublic"];

/** A refused call: the problem's sentence, its status and, for a validation error, the fields it names. */
export class Refusal extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly fields: string[],
  ) {
    super(message);
  }
}

/** Give the data, or throw the server's problem (detail and the fields of a validation error). */
export function orRefuse<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error === undefined && result.data !== undefined) return result.data;
  const problem = (result.error ?? {}) as { detail?: unknown; errors?: { location?: string }[]; field?: unknown };
  const detail = typeof problem.detail === "string" ? problem.detail : `${result.response.status} ${result.response.statusText}`;
  const fields = (problem.errors ?? []).map((e) => String(e.location ?? ""));
  if (typeof problem.field === "string") fields.push(problem.field);
  throw new Refusal(detail, result.response.status, fields);
}

export async function courses(): Promise<Course[]> {
  return ok(await api.GET("/v1/courses", { params: { query: { limit: 200 } } })).items;
}

export async function course(courseId: number): Promise<Course> {
  return ok(await api.GET("/v1/courses/{course_id}", { params: { path: { course_id: courseId } } }));
}

export async function submissionQueue(courseId: number): Promise<Submission[]> {
  return ok(await api.GET("/v1/courses/{course_id}/review-queue", { params: { path: { course_id: courseId }, query: { limit: 200 } } })).items;
}

export async function answerQueue(courseId: number): Promise<FlaggedAnswer[]> {
  return ok(
    await api.GET("/v1/courses/{course_id}/review-queue/answers", { params: { path: { course_id: courseId }, query: { limit: 200 } } }),
  ).items;
}

export async function assignments(courseId: number): Promise<Assignment[]> {
  return ok(await api.GET("/v1/courses/{course_id}/assignments", { params: { path: { course_id: courseId }, query: { limit: 200 } } })).items;
}

export async function item(itemId: number): Promise<Item> {
  return ok(await api.GET("/v1/items/{item_id}", { params: { path: { item_id: itemId } } }));
}

export async function assessmentTitle(assessmentId: number): Promise<string> {
  return ok(await api.GET("/v1/assessments/{assessment_id}", { params: { path: { assessment_id: assessmentId } } })).title;
}

/** A learner's name; null when the caller may not read the account (the page shows the id then). */
export async function learnerName(userId: number): Promise<string | null> {
  const { data } = await api.GET("/v1/users/{user_id}", { params: { path: { user_id: userId } } });
  return data ? data.display_name : null;
}

/** Names for many learners at once, looked up in parallel; missing ones are left out. */
export async function learnerNames(userIds: number[]): Promise<Map<number, string>> {
  const unique = [...new Set(userIds)];
  const names = await Promise.all(unique.map((id) => learnerName(id).catch(() => null)));
  return new Map(unique.flatMap((id, i) => (names[i] ? [[id, names[i] as string] as const] : [])));
}

export async function submission(submissionId: number): Promise<Submission> {
  return ok(await api.GET("/v1/submissions/{submission_id}", { params: { path: { submission_id: submissionId } } }));
}

/** The submitted file as text (an essay, or the source of a code submission). */
export async function submissionText(submissionId: number): Promise<string> {
  const response = await authorizedFetch(new Request(`${window.location.origin}/v1/submissions/${submissionId}/file`));
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  return new TextDecoder("utf-8").decode(await response.arrayBuffer());
}

export async function submissionAudit(submissionId: number): Promise<Audit[]> {
  return ok(await api.GET("/v1/submissions/{submission_id}/audit", { params: { path: { submission_id: submissionId } } }));
}

export async function comments(submissionId: number): Promise<Comment[]> {
  return ok(
    await api.GET("/v1/submissions/{submission_id}/comments", { params: { path: { submission_id: submissionId }, query: { limit: 200 } } }),
  ).items;
}

export async function addComment(submissionId: number, body: string): Promise<Comment> {
  return orRefuse(await api.POST("/v1/submissions/{submission_id}/comments", { params: { path: { submission_id: submissionId } }, body: { body } }));
}

export async function adjustSubmission(submissionId: number, score: number, reason: string): Promise<Audit> {
  return orRefuse(
    await api.POST("/v1/submissions/{submission_id}/adjustments", { params: { path: { submission_id: submissionId } }, body: { score, reason } }),
  );
}

export async function answer(sittingId: number, attemptId: number): Promise<AnswerDetail> {
  return ok(
    await api.GET("/v1/sittings/{sitting_id}/answers/{attempt_id}", { params: { path: { sitting_id: sittingId, attempt_id: attemptId } } }),
  );
}

export async function answerAudit(sittingId: number, attemptId: number): Promise<Audit[]> {
  return ok(
    await api.GET("/v1/sittings/{sitting_id}/answers/{attempt_id}/audit", {
      params: { path: { sitting_id: sittingId, attempt_id: attemptId } },
    }),
  );
}

export async function adjustAnswer(sittingId: number, attemptId: number, score: number, reason: string): Promise<Audit> {
  return orRefuse(
    await api.POST("/v1/sittings/{sitting_id}/answers/{attempt_id}/adjustments", {
      params: { path: { sitting_id: sittingId, attempt_id: attemptId } },
      body: { score, reason },
    }),
  );
}

export async function regrade(itemId: number, reason: string): Promise<Regrade> {
  return orRefuse(await api.POST("/v1/items/{item_id}/regrade", { params: { path: { item_id: itemId } }, body: { reason } }));
}

export async function gradeBook(courseId: number): Promise<GradeBook> {
  return ok(await api.GET("/v1/courses/{course_id}/gradebook", { params: { path: { course_id: courseId } } }));
}

/** The grade book as the server writes it (CSV, formula cells quoted), saved as a download. */
export async function downloadGradeBookCsv(courseId: number): Promise<void> {
  const response = await authorizedFetch(new Request(`${window.location.origin}/v1/courses/${courseId}/gradebook.csv`));
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `gradebook-course-${courseId}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
