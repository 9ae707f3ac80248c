// Where snapshots come from. With Redis (required for several replicas, redis-policy-source.ts): the latest snapshot
// is stored at one key and each publication is announced on a channel. Without Redis: long-poll the control plane.
// Both keep retrying in the background and never block requests; the store keeps the last good snapshot meanwhile.
import type { PolicyStore } from './policy-store.js';

export interface PolicySource {
  /** Resolves after the first attempt to load the latest snapshot (successful or not). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Long-polls `GET /internal/v1/policy/snapshot?after=V&waitMs=W` on the control plane. */
export class ControlPlanePolicySource implements PolicySource {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly store: PolicyStore,
    private readonly waitMs = 25_000,
  ) {}

  async start(): Promise<void> {
    await this.fetchOnce(0);
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let backoffMs = 250;
    while (!this.abort.signal.aborted) {
      const ok = await this.fetchOnce(this.waitMs);
      if (ok) {
        backoffMs = 250;
        continue;
      }
      await sleep(backoffMs, this.abort.signal);
      backoffMs = Math.min(backoffMs * 2, 10_000);
    }
  }

  private async fetchOnce(waitMs: number): Promise<boolean> {
    const url = `${this.baseUrl}/internal/v1/policy/snapshot?after=${this.store.version}&waitMs=${waitMs}`;
    try {
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${this.token}` },
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(waitMs + 10_000)]),
      });
      if (response.status === 204) return true;
      if (!response.ok) throw new Error(`control plane answered ${response.status}`);
      this.store.apply(await response.json());
      return true;
    } catch (error) {
      if (!this.abort.signal.aborted) this.store.sourceFailed('control_plane', error);
      return false;
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
