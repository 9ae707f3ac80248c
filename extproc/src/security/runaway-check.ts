// Runaway detection as the security stage uses it: one tracker per distinct policy setting (window, threshold,
// velocity factor), in memory or shared through Redis, keyed by key + agent. A tracker failure (Redis down or slow)
// costs only the runaway check, never the rest of the scan: the stage gets no runaway findings and it is counted.
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { SecurityMetrics } from './metrics.js';
import type { RunawaySettings } from './policy.js';
import { MemoryRunawayTracker, type RunawayOptions, type RunawayTracker, requestShape } from './runaway.js';
import type { Finding, ScanInput } from './types.js';

export interface RunawayCheck {
  /** Records this request of `subject` and returns the runaway findings it triggers. */
  check(subject: string, input: ScanInput, settings: RunawaySettings): Finding[] | Promise<Finding[]>;
  /** What a finished request of `subject` cost, for the spend-velocity baseline. */
  spent(subject: string, settings: RunawaySettings, usd: number): void;
  close(): Promise<void>;
}

/** Distinct settings kept at once; policies rarely differ in more than a few. */
const MAX_TRACKERS = 32;

type TrackerFactory = (options: Partial<RunawayOptions>) => RunawayTracker;

export class RunawayMonitor implements RunawayCheck {
  private readonly trackers = new Map<string, RunawayTracker>();

  constructor(
    private readonly create: TrackerFactory,
    private readonly metrics: SecurityMetrics,
    private readonly log: Logger,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  private tracker(settings: RunawaySettings): RunawayTracker {
    const id = `${settings.windowSeconds}:${settings.repeatThreshold}:${settings.velocityFactor}`;
    let tracker = this.trackers.get(id);
    if (tracker) return tracker;
    if (this.trackers.size >= MAX_TRACKERS) {
      const oldest = this.trackers.keys().next();
      if (!oldest.done) this.trackers.delete(oldest.value);
    }
    tracker = this.create({
      windowSeconds: settings.windowSeconds,
      repeatThreshold: settings.repeatThreshold,
      velocityFactor: settings.velocityFactor,
    });
    this.trackers.set(id, tracker);
    return tracker;
  }

  check(subject: string, input: ScanInput, settings: RunawaySettings): Finding[] | Promise<Finding[]> {
    try {
      const shape = requestShape(input);
      if (!shape) return [];
      const found = this.tracker(settings).observe(subject, shape, Date.now());
      return found instanceof Promise ? found.catch((error: unknown) => this.failed(error)) : found;
    } catch (error) {
      return this.failed(error);
    }
  }

  spent(subject: string, settings: RunawaySettings, usd: number): void {
    try {
      const done = this.tracker(settings).recordSpend(subject, usd, Date.now());
      if (done instanceof Promise) done.catch((error: unknown) => this.failed(error));
    } catch (error) {
      this.failed(error);
    }
  }

  close(): Promise<void> {
    return this.onClose();
  }

  private failed(error: unknown): Finding[] {
    this.metrics.failures.inc({ phase: 'runaway' });
    this.log.warn({ err: error }, 'runaway check failed; request scanned without it');
    return [];
  }
}

export function memoryRunawayMonitor(metrics: SecurityMetrics, log: Logger): RunawayMonitor {
  return new RunawayMonitor((options) => new MemoryRunawayTracker(options), metrics, log);
}

/** Shared by every gateway on the same Redis; ioredis is loaded only here, when REDIS_URL is set. */
export async function redisRunawayMonitor(
  url: string,
  metrics: SecurityMetrics,
  log: Logger,
): Promise<RunawayMonitor> {
  const [{ Redis }, { RedisRunawayTracker }] = await Promise.all([
    import('ioredis'),
    import('./runaway-redis.js'),
  ]);
  const client: Redis = new Redis(url, {
    lazyConnect: true,
    // A request must never wait for a missing Redis: fail at once, and on a slow one give up quickly.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 200,
    connectTimeout: 2_000,
    connectionName: 'acc-extproc-runaway',
  });
  // Each failed command is counted and logged where it fails; the connection's own errors would only repeat that.
  client.on('error', () => {});
  // Connected before the first request when Redis is up; when it is not, ioredis keeps retrying in the background
  // and checks are skipped (and counted) until it is back.
  await client
    .connect()
    .catch((error: unknown) => log.warn({ err: error }, 'runaway tracker: Redis unreachable'));
  return new RunawayMonitor(
    // Requests under different windows count in different buckets: the window is part of the key.
    (options) => new RedisRunawayTracker(client, `acc:runaway:w${options.windowSeconds}:`, options),
    metrics,
    log,
    async () => {
      client.disconnect();
    },
  );
}
