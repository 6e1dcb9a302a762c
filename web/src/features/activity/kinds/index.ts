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
  quiz: lazy(() => import("./QuizPlayer")),
};

/**
 * The player for an activity: its kind's; else the one for the kind of item it carries (a practice
 * activity holding a code exercise or an essay, `metadata.item_kind`); else the quiz player when it has
 * questions or a quiz attached; else its text as a page.
 */
export function playerFor(activity: Pick<Activity, "kind" | "metadata" | "item_ids" | "assessment_ids">): Player {
  const itemKind = typeof activity.metadata?.item_kind === "string" ? activity.metadata.item_kind : undefined;
  const hasQuestions = activity.item_ids.length > 0 || (activity.assessment_ids ?? []).length > 0;
  return PLAYERS[activity.kind] ?? (itemKind && PLAYERS[itemKind]) ?? (hasQuestions ? PLAYERS.quiz : PLAYERS.page);
}
