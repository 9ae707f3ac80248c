// Long-poll waiters for GET /internal/v1/policy/snapshot: each extproc (without Redis) parks a request here until a
// snapshot newer than the one it runs exists, or its wait ends.
import type { PolicySnapshot } from '@acc/extproc/policy';

interface Waiter {
  after: number;
  resolve: (snapshot: PolicySnapshot | null) => void;
}

export class SnapshotWaiters {
  private readonly waiters = new Set<Waiter>();

  get size(): number {
    return this.waiters.size;
  }

  /** Resolves with the first snapshot newer than `after` offered before `waitMs`, else null. */
  wait(after: number, waitMs: number, signal?: AbortSignal): Promise<PolicySnapshot | null> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(null);
      const waiter: Waiter = {
        after,
        resolve: (snapshot) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.waiters.delete(waiter);
          resolve(snapshot);
        },
      };
      const timer = setTimeout(() => waiter.resolve(null), waitMs);
      const onAbort = () => waiter.resolve(null);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  offer(snapshot: PolicySnapshot): void {
    for (const waiter of [...this.waiters]) if (snapshot.version > waiter.after) waiter.resolve(snapshot);
  }

  /** On shutdown: answer everyone "nothing new" so their connections close cleanly. */
  releaseAll(): void {
    for (const waiter of [...this.waiters]) waiter.resolve(null);
  }
}
