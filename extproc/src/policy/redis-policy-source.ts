// Snapshots from Redis: GET the stored latest on start, on every announcement and on every reconnect (announcements
// sent while disconnected are lost), plus a slow safety poll. Imported only when REDIS_URL is set.
import { Redis } from 'ioredis';
import type { KeyUsageSink } from './key-usage.js';
import type { PolicySource } from './policy-sources.js';
import type { PolicyStore } from './policy-store.js';
import { REDIS_KEY_LAST_USED, REDIS_SNAPSHOT_CHANNEL, REDIS_SNAPSHOT_KEY } from './snapshot.js';

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

  /** Key usage goes to a hash the control plane drains into gateway_keys.last_used_at. */
  keyUsageSink(): KeyUsageSink {
    return async (lastUsed) => {
      await this.client.hset(REDIS_KEY_LAST_USED, lastUsed);
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.subscriber.disconnect();
    this.client.disconnect();
  }
}
