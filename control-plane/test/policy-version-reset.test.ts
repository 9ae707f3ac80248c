// Policy versions never go backwards across a database reset: Redis (and extproc) refuse any snapshot not newer than
// the one they hold, so a recreated or restored database, or a second database on the same Redis, must publish past
// the version Redis holds. Real PostgreSQL, and a private Redis server: the snapshot channel is shared by all Redis
// databases of a server, and these publications must not reach the other test files' subscribers.
/// <reference path="./support/provided.d.ts" />
import { type PolicySnapshot, REDIS_SNAPSHOT_KEY } from '@acc/extproc/policy';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { PolicyPublisher, type PublisherDatabase, type PublisherLog } from '../src/policy/publisher.js';
import { freshDatabaseUrl } from './support/fixtures.js';
import { type RedisServer, startRedis } from './support/services.js';

let redisServer: RedisServer;
let redis: Redis;
const databases: Database[] = [];
const publishers: PolicyPublisher[] = [];

beforeAll(async () => {
  redisServer = await startRedis();
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: 2 });
});
afterAll(async () => {
  redis?.disconnect();
  await redisServer?.stop();
});
beforeEach(async () => {
  await redis.flushdb();
});
afterEach(async () => {
  for (const publisher of publishers.splice(0)) await publisher.close();
  for (const db of databases.splice(0)) await db.close();
});

async function freshDatabase(): Promise<Database> {
  const url = await freshDatabaseUrl();
  await migrate(url, 'up');
  const db = openDatabase({ url, maxConnections: 3 });
  databases.push(db);
  return db;
}

function recordingLog() {
  const warnings: { obj: object; msg: string }[] = [];
  const errors: { obj: object; msg: string }[] = [];
  const log: PublisherLog = {
    info: () => {},
    warn: (obj, msg) => warnings.push({ obj, msg }),
    error: (obj, msg) => errors.push({ obj, msg }),
  };
  return { log, warnings, errors };
}

function publisherOn(db: PublisherDatabase, log: PublisherLog = recordingLog().log): PolicyPublisher {
  const publisher = new PolicyPublisher({ db, redis, log, debounceMs: 0, retryInitialMs: 20 });
  publishers.push(publisher);
  return publisher;
}

const versionInRedis = async () =>
  (JSON.parse((await redis.get(REDIS_SNAPSHOT_KEY)) ?? 'null') as PolicySnapshot | null)?.version ?? 0;
const maxVersion = async (db: Database) =>
  Number((await db.pool.query('SELECT max(version)::int AS v FROM policy_versions')).rows[0]?.v ?? 0);

describe('policy versions across a database reset', () => {
  it('a publisher starting on a fresh database publishes past the version Redis holds', async () => {
    const a = publisherOn(await freshDatabase());
    for (let i = 0; i < 3; i++) await a.publishNow();
    expect(await versionInRedis()).toBe(3);

    // Database B: recreated, or restored from an old backup, with the same Redis. Its sequence starts at 1 again.
    const dbB = await freshDatabase();
    const recorded = recordingLog();
    const b = publisherOn(dbB, recorded.log);
    await b.start();
    await b.idle();
    const version = await versionInRedis();
    expect(version).toBeGreaterThan(3);
    expect(b.current()?.version).toBe(version);
    expect(await maxVersion(dbB)).toBe(version);
    expect(recorded.warnings).toEqual([
      expect.objectContaining({ obj: expect.objectContaining({ redisVersion: 3, version }) }),
    ]);
    expect(recorded.errors).toEqual([]);
    // The sequence itself moved: the next publication (also by another process: the CLI) goes on from there.
    expect((await publisherOn(dbB).publishNow()).version).toBe(version + 1);
    expect(await versionInRedis()).toBe(version + 1);
  });

  it('a running publisher whose push is refused for a version from elsewhere publishes again, past it', async () => {
    const db = await freshDatabase();
    const recorded = recordingLog();
    const publisher = publisherOn(db, recorded.log);
    await publisher.start();
    await publisher.idle();
    const before = await versionInRedis();
    expect(before).toBeGreaterThan(0);

    // Meanwhile another database's control plane (sharing this Redis) got far ahead.
    await redis.set(REDIS_SNAPSHOT_KEY, JSON.stringify({ version: 100, note: 'from another database' }));
    publisher.changed();
    await publisher.idle();
    expect(await versionInRedis()).toBe(101);
    expect(publisher.current()?.version).toBe(101);
    expect(await maxVersion(db)).toBe(101);
    expect(recorded.warnings.length).toBeGreaterThan(0);
    expect(recorded.errors).toEqual([]);

    // Same version, different snapshot (two databases in step): published again too.
    await redis.set(REDIS_SNAPSHOT_KEY, JSON.stringify({ version: 102, note: 'from another database' }));
    const republished = await publisher.publishNow();
    expect(republished.version).toBeGreaterThan(102);
    expect(await versionInRedis()).toBe(republished.version);
  });

  it('a push refused for a newer version of the same database (another replica) adds no version', async () => {
    const db = await freshDatabase();
    const other = publisherOn(db);
    await other.publishNow();
    // Replica 1 compiles version N; before it pushes, replica 2 compiles and pushes N+1.
    let between: (() => Promise<unknown>) | null = null;
    const interleaved: PublisherDatabase = {
      async withAdmin(fn) {
        const result = await db.withAdmin(fn);
        const run = between;
        between = null;
        await run?.();
        return result;
      },
    };
    const recorded = recordingLog();
    const replica = publisherOn(interleaved, recorded.log);
    let newer = 0;
    between = async () => {
      newer = (await other.publishNow()).version;
    };
    const published = await replica.publishNow();
    expect(newer).toBe(published.version + 1);
    expect(await versionInRedis()).toBe(newer);
    expect(await maxVersion(db)).toBe(newer);
    expect(recorded.warnings).toEqual([]);
    expect(recorded.errors).toEqual([]);
  });
});
