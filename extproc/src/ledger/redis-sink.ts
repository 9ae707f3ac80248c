// Ledger records into the Redis stream the control plane's writers consume (XADD, one pipeline per batch). Loaded
// only when REDIS_URL is set. The connection refuses to queue commands while Redis is away, so a batch fails at
// once and goes to the spool instead of piling up in memory; every reconnect replays the spool.
import { Redis } from 'ioredis';
import { LEDGER_RECORD_FIELD, LEDGER_STREAM } from './constants.js';
import { type SinkOptions, SpoolingLedgerSink } from './sink.js';

export class RedisStreamLedgerSink extends SpoolingLedgerSink {
  protected readonly target = 'redis';
  private readonly client: Redis;

  constructor(url: string, options: SinkOptions) {
    super(options);
    this.client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // A hung server must not hold records: a timed-out XADD may still have landed, which the writer deduplicates.
      commandTimeout: 5000,
      connectionName: 'acc-extproc-ledger',
    });
    // Outages are reported once by the sink when a delivery fails; the per-retry errors add nothing.
    this.client.on('error', () => {});
    this.client.on('ready', () => void this.replay());
  }

  override async start(): Promise<void> {
    // Not ready yet is fine: records are spooled until the first connection, then replayed.
    await this.client.connect().catch(() => {});
    await super.start();
  }

  protected async deliver(entries: string[]): Promise<string[]> {
    const pipeline = this.client.pipeline();
    for (const entry of entries) pipeline.xadd(LEDGER_STREAM, '*', LEDGER_RECORD_FIELD, entry);
    const results = await pipeline.exec();
    if (!results) return entries;
    return entries.filter((_, index) => {
      const result = results[index];
      return !result || result[0] !== null;
    });
  }

  protected async disconnect(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
