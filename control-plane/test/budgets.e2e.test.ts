// Budget enforcement end to end: budgets created through the API, published to Redis, enforced by one or two
// gateways (real Envoy + extproc) against the fake upstream, driven by the official SDKs. Overshoot must be zero.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CostEstimator } from '../../extproc/src/budgets/estimate.js';
import { readBudgetUsage } from '../../extproc/src/budgets/redis-usage.js';
import { type SnapshotBudget, usdToNanos } from '../../extproc/src/budgets/types.js';
import { createPricer } from '../../extproc/src/pricing/pricing.js';
import { openaiAdapter } from '../../extproc/src/providers/index.js';
import {
  type Gateway,
  type GatewayStack,
  keyWithBudget,
  startGatewayStack,
  until,
} from './support/gateway-stack.js';

const REDIS_DB = 12;
const MAX_TOKENS = 50;
const chat = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Summarise the quarterly budget in one line.' }],
  max_tokens: MAX_TOKENS,
};

let stack: GatewayStack;
let reservedNanos: number;

beforeAll(async () => {
  const estimate = await new CostEstimator(createPricer()).estimate(openaiAdapter.parseRequest(chat));
  if (!estimate.priced) throw new Error('gpt-4o-mini has no price');
  reservedNanos = estimate.costNanos;
  // The upstream bills exactly the estimated prompt and the whole output cap: every admitted request costs what it
  // reserved, so freed headroom never lets an 11th request in and "at most 10" is exact.
  stack = await startGatewayStack(REDIS_DB, {
    'x-fake-prompt-tokens': String(estimate.inputTokens),
    'x-fake-pieces': String(MAX_TOKENS),
  });
});

afterAll(async () => {
  await stack?.close();
});

function snapshotBudget(json: Record<string, unknown>): SnapshotBudget {
  const { id, orgId, name, scope, subject, window, limitUsd, enforcement, models, alertThresholds } =
    json as unknown as SnapshotBudget;
  return { id, orgId, name, scope, subject, window, limitUsd, enforcement, models, alertThresholds };
}

async function settledUsage(budget: SnapshotBudget) {
  let usage = await readBudgetUsage(stack.redis, budget, Date.now());
  await until(async () => {
    usage = await readBudgetUsage(stack.redis, budget, Date.now());
    return usage.reservedNanos === 0;
  });
  return usage;
}

async function ledgerTotals(keyId: string, requests: number) {
  let totals = { requests: 0, costUsd: 0 };
  await until(async () => {
    const summary = await stack.api('GET', `/spend/summary?groupBy=key&key=${keyId}`);
    totals = summary.json.totals as typeof totals;
    return totals.requests === requests;
  });
  return totals;
}

type Outcome = { admitted: true } | { admitted: false; status: number; code: unknown; headers: Headers };

async function request(gateway: Gateway, key: string, stream: boolean): Promise<Outcome> {
  const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  try {
    if (stream) {
      const chunks = await client.chat.completions.create({ ...chat, stream: true });
      for await (const _ of chunks);
    } else {
      await client.chat.completions.create(chat);
    }
    return { admitted: true };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return {
      admitted: false,
      status: error.status ?? 0,
      code: error.code,
      headers: error.headers as Headers,
    };
  }
}

async function burst(gateways: Gateway[], key: string, total: number): Promise<Outcome[]> {
  return Promise.all(
    Array.from({ length: total }, (_, i) =>
      request(gateways[i % gateways.length] as Gateway, key, i % 4 < 2),
    ),
  );
}

/** A USD budget that holds exactly 10 reservations (limits are kept to the micro-dollar). */
async function tenRequestBudget(name: string) {
  const limitNanos = Math.ceil((10 * reservedNanos) / 1000) * 1000;
  expect(limitNanos).toBeLessThan(11 * reservedNanos);
  const made = await keyWithBudget(stack.api, name, {
    window: { kind: 'calendar', period: 'month', timeZone: 'UTC' },
    limitUsd: limitNanos / 1e9,
  });
  await stack.waitForBudget(made.budgetId);
  return { ...made, limitNanos, snapshot: snapshotBudget(made.budget) };
}

function expectDenials(outcomes: Outcome[], budgetId: string, limitNanos: number): void {
  for (const outcome of outcomes) {
    if (outcome.admitted) continue;
    expect(outcome.status).toBe(429);
    expect(outcome.code).toBe('budget_exceeded');
    expect(outcome.headers.get('x-acc-budget-id')).toBe(budgetId);
    expect(outcome.headers.get('x-acc-budget-scope')).toBe('key');
    expect(Number(outcome.headers.get('x-acc-budget-limit-usd'))).toBeCloseTo(limitNanos / 1e9, 9);
    expect(Number(outcome.headers.get('x-acc-budget-remaining-usd'))).toBeLessThan(reservedNanos / 1e9);
    expect(Date.parse(outcome.headers.get('x-acc-budget-reset') ?? '')).toBeGreaterThan(Date.now());
    expect(Number(outcome.headers.get('retry-after'))).toBeGreaterThan(0);
  }
}

function report(label: string, admitted: number, spentNanos: number, limitNanos: number): void {
  if (process.env.ACC_BUDGET_E2E_REPORT) {
    console.log(`${label}: admitted ${admitted}, spent ${spentNanos} of ${limitNanos} nano-USD`);
  }
}

describe('budgets through the gateway', () => {
  it('admits at most 10 of 200 concurrent requests against a budget for 10; the rest get 429 with headers', async () => {
    const gateway = await stack.startGateway();
    const { key, keyId, budgetId, limitNanos, snapshot } = await tenRequestBudget('one-gateway');
    const outcomes = await burst([gateway], key, 200);
    const admitted = outcomes.filter((o) => o.admitted).length;
    expect(admitted).toBe(10);
    expectDenials(outcomes, budgetId, limitNanos);

    const usage = await settledUsage(snapshot);
    expect(usage.spentNanos).toBeLessThanOrEqual(limitNanos);
    // Billed = estimate, up to the estimate's rounding up to the next nano-dollar.
    expect(usage.spentNanos).toBeGreaterThanOrEqual(admitted * (reservedNanos - 1));
    const ledger = await ledgerTotals(keyId, 200);
    expect(usdToNanos(ledger.costUsd)).toBeLessThanOrEqual(limitNanos);
    expect(usdToNanos(ledger.costUsd)).toBe(usage.spentNanos);
    report('one gateway', admitted, usage.spentNanos, limitNanos);
    await gateway.close();
  });

  it('holds the same line with two gateways sharing Redis', async () => {
    const gateways = [await stack.startGateway(), await stack.startGateway()];
    const { key, keyId, budgetId, limitNanos, snapshot } = await tenRequestBudget('two-gateways');
    const outcomes = await burst(gateways, key, 200);
    const admitted = outcomes.filter((o) => o.admitted).length;
    expect(admitted).toBe(10);
    expectDenials(outcomes, budgetId, limitNanos);
    // Both replicas took part in the race.
    for (const gateway of gateways) expect(gateway.records.length).toBeGreaterThan(0);

    const usage = await settledUsage(snapshot);
    expect(usage.spentNanos).toBeLessThanOrEqual(limitNanos);
    const ledger = await ledgerTotals(keyId, 200);
    expect(usdToNanos(ledger.costUsd)).toBeLessThanOrEqual(limitNanos);
    report('two gateways', admitted, usage.spentNanos, limitNanos);
    for (const gateway of gateways) await gateway.close();
  });

  it('charges an Anthropic stream the client abandons its full reservation, and holds nothing after', async () => {
    const gateway = await stack.startGateway();
    const { key, budgetId, budget } = await keyWithBudget(stack.api, 'abandoned-stream', {
      window: { kind: 'calendar', period: 'month', timeZone: 'UTC' },
      limitUsd: 5,
    });
    await stack.waitForBudget(budgetId);
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    const stream = await client.messages.create(
      {
        model: 'claude-sonnet-4-6',
        max_tokens: 400,
        messages: [{ role: 'user', content: 'Write a long story.' }],
        stream: true,
      },
      { headers: { 'x-fake-pieces': '400', 'x-fake-delay-ms': '20' } },
    );
    let events = 0;
    for await (const _ of stream) {
      if (++events === 4) {
        stream.controller.abort();
        break;
      }
    }
    await until(async () => gateway.records.length === 1);
    const [record] = gateway.records;
    expect(record).toMatchObject({ outcome: 'client_closed', status: 200, stream: true });
    const reserved = usdToNanos(record?.reservedCostUsd ?? 0);
    expect(reserved).toBeGreaterThan(0);

    const usage = await settledUsage(snapshotBudget(budget));
    expect(usage).toMatchObject({ spentNanos: reserved, reservedNanos: 0 });
    // The provider's own partial figure is below what was charged: the charge is never less than the bill.
    expect(record?.costUsd ?? 0).toBeLessThanOrEqual(reserved / 1e9);
    await gateway.close();
  });
});
