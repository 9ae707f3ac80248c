// Publishes policy snapshots after committed changes. Every route that changes policy calls changed(orgId) after its
// transaction commits; the publisher coalesces bursts, compiles one snapshot at a time (and, across replicas, under
// a PostgreSQL advisory lock so version order is compile order), records it in policy_versions, pushes it to Redis
// when configured, and wakes this process's long-poll waiters. Failures are logged, counted and retried with
// backoff until they succeed: a change is never silently dropped. Versions only ever increase, also across a database
// reset: the sequence is advanced past the version Redis holds (read before the first publication, and whenever
// Redis refuses one for holding a version this database never reached).
import { type PolicySnapshot, REDIS_SNAPSHOT_CHANNEL, REDIS_SNAPSHOT_KEY } from '@acc/extproc/policy';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { compileSnapshot, type Queryable } from './compile.js';
import { createPublisherMetrics, type PublisherMetrics } from './metrics.js';
import { SnapshotWaiters } from './waiters.js';

export interface PublisherDatabase {
  withAdmin<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

export interface PublisherLog {
  info(obj: object, msg: string): void;
  /** Falls back to error. */
  warn?(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PublisherOptions {
  db: PublisherDatabase;
  redis?: Redis | null;
  log: PublisherLog;
  registry?: Registry;
  /** policy_versions rows kept (older ones are pruned). */
  keepVersions?: number;
  /** Quiet time before compiling, so a burst of changes becomes one publication. */
  debounceMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** While long-polls wait, how often to look for versions published by other processes (CLI, replicas). */
  pollIntervalMs?: number;
}

// Any constant shared by every replica: pg_advisory_xact_lock takes a bigint.
const PUBLISH_LOCK = 0x4143435f504f4c;
// Never let an older snapshot overwrite a newer one pushed by another replica. Returns 0 when the snapshot is stored
// (or this very snapshot already was: a retried push), else the version held, which is not lower.
const SET_IF_NEWER = `
local current = redis.call('GET', KEYS[1])
if current then
  if current == ARGV[1] then
    return 0
  end
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and tonumber(decoded.version) and tonumber(decoded.version) >= tonumber(ARGV[2]) then
    return tonumber(decoded.version)
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[2], ARGV[2])
return 0`;
// The version of the snapshot held in Redis, 0 if none, without transferring it.
const VERSION_HELD = `
local current = redis.call('GET', KEYS[1])
if not current then
  return 0
end
local ok, decoded = pcall(cjson.decode, current)
if ok and type(decoded) == 'table' and tonumber(decoded.version) then
  return tonumber(decoded.version)
end
return 0`;

export class PolicyPublisher {
  readonly registry: Registry;
  private readonly waiters = new SnapshotWaiters();
  private latest: PolicySnapshot | null = null;
  private dirty = false;
  private pendingSince: number | null = null;
  /** Stored in the database but not yet in Redis: retried alone, without a new version. */
  private unpushed: PolicySnapshot | null = null;
  private unpushedSince: number | null = null;
  /** The next version must be above this: one Redis holds (see readRedisVersion and push). */
  private versionFloor = 0;
  private redisVersionRead = false;
  private chain: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | null = null;
  private closed = false;
  private wake: (() => void) | null = null;
  private subscriber: Redis | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly metrics: PublisherMetrics;

  constructor(private readonly options: PublisherOptions) {
    this.registry = options.registry ?? new Registry();
    this.metrics = createPublisherMetrics(this.registry);
  }

  /** Subscribes to other publishers (Redis) and publishes once, so extproc starts from the current state. */
  async start(): Promise<void> {
    const { redis, log } = this.options;
    if (redis) {
      const subscriber = redis.duplicate();
      this.subscriber = subscriber;
      subscriber.on('message', (_channel: string, message: string) => void this.onRemoteVersion(message));
      // Never blocks the start: without Redis the database is polled, and every (re)connection subscribes again.
      subscriber.on('error', () => {});
      subscriber.on('ready', () => {
        subscriber.subscribe(REDIS_SNAPSHOT_CHANNEL).catch((error: unknown) => {
          log.error({ err: error }, 'policy snapshot channel subscription failed');
        });
      });
    }
    this.changed();
  }

  /** Call after a policy-affecting transaction has committed. */
  changed(_orgId?: string): void {
    if (this.closed) return;
    this.dirty = true;
    this.pendingSince ??= performance.now();
    this.loop ??= this.run().finally(() => {
      this.loop = null;
    });
  }

  /** Compiles and publishes now (serialised with background publications); throws if it fails. */
  async publishNow(): Promise<PolicySnapshot> {
    this.dirty = true;
    this.pendingSince ??= performance.now();
    return this.exclusive(() => this.step());
  }

  /** Resolves when nothing is pending (background publication finished, successfully). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
    await this.chain.catch(() => {});
  }

  current(): PolicySnapshot | null {
    return this.latest;
  }

  /** For the long-poll: the latest snapshot if newer than `after`, else the first one published within waitMs. */
  async waitForNewer(after: number, waitMs: number, signal?: AbortSignal): Promise<PolicySnapshot | null> {
    if (this.latest && this.latest.version > after) return this.latest;
    // Another process may have published (the CLI, another replica without Redis): the database knows.
    await this.refreshFromDatabase().catch(() => {});
    if (this.latest && this.latest.version > after) return this.latest;
    if (waitMs <= 0 || this.closed) return null;
    this.ensurePolling();
    return this.waiters.wait(after, waitMs, signal);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.waiters.releaseAll();
    await this.loop;
    this.subscriber?.disconnect();
  }

  private async run(): Promise<void> {
    let delay = this.options.retryInitialMs ?? 500;
    await this.sleep(this.options.debounceMs ?? 20);
    while (!this.closed && (this.dirty || this.unpushed)) {
      try {
        await this.exclusive(() => this.step());
        delay = this.options.retryInitialMs ?? 500;
      } catch {
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.options.retryMaxMs ?? 30_000);
      }
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.chain.then(fn);
    this.chain = result.catch(() => {});
    return result;
  }

  private async step(): Promise<PolicySnapshot> {
    for (let attempt = 1; ; attempt++) {
      const snapshot = await this.stepOnce();
      if (snapshot) return snapshot;
      // Redis refused the snapshot for holding a version this database never reached: compile again, past it.
      if (attempt >= 3) {
        this.metrics.errors.inc({ stage: 'redis' });
        const error = new Error(
          `Redis keeps holding a policy snapshot newer than this database's (${this.versionFloor})`,
        );
        this.options.log.error({ err: error }, 'policy snapshot push to Redis refused');
        throw error;
      }
      this.dirty = true;
    }
  }

  /** One compile (when needed) and push; null when Redis refused it for holding a version from elsewhere. */
  private async stepOnce(): Promise<PolicySnapshot | null> {
    let snapshot = this.unpushed;
    if (this.dirty || !snapshot) {
      const since = this.pendingSince;
      this.dirty = false;
      this.pendingSince = null;
      const end = this.metrics.seconds.startTimer();
      try {
        snapshot = await this.compileAndStore();
      } catch (error) {
        this.dirty = true;
        this.pendingSince = Math.min(
          since ?? performance.now(),
          this.pendingSince ?? Number.POSITIVE_INFINITY,
        );
        this.metrics.errors.inc({ stage: 'compile' });
        this.options.log.error({ err: error }, 'policy snapshot compilation failed; retrying');
        throw error;
      }
      end();
      this.adopt(snapshot);
      this.unpushed = this.options.redis ? snapshot : null;
      this.unpushedSince ??= since;
      if (!this.unpushed) this.observeLag();
    }
    if (this.unpushed) {
      let stored: boolean;
      try {
        stored = await this.push(this.unpushed);
      } catch (error) {
        this.metrics.errors.inc({ stage: 'redis' });
        this.options.log.error(
          { err: error, version: this.unpushed.version },
          'policy snapshot push to Redis failed',
        );
        throw error;
      }
      if (!stored) return null;
      this.unpushed = null;
      this.observeLag();
    }
    this.options.log.info({ version: snapshot.version }, 'policy snapshot published');
    return snapshot;
  }

  private async compileAndStore(): Promise<PolicySnapshot> {
    const keep = this.options.keepVersions ?? 50;
    await this.readRedisVersion();
    const floor = this.versionFloor;
    return this.options.db.withAdmin(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [PUBLISH_LOCK]);
      const next = await tx.query<{ version: string }>(
        "SELECT nextval(pg_get_serial_sequence('policy_versions', 'version'))::text AS version",
      );
      let version = Number(next.rows[0]?.version);
      if (version <= floor) {
        // Redis holds a version this database never reached: it was recreated or restored from an older backup (or
        // another database shares this Redis). Below that version, Redis and extproc would ignore every snapshot.
        await tx.query("SELECT setval(pg_get_serial_sequence('policy_versions', 'version'), $1)", [
          floor + 1,
        ]);
        this.warn(
          { redisVersion: floor, sequenceVersion: version, version: floor + 1 },
          'policy version sequence behind the version in Redis (database reset or restored?): advanced past it',
        );
        version = floor + 1;
      }
      const publishedAt = new Date();
      const snapshot = await compileSnapshot(tx, version, publishedAt);
      await tx.query(
        'INSERT INTO policy_versions (version, published_at, snapshot) VALUES ($1, $2, $3::jsonb)',
        [version, publishedAt, JSON.stringify(snapshot)],
      );
      await tx.query('DELETE FROM policy_versions WHERE version <= $1', [version - keep]);
      return snapshot;
    });
  }

  private observeLag(): void {
    if (this.unpushedSince !== null)
      this.metrics.lag.observe((performance.now() - this.unpushedSince) / 1000);
    this.unpushedSince = null;
  }

  /**
   * Stores the snapshot in Redis unless a newer one is there. False when Redis holds a version (newer or equal, but
   * another snapshot) that this database never reached; versionFloor then makes the next compile go past it.
   */
  private async push(snapshot: PolicySnapshot): Promise<boolean> {
    const redis = this.options.redis;
    if (!redis) return true;
    const json = JSON.stringify(snapshot);
    const held = Number(
      await redis.eval(
        SET_IF_NEWER,
        2,
        REDIS_SNAPSHOT_KEY,
        REDIS_SNAPSHOT_CHANNEL,
        json,
        String(snapshot.version),
      ),
    );
    if (!(held > 0)) return true;
    if (held > snapshot.version) {
      // Usually a newer version of this database, pushed by another replica that compiled after us: nothing to do.
      const { rows } = await this.options.db.withAdmin((tx) =>
        tx.query<{ version: string | null }>('SELECT max(version)::text AS version FROM policy_versions'),
      );
      if (Number(rows[0]?.version ?? 0) >= held) return true;
    }
    this.warn(
      { version: snapshot.version, redisVersion: held },
      'Redis holds a policy snapshot this database never published (database reset or restored, or another one ' +
        'shares this Redis): publishing again, past its version',
    );
    this.versionFloor = Math.max(this.versionFloor, held);
    return false;
  }

  /** Once, before the first publication: the version Redis holds, which this database's versions must pass. */
  private async readRedisVersion(): Promise<void> {
    const redis = this.options.redis;
    if (!redis || this.redisVersionRead) return;
    // Once only, even if Redis is down: the push would fail and be retried, and its compare-and-set catches it then.
    this.redisVersionRead = true;
    try {
      const held = Number(await redis.eval(VERSION_HELD, 1, REDIS_SNAPSHOT_KEY));
      if (held > this.versionFloor) this.versionFloor = held;
    } catch {
      // see above
    }
  }

  private warn(obj: object, msg: string): void {
    const { log } = this.options;
    if (log.warn) log.warn(obj, msg);
    else log.error(obj, msg);
  }

  private adopt(snapshot: PolicySnapshot): void {
    if (this.latest && this.latest.version >= snapshot.version) return;
    this.latest = snapshot;
    this.metrics.version.set(snapshot.version);
    this.waiters.offer(snapshot);
  }

  private async onRemoteVersion(message: string): Promise<void> {
    const version = Number(message);
    if (!Number.isFinite(version) || (this.latest && this.latest.version >= version)) return;
    const json = await this.options.redis?.get(REDIS_SNAPSHOT_KEY).catch(() => null);
    if (json) this.adopt(JSON.parse(json) as PolicySnapshot);
  }

  private async refreshFromDatabase(): Promise<void> {
    const known = this.latest?.version ?? 0;
    const { rows } = await this.options.db.withAdmin((tx) =>
      tx.query<{ snapshot: PolicySnapshot }>(
        'SELECT snapshot FROM policy_versions WHERE version > $1 ORDER BY version DESC LIMIT 1',
        [known],
      ),
    );
    if (rows[0]) this.adopt(rows[0].snapshot);
  }

  // One shared timer, only while someone waits: catches versions published elsewhere (CLI, replicas) even when the
  // Redis subscription is down or absent.
  private ensurePolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      if (this.waiters.size === 0) {
        if (this.pollTimer) clearInterval(this.pollTimer);
        this.pollTimer = null;
        return;
      }
      void this.refreshFromDatabase().catch(() => {});
    }, this.options.pollIntervalMs ?? 5000);
    this.pollTimer.unref();
  }

  private sleep(ms: number): Promise<void> {
    // close() only wakes a sleep already started: one started after it (a failure while closing) must not wait.
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
