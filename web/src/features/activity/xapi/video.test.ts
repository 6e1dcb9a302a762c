import {
  ACCOUNT_HOMEPAGE,
  EXTENSIONS,
  SKILL_ID,
  VERBS,
  VIDEO_PROFILE,
  VideoSession,
  formatSegments,
  isoDuration,
  mergeSegments,
  progressOf,
  videoStatement,
  type Statement,
} from "./video";

const ctx = { userId: 7, activityId: 42, title: "Fractions on a number line", skillId: 3, sessionId: "s-1", lang: "en" };

function verbs(statements: Statement[]): string[] {
  return statements.map((s) => s.verb.display["en-US"]);
}

describe("played segments and progress", () => {
  it("counts each second once, whatever the overlaps", () => {
    expect(mergeSegments([[10, 20], [0, 5], [4, 8], [20, 25]])).toEqual([[0, 8], [10, 25]]);
    expect(progressOf([[0, 50], [25, 75]], 100)).toBe(0.75);
    expect(progressOf([[0, 30], [0, 30]], 60)).toBe(0.5);
    expect(progressOf([[90, 130]], 100)).toBe(0.1);
    expect(progressOf([[0, 10]], 0)).toBe(0);
    expect(progressOf([[0, 1]], 3)).toBe(0.333);
  });

  it("writes segments and durations as the profile and xAPI want", () => {
    expect(formatSegments([[0, 5.1234], [7, 12]])).toBe("0[.]5.123[,]7[.]12");
    expect(isoDuration(12.5)).toBe("PT12.5S");
    expect(isoDuration(3725)).toBe("PT1H2M5S");
  });
});

describe("videoStatement", () => {
  it("names the learner's platform account, the video, the profile and the skill", () => {
    const s = videoStatement("paused", ctx, { time: 30, length: 60, segments: [[0, 30]], watchedSince: 30 }, new Date("2026-12-01T10:00:00Z"));
    expect(s.actor).toEqual({ objectType: "Agent", account: { homePage: ACCOUNT_HOMEPAGE, name: "7" } });
    expect(s.verb.id).toBe(`${VIDEO_PROFILE}/verbs/paused`);
    expect(s.object.id).toBe("https://pathwise.example/xapi/activities/42");
    expect(s.object.definition.type).toBe("https://w3id.org/xapi/video/activity-type/video");
    expect(s.context.contextActivities.category).toEqual([{ id: VIDEO_PROFILE }]);
    expect(s.context.extensions).toEqual({ [EXTENSIONS.sessionId]: "s-1", [EXTENSIONS.length]: 60, [SKILL_ID]: "3" });
    expect(s.result).toEqual({
      duration: "PT30S",
      extensions: { [EXTENSIONS.time]: 30, [EXTENSIONS.progress]: 0.5, [EXTENSIONS.playedSegments]: "0[.]30" },
    });
    expect(s.timestamp).toBe("2026-12-01T10:00:00.000Z");
    expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("uses the profile's verbs and extensions per verb, and never a score or success", () => {
    const seeked = videoStatement("seeked", ctx, { time: 40, length: 60, segments: [], from: 10, to: 40 });
    expect(seeked.result?.extensions).toEqual({ [EXTENSIONS.timeFrom]: 10, [EXTENSIONS.timeTo]: 40 });
    const init = videoStatement("initialized", ctx, { time: 0, length: 60, segments: [] });
    expect(init.verb.id).toBe("http://adlnet.gov/expapi/verbs/initialized");
    expect(init.result).toBeUndefined();
    expect(init.context.extensions[EXTENSIONS.completionThreshold]).toBe(0.95);
    const done = videoStatement("completed", ctx, { time: 60, length: 60, segments: [[0, 60]] });
    expect(done.verb.id).toBe(VERBS.completed);
    expect(done.result).toMatchObject({ completion: true, extensions: { [EXTENSIONS.progress]: 1 } });
    for (const s of [seeked, init, done]) {
      expect(JSON.stringify(s)).not.toMatch(/"score"|"success"/);
    }
    const noSkill = videoStatement("played", { ...ctx, skillId: null }, { time: 0, length: 0, segments: [] });
    expect(noSkill.context.extensions).toEqual({ [EXTENSIONS.sessionId]: "s-1" });
  });
});

describe("VideoSession", () => {
  it("sends initialized, played, paused with progress, and time on task once", () => {
    const session = new VideoSession(ctx);
    expect(verbs(session.initialized(100))).toEqual(["initialized"]);
    expect(verbs(session.played(0))).toEqual(["played"]);
    const [paused] = session.paused(5);
    expect(paused.result?.extensions[EXTENSIONS.progress]).toBe(0.05);
    expect(paused.result?.duration).toBe("PT5S");
    const [again] = session.paused(5);
    expect(again.result?.duration).toBeUndefined(); // nothing watched since: no second counted twice
  });

  it("throttles progressed statements to one per tenth watched", () => {
    const session = new VideoSession(ctx);
    session.initialized(100);
    session.played(0);
    const sent = [];
    for (let t = 1; t <= 35; t += 1) sent.push(...session.timeUpdate(t));
    expect(verbs(sent)).toEqual(["progressed", "progressed", "progressed"]);
    expect(sent.map((s) => s.result?.extensions[EXTENSIONS.progress])).toEqual([0.1, 0.2, 0.3]);
    expect(sent.map((s) => s.result?.duration)).toEqual(["PT10S", "PT10S", "PT10S"]);
    expect(sent[2].result?.extensions[EXTENSIONS.playedSegments]).toBe("0[.]30");
  });

  it("does not count a skipped stretch, and completes once at the threshold", () => {
    const session = new VideoSession(ctx);
    session.initialized(100);
    session.played(0);
    session.timeUpdate(10);
    expect(verbs(session.seeked(10, 50))).toEqual(["seeked"]);
    expect(session.progress(60)).toBe(0.2);
    session.paused(60);
    expect(verbs(session.ended(100))).toEqual([]); // jumped to the end: not watched, not completed
    session.played(0);
    const sent = [];
    for (let t = 10; t <= 100; t += 5) sent.push(...session.timeUpdate(t));
    expect(verbs(sent).filter((v) => v === "completed")).toEqual(["completed"]);
    const completed = sent.find((s) => s.verb.display["en-US"] === "completed");
    expect(completed?.result?.extensions[EXTENSIONS.progress]).toBeGreaterThanOrEqual(0.95);
    expect(verbs(session.ended(100))).toEqual([]);
    const [terminated] = session.terminate(100);
    expect(terminated.verb.id).toBe(VERBS.terminated);
    expect(terminated.result?.extensions[EXTENSIONS.progress]).toBe(1);
    expect(session.terminate(100)).toEqual([]);
    expect(session.played(0)).toEqual([]);
  });
});
