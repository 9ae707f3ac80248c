// Service accounts, API tokens (which authenticate against this API) and the read-only audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrg,
  createUser,
  setupApp,
  type TestContext,
  type TestOrg,
  type TestUser,
} from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;
let editor: TestUser;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const api = (
  method: Method,
  url: string,
  payload?: object,
  headers: Record<string, string> = org.owner.bearer,
) => ctx.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
  editor = await createUser(ctx.db, org.id, 'editor');
});
afterAll(async () => ctx?.close());

describe('service accounts', () => {
  it('CRUD for admins, with audit rows; viewers and editors are refused', async () => {
    const created = await api('POST', '/service-accounts', { name: 'ci-bot', role: 'editor' });
    expect(created.statusCode).toBe(201);
    const sa = created.json();
    expect(sa).toMatchObject({
      name: 'ci-bot',
      role: 'editor',
      teamId: null,
      disabledAt: null,
      orgId: org.id,
    });
    expect((await api('GET', `/service-accounts/${sa.id}`)).json()).toEqual(sa);
    const renamed = await api('PATCH', `/service-accounts/${sa.id}`, { name: 'ci', role: 'viewer' });
    expect(renamed.json()).toMatchObject({ name: 'ci', role: 'viewer' });
    expect((await api('POST', '/service-accounts', { name: 'ci', role: 'viewer' })).statusCode).toBe(409);
    expect((await api('POST', '/service-accounts', { name: 'boss', role: 'owner' })).statusCode).toBe(400);
    for (const [method, url, payload] of [
      ['GET', '/service-accounts'],
      ['POST', '/service-accounts', { name: 'x', role: 'viewer' }],
      ['PATCH', `/service-accounts/${sa.id}`, { name: 'x' }],
      ['DELETE', `/service-accounts/${sa.id}`],
    ] as [Method, string, object?][]) {
      expect((await api(method, url, payload, editor.bearer)).statusCode, `${method} ${url}`).toBe(403);
    }
    const { rows } = await ctx.db.pool.query(
      'SELECT action FROM audit_log WHERE resource_id = $1 ORDER BY id',
      [sa.id],
    );
    expect(rows.map((row) => row.action)).toEqual(['service_account.create', 'service_account.update']);
  });

  it('tokens minted for a service account authenticate with its role until revoked or disabled', async () => {
    const sa = (await api('POST', '/service-accounts', { name: 'deployer', role: 'editor' })).json();
    const minted = await api('POST', '/api-tokens', { name: 'deploy', serviceAccountId: sa.id });
    expect(minted.statusCode).toBe(201);
    const { token, id } = minted.json();
    expect(token).toMatch(/^accp_/);
    expect(minted.json()).toMatchObject({
      serviceAccountId: sa.id,
      userId: null,
      prefix: token.slice(0, 13),
    });

    // The service account (editor) can create gateway keys but not manage service accounts.
    expect((await api('POST', '/keys', { name: 'by bot' }, bearer(token))).statusCode).toBe(201);
    expect((await api('GET', '/service-accounts', undefined, bearer(token))).statusCode).toBe(403);
    expect(
      (await api('GET', '/api-tokens', undefined, bearer(token)))
        .json()
        .items.map((t: { id: string }) => t.id),
    ).toEqual([id]);

    await api('PATCH', `/service-accounts/${sa.id}`, { disabled: true });
    expect((await api('GET', '/keys', undefined, bearer(token))).statusCode).toBe(401);
    expect((await api('POST', '/api-tokens', { name: 'more', serviceAccountId: sa.id })).statusCode).toBe(
      409,
    );
    await api('PATCH', `/service-accounts/${sa.id}`, { disabled: false });
    expect((await api('GET', '/keys', undefined, bearer(token))).statusCode).toBe(200);

    expect((await api('POST', `/api-tokens/${id}/revoke`)).json().revokedAt).not.toBeNull();
    expect((await api('GET', '/keys', undefined, bearer(token))).statusCode).toBe(401);
  });

  it('deleting a service account revokes its gateway keys and drops its tokens', async () => {
    const sa = (await api('POST', '/service-accounts', { name: 'temp-bot', role: 'viewer' })).json();
    const key = (await api('POST', '/keys', { name: 'bot key', ownerServiceAccountId: sa.id })).json();
    const { token } = (await api('POST', '/api-tokens', { name: 't', serviceAccountId: sa.id })).json();
    const published = ctx.published.length;
    expect((await api('DELETE', `/service-accounts/${sa.id}`)).statusCode).toBe(204);
    expect(ctx.published.length).toBe(published + 1);
    expect((await api('GET', `/keys/${key.id}`)).json().revokedAt).not.toBeNull();
    expect((await api('GET', '/keys', undefined, bearer(token))).statusCode).toBe(401);
    expect((await api('GET', `/service-accounts/${sa.id}`)).statusCode).toBe(404);
  });
});

describe('API tokens', () => {
  it('users mint and revoke their own; only admins see or revoke others', async () => {
    const mine = await api('POST', '/api-tokens', { name: 'laptop' }, editor.bearer);
    expect(mine.statusCode).toBe(201);
    expect(mine.headers['cache-control']).toBe('no-store');
    const { id, token } = mine.json();
    expect(mine.json()).toMatchObject({ userId: editor.id, serviceAccountId: null });
    expect((await api('GET', '/orgs/current', undefined, bearer(token))).statusCode).toBe(200);

    const listed = await api('GET', '/api-tokens', undefined, editor.bearer);
    expect(listed.json().items.every((t: { userId: string }) => t.userId === editor.id)).toBe(true);
    expect(listed.body).not.toContain(token);
    expect(listed.body).not.toMatch(/digest/);
    const adminView = (await api('GET', '/api-tokens?limit=200'))
      .json()
      .items.map((t: { id: string }) => t.id);
    expect(adminView).toContain(id);

    const ownersToken = (await api('GET', `/api-tokens?userId=${org.owner.id}`)).json().items[0].id;
    expect((await api('GET', `/api-tokens/${ownersToken}`, undefined, editor.bearer)).statusCode).toBe(404);
    expect(
      (await api('POST', `/api-tokens/${ownersToken}/revoke`, undefined, editor.bearer)).statusCode,
    ).toBe(404);
    const sa = (await api('POST', '/service-accounts', { name: 'not-yours', role: 'viewer' })).json();
    expect(
      (await api('POST', '/api-tokens', { name: 'x', serviceAccountId: sa.id }, editor.bearer)).statusCode,
    ).toBe(403);

    expect((await api('POST', `/api-tokens/${id}/revoke`, undefined, editor.bearer)).statusCode).toBe(200);
    expect((await api('POST', `/api-tokens/${id}/revoke`, undefined, bearer(token))).statusCode).toBe(401);
    const { rows } = await ctx.db.pool.query(
      'SELECT action, after FROM audit_log WHERE resource_id = $1 ORDER BY id',
      [id],
    );
    expect(rows.map((row) => row.action)).toEqual(['api_token.create', 'api_token.revoke']);
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});

describe('audit log', () => {
  it('is admin-only, newest first, filterable and paged', async () => {
    expect((await api('GET', '/audit-log', undefined, editor.bearer)).statusCode).toBe(403);
    const all = (await api('GET', '/audit-log?limit=200')).json().items as { id: number; action: string }[];
    expect(all.length).toBeGreaterThan(10);
    expect(all.map((row) => row.id)).toEqual([...all.map((row) => row.id)].sort((x, y) => y - x));

    const revokes = (await api('GET', '/audit-log?action=api_token.revoke')).json().items;
    expect(revokes.length).toBeGreaterThan(0);
    expect(revokes.every((row: { action: string }) => row.action === 'api_token.revoke')).toBe(true);
    const byEditor = (await api('GET', `/audit-log?actorId=${editor.id}`)).json().items;
    expect(byEditor.every((row: { actorId: string }) => row.actorId === editor.id)).toBe(true);
    expect(byEditor.length).toBeGreaterThan(0);
    const sas = (await api('GET', '/audit-log?resourceType=service_account')).json().items;
    expect(sas.every((row: { resourceType: string }) => row.resourceType === 'service_account')).toBe(true);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await api('GET', `/audit-log?from=${future}`)).json().items).toEqual([]);
    expect((await api('GET', `/audit-log?to=${future}&limit=200`)).json().items.length).toBe(all.length);

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: number }[]; nextCursor: string | null } = (
        await api('GET', `/audit-log?limit=7${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      seen.push(...page.items.map((row) => row.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((row) => row.id));
    expect((await api('GET', '/audit-log?cursor=bogus')).statusCode).toBe(400);
  });

  it('has no write endpoints', async () => {
    for (const method of ['POST', 'PATCH', 'DELETE'] as const) {
      expect((await api(method, '/audit-log', {})).statusCode).toBe(404);
    }
  });
});
