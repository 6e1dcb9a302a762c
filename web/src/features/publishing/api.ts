/** The publishing console's calls: thin wrappers over the typed client that throw the problem's detail. */
import { api, ok, type Schemas } from "@/api/client";

export type PublishingCourse = Schemas["PublishingCourse"];
export type Version = Schemas["VersionPublic"];
export type Change = Schemas["Change"];
export type Schedule = Schemas["SchedulePublic"];
export type Branch = Schemas["BranchPublic"];
export type BranchDetail = Schemas["BranchDetail"];
export type Conflict = Schemas["Conflict"];
export type ReviewRequest = Schemas["ReviewRequestPublic"];
export type ReviewRequestDetail = Schemas["ReviewRequestDetail"];
export type AuditEntry = Schemas["AuditEntry"];
export type Verdict = Schemas["ReviewCommentCreate"]["verdict"];

/** A failed call's problem+json, kept whole: a merge conflict carries its conflicts. */
export class ProblemFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly conflicts: Conflict[] = [],
  ) {
    super(message);
  }
}

function check<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    const problem = (result.error ?? {}) as { detail?: string; conflicts?: Conflict[] };
    throw new ProblemFailure(
      problem.detail ?? `${result.response.status} ${result.response.statusText}`,
      result.response.status,
      problem.conflicts ?? [],
    );
  }
  return result.data;
}

const course = (id: number) => ({ params: { path: { course_id: id } } });

export const load = {
  courses: async () => ok(await api.GET("/v1/publishing/courses", { params: { query: { limit: 200 } } })).items,
  course: async (id: number) => ok(await api.GET("/v1/courses/{course_id}", course(id))),
  versions: async (id: number) =>
    ok(await api.GET("/v1/courses/{course_id}/versions", { params: { path: { course_id: id }, query: { limit: 200 } } }))
      .items,
  diff: async (id: number, version: number, against: number) =>
    ok(
      await api.GET("/v1/courses/{course_id}/versions/{version}/diff", {
        params: { path: { course_id: id, version }, query: { against } },
      }),
    ),
  schedules: async (id: number) => ok(await api.GET("/v1/courses/{course_id}/schedules", course(id))),
  history: async (id: number) =>
    ok(
      await api.GET("/v1/courses/{course_id}/publishing-history", {
        params: { path: { course_id: id }, query: { limit: 100 } },
      }),
    ).items,
  requests: async (id: number) => ok(await api.GET("/v1/courses/{course_id}/review-requests", course(id))),
  request: async (id: number, requestId: number) =>
    ok(
      await api.GET("/v1/courses/{course_id}/review-requests/{request_id}", {
        params: { path: { course_id: id, request_id: requestId } },
      }),
    ),
  branches: async (id: number) => ok(await api.GET("/v1/courses/{course_id}/branches", course(id))),
  branch: async (id: number, branchId: number) =>
    ok(
      await api.GET("/v1/courses/{course_id}/branches/{branch_id}", {
        params: { path: { course_id: id, branch_id: branchId } },
      }),
    ),
};

export const act = {
  openRequest: async (id: number, title: string, description: string, branchId: number | null) =>
    check(
      await api.POST("/v1/courses/{course_id}/review-requests", {
        ...course(id),
        body: { title, description, branch_id: branchId },
      }),
    ),
  comment: async (id: number, requestId: number, verdict: Verdict, body: string) =>
    check(
      await api.POST("/v1/courses/{course_id}/review-requests/{request_id}/comments", {
        params: { path: { course_id: id, request_id: requestId } },
        body: { verdict, body },
      }),
    ),
  publish: async (id: number, requestId: number, publishAt: string | null) =>
    check(
      await api.POST("/v1/courses/{course_id}/review-requests/{request_id}/publish", {
        params: { path: { course_id: id, request_id: requestId } },
        body: { publish_at: publishAt },
      }),
    ),
  cancelSchedule: async (scheduleId: number) => {
    const result = await api.DELETE("/v1/schedules/{schedule_id}", { params: { path: { schedule_id: scheduleId } } });
    if (!result.response.ok) check({ ...result, data: undefined });
  },
  rollback: async (id: number, version: number) =>
    check(
      await api.POST("/v1/courses/{course_id}/versions/{version}/rollback", {
        params: { path: { course_id: id, version } },
      }),
    ),
  branch: async (id: number) => check(await api.POST("/v1/courses/{course_id}/branches", { ...course(id), body: {} })),
  merge: async (id: number, branchId: number) =>
    check(
      await api.POST("/v1/courses/{course_id}/branches/{branch_id}/merge", {
        params: { path: { course_id: id, branch_id: branchId } },
      }),
    ),
  abandon: async (id: number, branchId: number) => {
    const result = await api.DELETE("/v1/courses/{course_id}/branches/{branch_id}", {
      params: { path: { course_id: id, branch_id: branchId } },
    });
    if (!result.response.ok) check({ ...result, data: undefined });
  },
};
