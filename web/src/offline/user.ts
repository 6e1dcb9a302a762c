/**
 * Who the offline outbox works for, and the "sync soon" signal: kept apart from the IndexedDB code so
 * the entry bundle (the auth provider) can set them without loading Dexie before the first paint.
 */
let signedInUser: number | null = null;
const wakeListeners = new Set<() => void>();

/** Set when someone signs in (before any page mounts, so a player may enqueue at once), cleared on log-out. */
export function setOfflineUser(userId: number | null): void {
  signedInUser = userId;
}

export function offlineUser(): number | null {
  return signedInUser;
}

/** Ask the sync engine to run soon (it coalesces requests); a no-op until the engine is started. */
export function requestSync(): void {
  wakeListeners.forEach((listener) => listener());
}

/** For the sync engine: be told when there is new work. */
export function onSyncRequested(listener: () => void): () => void {
  wakeListeners.add(listener);
  return () => wakeListeners.delete(listener);
}
