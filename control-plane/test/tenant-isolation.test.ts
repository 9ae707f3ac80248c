// Two orgs in one database: A's credentials must never see or touch B's rows, and the guarantee must come from
// PostgreSQL row-level security, not from WHERE clauses in the application.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrg,
  createUser,
  login,
  PASSWORD,
  setupApp,
  type TestContext,
  type TestOrg,
  type TestUser,
} from './support/fixtures.js';

let ctx: TestContext;
let a: TestOrg;
let b: TestOrg;
let bTeamId: string;
let bUser: TestUser;
let aTeamId: string;

const ORG_SCOPED_TABLES = [
  'teams',
  'users',
  'service_accounts',
  'api_tokens',
  'sessions',
  'gateway_keys',
  'provider_credentials',
  'pricing_overrides',
  'audit_log',
];

beforeAll(async () => {
  ctx = await setupApp();
  [a, b] = await Promise.all([createOrg(ctx.db), createOrg(ctx.db)]);
  const post = (org: TestOrg, name: string) =>
    ctx.app.inject({ method: 'POST', url: '/api/v1/teams', headers: org.owner.bearer, payload: { name } });
  aTeamId = (await post(a, 'Shared name')).json().id;
  bTeamId = (await post(b, 'Shared name')).json().id;
  await post(b, 'Only in B');
  bUser = await createUser(ctx.db, b.id, 'editor');
  await createUser(ctx.db, a.id, 'viewer');
  await login(ctx.app, bUser.email); // a session row in B
  // Rows in the tables other routes own, so the RLS check below covers every org-scoped table.
  for (const org of [a, b]) {
    await ctx.db.withTenant(org.id, async (tx) => {
      await tx.query(`INSERT INTO service_accounts (org_id, name, role) VALUES ($1, 'bot', 'editor')`, [
        org.id,
      ]);
      await tx.query(
        `INSERT INTO gateway_keys (org_id, name, prefix, key_digest, created_by) VALUES ($1, 'k', 'acc-xxxx', $2, $3)`,
        [org.id, `digest-${org.id}`, org.owner.id],
      );
      await tx.query(
        `INSERT INTO provider_credentials (org_id, provider, name, sealed) VALUES ($1, 'openai', 'main', '{}')`,
        [org.id],
      );
      await tx.query(
        `INSERT INTO pricing_overrides (org_id, provider, model, input_mtok, output_mtok) VALUES ($1, 'openai', 'm', 1, 2)`,
        [org.id],
      );
    });
  }
});
afterAll(async () => ctx?.close());

const asA = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  ctx.app.inject({ method, url: `/api/v1${url}`, headers: a.owner.bearer, ...(payload ? { payload } : {}) });

describe('through the API with org A credentials', () => {
  it('team lists and filters contain only A rows', async () => {
    for (const query of ['', '?name=name', '?name=Only', '?limit=200', '?offset=0']) {
      const items = (await asA('GET', `/teams${query}`)).json().items as { orgId: string; id: string }[];
      expect(
        items.every((team) => team.orgId === a.id),
        query,
      ).toBe(true);
      expect(items.map((team) => team.id)).not.toContain(bTeamId);
    }
  });

  it("B's team is 404 for read, update and delete, and stays unchanged", async () => {
    for (const [method, payload] of [['GET'], ['PATCH', { name: 'hijacked' }], ['DELETE']] as const) {
      const response = await asA(method, `/teams/${bTeamId}`, payload);
      expect(response.statusCode, method).toBe(404);
      expect(response.json().error.code).toBe('not_found');
    }
    const still = await ctx.app.inject({ url: `/api/v1/teams/${bTeamId}`, headers: b.owner.bearer });
    expect(still.json()).toMatchObject({ id: bTeamId, name: 'Shared name', orgId: b.id });
  });

  it('user lists contain only A users; B users are 404 for read, update and delete', async () => {
    const users = (await asA('GET', '/users?limit=200')).json().items as { orgId: string; id: string }[];
    expect(users.length).toBeGreaterThan(0);
    expect(users.every((user) => user.orgId === a.id)).toBe(true);
    expect((await asA('GET', `/users?email=${encodeURIComponent(bUser.email)}`)).json().items).toEqual([]);
    for (const [method, payload] of [
      ['GET'],
      ['PATCH', { name: 'hijacked', role: 'viewer' }],
      ['DELETE'],
    ] as const) {
      expect((await asA(method, `/users/${bUser.id}`, payload)).statusCode, method).toBe(404);
    }
    const { rows } = await ctx.db.pool.query('SELECT name, role FROM users WHERE id = $1', [bUser.id]);
    expect(rows[0]).toMatchObject({ role: 'editor' });
    expect(rows[0]?.name).not.toBe('hijacked');
  });

  it("cannot attach A's users to B's team", async () => {
    const response = await asA('POST', '/users', {
      email: 'cross@example.com',
      name: 'Cross',
      password: PASSWORD,
      role: 'viewer',
      teamId: bTeamId,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details.field).toBe('teamId');
    const me = await asA('PATCH', `/users/${a.owner.id}`, { teamId: bTeamId });
    expect(me.statusCode).toBe(400);
    expect((await asA('PATCH', `/users/${a.owner.id}`, { teamId: aTeamId })).statusCode).toBe(200);
  });

  it('the current org is A, and changing it leaves B alone', async () => {
    expect((await asA('GET', '/orgs/current')).json().id).toBe(a.id);
    expect((await asA('PATCH', '/orgs/current', { name: 'A renamed' })).statusCode).toBe(200);
    const { rows } = await ctx.db.pool.query('SELECT id, name FROM orgs ORDER BY name');
    expect(rows.find((row) => row.id === b.id)?.name).not.toBe('A renamed');
  });

  it('an A session cannot reach B rows either', async () => {
    const session = await login(ctx.app, a.owner.email);
    const response = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/teams/${bTeamId}`,
      headers: session.headers,
      payload: { name: 'via session' },
    });
    expect(response.statusCode).toBe(404);
  });
});

describe('in the database, with withTenant(A) and no WHERE clause', () => {
  it('SELECT * FROM teams returns only A rows', async () => {
    const rows = await ctx.db.withTenant(a.id, async (tx) => (await tx.query('SELECT * FROM teams')).rows);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.org_id === a.id)).toBe(true);
    // The owner connection sees both orgs: the filtering above is RLS, not the data.
    const all = (await ctx.db.pool.query('SELECT DISTINCT org_id FROM teams')).rows.map((row) => row.org_id);
    expect(all).toEqual(expect.arrayContaining([a.id, b.id]));
  });

  it.each(ORG_SCOPED_TABLES)('%s shows only A rows', async (table) => {
    const rows = await ctx.db.withTenant(
      a.id,
      async (tx) => (await tx.query(`SELECT org_id FROM ${table}`)).rows,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.org_id === a.id)).toBe(true);
    const everywhere = await ctx.db.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1`, [
      b.id,
    ]);
    expect(everywhere.rows[0]?.n).toBeGreaterThan(0);
  });

  it('orgs shows only A', async () => {
    const rows = await ctx.db.withTenant(a.id, async (tx) => (await tx.query('SELECT id FROM orgs')).rows);
    expect(rows).toEqual([{ id: a.id }]);
  });

  it('UPDATE and DELETE without WHERE touch only A rows', async () => {
    const counts = await ctx.db.withTenant(a.id, async (tx) => {
      const updated = await tx.query(`UPDATE teams SET name = name || '' WHERE id = $1`, [bTeamId]);
      const deleted = await tx.query('DELETE FROM teams WHERE id = $1', [bTeamId]);
      return [updated.rowCount, deleted.rowCount];
    });
    expect(counts).toEqual([0, 0]);
  });

  it('inserting a row for B is refused by the policy', async () => {
    await expect(
      ctx.db.withTenant(a.id, (tx) =>
        tx.query(`INSERT INTO teams (org_id, name) VALUES ($1, 'smuggled')`, [b.id]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      ctx.db.withTenant(a.id, (tx) =>
        tx.query('UPDATE teams SET org_id = $1 WHERE org_id = $2', [b.id, a.id]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('without an org set, tenant queries see nothing', async () => {
    const client = await ctx.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE acc_app');
      expect((await client.query('SELECT * FROM teams')).rows).toEqual([]);
      expect((await client.query('SELECT * FROM users')).rows).toEqual([]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it('the app role cannot read policy_versions or write orgs', async () => {
    await expect(
      ctx.db.withTenant(a.id, (tx) => tx.query('SELECT * FROM policy_versions')),
    ).rejects.toMatchObject({
      code: '42501',
    });
    await expect(
      ctx.db.withTenant(a.id, (tx) => tx.query(`INSERT INTO orgs (slug, name) VALUES ('x', 'x')`)),
    ).rejects.toMatchObject({ code: '42501' });
  });
});
