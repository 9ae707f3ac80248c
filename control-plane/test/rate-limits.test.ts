// Rate limits through the API: one per key or team, at least one rate, subjects checked against the org, audited,
// and every change republished to extproc.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrg,
  createUser,
  errorOf,
  setupApp,
  type TestContext,
  type TestOrg,
  type TestUser,
} from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;
let other: TestOrg;
let keyId: string;
let teamId: string;
let otherKeyId: string;
let editor: TestUser;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const api = (method: Method, url: string, payload?: object, headers = org.owner.bearer) =>
  ctx.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  ctx = await setupApp();
  [org, other] = await Promise.all([createOrg(ctx.db), createOrg(ctx.db)]);
  keyId = (await api('POST', '/keys', { name: 'ci' })).json().id;
  teamId = (await api('POST', '/teams', { name: 'Platform' })).json().id;
  otherKeyId = (await api('POST', '/keys', { name: 'theirs' }, other.owner.bearer)).json().id;
  editor = await createUser(ctx.db, org.id, 'editor');
});
afterAll(async () => ctx?.close());

describe('rate limits', () => {
  it('creates, reads, lists, updates and deletes, audited and republished', async () => {
    const published = ctx.published.length;
    const created = await api('POST', '/rate-limits', {
      scope: 'key',
      subject: keyId,
      requestsPerMinute: 60,
    });
    expect(created.statusCode, created.body).toBe(201);
    const limit = created.json();
    expect(limit).toMatchObject({
      orgId: org.id,
      scope: 'key',
      subject: keyId,
      requestsPerMinute: 60,
      tokensPerMinute: null,
    });
    expect((await api('GET', `/rate-limits/${limit.id}`, undefined, editor.bearer)).json().id).toBe(limit.id);
    expect((await api('GET', `/rate-limits?subject=${keyId}`)).json().items).toHaveLength(1);
    expect((await api('GET', '/rate-limits?scope=team')).json().items).toHaveLength(0);

    const updated = await api('PATCH', `/rate-limits/${limit.id}`, {
      tokensPerMinute: 100_000,
      requestsPerMinute: null,
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({ requestsPerMinute: null, tokensPerMinute: 100_000 });

    expect((await api('DELETE', `/rate-limits/${limit.id}`)).statusCode).toBe(204);
    expect((await api('GET', `/rate-limits/${limit.id}`)).statusCode).toBe(404);
    expect(ctx.published.slice(published)).toEqual([org.id, org.id, org.id]);
    const { rows } = await ctx.db.pool.query(
      'SELECT action FROM audit_log WHERE resource_id = $1 ORDER BY id',
      [limit.id],
    );
    expect(rows.map((row) => row.action)).toEqual([
      'rate_limit.create',
      'rate_limit.update',
      'rate_limit.delete',
    ]);
  });

  it('needs at least one rate, on create and after an update', async () => {
    const none = await api('POST', '/rate-limits', { scope: 'team', subject: teamId });
    expect(none.statusCode).toBe(400);
    expect(errorOf(none).code).toBe('validation_failed');
    const created = (
      await api('POST', '/rate-limits', { scope: 'team', subject: teamId, tokensPerMinute: 500 })
    ).json();
    const cleared = await api('PATCH', `/rate-limits/${created.id}`, { tokensPerMinute: null });
    expect(cleared.statusCode).toBe(400);
    expect((await api('GET', `/rate-limits/${created.id}`)).json().tokensPerMinute).toBe(500);
  });

  it('allows one limit per subject', async () => {
    const again = await api('POST', '/rate-limits', { scope: 'team', subject: teamId, requestsPerMinute: 1 });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).details.field).toBe('subject');
  });

  it('checks the subject: an id of this org, of the right kind', async () => {
    const cases: [object, number][] = [
      [{ scope: 'key', subject: otherKeyId }, 404],
      [{ scope: 'team', subject: keyId }, 404],
      [{ scope: 'key', subject: 'not-an-id' }, 400],
      [{ scope: 'user', subject: keyId }, 400],
      [{ scope: 'key', subject: keyId, requestsPerMinute: 0 }, 400],
      [{ scope: 'key', subject: keyId, requestsPerMinute: 1.5 }, 400],
    ];
    for (const [body, status] of cases) {
      const response = await api('POST', '/rate-limits', { requestsPerMinute: 10, ...body });
      expect(response.statusCode, JSON.stringify(body)).toBe(status);
    }
  });

  it('is written by admins only and invisible to other orgs', async () => {
    const denied = await api(
      'POST',
      '/rate-limits',
      { scope: 'key', subject: keyId, requestsPerMinute: 5 },
      editor.bearer,
    );
    expect(denied.statusCode).toBe(403);
    const mine = (await api('GET', '/rate-limits')).json().items;
    expect(mine.length).toBeGreaterThan(0);
    expect((await api('GET', '/rate-limits', undefined, other.owner.bearer)).json().items).toEqual([]);
    expect((await api('GET', `/rate-limits/${mine[0].id}`, undefined, other.owner.bearer)).statusCode).toBe(
      404,
    );
  });
});
