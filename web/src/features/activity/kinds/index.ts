/**
 * One player per activity kind. A kind's module draws the activity and reports what the learner did
 * (answers, watch progress, submissions) through the API or, offline, the sync outbox. Players are
 * loaded on demand so the learner's entry bundle carries none of them.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from "react";
import type { Activity } from "../types";

export type Player = LazyExoticComponent<ComponentType<{ activity: Activity }>>;

export const PLAYERS: Record<string, Player> = {
  page: lazy(() => import("./PagePlayer")),
};

/** Quizzes, and any activity with questions or a quiz attached that has no player of its own. */
PLAYERS.quiz = lazy(() => import("./QuizPlayer"));

/** The player for an activity: its kind's; else the quiz player when it has questions; else a page. */
export function playerFor(kind: string, hasQuestions = false): Player {
  return PLAYERS[kind] ?? (hasQuestions ? PLAYERS.quiz : PLAYERS.page);
}
