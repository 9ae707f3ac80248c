// The zero-setup default: PGlite behind its socket, used through pg exactly like a real server (migrations, roles,
// row-level security), with a pool of one connection.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createOrgWithOwner } from '../src/db/bootstrap.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { MASTER_KEY, PASSWORD } from './support/fixtures.js';

let embedded: EmbeddedPostgres;
let db: Database;

beforeAll(async () => {
  embedded = await startEmbeddedPostgres(null);
  db = openDatabase({
    url: embedded.url,
    maxConnections: embedded.maxConnections,
    idleTimeoutMillis: 0,
    onClose: embedded.stop,
  });
}, 120_000);
afterAll(async () => db?.close());

it('migrates, creates orgs and users, and isolates tenants with RLS', async () => {
  expect(embedded.url).toMatch(/^postgres:\/\/postgres:postgres@127\.0\.0\.1:\d+\//);
  expect(db.pool.options.max).toBe(1);
  expect((await migrate(embedded.url, 'up'))[0]).toBe('1767225600000_initial-schema');

  const a = await db.withAdmin((tx) =>
    createOrgWithOwner(tx, { orgName: 'Embedded A', email: 'a@embedded.test', password: PASSWORD }),
  );
  const b = await db.withAdmin((tx) =>
    createOrgWithOwner(tx, { orgName: 'Embedded B', email: 'b@embedded.test', password: PASSWORD }),
  );
  for (const org of [a, b]) {
    await db.withTenant(org.orgId, (tx) =>
      tx.query(`INSERT INTO teams (org_id, name) VALUES ($1, 'team')`, [org.orgId]),
    );
  }
  const teams = await db.withTenant(a.orgId, async (tx) => (await tx.query('SELECT org_id FROM teams')).rows);
  expect(teams).toEqual([{ org_id: a.orgId }]);
  const users = await db.withTenant(b.orgId, async (tx) => (await tx.query('SELECT email FROM users')).rows);
  expect(users).toEqual([{ email: 'b@embedded.test' }]);
  await expect(
    db.withTenant(a.orgId, (tx) => tx.query(`INSERT INTO teams (org_id, name) VALUES ($1, 'x')`, [b.orgId])),
  ).rejects.toMatchObject({ code: '42501' });
  await expect(db.withAdmin((tx) => tx.query('DELETE FROM audit_log'))).rejects.toThrow(/append-only/);
});

it('serves the API over the single connection', async () => {
  const config = loadConfig({
    ACC_MASTER_KEY: MASTER_KEY,
    ACC_INTERNAL_TOKEN: 'i'.repeat(32),
    ACC_LOG_LEVEL: 'silent',
  });
  const app = await buildApp({ config, db, logger: false });
  try {
    const loginResponse = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'a@embedded.test', password: PASSWORD },
    });
    expect(loginResponse.statusCode).toBe(200);
    const { csrfToken } = loginResponse.json();
    const cookie = `acc_session=${loginResponse.cookies[0]?.value}`;
    const results = await Promise.all(
      ['one', 'two', 'three'].map((name) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/teams',
          headers: { cookie, 'x-csrf-token': csrfToken },
          payload: { name },
        }),
      ),
    );
    expect(results.map((response) => response.statusCode)).toEqual([201, 201, 201]);
    const list = await app.inject({ url: '/api/v1/teams', headers: { cookie } });
    expect(
      list
        .json()
        .items.map((team: { name: string }) => team.name)
        .sort(),
    ).toEqual(['one', 'team', 'three', 'two']);
  } finally {
    await app.close();
  }
});
