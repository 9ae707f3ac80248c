// Where snapshots come from. With Redis (required for several replicas): the latest snapshot is stored at one key
// and each publication is announced on a channel. Without Redis: long-poll the control plane. Both keep retrying
// in the background and never block requests; the store keeps the last good snapshot meanwhile.
import { Redis } from 'ioredis';
import type { PolicyStore } from './policy-store.js';
import { REDIS_SNAPSHOT_CHANNEL, REDIS_SNAPSHOT_KEY } from './snapshot.js';

export interface PolicySource {
  /** Resolves after the first attempt to load the latest snapshot (successful or not). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Re-reads on every announcement, on every reconnect (announcements may have been missed) and every `pollMs`. */
export class RedisPolicySource implements PolicySource {
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | null = null;
  private reloadAgain = false;

  constructor(
    url: string,
    private readonly store: PolicyStore,
    private readonly pollMs = 10_000,
  ) {
    const options = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectionName: 'acc-extproc',
    };
    this.client = new Redis(url, options);
    this.subscriber = new Redis(url, { ...options, connectionName: 'acc-extproc-sub' });
    for (const connection of [this.client, this.subscriber]) {
      connection.on('error', (error: Error) => this.store.sourceFailed('redis', error));
    }
  }

  async start(): Promise<void> {
    this.subscriber.on('message', () => void this.reload());
    this.subscriber.on('ready', () => {
      this.subscriber
        .subscribe(REDIS_SNAPSHOT_CHANNEL)
        .catch((error: unknown) => this.store.sourceFailed('redis', error));
    });
    this.client.on('ready', () => void this.reload());
    this.timer = setInterval(() => void this.reload(), this.pollMs);
    this.timer.unref();
    await Promise.allSettled([this.client.connect(), this.subscriber.connect()]);
    await this.reload();
  }

  /** One load at a time; an announcement during a load triggers exactly one more. */
  private reload(): Promise<void> {
    if (this.loading) {
      this.reloadAgain = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.reloadAgain = false;
        try {
          const text = await this.client.get(REDIS_SNAPSHOT_KEY);
          if (text) this.store.apply(JSON.parse(text));
        } catch (error) {
          this.store.sourceFailed('redis', error);
        }
      } while (this.reloadAgain);
    })().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.subscriber.disconnect();
    this.client.disconnect();
  }
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
