// Budget enforcement across a window boundary (with an injected clock, in the budget's own time zone) and through
// a Redis outage (a proxy the test cuts): fail-closed answers 503, fail-open counts locally and folds that spend
// back into Redis when it returns.
/// <reference path="./support/provided.d.ts" />
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CostEstimator } from '../../extproc/src/budgets/estimate.js';
import { readBudgetUsage } from '../../extproc/src/budgets/redis-usage.js';
import { type SnapshotBudget, usdToNanos } from '../../extproc/src/budgets/types.js';
import { currentWindow } from '../../extproc/src/budgets/windows.js';
import { createPricer } from '../../extproc/src/pricing/pricing.js';
import { openaiAdapter } from '../../extproc/src/providers/index.js';
import { TcpProxy } from '../../extproc/test/budgets/tcp-proxy.js';
import {
  type Gateway,
  type GatewayStack,
  keyWithBudget,
  startGatewayStack,
  until,
} from './support/gateway-stack.js';

const REDIS_DB = 13;
const chat = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'One line on the budget, please.' }],
  max_tokens: 40,
};

let stack: GatewayStack;
let reservedNanos: number;

beforeAll(async () => {
  const estimate = await new CostEstimator(createPricer()).estimate(openaiAdapter.parseRequest(chat));
  if (!estimate.priced) throw new Error('gpt-4o-mini has no price');
  reservedNanos = estimate.costNanos;
  stack = await startGatewayStack(REDIS_DB, {
    'x-fake-prompt-tokens': String(estimate.inputTokens),
    'x-fake-pieces': String(chat.max_tokens),
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

async function send(gateway: Gateway, key: string) {
  const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  try {
    await client.chat.completions.create(chat);
    return { status: 200, code: null, type: null, headers: null };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return { status: error.status, code: error.code, type: error.type, headers: error.headers as Headers };
  }
}

const spentOf = (gateways: Gateway[]) =>
  gateways.flatMap((g) => g.records).reduce((sum, r) => sum + usdToNanos(r.costUsd ?? 0), 0);

async function metric(gateway: Gateway, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.extproc.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

describe('budget windows and Redis outages', () => {
  it('opens a fresh daily window at midnight in the budget time zone', async () => {
    const timeZone = 'Asia/Tokyo';
    const midnight = currentWindow({ kind: 'calendar', period: 'day', timeZone }, Date.now()).resetsAtMs;
    let offset = midnight - 30_000 - Date.now();
    const clock = () => Date.now() + offset;
    const gateway = await stack.startGateway({ budgetClock: clock });
    const { key, budgetId, budget } = await keyWithBudget(stack.api, 'tokyo-daily', {
      window: { kind: 'calendar', period: 'day', timeZone },
      limitUsd: Math.ceil((1.5 * reservedNanos) / 1000) / 1e6,
    });
    await stack.waitForBudget(budgetId);

    expect((await send(gateway, key)).status).toBe(200);
    const denied = await send(gateway, key);
    expect(denied).toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect(denied.headers?.get('x-acc-budget-reset')).toBe(new Date(midnight).toISOString());
    const retryAfter = Number(denied.headers?.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(30);

    offset += 60_000; // 00:00:30 in Tokyo
    expect((await send(gateway, key)).status).toBe(200);
    const snapshot = snapshotBudget(budget);
    await until(async () => (await readBudgetUsage(stack.redis, snapshot, clock())).spentNanos > 0);
    const before = await readBudgetUsage(stack.redis, snapshot, midnight - 1);
    const after = await readBudgetUsage(stack.redis, snapshot, clock());
    expect(after.windowId).not.toBe(before.windowId);
    expect(before.spentNanos).toBe(after.spentNanos);
    expect(after.windowStartMs).toBe(midnight);
    await gateway.close();
  });

  it('fail-closed answers 503 while Redis is gone; fail-open counts locally and folds it back', async () => {
    const direct = new URL(inject('REDIS_URL'));
    const proxy = new TcpProxy({ host: direct.hostname, port: Number(direct.port) });
    await proxy.start();
    const proxied = `redis://127.0.0.1:${proxy.port}/${REDIS_DB}`;
    try {
      const closed = await stack.startGateway({ redisUrl: proxied });
      const open = await stack.startGateway({ redisUrl: proxied, env: { ACC_BUDGET_FAILURE_MODE: 'open' } });
      const { key, budgetId, budget } = await keyWithBudget(stack.api, 'outage', {
        window: { kind: 'calendar', period: 'month', timeZone: 'UTC' },
        limitUsd: 5,
      });
      await stack.waitForBudget(budgetId);
      expect((await send(closed, key)).status).toBe(200);
      expect((await send(open, key)).status).toBe(200);
      const snapshot = snapshotBudget(budget);
      await until(async () => (await readBudgetUsage(stack.redis, snapshot, Date.now())).reservedNanos === 0);
      const healthy = spentOf([closed, open]);
      expect((await readBudgetUsage(stack.redis, snapshot, Date.now())).spentNanos).toBe(healthy);

      await proxy.stop();
      const refused = await send(closed, key);
      expect(refused).toMatchObject({ status: 503, code: 'budget_unavailable', type: 'server_error' });
      for (let i = 0; i < 3; i++) expect((await send(open, key)).status).toBe(200);
      await until(async () => open.records.length === 4);
      expect(await metric(open, 'acc_budget_pending_local_settlements')).toBe(3);
      expect((await readBudgetUsage(stack.redis, snapshot, Date.now())).spentNanos).toBe(healthy);

      await proxy.start();
      const total = spentOf([closed, open]);
      expect(total).toBeGreaterThan(healthy);
      await until(
        async () => (await readBudgetUsage(stack.redis, snapshot, Date.now())).spentNanos === total,
      );
      expect(await metric(open, 'acc_budget_replayed_local_settlements_total')).toBe(3);
      expect(await metric(open, 'acc_budget_pending_local_settlements')).toBe(0);
      // The fail-closed replica serves again once its client has reconnected (ioredis backs off up to 2 s).
      await until(async () => (await send(closed, key)).status === 200, 100, 100);
      await closed.close();
      await open.close();
    } finally {
      await proxy.stop();
    }
  });
});

describe('without Redis (one extproc, counters in memory)', () => {
  let memoryStack: GatewayStack | undefined;
  afterAll(async () => {
    await memoryStack?.close();
  });

  it('a restarted extproc seeds its counters from the ledger, so the window keeps its spend', async () => {
    memoryStack = await startGatewayStack(null, {
      'x-fake-prompt-tokens': '10',
      'x-fake-pieces': String(chat.max_tokens),
    });
    const first = await memoryStack.startGateway();
    const limitUsd = Math.ceil((1.5 * reservedNanos) / 1000) / 1e6;
    const { key, keyId, budgetId } = await keyWithBudget(memoryStack.api, 'in-memory', {
      window: { kind: 'calendar', period: 'month', timeZone: 'UTC' },
      limitUsd,
    });
    await memoryStack.waitForBudget(budgetId);
    expect((await send(first, key)).status).toBe(200);
    const spent = spentOf([first]);
    expect(spent).toBeGreaterThan(0);
    await first.close(); // hands its ledger records to the control plane
    const api = memoryStack.api;
    await until(async () => {
      const summary = await api('GET', `/spend/summary?groupBy=key&key=${keyId}`);
      return (summary.json.totals as { requests: number }).requests === 1;
    });

    const second = await memoryStack.startGateway();
    const denied = await send(second, key);
    expect(denied).toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect(Number(denied.headers?.get('x-acc-budget-remaining-usd'))).toBeCloseTo(
      (usdToNanos(limitUsd) - spent) / 1e9,
      9,
    );
  });
});
