/**
 * The staff consoles and who may open each: one table that the navigation, the staff home and the
 * routes all read, so a link is shown only where the API would let the person act. The permission is
 * the API's own scope name (see /v1/auth/me); the server checks again on every call.
 */
export interface ConsoleArea {
  /** Route prefix, also the message-key stem (`console.<key>.*`). */
  key: "studio" | "publishing" | "rules" | "review" | "admin" | "ml";
  path: string;
  /** Any one of these opens the area. */
  anyOf: string[];
}

export const AREAS: ConsoleArea[] = [
  { key: "studio", path: "/studio", anyOf: ["course.structure:write"] },
  { key: "publishing", path: "/publishing", anyOf: ["content:publish"] },
  { key: "rules", path: "/rules", anyOf: ["rules:read"] },
  { key: "review", path: "/review", anyOf: ["grades:write"] },
  { key: "admin", path: "/admin", anyOf: ["users:write", "org:write"] },
  { key: "ml", path: "/ml", anyOf: ["models:read"] },
];

export function areasFor(can: (permission: string) => boolean): ConsoleArea[] {
  return AREAS.filter((area) => area.anyOf.some(can));
}

/** A learner submits their own attempts and opens no console: only they get the learner home and offline sync. */
export function isLearner(can: (permission: string) => boolean): boolean {
  return areasFor(can).length === 0 && can("attempts:write");
}
