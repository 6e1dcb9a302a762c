/**
 * What the service worker caches at run time, shared with the page (which pre-fetches into the same
 * caches and clears them on log-out).
 *
 * - API reads a lesson needs offline (the activity, the course tree, the quiz's assessment, sitting and
 *   next item, the recommendations): network first, the cached copy when the network fails.
 * - Media (`/v1/media/*`): cache first, matched without the query (media URLs carry an expiring
 *   signature), 30 days, and at most MEDIA_BUDGET_BYTES in all: past it the oldest entries go first.
 */
export const API_CACHE = "pathwise-api-v1";
export const MEDIA_CACHE = "pathwise-media-v1";
/** Every runtime cache holding a learner's data: what log-out deletes on a shared device. */
export const USER_CACHES = [API_CACHE, MEDIA_CACHE];

/** The media size budget: 50 MB (about ten minutes of lesson video at 720p), the oldest evicted first. */
export const MEDIA_BUDGET_BYTES = 50 * 1024 * 1024;
export const MEDIA_MAX_AGE_S = 30 * 24 * 3600;
export const API_MAX_ENTRIES = 400;

/** The API reads kept for offline use, network first (pathnames). */
export const API_OFFLINE_READS: RegExp[] = [
  /^\/v1\/activities\/\d+$/,
  /^\/v1\/courses\/\d+\/tree$/,
  /^\/v1\/assessments\/\d+$/,
  /^\/v1\/sittings\/\d+(\/next)?$/,
  /^\/v1\/learners\/\d+\/recommendations$/,
];

export const MEDIA_PATH = /^\/v1\/media\//;

export function isOfflineRead(pathname: string): boolean {
  return API_OFFLINE_READS.some((rule) => rule.test(pathname));
}
