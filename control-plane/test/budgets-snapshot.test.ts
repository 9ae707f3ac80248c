// Identity and limits reach extproc through the snapshot: a key's agent and whether it may name its own, the
// org's budgets and rate limits, compiled from the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSnapshot } from '../src/policy/compile.js';
import { createOrg, errorOf, setupApp, type TestContext, type TestOrg } from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;

type Method = 'GET' | 'POST' | 'PATCH';
const api = (method: Method, url: string, payload?: object) =>
  ctx.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: org.owner.bearer,
    ...(payload ? { payload } : {}),
  });

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
});
afterAll(async () => ctx?.close());

describe('gateway key agent fields', () => {
  it('default to no agent and no header, can be set at creation and changed', async () => {
    const plain = (await api('POST', '/keys', { name: 'plain' })).json();
    expect(plain).toMatchObject({ agent: null, allowAgentHeader: false });

    const created = await api('POST', '/keys', { name: 'bot', agent: 'triage-bot', allowAgentHeader: true });
    expect(created.statusCode, created.body).toBe(201);
    const key = created.json();
    expect(key).toMatchObject({ agent: 'triage-bot', allowAgentHeader: true });
    expect((await api('GET', `/keys/${key.id}`)).json()).toMatchObject({
      agent: 'triage-bot',
      allowAgentHeader: true,
    });

    const cleared = await api('PATCH', `/keys/${key.id}`, { agent: null });
    expect(cleared.json()).toMatchObject({ agent: null, allowAgentHeader: true });
    const locked = await api('PATCH', `/keys/${key.id}`, { allowAgentHeader: false, agent: 'a.b:c=d_e-f' });
    expect(locked.json()).toMatchObject({ agent: 'a.b:c=d_e-f', allowAgentHeader: false });
  });

  it('refuses agent names extproc would not accept in x-acc-agent', async () => {
    for (const agent of ['has space', '', 'x'.repeat(65), 'émoji']) {
      const response = await api('POST', '/keys', { name: 'bad', agent });
      expect(response.statusCode, agent).toBe(400);
      expect(errorOf(response).details.field).toBe('agent');
    }
  });
});

describe('compiled snapshot', () => {
  it('carries key agent fields, budgets and rate limits', async () => {
    const key = (await api('POST', '/keys', { name: 'snap', agent: 'summariser' })).json();
    const team = (await api('POST', '/teams', { name: 'Snap team' })).json();
    const budget = (
      await api('POST', '/budgets', {
        name: 'Snap',
        scope: 'agent',
        subject: 'summariser',
        window: { kind: 'rolling', seconds: 3600 },
        limitUsd: 12.5,
        enforcement: 'soft',
        models: ['gpt-4o'],
        alertThresholds: [90, 10],
      })
    ).json();
    const limit = (
      await api('POST', '/rate-limits', {
        scope: 'team',
        subject: team.id,
        requestsPerMinute: 30,
        tokensPerMinute: 9000,
      })
    ).json();

    const snapshot = await ctx.db.withAdmin((tx) => compileSnapshot(tx, 1));
    expect(snapshot.keys.find((k) => k.id === key.id)).toMatchObject({
      agent: 'summariser',
      allowAgentHeader: false,
    });
    expect(snapshot.budgets?.find((b) => b.id === budget.id)).toEqual({
      id: budget.id,
      orgId: org.id,
      name: 'Snap',
      scope: 'agent',
      subject: 'summariser',
      window: { kind: 'rolling', seconds: 3600 },
      limitUsd: 12.5,
      enforcement: 'soft',
      models: ['gpt-4o'],
      alertThresholds: [10, 90],
    });
    expect(snapshot.rateLimits?.find((r) => r.id === limit.id)).toEqual({
      id: limit.id,
      orgId: org.id,
      scope: 'team',
      subject: team.id,
      requestsPerMinute: 30,
      tokensPerMinute: 9000,
    });
  });
});
