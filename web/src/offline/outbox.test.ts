import { db } from "./db";
import { enqueue, pendingChanges, toChange } from "./outbox";

beforeEach(async () => {
  await db.delete();
  await db.open();
});

describe("enqueue", () => {
  it("keeps each change on the device under its own id, for its learner only", async () => {
    const first = await enqueue({ type: "progress", activity_id: 7, position: 0.5 }, 1);
    const second = await enqueue({ type: "statement", statement: { verb: { id: "x" } } }, 1);
    await enqueue({ type: "progress", activity_id: 7, position: 1 }, 2);
    const mine = await pendingChanges(1);
    expect(mine.map((row) => row.id)).toEqual([first, second]);
    expect(first).not.toEqual(second);
    expect(mine[0].change).toMatchObject({ id: first, type: "progress", activity_id: 7, position: 0.5 });
    expect(mine[1].change.statement).toHaveProperty("id"); // an xAPI statement id is made on the device
  });

  it("refuses when nobody is signed in", async () => {
    await expect(enqueue({ type: "progress", activity_id: 1, position: 0 }, null)).rejects.toThrow(/signed in/);
    expect(await db.outbox.count()).toBe(0);
  });

  it("stamps last-writer-wins changes with the device clock unless the caller did", () => {
    const now = new Date("2026-01-02T03:04:05Z");
    expect(toChange("a", { type: "preferences", preferences: {} }, now).client_updated_at).toBe(now.toISOString());
    expect(
      toChange("a", { type: "progress", activity_id: 1, position: 0, client_updated_at: "2025-01-01T00:00:00Z" }, now)
        .client_updated_at,
    ).toBe("2025-01-01T00:00:00Z");
  });
});
