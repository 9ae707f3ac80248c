// Gateway keys through the API: shown once, stored as extproc's digest, listed without secrets, revocable, and
// audited; policy republished after every change.
import { digestKey } from '@acc/extproc/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrg,
  createUser,
  errorOf,
  setupApp,
  type TestContext,
  type TestOrg,
} from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;
let teamId: string;

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, headers = org.owner.bearer) =>
  ctx.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
  teamId = (await api('POST', '/teams', { name: 'Platform' })).json().id;
});
afterAll(async () => ctx?.close());

async function auditOf(resourceId: string) {
  const { rows } = await ctx.db.pool.query(
    'SELECT action, actor_id, before, after FROM audit_log WHERE resource_id = $1 ORDER BY id',
    [resourceId],
  );
  return rows;
}

describe('gateway keys', () => {
  it('shows the key once, stores only its digest, and never returns it again', async () => {
    const published = ctx.published.length;
    const created = await api('POST', '/keys', { name: 'ci', teamId, allowedModels: ['gpt-4o-mini'] });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const body = created.json();
    expect(body.key).toMatch(/^acc-[0-9A-Za-z]{40}$/);
    expect(body).toMatchObject({
      name: 'ci',
      teamId,
      orgId: org.id,
      prefix: body.key.slice(0, 8),
      revokedAt: null,
    });
    expect(body.createdBy).toBe(org.owner.id);
    expect(ctx.published.slice(published)).toEqual([org.id]);

    const { rows } = await ctx.db.pool.query('SELECT key_digest, prefix FROM gateway_keys WHERE id = $1', [
      body.id,
    ]);
    expect(rows[0]).toEqual({ key_digest: digestKey(body.key), prefix: body.key.slice(0, 8) });

    for (const response of [await api('GET', `/keys/${body.id}`), await api('GET', '/keys')]) {
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toContain(body.key);
      expect(response.body).not.toContain(digestKey(body.key));
      expect(response.body).not.toMatch(/"key"|digest/);
    }
    const audit = await auditOf(body.id);
    expect(audit.map((row) => row.action)).toEqual(['gateway_key.create']);
    expect(JSON.stringify(audit)).not.toContain(body.key.slice(8));
    expect(JSON.stringify(audit)).not.toContain(digestKey(body.key));
  });

  it('updates name, models, expiry and team; null clears', async () => {
    const { id } = (await api('POST', '/keys', { name: 'temp' })).json();
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const updated = await api('PATCH', `/keys/${id}`, {
      name: 'renamed',
      allowedModels: ['a', 'b'],
      expiresAt,
      teamId,
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ name: 'renamed', allowedModels: ['a', 'b'], expiresAt, teamId });
    const cleared = await api('PATCH', `/keys/${id}`, { allowedModels: null, teamId: null });
    expect(cleared.json()).toMatchObject({ name: 'renamed', allowedModels: null, teamId: null, expiresAt });
    const audit = await auditOf(id);
    expect(audit.map((row) => row.action)).toEqual([
      'gateway_key.create',
      'gateway_key.update',
      'gateway_key.update',
    ]);
    expect(audit[2]?.before).toMatchObject({ allowedModels: ['a', 'b'] });
    expect(audit[2]?.after).toMatchObject({ allowedModels: null });
  });

  it('revokes idempotently, and a revoked key can no longer be changed', async () => {
    const { id } = (await api('POST', '/keys', { name: 'to revoke' })).json();
    const published = ctx.published.length;
    const first = await api('POST', `/keys/${id}/revoke`);
    expect(first.statusCode).toBe(200);
    expect(first.json().revokedAt).not.toBeNull();
    const second = await api('POST', `/keys/${id}/revoke`);
    expect(second.json().revokedAt).toBe(first.json().revokedAt);
    expect(ctx.published.length - published).toBe(1);
    expect((await auditOf(id)).map((row) => row.action)).toEqual([
      'gateway_key.create',
      'gateway_key.revoke',
    ]);
    expect((await api('PATCH', `/keys/${id}`, { name: 'zombie' })).statusCode).toBe(409);

    const revoked = (await api('GET', '/keys?revoked=true'))
      .json()
      .items.map((key: { id: string }) => key.id);
    const active = (await api('GET', '/keys?revoked=false&limit=200'))
      .json()
      .items.map((key: { id: string }) => key.id);
    expect(revoked).toContain(id);
    expect(active).not.toContain(id);
  });

  it('filters by team and owner, and pages with a cursor', async () => {
    const sa = (await api('POST', '/service-accounts', { name: 'key-owner', role: 'viewer' })).json();
    const owned = (await api('POST', '/keys', { name: 'owned', ownerServiceAccountId: sa.id })).json();
    const byOwner = (await api('GET', `/keys?ownerServiceAccountId=${sa.id}`)).json();
    expect(byOwner.items.map((key: { id: string }) => key.id)).toEqual([owned.id]);
    const byTeam = (await api('GET', `/keys?teamId=${teamId}`)).json().items;
    expect(byTeam.length).toBeGreaterThan(0);
    expect(byTeam.every((key: { teamId: string }) => key.teamId === teamId)).toBe(true);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = (
        await api('GET', `/keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      seen.push(...page.items.map((key) => key.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe((await api('GET', '/keys?limit=200')).json().items.length);
  });

  it('validates the body and names the field', async () => {
    const cases: [object, string][] = [
      [{}, 'name'],
      [{ name: 'x', allowedModels: [] }, 'allowedModels'],
      [{ name: 'x', expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      [{ name: 'x', teamId: 'not-a-uuid' }, 'teamId'],
      [{ name: 'x', key: 'acc-chosen-by-client' }, 'key'],
    ];
    for (const [payload, field] of cases) {
      const response = await api('POST', '/keys', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(errorOf(response).details.field).toBe(field);
    }
    const both = await api('POST', '/keys', {
      name: 'x',
      ownerUserId: org.owner.id,
      ownerServiceAccountId: org.owner.id,
    });
    expect(both.statusCode).toBe(400);
  });

  it('404s unknown teams and owners', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const field of ['teamId', 'ownerUserId', 'ownerServiceAccountId']) {
      expect((await api('POST', '/keys', { name: 'x', [field]: missing })).statusCode, field).toBe(404);
    }
    expect((await api('GET', `/keys/${missing}`)).statusCode).toBe(404);
  });

  it('lets viewers read but not create, change or revoke', async () => {
    const viewer = await createUser(ctx.db, org.id, 'viewer');
    const editor = await createUser(ctx.db, org.id, 'editor');
    const { id } = (await api('POST', '/keys', { name: 'by editor' }, editor.bearer)).json();
    expect(id).toBeDefined();
    expect((await api('GET', '/keys', undefined, viewer.bearer)).statusCode).toBe(200);
    expect((await api('POST', '/keys', { name: 'nope' }, viewer.bearer)).statusCode).toBe(403);
    expect((await api('PATCH', `/keys/${id}`, { name: 'nope' }, viewer.bearer)).statusCode).toBe(403);
    expect((await api('POST', `/keys/${id}/revoke`, undefined, viewer.bearer)).statusCode).toBe(403);
  });
});
