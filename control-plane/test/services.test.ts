/// <reference path="./support/provided.d.ts" />
// The test services are the real thing: a PostgreSQL server (with roles and row-level security) and a Redis server
// (with pub/sub), started by global-setup.ts.
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from './support/services.js';

describe('PostgreSQL', () => {
  let client: pg.Client;

  beforeAll(async () => {
    const url = await createDatabase(inject('DATABASE_ADMIN_URL'), 'acc_services_test');
    expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/acc_services_test$/);
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  it('is a real PostgreSQL server', async () => {
    const { rows } = await client.query<{ version: string }>('SELECT version()');
    expect(rows[0]?.version).toContain('PostgreSQL');
    const { rows: db } = await client.query<{ db: string; superuser: boolean }>(
      "SELECT current_database() AS db, current_setting('is_superuser') = 'on' AS superuser",
    );
    expect(db[0]).toEqual({ db: 'acc_services_test', superuser: true });
  });

  it('the shared acc_test database exists', async () => {
    const shared = new pg.Client({ connectionString: inject('DATABASE_URL') });
    await shared.connect();
    try {
      const { rows } = await shared.query<{ db: string }>('SELECT current_database() AS db');
      expect(rows[0]?.db).toBe('acc_test');
    } finally {
      await shared.end();
    }
  });

  it('enforces row-level security for a non-superuser role', async () => {
    await client.query(`
      DROP ROLE IF EXISTS acc_services_app;
      CREATE ROLE acc_services_app NOLOGIN;
      CREATE TABLE items (tenant text NOT NULL, name text NOT NULL);
      INSERT INTO items VALUES ('a', 'a1'), ('a', 'a2'), ('b', 'b1');
      ALTER TABLE items ENABLE ROW LEVEL SECURITY;
      CREATE POLICY tenant_isolation ON items
        USING (tenant = current_setting('app.tenant', true));
      GRANT SELECT ON items TO acc_services_app;
    `);
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE acc_services_app');
      await client.query("SELECT set_config('app.tenant', 'a', true)");
      const a = await client.query<{ name: string }>('SELECT name FROM items ORDER BY name');
      expect(a.rows.map((row) => row.name)).toEqual(['a1', 'a2']);
      await client.query("SELECT set_config('app.tenant', 'b', true)");
      const b = await client.query<{ name: string }>('SELECT name FROM items ORDER BY name');
      expect(b.rows.map((row) => row.name)).toEqual(['b1']);
      await client.query("SELECT set_config('app.tenant', '', true)");
      const none = await client.query('SELECT name FROM items');
      expect(none.rowCount).toBe(0);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    // The superuser bypasses RLS and sees everything.
    const all = await client.query('SELECT name FROM items');
    expect(all.rowCount).toBe(3);
    await client.query('DROP TABLE items; DROP ROLE acc_services_app');
  });
});

describe('Redis', () => {
  const clients: Redis[] = [];
  const connect = () => {
    const redis = new Redis(inject('REDIS_URL'), { lazyConnect: true, maxRetriesPerRequest: 1 });
    clients.push(redis);
    return redis;
  };
  afterAll(async () => {
    await Promise.all(clients.map((redis) => redis.quit().catch(() => redis.disconnect())));
  });

  it('SET/GET', async () => {
    const redis = connect();
    await redis.connect();
    expect(await redis.set('acc:services-test', 'hello', 'EX', 60)).toBe('OK');
    expect(await redis.get('acc:services-test')).toBe('hello');
    const info = await redis.info('server');
    expect(info).toMatch(/redis_version:\d+/);
  });

  it('PUBLISH/SUBSCRIBE round trip', async () => {
    const subscriber = connect();
    const publisher = connect();
    await Promise.all([subscriber.connect(), publisher.connect()]);
    const received = new Promise<[string, string]>((resolve) => {
      subscriber.on('message', (channel: string, message: string) => resolve([channel, message]));
    });
    await subscriber.subscribe('acc:services-test');
    expect(await publisher.publish('acc:services-test', 'ping')).toBe(1);
    expect(await received).toEqual(['acc:services-test', 'ping']);
  });
});
