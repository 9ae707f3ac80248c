// The publisher end to end on real PostgreSQL and Redis: committed changes become new snapshot versions in the
// database and in Redis (key + channel), wake extproc's long-poll, and leave revoked keys and secrets out.
/// <reference path="./support/provided.d.ts" />
import {
  digestKey,
  openSecret,
  type PolicySnapshot,
  parseMasterKey,
  REDIS_SNAPSHOT_CHANNEL,
  REDIS_SNAPSHOT_KEY,
} from '@acc/extproc/policy';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { PolicyPublisher } from '../src/policy/publisher.js';
import { createOrg, freshDatabaseUrl, MASTER_KEY, type TestOrg } from './support/fixtures.js';

const INTERNAL_TOKEN = 'i'.repeat(40);
// A Redis database of its own: the snapshot key is a fixed name.
const REDIS_DB = 7;
let app: FastifyInstance;
let db: Database;
let redis: Redis;
let subscriber: Redis;
let org: TestOrg;
const announced: number[] = [];

const publisher = () => app.policyPublisher as PolicyPublisher;
const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  app.inject({ method, url: `/api/v1${url}`, headers: org.owner.bearer, ...(payload ? { payload } : {}) });
const poll = (after: number, waitMs: number, token = INTERNAL_TOKEN) =>
  app.inject({
    url: `/internal/v1/policy/snapshot?after=${after}&waitMs=${waitMs}`,
    headers: { authorization: `Bearer ${token}` },
  });
const redisSnapshot = async () =>
  JSON.parse((await redis.get(REDIS_SNAPSHOT_KEY)) ?? 'null') as PolicySnapshot | null;

beforeAll(async () => {
  const url = await freshDatabaseUrl();
  await migrate(url, 'up');
  db = openDatabase({ url, maxConnections: 5 });
  redis = new Redis(`${inject('REDIS_URL')}/${REDIS_DB}`);
  await redis.flushdb();
  subscriber = redis.duplicate();
  subscriber.on('message', (_channel: string, message: string) => announced.push(Number(message)));
  await subscriber.subscribe(REDIS_SNAPSHOT_CHANNEL);
  const config = loadConfig({
    DATABASE_URL: url,
    ACC_MASTER_KEY: MASTER_KEY,
    ACC_INTERNAL_TOKEN: INTERNAL_TOKEN,
    ACC_LOG_LEVEL: 'silent',
  });
  org = await createOrg(db);
  app = await buildApp({ config, db, redis, logger: false, policy: { debounceMs: 5, pollIntervalMs: 100 } });
  await app.ready();
  await publisher().idle();
});
afterAll(async () => {
  await app?.close();
  await db?.close();
  subscriber?.disconnect();
  redis?.disconnect();
});

describe('policy publication', () => {
  it('publishes once on start, to the database and Redis', async () => {
    const current = publisher().current();
    expect(current?.version).toBeGreaterThan(0);
    expect((await redisSnapshot())?.version).toBe(current?.version);
    const { rows } = await db.pool.query('SELECT max(version)::int AS v FROM policy_versions');
    expect(rows[0]?.v).toBe(current?.version);
    expect(current?.orgs.map((o) => o.id)).toContain(org.id);
  });

  it('a committed change produces a newer version in Redis, announced on the channel', async () => {
    const before = publisher().current()?.version ?? 0;
    const created = (await api('POST', '/keys', { name: 'live', allowedModels: ['gpt-4o'] })).json();
    await publisher().idle();
    const snapshot = await redisSnapshot();
    expect(snapshot?.version).toBeGreaterThan(before);
    expect(snapshot?.keys).toContainEqual(
      expect.objectContaining({
        id: created.id,
        digest: digestKey(created.key),
        orgId: org.id,
        allowedModels: ['gpt-4o'],
      }),
    );
    await expect.poll(() => announced.at(-1)).toBe(snapshot?.version);
    expect(JSON.stringify(snapshot)).not.toContain(created.key);
  });

  it('wakes a parked long-poll with the new snapshot; 204 when nothing changes', async () => {
    const version = publisher().current()?.version ?? 0;
    expect((await poll(version, 50)).statusCode).toBe(204);
    const stale = await poll(version - 1, 0);
    expect(stale.statusCode).toBe(200);
    expect(stale.json().version).toBe(version);

    const started = Date.now();
    const parked = poll(version, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await api('POST', '/pricing', { provider: 'openai', model: 'gpt-x', inputMtok: 1, outputMtok: 4 });
    const woken = await parked;
    expect(woken.statusCode).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
    const snapshot = woken.json() as PolicySnapshot;
    expect(snapshot.version).toBeGreaterThan(version);
    expect(snapshot.pricing).toContainEqual(
      expect.objectContaining({ orgId: org.id, model: 'gpt-x', outputMtok: 4 }),
    );
  });

  it('leaves revoked keys and disabled owners out; credentials stay sealed', async () => {
    const revoked = (await api('POST', '/keys', { name: 'gone' })).json();
    await api('POST', `/keys/${revoked.id}/revoke`);
    const sa = (await api('POST', '/service-accounts', { name: 'bot', role: 'viewer' })).json();
    const owned = (await api('POST', '/keys', { name: 'bot key', ownerServiceAccountId: sa.id })).json();
    await app.inject({
      method: 'PATCH',
      url: `/api/v1/service-accounts/${sa.id}`,
      headers: org.owner.bearer,
      payload: { disabled: true },
    });
    await api('PUT', '/provider-credentials/anthropic', { apiKey: 'sk-ant-very-secret-1234' });
    await publisher().idle();
    const snapshot = (await redisSnapshot()) as PolicySnapshot;
    const ids = snapshot.keys.map((key) => key.id);
    expect(ids).not.toContain(revoked.id);
    expect(ids).not.toContain(owned.id);
    const credential = snapshot.providerCredentials.find(
      (c) => c.orgId === org.id && c.provider === 'anthropic',
    );
    expect(JSON.stringify(snapshot)).not.toContain('very-secret');
    expect(openSecret(credential?.secret as never, [parseMasterKey(MASTER_KEY)])).toBe(
      'sk-ant-very-secret-1234',
    );
  });

  it('coalesces a burst into few publications and keeps at most keepVersions rows', async () => {
    const before = publisher().current()?.version ?? 0;
    await Promise.all(Array.from({ length: 10 }, (_, i) => api('POST', '/keys', { name: `burst ${i}` })));
    await publisher().idle();
    const after = publisher().current()?.version ?? 0;
    expect(after - before).toBeGreaterThan(0);
    expect(after - before).toBeLessThan(10);
    const local = new PolicyPublisher({ db, log: { info: () => {}, error: () => {} }, keepVersions: 3 });
    const last = await local.publishNow();
    await local.close();
    const { rows } = await db.pool.query('SELECT version::int AS v FROM policy_versions ORDER BY version');
    expect(rows.map((row) => row.v)).toEqual([last.version - 2, last.version - 1, last.version]);
  });

  it('wakes a parked long-poll for a version published by another process (CLI, replica)', async () => {
    const version = (await db.pool.query('SELECT max(version)::int AS v FROM policy_versions')).rows[0]
      ?.v as number;
    const parked = poll(version, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const elsewhere = new PolicyPublisher({ db, log: { info: () => {}, error: () => {} } });
    const published = await elsewhere.publishNow();
    await elsewhere.close();
    const woken = await parked;
    expect(woken.statusCode).toBe(200);
    expect(woken.json().version).toBe(published.version);
  });

  it('refuses the long-poll without the internal token, and exposes the metrics', async () => {
    expect((await poll(0, 0, 'wrong'.repeat(10))).statusCode).toBe(401);
    expect((await app.inject({ url: '/internal/v1/policy/snapshot' })).statusCode).toBe(401);
    const defaults = await app.inject({
      url: '/internal/v1/policy/snapshot',
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
    });
    expect(defaults.statusCode).toBe(200);
    expect((await poll(-1, 0)).statusCode).toBe(400);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/acc_cp_policy_version \d+/);
    expect(metrics).toContain('acc_cp_policy_publish_seconds_count');
    expect(metrics).toContain('acc_cp_policy_publish_lag_seconds_count');
    expect(metrics).toContain('acc_cp_policy_publish_errors_total');
  });

  it('a parked long-poll is answered 204 when the app closes', async () => {
    const other = await buildApp({
      config: app.config,
      db,
      logger: false,
      policy: { debounceMs: 0 },
    });
    await other.ready();
    await other.policyPublisher?.idle();
    const version = other.policyPublisher?.current()?.version ?? 0;
    const parked = other.inject({
      url: `/internal/v1/policy/snapshot?after=${version}&waitMs=30000`,
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await other.close();
    expect((await parked).statusCode).toBe(204);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
