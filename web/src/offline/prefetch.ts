/**
 * "Make available offline": fetch now what an activity needs with the network off, into the caches
 * the service worker answers from (./cacheRules): the activity, its course tree, its quiz (the
 * assessment, the learner's sitting, kept on the device too, and its next item), the course's
 * recommendations, and its media within the media budget. The entries are written here as well as by
 * the service worker, so a page the worker does not control yet (its first visit) is covered too.
 */
import { api, type Schemas } from "@/api/client";
import { cacheSizes } from "./budget";
import { API_CACHE, MEDIA_BUDGET_BYTES, MEDIA_CACHE, MEDIA_PATH } from "./cacheRules";
import { db } from "./db";
import { openSitting } from "./quiz";

type Activity = Schemas["ActivityPublic"];

export interface OfflineCopy {
  activityId: number;
  /** Bytes written to the device's caches for this activity. */
  bytes: number;
  mediaSaved: number;
  /** Media left out because they would not fit the media budget. */
  mediaSkipped: number;
  at: number;
}

function copyKey(userId: number, activityId: number): string {
  return `offline:${userId}:${activityId}`;
}

export async function offlineCopy(userId: number, activityId: number): Promise<OfflineCopy | undefined> {
  return (await db.meta.get(copyKey(userId, activityId)))?.value as OfflineCopy | undefined;
}

/** The same-origin media an activity shows: `/v1/media/…` addresses in its content and metadata. */
export function mediaUrls(activity: Pick<Activity, "content" | "metadata">, origin = window.location.origin): string[] {
  const found = new Set<string>();
  const consider = (value: string) => {
    try {
      const url = new URL(value, origin);
      if (url.origin === origin && MEDIA_PATH.test(url.pathname)) found.add(url.href);
    } catch {
      /* not an address */
    }
  };
  const doc = new DOMParser().parseFromString(activity.content ?? "", "text/html");
  doc.querySelectorAll("[src], [href], [poster]").forEach((el) => {
    for (const name of ["src", "href", "poster"]) {
      const value = el.getAttribute(name);
      if (value) consider(value);
    }
  });
  const walk = (value: unknown) => {
    if (typeof value === "string") consider(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(activity.metadata);
  return [...found];
}

async function keep(cacheName: string, url: string, blob: Blob, headers: Headers): Promise<number> {
  const cache = await caches.open(cacheName);
  await cache.put(url, new Response(blob, { status: 200, headers }));
  return blob.size;
}

/** GET an API read through the typed client and keep its body in the API cache; its body, or null when it fails. */
async function keepRead(read: () => Promise<{ data?: Blob; response: Response }>): Promise<Blob | null> {
  try {
    const { data, response } = await read();
    if (!data || !response.ok) return null;
    await keep(API_CACHE, response.url, data, response.headers);
    return data;
  } catch {
    return null;
  }
}

export async function makeAvailableOffline(userId: number, activity: Activity): Promise<OfflineCopy> {
  const blob = { parseAs: "blob" as const };
  let bytes = 0;
  const kept = async (read: () => Promise<{ data?: Blob; response: Response }>) => {
    const body = await keepRead(read);
    bytes += body?.size ?? 0;
    return body;
  };
  await kept(() => api.GET("/v1/activities/{activity_id}", { params: { path: { activity_id: activity.id } }, ...blob }));
  await kept(() => api.GET("/v1/courses/{course_id}/tree", { params: { path: { course_id: activity.course_id } }, ...blob }));
  await kept(() =>
    api.GET("/v1/learners/{learner_id}/recommendations", {
      params: { path: { learner_id: userId }, query: { course: activity.course_id, k: 3 } },
      ...blob,
    }),
  );
  for (const assessmentId of activity.assessment_ids ?? []) {
    const assessment = await kept(() =>
      api.GET("/v1/assessments/{assessment_id}", { params: { path: { assessment_id: assessmentId } }, ...blob }),
    );
    const kind = assessment ? (JSON.parse(await assessment.text()) as Schemas["AssessmentPublic"]).kind : null;
    if (kind !== "formative") continue; // a test's sitting is started by the learner, never in the background
    const { sitting } = await openSitting(userId, activity.id, assessmentId);
    bytes += JSON.stringify(sitting).length;
    const path = { params: { path: { sitting_id: sitting.id } }, ...blob };
    await kept(() => api.GET("/v1/sittings/{sitting_id}", path));
    await kept(() => api.GET("/v1/sittings/{sitting_id}/next", path));
  }

  let mediaSaved = 0;
  let mediaSkipped = 0;
  const media = await caches.open(MEDIA_CACHE);
  for (const url of mediaUrls(activity)) {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) {
        mediaSkipped += 1;
        continue;
      }
      const body = await response.blob();
      const others = (await cacheSizes(media)).filter((entry) => new URL(entry.request.url).pathname !== new URL(url).pathname);
      const used = others.reduce((sum, entry) => sum + entry.bytes, 0);
      if (used + body.size > MEDIA_BUDGET_BYTES) {
        await media.delete(url, { ignoreSearch: true }); // the worker may have kept it on the way
        mediaSkipped += 1;
        continue;
      }
      bytes += await keep(MEDIA_CACHE, url, body, response.headers);
      mediaSaved += 1;
    } catch {
      mediaSkipped += 1;
    }
  }
  const copy: OfflineCopy = { activityId: activity.id, bytes, mediaSaved, mediaSkipped, at: Date.now() };
  await db.meta.put({ key: copyKey(userId, activity.id), value: copy });
  return copy;
}
