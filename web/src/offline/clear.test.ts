import { clearOfflineData } from "./clear";
import { db } from "./db";
import { enqueue } from "./outbox";

beforeEach(async () => {
  await db.delete();
  await db.open();
});

it("log-out clears the learner's copies but keeps their unsent changes, and leaves others' data alone", async () => {
  const waiting = await enqueue({ type: "answer", sitting_id: 1, item_id: 2, answer: { choice: "a" } }, 5);
  const base = { userId: 5, sittingId: 1, itemId: 2, answer: {}, answeredAt: 1, result: null, problem: null };
  await db.answers.bulkAdd([
    { ...base, changeId: waiting, state: "queued" },
    { ...base, changeId: "graded-one", state: "graded" },
  ]);
  await db.sittings.put({ key: "5:3", userId: 5, assessmentId: 3, activityId: 4, sittingId: 1, sitting: {}, savedAt: 1 });
  await db.sittings.put({ key: "6:3", userId: 6, assessmentId: 3, activityId: 4, sittingId: 9, sitting: {}, savedAt: 1 });
  await db.meta.bulkPut([
    { key: "cursor:5", value: "c" },
    { key: "offline:5:4", value: {} },
    { key: "cursor:6", value: "d" },
  ]);

  await clearOfflineData(5);

  expect(await db.outbox.get(waiting)).toBeDefined();
  expect((await db.answers.toArray()).map((row) => row.changeId)).toEqual([waiting]);
  expect((await db.sittings.toArray()).map((row) => row.key)).toEqual(["6:3"]);
  expect((await db.meta.toArray()).map((row) => row.key)).toEqual(["cursor:6"]);
});
