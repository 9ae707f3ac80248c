// Org A's credentials against every endpoint of keys, provider credentials, pricing, service accounts, API tokens
// and the audit log: B's rows are invisible (404 or absent from lists) and unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrg, setupApp, type TestContext, type TestOrg } from './support/fixtures.js';

let ctx: TestContext;
let a: TestOrg;
let b: TestOrg;
const bIds = { key: '', team: '', serviceAccount: '', token: '', price: '' };

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const as = (org: TestOrg, method: Method, url: string, payload?: object) =>
  ctx.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: org.owner.bearer,
    ...(payload ? { payload } : {}),
  });

beforeAll(async () => {
  ctx = await setupApp();
  [a, b] = await Promise.all([createOrg(ctx.db), createOrg(ctx.db)]);
  for (const org of [a, b]) {
    const team = (await as(org, 'POST', '/teams', { name: 'Team' })).json().id;
    const serviceAccount = (
      await as(org, 'POST', '/service-accounts', { name: 'bot', role: 'viewer' })
    ).json().id;
    const key = (await as(org, 'POST', '/keys', { name: 'k', teamId: team })).json().id;
    const token = (
      await as(org, 'POST', '/api-tokens', { name: 't', serviceAccountId: serviceAccount })
    ).json().id;
    const price = (
      await as(org, 'POST', '/pricing', { provider: 'openai', model: 'shared', inputMtok: 1, outputMtok: 2 })
    ).json().id;
    await as(org, 'PUT', '/provider-credentials/openai', {
      apiKey: `sk-${org.id}`,
      name: `cred of ${org.id}`,
    });
    if (org === b) Object.assign(bIds, { key, team, serviceAccount, token, price });
  }
});
afterAll(async () => ctx?.close());

describe("org A cannot see or touch org B's rows", () => {
  it('lists contain only A rows', async () => {
    for (const url of [
      '/keys?limit=200',
      '/pricing?limit=200',
      '/service-accounts?limit=200',
      '/api-tokens?limit=200',
    ]) {
      const items = (await as(a, 'GET', url)).json().items as { orgId: string }[];
      expect(items.length, url).toBeGreaterThan(0);
      expect(
        items.every((item) => item.orgId === a.id),
        url,
      ).toBe(true);
    }
    const credentials = await as(a, 'GET', '/provider-credentials');
    expect(credentials.json().items.map((c: { name: string }) => c.name)).toEqual([`cred of ${a.id}`]);
    const audit = (await as(a, 'GET', '/audit-log?limit=200')).json().items as { orgId: string }[];
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((row) => row.orgId === a.id)).toBe(true);
  });

  it("filters naming B's ids find nothing", async () => {
    const urls = [
      `/keys?teamId=${bIds.team}`,
      `/keys?ownerServiceAccountId=${bIds.serviceAccount}`,
      `/api-tokens?serviceAccountId=${bIds.serviceAccount}`,
      `/audit-log?resourceId=${bIds.key}`,
      `/audit-log?actorId=${b.owner.id}`,
    ];
    for (const url of urls) expect((await as(a, 'GET', url)).json().items, url).toEqual([]);
  });

  it("B's rows are 404 for every read and write", async () => {
    const requests: [Method, string, object?][] = [
      ['GET', `/keys/${bIds.key}`],
      ['PATCH', `/keys/${bIds.key}`, { name: 'hijacked' }],
      ['POST', `/keys/${bIds.key}/revoke`],
      ['GET', `/pricing/${bIds.price}`],
      ['PATCH', `/pricing/${bIds.price}`, { inputMtok: 0 }],
      ['DELETE', `/pricing/${bIds.price}`],
      ['GET', `/service-accounts/${bIds.serviceAccount}`],
      ['PATCH', `/service-accounts/${bIds.serviceAccount}`, { disabled: true }],
      ['DELETE', `/service-accounts/${bIds.serviceAccount}`],
      ['GET', `/api-tokens/${bIds.token}`],
      ['POST', `/api-tokens/${bIds.token}/revoke`],
      ['POST', '/api-tokens', { name: 'steal', serviceAccountId: bIds.serviceAccount }],
      ['POST', '/keys', { name: 'x', teamId: bIds.team }],
      ['POST', '/keys', { name: 'x', ownerServiceAccountId: bIds.serviceAccount }],
      ['POST', '/keys', { name: 'x', ownerUserId: b.owner.id }],
      ['POST', '/service-accounts', { name: 'x', role: 'viewer', teamId: bIds.team }],
    ];
    for (const [method, url, payload] of requests) {
      const response = await as(a, method, url, payload);
      expect(response.statusCode, `${method} ${url}`).toBe(404);
    }
  });

  it("A's writes leave B's rows unchanged", async () => {
    // Same provider and model names exist in both orgs: A's changes must land on A's rows only.
    await as(a, 'PUT', '/provider-credentials/openai', { apiKey: 'sk-replaced-by-a' });
    await as(a, 'DELETE', '/provider-credentials/openai');
    const { rows } = await ctx.db.pool.query(
      `SELECT (SELECT count(*)::int FROM provider_credentials WHERE org_id = $1) AS credentials,
              (SELECT revoked_at FROM gateway_keys WHERE id = $2) AS revoked,
              (SELECT name FROM gateway_keys WHERE id = $2) AS key_name,
              (SELECT input_mtok FROM pricing_overrides WHERE id = $3) AS input,
              (SELECT disabled_at FROM service_accounts WHERE id = $4) AS disabled,
              (SELECT revoked_at FROM api_tokens WHERE id = $5) AS token_revoked`,
      [b.id, bIds.key, bIds.price, bIds.serviceAccount, bIds.token],
    );
    expect(rows[0]).toEqual({
      credentials: 1,
      revoked: null,
      key_name: 'k',
      input: 1,
      disabled: null,
      token_revoked: null,
    });
    expect((await as(b, 'GET', '/provider-credentials/openai')).json().name).toBe(`cred of ${b.id}`);
  });
});
