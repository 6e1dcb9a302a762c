/**
 * One player per activity kind. A kind's module draws the activity and reports what the learner did
 * (answers, watch progress, submissions) through the API or, offline, the sync outbox. Players are
 * loaded on demand so the learner's entry bundle carries none of them.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from "react";
import type { Activity } from "../types";

export type Player = LazyExoticComponent<ComponentType<{ activity: Activity }>>;

const page = lazy(() => import("./PagePlayer"));

export const PLAYERS: Record<string, Player> = {
  page,
  lesson: page,
  reading: page,
  video: lazy(() => import("./VideoPlayer")),
  notebook: lazy(() => import("./NotebookPlayer")),
  code: lazy(() => import("./CodePlayer")),
  essay: lazy(() => import("./EssayPlayer")),
};

/** The player for a kind; a kind without one shows its text (sanitized) as a page. */
export function playerFor(kind: string): Player {
  return PLAYERS[kind] ?? PLAYERS.page;
}
