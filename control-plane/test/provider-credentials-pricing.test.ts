// Provider credentials are write-only (sealed under the master key, never returned in any form) and price
// overrides are validated field by field.
import { openSecret, parseMasterKey, type SealedSecret } from '@acc/extproc/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrg,
  createUser,
  errorOf,
  MASTER_KEY,
  setupApp,
  type TestContext,
  type TestOrg,
} from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;
const SECRET = 'sk-proj-THIS-IS-THE-SECRET-abcd1234';

const api = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: object,
  headers = org.owner.bearer,
) => ctx.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
});
afterAll(async () => ctx?.close());

describe('provider credentials', () => {
  it('seals the key under the master key and never returns it', async () => {
    const created = await api('PUT', '/provider-credentials/openai', { apiKey: SECRET, name: 'Prod' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ provider: 'openai', name: 'Prod' });
    expect(Object.keys(created.json()).sort()).toEqual(['createdAt', 'id', 'name', 'provider', 'updatedAt']);

    const { rows } = await ctx.db.pool.query<{ sealed: SealedSecret }>(
      `SELECT sealed FROM provider_credentials WHERE org_id = $1 AND provider = 'openai'`,
      [org.id],
    );
    const sealed = rows[0]?.sealed as SealedSecret;
    expect(JSON.stringify(sealed)).not.toContain(SECRET);
    expect(openSecret(sealed, [parseMasterKey(MASTER_KEY)])).toBe(SECRET);
    expect(() => openSecret(sealed, [parseMasterKey('b'.repeat(64))])).toThrow();

    const responses = [
      created,
      await api('GET', '/provider-credentials'),
      await api('GET', '/provider-credentials/openai'),
      await api('PUT', '/provider-credentials/openai', { apiKey: `${SECRET}-v2` }),
      await api('GET', '/audit-log?resourceType=provider_credential'),
    ];
    for (const response of responses) {
      expect(response.statusCode).toBeLessThan(300);
      expect(response.body).not.toContain('SECRET');
      expect(response.body).not.toContain('abcd');
      expect(response.body).not.toContain(sealed.ciphertext);
      expect(response.body).not.toMatch(/sealed|ciphertext|apiKey/);
    }
    expect(responses[3]?.statusCode).toBe(200);
    expect(responses[3]?.json().name).toBe('Prod');
    const { rows: audit } = await ctx.db.pool.query(
      `SELECT action, before, after FROM audit_log WHERE resource_type = 'provider_credential' ORDER BY id`,
    );
    expect(audit.map((row) => row.action)).toEqual([
      'provider_credential.create',
      'provider_credential.update',
    ]);
    expect(JSON.stringify(audit)).not.toContain('SECRET');
    expect(ctx.published).toContain(org.id);
  });

  it('deletes, 404s afterwards, and validates the provider and the key', async () => {
    await api('PUT', '/provider-credentials/anthropic', { apiKey: 'sk-ant-0123456789' });
    expect((await api('DELETE', '/provider-credentials/anthropic')).statusCode).toBe(204);
    expect((await api('GET', '/provider-credentials/anthropic')).statusCode).toBe(404);
    expect((await api('DELETE', '/provider-credentials/anthropic')).statusCode).toBe(404);
    expect((await api('PUT', '/provider-credentials/mistral', { apiKey: 'sk-0123456789' })).statusCode).toBe(
      400,
    );
    const short = await api('PUT', '/provider-credentials/openai', { apiKey: 'x' });
    expect(short.statusCode).toBe(400);
    expect(errorOf(short).details.field).toBe('apiKey');
    expect(errorOf(short).message).not.toContain('"x"');
  });

  it('needs admin to write; viewers see only which providers exist', async () => {
    const editor = await createUser(ctx.db, org.id, 'editor');
    expect(
      (await api('PUT', '/provider-credentials/openai', { apiKey: SECRET }, editor.bearer)).statusCode,
    ).toBe(403);
    expect((await api('DELETE', '/provider-credentials/openai', undefined, editor.bearer)).statusCode).toBe(
      403,
    );
    const list = await api('GET', '/provider-credentials', undefined, editor.bearer);
    expect(list.json().items.map((item: { provider: string }) => item.provider)).toEqual(['openai']);
  });
});

describe('pricing overrides', () => {
  const valid = { provider: 'openai', model: 'gpt-x', inputMtok: 2.5, outputMtok: 10, cacheReadMtok: 1.25 };

  it('creates, reads, updates and deletes, with audit rows', async () => {
    const created = await api('POST', '/pricing', valid);
    expect(created.statusCode).toBe(201);
    const price = created.json();
    expect(price).toMatchObject({ ...valid, cacheWriteMtok: null, orgId: org.id });
    expect((await api('GET', `/pricing/${price.id}`)).json()).toEqual(price);
    expect((await api('GET', '/pricing?provider=openai&model=gpt-x')).json().items).toEqual([price]);
    expect((await api('GET', '/pricing?provider=anthropic')).json().items).toEqual([]);

    const updated = await api('PATCH', `/pricing/${price.id}`, {
      outputMtok: 0,
      cacheReadMtok: null,
      cacheWriteMtok: 3,
    });
    expect(updated.json()).toMatchObject({
      inputMtok: 2.5,
      outputMtok: 0,
      cacheReadMtok: null,
      cacheWriteMtok: 3,
    });
    const duplicate = await api('POST', '/pricing', valid);
    expect(duplicate.statusCode).toBe(409);
    expect((await api('DELETE', `/pricing/${price.id}`)).statusCode).toBe(204);
    expect((await api('GET', `/pricing/${price.id}`)).statusCode).toBe(404);

    const { rows } = await ctx.db.pool.query(
      'SELECT action FROM audit_log WHERE resource_id = $1 ORDER BY id',
      [price.id],
    );
    expect(rows.map((row) => row.action)).toEqual([
      'price_override.create',
      'price_override.update',
      'price_override.delete',
    ]);
  });

  it('rejects negative, infinite, non-numeric and missing prices, naming the field', async () => {
    const cases: [object, string][] = [
      [{ ...valid, inputMtok: -1 }, 'inputMtok'],
      [{ ...valid, outputMtok: '3' }, 'outputMtok'],
      [{ ...valid, cacheReadMtok: -0.5 }, 'cacheReadMtok'],
      [{ ...valid, cacheWriteMtok: 1e9 }, 'cacheWriteMtok'],
      [{ provider: 'openai', model: 'm', inputMtok: 1 }, 'outputMtok'],
      [{ ...valid, provider: 'gemini' }, 'provider'],
      [{ ...valid, model: 'has space' }, 'model'],
    ];
    for (const [payload, field] of cases) {
      const response = await api('POST', '/pricing', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(errorOf(response).details.field, JSON.stringify(payload)).toBe(field);
      expect(errorOf(response).message).toContain(field);
    }
    // 1e999 is valid JSON that parses to Infinity.
    const infinite = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/pricing',
      headers: { ...org.owner.bearer, 'content-type': 'application/json' },
      payload: '{"provider":"openai","model":"m","inputMtok":1e999,"outputMtok":1}',
    });
    expect(infinite.statusCode).toBe(400);
    expect(errorOf(infinite).details.field).toBe('inputMtok');
    const { id } = (await api('POST', '/pricing', { ...valid, model: 'patch-me' })).json();
    const patch = await api('PATCH', `/pricing/${id}`, { inputMtok: -3 });
    expect(errorOf(patch).details.field).toBe('inputMtok');
  });

  it('needs admin to write', async () => {
    const editor = await createUser(ctx.db, org.id, 'editor');
    expect((await api('POST', '/pricing', { ...valid, model: 'e' }, editor.bearer)).statusCode).toBe(403);
    expect((await api('GET', '/pricing', undefined, editor.bearer)).statusCode).toBe(200);
  });
});
