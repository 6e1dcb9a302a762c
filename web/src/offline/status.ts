/**
 * What the sync indicator shows: how many changes wait, when the device last synced, whether a sync
 * runs now, and the conflicts and rejections the learner should see. The counts are live queries on
 * IndexedDB, so every tab (and every player that enqueues) updates the indicator without wiring.
 */
import { liveQuery } from "dexie";
import { useEffect, useState } from "react";
import { db, type ResultRow } from "./db";
import { offlineUser } from "./outbox";

export interface SyncStatus {
  pending: number;
  lastSyncedAt: number | null;
  syncing: boolean;
  /** The last sync's failure that left changes waiting (offline, server unavailable); null after a good one. */
  lastError: string | null;
  /** Conflicts (sent to the instructor for review) and rejected changes, until dismissed. */
  attention: ResultRow[];
}

interface Activity {
  syncing: boolean;
  lastError: string | null;
}

let activity: Activity = { syncing: false, lastError: null };
const activityListeners = new Set<() => void>();

/** For the sync engine: say that a sync started or ended (and how). */
export function setSyncActivity(next: Partial<Activity>): void {
  activity = { ...activity, ...next };
  activityListeners.forEach((listener) => listener());
}

export function lastSyncedKey(userId: number): string {
  return `lastSynced:${userId}`;
}

async function stored(userId: number) {
  const [pending, last, attention] = await Promise.all([
    db.outbox.where("userId").equals(userId).count(),
    db.meta.get(lastSyncedKey(userId)),
    db.results.where("[userId+attention]").equals([userId, 1]).sortBy("at"),
  ]);
  return { pending, lastSyncedAt: typeof last?.value === "number" ? last.value : null, attention };
}

/** The signed-in learner's sync status, kept current. */
export function useSyncStatus(): SyncStatus {
  const userId = offlineUser();
  const [state, setState] = useState<Omit<SyncStatus, keyof Activity>>({ pending: 0, lastSyncedAt: null, attention: [] });
  const [live, setLive] = useState<Activity>(activity);

  useEffect(() => {
    const update = () => setLive(activity);
    activityListeners.add(update);
    update();
    return () => {
      activityListeners.delete(update);
    };
  }, []);

  useEffect(() => {
    if (userId === null) return;
    const subscription = liveQuery(() => stored(userId)).subscribe({
      next: setState,
      error: () => undefined, // IndexedDB unavailable (private mode): the indicator stays at its last value
    });
    return () => subscription.unsubscribe();
  }, [userId]);

  return { ...state, ...live };
}

/** The learner has seen a conflict or rejection: stop showing it. */
export async function dismissNotice(changeId: string): Promise<void> {
  await db.results.update(changeId, { attention: 0 });
}
