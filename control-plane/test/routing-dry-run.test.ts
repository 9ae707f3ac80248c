// POST /routing/test: the org's current rules decide a sample request (OpenAI or Anthropic shape) parsed by
// extproc's adapters, and the answer carries the deciding rule, every rule evaluated and the cost before and after.
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
let euTeamId: string;
let euKeyId: string;
const rules: Record<string, string> = {};

const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, headers = org.owner.bearer) =>
  ctx.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

const test = (payload: object, headers = org.owner.bearer) => api('POST', '/routing/test', payload, headers);

const openaiRequest = {
  model: 'gpt-4o',
  max_tokens: 1000,
  messages: [{ role: 'user', content: 'Summarise the attached report in three bullet points.' }],
};

async function createRule(body: object): Promise<string> {
  const response = await api('POST', '/rules', body);
  if (response.statusCode !== 201) throw new Error(`rule: ${response.statusCode} ${response.body}`);
  return response.json().id;
}

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
  euTeamId = (await api('POST', '/teams', { name: 'eu' })).json().id;
  euKeyId = (await api('POST', '/keys', { name: 'eu key', teamId: euTeamId })).json().id;
  await api('POST', '/routing/deployments', {
    name: 'claude-eu',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
  });
  rules.night = await createRule({
    name: 'No traffic at night',
    priority: 1,
    condition: 'request.hour < 5',
    actions: [{ type: 'deny', reason: 'maintenance window' }],
  });
  rules.cap = await createRule({
    name: 'Cap output',
    priority: 5,
    condition: 'true',
    actions: [{ type: 'cap_max_tokens', maxTokens: 800 }],
  });
  rules.downgrade = await createRule({
    name: 'Downgrade near budget',
    priority: 10,
    condition: 'request.key_utilisation > 0.8 && request.model == "gpt-4o"',
    actions: [{ type: 'rewrite_model', model: 'gpt-4o-mini' }],
  });
  rules.eu = await createRule({
    name: 'EU team to Claude EU',
    priority: 20,
    condition: 'request.team == "eu" && request.provider == "anthropic"',
    actions: [
      { type: 'route', deployment: 'claude-eu' },
      { type: 'add_headers', headers: { 'x-region': 'eu' } },
    ],
  });
  rules.broken = await createRule({
    name: 'Org budget',
    priority: 30,
    condition: "request.budget['org'] > 0.5",
    actions: [{ type: 'deny', reason: 'org budget' }],
  });
});
afterAll(async () => ctx?.close());

describe('POST /routing/test', () => {
  it('budget-aware downgrade: decision, deciding rule, evaluated rules and the saving', async () => {
    const response = await test({
      request: openaiRequest,
      context: { utilisation: { key: 0.9 }, estimatedInputTokens: 2000, now: '2026-01-06T12:00:00Z' },
    });
    expect(response.statusCode, response.body).toBe(200);
    const result = response.json();
    expect(result.decision).toMatchObject({
      ruleId: rules.downgrade,
      ruleName: 'Downgrade near budget',
      model: 'gpt-4o-mini',
      requestedModel: 'gpt-4o',
      provider: 'openai',
      deployment: null,
      maxTokensCap: 800,
      deny: null,
      appliedRuleIds: [rules.cap, rules.downgrade],
    });
    expect(
      result.decision.evaluated.map((e: { ruleId: string; matched: boolean }) => [e.ruleId, e.matched]),
    ).toEqual([
      [rules.night, false],
      [rules.cap, true],
      [rules.downgrade, true],
    ]);
    expect(result.matchedRule).toMatchObject({ id: rules.downgrade, priority: 10 });
    expect(result.attributes).toMatchObject({
      hour: 12,
      weekday: 2,
      maxTokens: 1000,
      estimatedInputTokens: 2000,
    });
    // gpt-4o: 2000 × $2.50/M + 1000 × $10/M; gpt-4o-mini: 2000 × $0.15/M + 800 (capped) × $0.60/M.
    expect(result.cost.inputTokens).toBe(2000);
    expect(result.cost.requested).toEqual({
      provider: 'openai',
      model: 'gpt-4o',
      outputTokens: 1000,
      estimatedUsd: expect.closeTo(0.015, 12),
    });
    expect(result.cost.chosen).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
      outputTokens: 800,
      estimatedUsd: expect.closeTo(0.00078, 12),
    });
    expect(result.cost.savingsUsd).toBeCloseTo(0.01422, 12);
  });

  it('keeps the model below the threshold, and reports a rule that fails to evaluate as no match', async () => {
    const result = (
      await test({
        request: openaiRequest,
        context: { utilisation: { key: 0.5 }, now: '2026-01-06T12:00:00Z' },
      })
    ).json();
    expect(result.decision).toMatchObject({ ruleId: 'default', model: 'gpt-4o', maxTokensCap: 800 });
    expect(result.matchedRule).toBeNull();
    const broken = result.decision.evaluated.find((e: { ruleId: string }) => e.ruleId === rules.broken);
    expect(broken).toMatchObject({ matched: false, error: { message: expect.stringMatching(/org/) } });
    // No estimate given: counted from the request itself.
    expect(result.cost.inputTokens).toBeGreaterThan(10);
    expect(result.cost.inputTokens).toBeLessThan(40);
  });

  it('routes an Anthropic request of the EU team (by name, or through its key) to the deployment', async () => {
    const anthropic = {
      model: 'claude-haiku-4-5',
      max_tokens: 500,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'hello' }],
    };
    for (const context of [{ team: 'eu' }, { team: euTeamId }, { key: euKeyId }]) {
      const response = await test({
        request: anthropic,
        context: { ...context, now: '2026-01-06T12:00:00Z' },
      });
      expect(response.statusCode, response.body).toBe(200);
      const result = response.json();
      expect(result.decision, JSON.stringify(context)).toMatchObject({
        ruleId: rules.eu,
        deployment: 'claude-eu',
        model: 'claude-sonnet-4-5',
        provider: 'anthropic',
        addHeaders: { 'x-region': 'eu' },
        maxTokensCap: 800,
      });
      expect(result.attributes).toMatchObject({
        provider: 'anthropic',
        endpoint: 'messages',
        team: 'eu',
        teamId: euTeamId,
      });
      expect(result.cost.requested.model).toBe('claude-haiku-4-5');
      expect(result.cost.savingsUsd).toBeLessThan(0);
    }
  });

  it('prices a denied request at nothing', async () => {
    const result = (
      await test({ provider: 'openai', request: openaiRequest, context: { now: '2026-01-06T03:00:00Z' } })
    ).json();
    expect(result.decision).toMatchObject({
      ruleId: rules.night,
      deny: { reason: 'maintenance window' },
      model: 'gpt-4o',
    });
    expect(result.cost.chosen).toMatchObject({ estimatedUsd: 0, outputTokens: 0 });
    expect(result.cost.savingsUsd).toBeCloseTo(result.cost.requested.estimatedUsd, 12);
  });

  it('uses the rules as they are now', async () => {
    await api('DELETE', `/rules/${rules.night}`);
    const result = (await test({ request: openaiRequest, context: { now: '2026-01-06T03:00:00Z' } })).json();
    expect(result.decision.deny).toBeNull();
    expect(result.decision.evaluated[0].ruleId).toBe(rules.cap);
  });

  it('explains a request it cannot run', async () => {
    const badBody = await test({ provider: 'openai', request: { model: 'gpt-4o', messages: 'hello' } });
    expect(badBody.statusCode).toBe(400);
    expect(errorOf(badBody)).toMatchObject({
      code: 'validation_failed',
      details: { field: 'request.messages' },
    });

    const noProvider = await test({
      request: { model: 'house-model', messages: [{ role: 'user', content: 'x' }] },
    });
    expect(errorOf(noProvider).details.field).toBe('provider');

    const noTeam = await test({ request: openaiRequest, context: { team: 'nobody' } });
    expect(errorOf(noTeam).details.field).toBe('context.team');
    const noKey = await test({
      request: openaiRequest,
      context: { key: '00000000-0000-4000-8000-000000000000' },
    });
    expect(errorOf(noKey).details.field).toBe('context.key');
    expect((await test({ request: openaiRequest, context: { utilisation: { key: -1 } } })).statusCode).toBe(
      400,
    );
  });

  it('is open to viewers, and never to another org', async () => {
    const viewer = await createUser(ctx.db, org.id, 'viewer');
    const response = await test(
      { request: openaiRequest, context: { utilisation: { key: 0.9 } } },
      viewer.bearer,
    );
    expect(response.statusCode).toBe(200);
    const other = await createOrg(ctx.db);
    const foreign = await test(
      { request: openaiRequest, context: { utilisation: { key: 0.9 } } },
      other.owner.bearer,
    );
    expect(foreign.json().decision).toMatchObject({ ruleId: 'default', evaluated: [] });
    const foreignTeam = await test(
      { request: openaiRequest, context: { team: euTeamId } },
      other.owner.bearer,
    );
    expect(errorOf(foreignTeam).details.field).toBe('context.team');
  });
});
