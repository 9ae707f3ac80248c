import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisBudgetStore, readBudgetUsage, setBudgetSpent } from '../../src/budgets/redis-store.js';
import { budgetTargets, type ReserveInput } from '../../src/budgets/store.js';
import type { SnapshotBudget } from '../../src/budgets/types.js';
import { currentWindow } from '../../src/budgets/windows.js';
import { budgetStoreContract } from './store-contract.js';
import { makeBudget, TestClock, unique } from './support.js';

const url = inject('REDIS_URL');

budgetStoreContract('RedisBudgetStore', async (clock) => {
  const prefix = `${unique('t')}:`;
  const store = new RedisBudgetStore({ url, prefix, now: clock.now });
  await store.connect();
  return {
    store,
    usage: (budget) => readBudgetUsage(store.client, budget, clock.now(), prefix),
    close: () => store.close(),
  };
});

describe('RedisBudgetStore', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(url);
  });
  afterAll(() => {
    redis.disconnect();
  });

  const reserveInput = (budget: SnapshotBudget, clock: TestClock, costNanos = 100_000_000): ReserveInput => ({
    requestId: unique('req'),
    costNanos,
    tokens: 10,
    budgets: budgetTargets([budget], clock.now()),
    rateLimits: [],
    ttlMs: 60_000,
  });

  it('admits exactly as many as fit across two replicas sharing Redis', async () => {
    const clock = new TestClock();
    const prefix = `${unique('t')}:`;
    const replicas = [0, 1].map(() => new RedisBudgetStore({ url, prefix, now: clock.now }));
    await Promise.all(replicas.map((r) => r.connect()));
    const budget = makeBudget({ limitUsd: 1 });
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (replicas[i % 2] as RedisBudgetStore).reserve(reserveInput(budget, clock)),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'admitted')).toHaveLength(10);
    expect(await readBudgetUsage(redis, budget, clock.now(), prefix)).toMatchObject({
      reservedUsd: 1,
      spentUsd: 0,
    });
    await Promise.all(replicas.map((r) => r.close()));
  });

  it('reloads its scripts when Redis lost them', async () => {
    const clock = new TestClock();
    const prefix = `${unique('t')}:`;
    const store = new RedisBudgetStore({ url, prefix, now: clock.now });
    await store.connect();
    const budget = makeBudget();
    await redis.script('FLUSH');
    const outcome = await store.reserve(reserveInput(budget, clock));
    if (outcome.status !== 'admitted') throw new Error('expected admission');
    await redis.script('FLUSH');
    expect((await store.settle(outcome.reservation, { costNanos: 5, tokens: 1 })).status).toBe('settled');
    expect(await readBudgetUsage(redis, budget, clock.now(), prefix)).toMatchObject({ spentNanos: 5 });
    await store.close();
  });

  it('keeps every key of an org in one cluster slot and lets them expire', async () => {
    const clock = new TestClock();
    const prefix = `${unique('t')}:`;
    const store = new RedisBudgetStore({ client: redis, prefix, now: clock.now });
    const budget = makeBudget({ orgId: 'org-x' });
    const outcome = await store.reserve({
      ...reserveInput(budget, clock),
      rateLimits: [
        { id: 'rl', orgId: 'org-x', scope: 'key', subject: 'k', requestsPerMinute: 5, tokensPerMinute: null },
      ],
    });
    if (outcome.status !== 'admitted') throw new Error('expected admission');
    await store.settle(outcome.reservation, { costNanos: 5, tokens: 1 });
    const keys = await redis.keys(`${prefix}*`);
    // The reservations zset emptied by the settle is gone: counter, rate-limit minute and settle marker remain.
    expect(
      keys.map((k) => k.slice(`${prefix}{org-x}:`.length, `${prefix}{org-x}:`.length + 2)).sort(),
    ).toEqual(['d:', 'l:', 'w:']);
    for (const key of keys) {
      expect(key.startsWith(`${prefix}{org-x}:`)).toBe(true);
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    }
    await store.close();
    expect(redis.status).toBe('ready'); // a client passed in is left open
  });

  it('lets the control plane read and correct the counters', async () => {
    const clock = new TestClock();
    const prefix = `${unique('t')}:`;
    const store = new RedisBudgetStore({ client: redis, prefix, now: clock.now });
    const monthly = makeBudget({ limitUsd: 5 });
    const rolling = makeBudget({ limitUsd: 5, window: { kind: 'rolling', seconds: 600 } });
    const now = clock.now();

    const outcome = await store.reserve({
      ...reserveInput(monthly, clock),
      budgets: budgetTargets([monthly, rolling], now),
    });
    if (outcome.status !== 'admitted') throw new Error('expected admission');
    await store.settle(outcome.reservation, { costNanos: 250_000_000, tokens: 1 });
    await store.reserve({ ...reserveInput(monthly, clock), budgets: budgetTargets([monthly, rolling], now) });

    const window = currentWindow(monthly.window, now);
    expect(await readBudgetUsage(redis, monthly, now, prefix)).toEqual({
      spentUsd: 0.25,
      reservedUsd: 0.1,
      spentNanos: 250_000_000,
      reservedNanos: 100_000_000,
      windowId: window.id,
      windowStartMs: window.startMs,
      resetsAtMs: window.resetsAtMs,
    });
    expect(await readBudgetUsage(redis, rolling, now, prefix)).toMatchObject({
      spentUsd: 0.25,
      reservedUsd: 0.1,
    });

    await setBudgetSpent(redis, monthly, window.id, 4_000_000_000, prefix);
    await setBudgetSpent(redis, rolling, currentWindow(rolling.window, now).id, 1_000_000_000, prefix, now);
    expect(await readBudgetUsage(redis, monthly, now, prefix)).toMatchObject({
      spentUsd: 4,
      reservedUsd: 0.1,
    });
    expect(await readBudgetUsage(redis, rolling, now, prefix)).toMatchObject({
      spentUsd: 1,
      reservedUsd: 0.1,
    });
    await expect(setBudgetSpent(redis, monthly, 'day:2031-01-15', 1, prefix)).rejects.toBeInstanceOf(
      RangeError,
    );

    const denied = await store.reserve(reserveInput(monthly, clock, 950_000_000));
    expect(denied).toMatchObject({ status: 'denied', denial: { remaining: 0.9 } });
  });
});
