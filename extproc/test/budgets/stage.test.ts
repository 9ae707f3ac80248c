// The budget stage driven through StreamContext without Envoy: reserve before forwarding, the 429/503 answers in
// each provider's shape, settlement by outcome, and the injected output cap.
import { describe, expect, it } from 'vitest';
import { MemoryBudgetStore } from '../../src/budgets/memory-store.js';
import { RedisBudgetStore } from '../../src/budgets/redis-store.js';
import { ResilientBudgetStore } from '../../src/budgets/resilient-store.js';
import type { BudgetStore } from '../../src/budgets/store.js';
import type { SnapshotRateLimit } from '../../src/budgets/types.js';
import type { RequestStage } from '../../src/pipeline/stages.js';
import { body, handleNow, responseHeaders } from '../support/ext-proc-messages.js';
import {
  answerJson,
  anthropicHeaders,
  budget,
  COMPLETION,
  COMPLETION_NANOS,
  chat,
  forwarded,
  gateway,
  immediate,
  KEY_ID,
  ORG,
  OWNER,
  openaiHeaders,
  policyWith,
  send,
  TEAM,
} from './stage-support.js';
import { closedPort } from './tcp-proxy.js';

describe('budget stage', () => {
  it('leaves requests without budgets alone: no reservation, body unchanged', async () => {
    const { open, records } = gateway(policyWith([]));
    const { context, reply } = await send(open, openaiHeaders(), chat());
    expect(reply.immediate_response).toBeUndefined();
    expect(forwarded(reply)).toBeNull();
    answerJson(context, 200, COMPLETION);
    expect(records[0]?.reservedCostUsd).toBeNull();
  });

  it('reserves with the injected output cap, then settles to the billed cost', async () => {
    const org = budget({ limitUsd: 1 });
    const { open, records, memory, stage } = gateway(policyWith([org]));
    const { context, reply } = await send(open, openaiHeaders(), chat());
    expect(forwarded(reply)).toMatchObject({ max_completion_tokens: 1000 });
    const reserved = memory.usage(org).reservedNanos;
    // Output cap at $0.60/M plus a small prompt at $0.15/M, rounded up.
    expect(reserved).toBeGreaterThan(1000 * 600);
    expect(reserved).toBeLessThan(1000 * 600 + 100 * 150);
    answerJson(context, 200, COMPLETION);
    await stage.idle();
    expect(records[0]?.reservedCostUsd).toBe(reserved / 1e9);
    expect(memory.usage(org)).toMatchObject({ spentNanos: COMPLETION_NANOS, reservedNanos: 0 });

    // The next answer says what is left of the budget after its own reservation, from figures already in memory.
    const next = await send(open, openaiHeaders(), chat());
    const head = handleNow(
      next.context,
      responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
    );
    const added = (head.response_headers?.response?.header_mutation?.set_headers ?? []).map((h) => [
      h.header?.key,
      Buffer.from(h.header?.raw_value as Buffer).toString(),
    ]);
    expect(Object.fromEntries(added)['x-acc-budget-remaining-usd']).toBe(
      String((1e9 - COMPLETION_NANOS - reserved) / 1e9),
    );
  });

  it("keeps the client's own max tokens and reserves for them", async () => {
    const org = budget({ limitUsd: 1 });
    const { open, memory } = gateway(policyWith([org]));
    const { reply } = await send(open, openaiHeaders(), chat({ max_tokens: 10 }));
    expect(forwarded(reply)).toBeNull();
    expect(memory.usage(org).reservedNanos).toBeLessThan(10 * 600 + 100 * 150);
  });

  it('denies what could exceed the budget with 429 in OpenAI shape and the budget headers', async () => {
    const now = Date.UTC(2030, 4, 10, 12);
    const org = budget({ name: 'Tiny, "quoted"', limitUsd: 0.0001 });
    const { open, records, metrics } = gateway(policyWith([org]), { now: () => now });
    const { context, reply } = await send(open, openaiHeaders(), chat());
    const answer = immediate(reply);
    expect(answer.status).toBe(429);
    expect(answer.body.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
    expect(answer.body.error.message).toContain('$0.0001');
    expect(answer.headers).toMatchObject({
      'x-acc-budget-id': org.id,
      'x-acc-budget-name': encodeURIComponent('Tiny, "quoted"'),
      'x-acc-budget-scope': 'org',
      'x-acc-budget-limit-usd': '0.0001',
      'x-acc-budget-remaining-usd': '0.0001',
      'x-acc-budget-reset': '2030-06-01T00:00:00.000Z',
      'retry-after': String((Date.UTC(2030, 5, 1) - now) / 1000),
    });
    context.close();
    expect(records[0]).toMatchObject({ decision: 'rejected', status: 429, reservedCostUsd: null });
    const denials = await metrics.registry.getSingleMetricAsString('acc_budget_denials_total');
    expect(denials).toContain('acc_budget_denials_total{reason="budget_exceeded"} 1');
  });

  it('denies in Anthropic shape, and counts team, user, key and tag budgets', async () => {
    for (const [scope, subject] of [
      ['team', TEAM],
      ['user', OWNER],
      ['key', KEY_ID],
      ['tag', 'nightly'],
    ] as const) {
      const { open } = gateway(policyWith([budget({ scope, subject, limitUsd: 0.000001 })]));
      const headers = { ...anthropicHeaders(), 'x-acc-tags': 'nightly' };
      const payload = JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'hi' }],
      });
      const answer = immediate((await send(open, headers, payload)).reply);
      expect(answer.status).toBe(429);
      expect(answer.body).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
      expect(answer.headers['x-acc-budget-scope']).toBe(scope);
    }
  });

  it('applies per-model budgets to the model routing chose, not the one asked for', async () => {
    const routed = budget({ models: ['gpt-4o'], limitUsd: 0.000001 });
    const routing: RequestStage = {
      name: 'routing',
      onRequest(context) {
        context.annotations.routedModel = 'gpt-4o';
        return null;
      },
    };
    const { open } = gateway(policyWith([routed]), { before: [routing] });
    expect(immediate((await send(open, openaiHeaders(), chat())).reply).status).toBe(429);
    const { open: unrouted } = gateway(policyWith([routed]));
    expect((await send(unrouted, openaiHeaders(), chat())).reply.immediate_response).toBeUndefined();
  });

  it('sizes the reservation on the model routing names for it: the priciest of a mixed fallback chain', async () => {
    const org = budget({ limitUsd: 1 });
    const reserved = async (reservationModel: string | null) => {
      const routing: RequestStage = {
        name: 'routing',
        onRequest(context) {
          if (reservationModel) context.annotations.reservationModel = reservationModel;
          return null;
        },
      };
      const { open, memory } = gateway(policyWith([org]), { before: [routing] });
      await send(open, openaiHeaders(), chat({ model: 'gpt-4o-mini', max_completion_tokens: 100 }));
      return memory.usage(org).reservedNanos;
    };
    const sent = await reserved(null);
    const priciest = await reserved('gpt-4o');
    // gpt-4o costs 16.7× gpt-4o-mini per token, input and output alike.
    expect(priciest / sent).toBeCloseTo(50 / 3, 0);
  });

  it('releases on an upstream error, charging only what its answer reports', async () => {
    const org = budget({ limitUsd: 1 });
    const { open, memory, stage } = gateway(policyWith([org]));
    const failed = await send(open, openaiHeaders(), chat());
    answerJson(failed.context, 500, JSON.stringify({ error: { message: 'boom', type: 'server_error' } }));
    await stage.idle();
    expect(memory.usage(org)).toMatchObject({ spentNanos: 0, reservedNanos: 0 });
  });

  it('charges the full reservation when the client leaves mid-stream', async () => {
    const org = budget({ limitUsd: 1 });
    const { open, memory, stage, records } = gateway(policyWith([org]));
    const { context } = await send(open, openaiHeaders(), chat({ stream: true }));
    const reserved = memory.usage(org).reservedNanos;
    handleNow(context, responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }));
    const chunk = {
      id: 'c',
      object: 'chat.completion.chunk',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, delta: { content: 'partial' }, finish_reason: null }],
    };
    handleNow(context, body('response_body', `data: ${JSON.stringify(chunk)}\n\n`, false));
    context.close();
    await stage.idle();
    expect(records[0]?.outcome).toBe('client_closed');
    expect(memory.usage(org)).toMatchObject({ spentNanos: reserved, reservedNanos: 0 });
  });

  it('refuses unpriced models under a dollar budget unless allowed, then reserves $0', async () => {
    const org = budget({ limitUsd: 1 });
    const payload = chat({ model: 'no-such-model-xyz' });
    const refused = immediate((await send(gateway(policyWith([org])).open, openaiHeaders(), payload)).reply);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'budget_unpriced_model', param: 'model' });
    const allowed = gateway(policyWith([org]), { allowUnpriced: true });
    const { context, reply } = await send(allowed.open, openaiHeaders(), payload);
    expect(reply.immediate_response).toBeUndefined();
    answerJson(context, 200, COMPLETION.replace('gpt-4o-mini', 'no-such-model-xyz'));
    await allowed.stage.idle();
    expect(allowed.memory.usage(org)).toMatchObject({ spentNanos: 0, reservedNanos: 0 });
  });

  it('answers rate limits with 429 rate_limited and Retry-After to the next minute', async () => {
    const now = Date.UTC(2030, 4, 10, 12, 0, 15);
    const limit: SnapshotRateLimit = {
      id: 'limit-1',
      orgId: ORG,
      scope: 'key',
      subject: KEY_ID,
      requestsPerMinute: 1,
      tokensPerMinute: null,
    };
    const { open } = gateway(policyWith([], [limit]), { now: () => now });
    expect((await send(open, openaiHeaders(), chat())).reply.immediate_response).toBeUndefined();
    const answer = immediate((await send(open, openaiHeaders(), chat())).reply);
    expect(answer.status).toBe(429);
    expect(answer.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
    expect(answer.headers).toMatchObject({
      'x-acc-rate-limit-id': 'limit-1',
      'x-acc-rate-limit-unit': 'requests',
      'x-acc-rate-limit-remaining': '0',
      'retry-after': '45',
    });
  });

  it('starts a fresh window at midnight in the budget time zone', async () => {
    // 23:59 in New York on 10 May 2030 is 03:59 UTC on 11 May.
    let now = Date.UTC(2030, 4, 11, 3, 59);
    const daily = budget({
      window: { kind: 'calendar', period: 'day', timeZone: 'America/New_York' },
      limitUsd: 0.001,
    });
    const { open, stage } = gateway(policyWith([daily]), { now: () => now });
    const first = await send(open, openaiHeaders(), chat({ max_tokens: 1000 }));
    answerJson(first.context, 200, COMPLETION.replace('"completion_tokens":20', '"completion_tokens":1000'));
    await stage.idle();
    const denied = immediate((await send(open, openaiHeaders(), chat({ max_tokens: 1000 }))).reply);
    expect(denied.status).toBe(429);
    expect(denied.headers['x-acc-budget-reset']).toBe('2030-05-11T04:00:00.000Z');
    expect(denied.headers['retry-after']).toBe('60');
    now += 60_000;
    const next = await send(open, openaiHeaders(), chat({ max_tokens: 1000 }));
    expect(next.reply.immediate_response).toBeUndefined();
  });

  it('answers 503 budget_unavailable when Redis is down and the failure mode is closed', async () => {
    const redis = new RedisBudgetStore({ url: `redis://127.0.0.1:${await closedPort()}` });
    const store = new ResilientBudgetStore({ redis, mode: 'closed' });
    try {
      const { open } = gateway(policyWith([budget({})]), { store });
      const answer = immediate(
        (
          await send(
            open,
            anthropicHeaders(),
            JSON.stringify({
              model: 'claude-sonnet-4-5',
              max_tokens: 10,
              messages: [{ role: 'user', content: 'hi' }],
            }),
          )
        ).reply,
      );
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    } finally {
      await store.close();
    }
  });

  it('answers a failing store with 503 and a reused in-flight request id with 409, never a broken stream', async () => {
    const broken: BudgetStore = {
      reserve: () => Promise.reject(new Error('store exploded')),
      settle: () => Promise.reject(new Error('unused')),
      release: () => Promise.reject(new Error('unused')),
      close: async () => {},
    };
    const failing = gateway(policyWith([budget({})]), { store: broken });
    const answer = immediate((await send(failing.open, openaiHeaders(), chat())).reply);
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatchObject({ type: 'server_error', code: 'budget_unavailable' });

    const { open } = gateway(policyWith([budget({})]));
    const headers = openaiHeaders();
    expect((await send(open, headers, chat())).reply.immediate_response).toBeUndefined();
    const again = immediate((await send(open, headers, chat())).reply);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('duplicate_request_id');
  });

  it('never throws out of onFinish when the store fails, and counts it', async () => {
    const memory = new MemoryBudgetStore();
    const failing: BudgetStore = {
      reserve: (input) => memory.reserve(input),
      settle: () => Promise.reject(new Error('store lost')),
      release: () => Promise.reject(new Error('store lost')),
      close: () => memory.close(),
    };
    const { open, stage, records, metrics } = gateway(policyWith([budget({})]), { store: failing });
    const { context } = await send(open, openaiHeaders(), chat());
    answerJson(context, 200, COMPLETION);
    await stage.idle();
    expect(records).toHaveLength(1);
    const errors = await metrics.registry.getSingleMetricAsString('acc_budget_store_errors_total');
    expect(errors).toContain('operation="finish"');
  });
});
