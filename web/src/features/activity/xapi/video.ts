/**
 * The xAPI Video Profile (https://w3id.org/xapi/video) as the web player speaks it, kept free of React
 * and the DOM so it can be tested as plain functions.
 *
 * What the platform reads (features/events.py `statement_to_interaction`, serving/loop.py): the actor
 * is the learner's platform account; the share watched is `result.extensions[…/video/extensions/
 * progress]` (0..1) and reaches the sequencer's `Signals.video_share` keyed by the skill named in the
 * context extension `…/extensions/skill-id`; `result.duration` is time on task. The feature store counts
 * a video's share only from the profile's video verbs (played, paused, seeked, completed), so the
 * player's completed is the profile namespace's `…/video/verbs/completed`, the verb the platform's
 * vocabulary lists (features/events.py VIDEO_VERBS), and every paused statement carries the progress.
 */

export const VIDEO_PROFILE = "https://w3id.org/xapi/video";
/** features/xapi_vocabulary.py ACCOUNT_HOMEPAGE and PATHWISE_IRI: the platform's actor and IRIs. */
export const ACCOUNT_HOMEPAGE = "https://pathwise.example";
export const PATHWISE_IRI = "https://pathwise.example/xapi";
export const SKILL_ID = `${PATHWISE_IRI}/extensions/skill-id`;

const ADL = "http://adlnet.gov/expapi/verbs/";
const VIDEO_VERB = `${VIDEO_PROFILE}/verbs/`;
export const VERBS = {
  initialized: `${ADL}initialized`,
  played: `${VIDEO_VERB}played`,
  paused: `${VIDEO_VERB}paused`,
  seeked: `${VIDEO_VERB}seeked`,
  completed: `${VIDEO_VERB}completed`,
  progressed: `${ADL}progressed`,
  terminated: `${ADL}terminated`,
} as const;
export type VideoVerb = keyof typeof VERBS;

const EXT = `${VIDEO_PROFILE}/extensions/`;
export const EXTENSIONS = {
  time: `${EXT}time`,
  timeFrom: `${EXT}time-from`,
  timeTo: `${EXT}time-to`,
  progress: `${EXT}progress`,
  playedSegments: `${EXT}played-segments`,
  sessionId: `${EXT}session-id`,
  length: `${EXT}length`,
  completionThreshold: `${EXT}completion-threshold`,
} as const;

/** The share after which a video counts as watched (the sequencer treats >= 0.9 as "watched most"). */
export const COMPLETION_THRESHOLD = 0.95;
/** A progressed statement each time the share watched crosses another tenth. */
export const PROGRESS_STEP = 0.1;

export type Segment = [number, number];

/** Round to the profile's precision (three decimals). */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Segments sorted and merged where they overlap or touch. */
export function mergeSegments(segments: readonly Segment[]): Segment[] {
  const sorted = segments
    .filter(([start, end]) => Number.isFinite(start) && Number.isFinite(end) && end > start)
    .map(([start, end]): Segment => [start, end])
    .sort((a, b) => a[0] - b[0]);
  const merged: Segment[] = [];
  for (const [start, end] of sorted) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** The share of a video of `length` seconds that the segments cover (0..1), whatever the overlaps. */
export function progressOf(segments: readonly Segment[], length: number): number {
  if (!(length > 0)) return 0;
  const covered = mergeSegments(segments).reduce((sum, [start, end]) => sum + (Math.min(end, length) - Math.max(start, 0)), 0);
  return round3(Math.min(1, Math.max(0, covered / length)));
}

/** The profile's played-segments text: "start[.]end" pairs joined by "[,]", in the order played. */
export function formatSegments(segments: readonly Segment[]): string {
  return segments.map(([start, end]) => `${round3(start)}[.]${round3(end)}`).join("[,]");
}

/** ISO 8601 duration of `seconds` (PT12.5S), as xAPI's result.duration wants. */
export function isoDuration(seconds: number): string {
  const total = Math.max(0, round3(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = round3(total - hours * 3600 - minutes * 60);
  return `PT${hours ? `${hours}H` : ""}${minutes ? `${minutes}M` : ""}${rest}S`;
}

export interface VideoContext {
  /** The platform user id (the actor's account name). */
  userId: number;
  activityId: number;
  title: string;
  /** The activity's first skill: where the watch share lands in the sequencer. */
  skillId: number | null;
  sessionId: string;
  lang: string;
}

export interface Statement {
  id: string;
  actor: { objectType: "Agent"; account: { homePage: string; name: string } };
  verb: { id: string; display: Record<string, string> };
  object: {
    objectType: "Activity";
    id: string;
    definition: { type: string; name: Record<string, string> };
  };
  result?: { duration?: string; completion?: boolean; extensions: Record<string, unknown> };
  context: {
    contextActivities: { category: { id: string; definitionType?: string }[] };
    extensions: Record<string, unknown>;
  };
  timestamp: string;
}

export interface Snapshot {
  /** Playhead, seconds. */
  time: number;
  /** Media length, seconds (0 while unknown). */
  length: number;
  segments: readonly Segment[];
  /** Seconds watched since the last statement that reported time on task. */
  watchedSince?: number;
  /** For seeked: where the playhead came from and went to. */
  from?: number;
  to?: number;
}

function uuid(): string {
  return globalThis.crypto.randomUUID();
}

/** The IRI of a platform activity (features/events.py `iri("activities", id)`). */
export function activityIri(activityId: number): string {
  return `${PATHWISE_IRI}/activities/${activityId}`;
}

/** One Video Profile statement for `verb` at the moment `snapshot` describes. */
export function videoStatement(verb: VideoVerb, ctx: VideoContext, snapshot: Snapshot, now: Date = new Date()): Statement {
  const progress = progressOf(snapshot.segments, snapshot.length);
  const extensions: Record<string, unknown> = {};
  if (verb === "seeked") {
    extensions[EXTENSIONS.timeFrom] = round3(snapshot.from ?? snapshot.time);
    extensions[EXTENSIONS.timeTo] = round3(snapshot.to ?? snapshot.time);
  } else if (verb !== "initialized") {
    extensions[EXTENSIONS.time] = round3(snapshot.time);
  }
  if (verb === "paused" || verb === "progressed" || verb === "completed" || verb === "terminated") {
    extensions[EXTENSIONS.progress] = progress;
    extensions[EXTENSIONS.playedSegments] = formatSegments(snapshot.segments);
  }
  const context: Record<string, unknown> = { [EXTENSIONS.sessionId]: ctx.sessionId };
  if (snapshot.length > 0) context[EXTENSIONS.length] = round3(snapshot.length);
  if (verb === "initialized") context[EXTENSIONS.completionThreshold] = COMPLETION_THRESHOLD;
  if (ctx.skillId !== null) context[SKILL_ID] = String(ctx.skillId);
  const statement: Statement = {
    id: uuid(),
    actor: { objectType: "Agent", account: { homePage: ACCOUNT_HOMEPAGE, name: String(ctx.userId) } },
    verb: { id: VERBS[verb], display: { "en-US": verb } },
    object: {
      objectType: "Activity",
      id: activityIri(ctx.activityId),
      definition: { type: `${VIDEO_PROFILE}/activity-type/video`, name: { [ctx.lang]: ctx.title } },
    },
    context: { contextActivities: { category: [{ id: VIDEO_PROFILE }] }, extensions: context },
    timestamp: now.toISOString(),
  };
  if (verb !== "initialized") {
    statement.result = { extensions };
    if (snapshot.watchedSince !== undefined && snapshot.watchedSince > 0) statement.result.duration = isoDuration(snapshot.watchedSince);
    if (verb === "completed") statement.result.completion = true;
  }
  return statement;
}

/**
 * What one viewing sends, decided from the player's events: the played segments so far, the
 * throttle for progressed statements (each tenth crossed, never more often), completion once, and
 * the time on task each statement carries so no second is counted twice.
 */
export class VideoSession {
  private closed: Segment[] = [];
  private openAt: number | null = null;
  private reportedTenth = 0;
  private completed = false;
  private terminated = false;
  private unreportedWatch = 0;
  length = 0;

  constructor(readonly ctx: VideoContext) {}

  /** Segments played, the one still playing closed at `time`. */
  segments(time?: number): Segment[] {
    const open = this.openAt !== null && time !== undefined && time > this.openAt ? [[this.openAt, time] as Segment] : [];
    return [...this.closed, ...open];
  }

  progress(time?: number): number {
    return progressOf(this.segments(time), this.length);
  }

  private snapshot(time: number, extra: Partial<Snapshot> = {}, report = true): Snapshot {
    const snapshot: Snapshot = { time, length: this.length, segments: this.segments(time), ...extra };
    if (report) {
      snapshot.watchedSince = this.unreportedWatch;
      this.unreportedWatch = 0;
    }
    return snapshot;
  }

  private close(time: number): void {
    if (this.openAt !== null && time > this.openAt) {
      const last = this.closed[this.closed.length - 1];
      if (last && last[1] === this.openAt) last[1] = time; // the same stretch, cut only to report it
      else this.closed.push([this.openAt, time]);
      this.unreportedWatch += time - this.openAt;
    }
    this.openAt = null;
  }

  initialized(length: number): Statement[] {
    this.length = length;
    return [videoStatement("initialized", this.ctx, this.snapshot(0, {}, false))];
  }

  played(time: number): Statement[] {
    if (this.terminated) return [];
    this.openAt = time;
    return [videoStatement("played", this.ctx, this.snapshot(time, {}, false))];
  }

  paused(time: number): Statement[] {
    if (this.terminated) return [];
    this.close(time);
    return [videoStatement("paused", this.ctx, this.snapshot(time)), ...this.maybeCompleted(time)];
  }

  seeked(from: number, to: number): Statement[] {
    if (this.terminated) return [];
    const playing = this.openAt !== null;
    this.close(from);
    if (playing) this.openAt = to;
    return [videoStatement("seeked", this.ctx, this.snapshot(to, { from, to }, false))];
  }

  /** Called as the playhead moves: a progressed statement when another tenth is crossed. */
  timeUpdate(time: number): Statement[] {
    if (this.terminated || this.openAt === null) return [];
    const tenth = Math.floor(this.progress(time) / PROGRESS_STEP + 1e-9);
    if (tenth <= this.reportedTenth) return this.maybeCompleted(time);
    this.reportedTenth = tenth;
    this.close(time);
    this.openAt = time;
    return [videoStatement("progressed", this.ctx, this.snapshot(time)), ...this.maybeCompleted(time)];
  }

  /** The media ended: the browser has just sent its pause (HTML: pause fires before ended). */
  ended(time: number): Statement[] {
    if (this.terminated) return [];
    this.close(time);
    return this.maybeCompleted(time);
  }

  terminate(time: number): Statement[] {
    if (this.terminated) return [];
    this.close(time);
    this.terminated = true;
    return [videoStatement("terminated", this.ctx, this.snapshot(time))];
  }

  private maybeCompleted(time: number): Statement[] {
    if (this.completed || this.progress(time) < COMPLETION_THRESHOLD) return [];
    this.completed = true;
    const wasOpen = this.openAt !== null;
    this.close(time);
    if (wasOpen) this.openAt = time;
    return [videoStatement("completed", this.ctx, this.snapshot(time))];
  }
}
