import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit, redact } from '../src/audit/audit.js';
import { createOrg, login, PASSWORD, setupApp, type TestContext, type TestOrg } from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
});
afterAll(async () => ctx?.close());

interface AuditRow {
  id: number;
  org_id: string;
  actor_kind: string;
  actor_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

async function auditSince(id: number): Promise<AuditRow[]> {
  return (await ctx.db.pool.query<AuditRow>('SELECT * FROM audit_log WHERE id > $1 ORDER BY id', [id])).rows;
}
async function lastAuditId(): Promise<number> {
  return (await ctx.db.pool.query<{ id: number }>('SELECT coalesce(max(id), 0)::int AS id FROM audit_log'))
    .rows[0]?.id as number;
}

const as = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  ctx.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: org.owner.bearer,
    ...(payload ? { payload } : {}),
  });

describe('audit log', () => {
  it('records every mutation with actor, before and after, in order, and republishes the policy', async () => {
    const start = await lastAuditId();
    const publishedBefore = ctx.published.length;
    const team = (await as('POST', '/teams', { name: 'Audited' })).json();
    await as('PATCH', `/teams/${team.id}`, { name: 'Audited 2' });
    const user = (
      await as('POST', '/users', {
        email: 'audited@example.com',
        name: 'Aud',
        password: PASSWORD,
        role: 'viewer',
      })
    ).json();
    await as('PATCH', `/users/${user.id}`, { role: 'editor', password: 'a different password' });
    await as('DELETE', `/users/${user.id}`);
    await as('DELETE', `/teams/${team.id}`);
    await as('PATCH', '/orgs/current', { name: 'Audited Org' });

    const rows = await auditSince(start);
    expect(rows.map((row) => row.action)).toEqual([
      'team.create',
      'team.update',
      'user.create',
      'user.update',
      'user.delete',
      'team.delete',
      'org.update',
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ org_id: org.id, actor_kind: 'user', actor_id: org.owner.id });
    }
    const [teamCreate, teamUpdate, userCreate, userUpdate, userDelete, teamDelete, orgUpdate] = rows;
    expect(teamCreate).toMatchObject({ resource_type: 'team', resource_id: team.id, before: null });
    expect(teamCreate?.after).toMatchObject({ name: 'Audited' });
    expect(teamUpdate?.before).toMatchObject({ name: 'Audited' });
    expect(teamUpdate?.after).toMatchObject({ name: 'Audited 2' });
    expect(userCreate?.after).toMatchObject({ email: 'audited@example.com', role: 'viewer' });
    expect(userUpdate?.before).toMatchObject({ role: 'viewer' });
    expect(userUpdate?.after).toMatchObject({ role: 'editor' });
    expect(userDelete).toMatchObject({ resource_id: user.id, after: null });
    expect(teamDelete?.before).toMatchObject({ id: team.id });
    expect(orgUpdate?.after).toMatchObject({ name: 'Audited Org' });

    // Secrets never reach the log.
    expect(JSON.stringify(rows)).not.toMatch(/password|argon2|digest|a different password/i);
    expect(ctx.published.slice(publishedBefore)).toEqual(Array(7).fill(org.id));
  });

  it('records login and logout', async () => {
    const start = await lastAuditId();
    const session = await login(ctx.app, org.owner.email);
    await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: session.headers });
    const rows = await auditSince(start);
    expect(rows.map((row) => row.action)).toEqual(['auth.login', 'auth.logout']);
    expect(JSON.stringify(rows)).not.toContain(session.cookie.split('=')[1]);
    expect(JSON.stringify(rows)).not.toContain(session.csrfToken);
  });

  it('writes nothing when the mutation fails (same transaction)', async () => {
    await as('POST', '/teams', { name: 'Duplicate' });
    const start = await lastAuditId();
    const publishedBefore = ctx.published.length;
    const conflict = await as('POST', '/teams', { name: 'Duplicate' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error).toMatchObject({ code: 'conflict', details: { field: 'name' } });
    expect(await auditSince(start)).toEqual([]);
    expect(ctx.published.length).toBe(publishedBefore);
  });

  it('strips secret-bearing fields, however nested', () => {
    expect(
      redact({
        name: 'k',
        key_digest: 'x',
        passwordHash: 'y',
        token: 'z',
        accessToken: 'w',
        maxTokens: 100,
        tokens_per_minute: 5,
        nested: [{ sealed: {}, secret: 's', keep: 1 }],
        at: new Date(0),
      }),
    ).toEqual({
      name: 'k',
      maxTokens: 100,
      tokens_per_minute: 5,
      nested: [{ keep: 1 }],
      at: '1970-01-01T00:00:00.000Z',
    });
  });
});

describe('append-only at the database level', () => {
  it('refuses UPDATE, DELETE and TRUNCATE even for the owner role (trigger)', async () => {
    await ctx.db.withAdmin((tx) =>
      recordAudit(tx, {
        orgId: org.id,
        actor: { kind: 'system', id: null },
        action: 'test.event',
        resourceType: 'test',
        resourceId: null,
      }),
    );
    for (const sql of [
      `UPDATE audit_log SET action = 'tampered'`,
      'DELETE FROM audit_log',
      'TRUNCATE audit_log',
    ]) {
      await expect(
        ctx.db.withAdmin((tx) => tx.query(sql)),
        sql,
      ).rejects.toThrow(/append-only/);
    }
  });

  it('gives the app role no UPDATE or DELETE privilege on it', async () => {
    for (const sql of [`UPDATE audit_log SET action = 'tampered'`, 'DELETE FROM audit_log']) {
      await expect(
        ctx.db.withTenant(org.id, (tx) => tx.query(sql)),
        sql,
      ).rejects.toThrow(/permission denied/);
    }
    const { rows } = await ctx.db.pool.query(
      `SELECT has_table_privilege('acc_app', 'audit_log', 'UPDATE') AS u,
              has_table_privilege('acc_app', 'audit_log', 'DELETE') AS d,
              has_table_privilege('acc_app', 'audit_log', 'INSERT') AS i`,
    );
    expect(rows[0]).toEqual({ u: false, d: false, i: true });
    const { rows: changed } = await ctx.db.pool.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'tampered'`,
    );
    expect(changed[0]?.n).toBe(0);
  });
});
