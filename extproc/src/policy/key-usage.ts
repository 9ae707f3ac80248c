// "Last used" for gateway keys, without a write per request: requests only touch an in-memory map, and a timer
// sends the latest time per key every few seconds (to Redis, or to the control plane without Redis). A failed send
// keeps the entries for the next attempt; nothing here can slow or fail a request.
import type { Logger } from '../log.js';

export type KeyUsageSink = (lastUsed: Record<string, string>) => Promise<void>;

export class KeyUsageReporter {
  private pending = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly sink: KeyUsageSink,
    private readonly log: Logger,
    intervalMs = 5000,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Bootstrap keys from the environment are not in the database and are not reported. */
  note(keyId: string | null, at = Date.now()): void {
    if (keyId === null || keyId.startsWith('bootstrap-')) return;
    this.pending.set(keyId, at);
  }

  flush(): Promise<void> {
    if (this.flushing || this.pending.size === 0) return this.flushing ?? Promise.resolve();
    const batch = this.pending;
    this.pending = new Map();
    const lastUsed = Object.fromEntries([...batch].map(([id, at]) => [id, new Date(at).toISOString()]));
    this.flushing = this.sink(lastUsed)
      .catch((error: unknown) => {
        // Put them back unless a newer use was noted meanwhile.
        for (const [id, at] of batch) if ((this.pending.get(id) ?? 0) < at) this.pending.set(id, at);
        this.log.warn({ err: error, keys: batch.size }, 'could not report key usage; will retry');
      })
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

export function controlPlaneKeyUsageSink(baseUrl: string, token: string, path: string): KeyUsageSink {
  return async (lastUsed) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ lastUsed }),
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`control plane answered ${response.status}`);
  };
}
