import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { BudgetMetrics } from '../../src/budgets/metrics.js';
import { RedisBudgetStore, readBudgetUsage } from '../../src/budgets/redis-store.js';
import {
  type BudgetFailureMode,
  parseBudgetFailureMode,
  ResilientBudgetStore,
} from '../../src/budgets/resilient-store.js';
import { budgetTargets, type Reservation, type ReserveInput } from '../../src/budgets/store.js';
import type { SnapshotBudget } from '../../src/budgets/types.js';
import { eventually, makeBudget, TestClock, unique } from './support.js';
import { closedPort, TcpProxy } from './tcp-proxy.js';

const redisUrl = new URL(inject('REDIS_URL'));
const DIME = 100_000_000;

const metricValue = async (
  metric: { get(): Promise<{ values: { labels: object; value: number }[] }> },
  labels = {},
) => (await metric.get()).values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value ?? 0;

describe('ResilientBudgetStore', () => {
  let redis: Redis;
  const cleanup: (() => Promise<void>)[] = [];
  beforeAll(() => {
    redis = new Redis(redisUrl.toString());
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });
  afterAll(() => {
    redis.disconnect();
  });

  function setup(
    mode: BudgetFailureMode,
    port: number,
    over: { retryAfterMs?: number; maxPending?: number } = {},
  ) {
    const clock = new TestClock();
    const prefix = `${unique('t')}:`;
    const metrics = new BudgetMetrics(new Registry());
    const redisStore = new RedisBudgetStore({
      url: `redis://127.0.0.1:${port}`,
      prefix,
      now: clock.now,
      commandTimeoutMs: 300,
    });
    const store = new ResilientBudgetStore({ redis: redisStore, mode, metrics, now: clock.now, ...over });
    cleanup.push(() => store.close());
    const input = (budget: SnapshotBudget, costNanos = DIME): ReserveInput => ({
      requestId: unique('req'),
      costNanos,
      tokens: 10,
      budgets: budgetTargets([budget], clock.now()),
      rateLimits: [],
      ttlMs: 60_000,
    });
    const admit = async (budget: SnapshotBudget, costNanos = DIME): Promise<Reservation> => {
      const outcome = await store.reserve(input(budget, costNanos));
      if (outcome.status !== 'admitted')
        throw new Error(`expected admission, got ${JSON.stringify(outcome)}`);
      return outcome.reservation;
    };
    return { clock, prefix, metrics, redisStore, store, input, admit };
  }

  it('answers unavailable when Redis is down and the mode is closed', async () => {
    const { store, metrics, input } = setup('closed', await closedPort(), { retryAfterMs: 3_600_000 });
    const budget = makeBudget();
    expect(await store.reserve(input(budget))).toEqual({
      status: 'unavailable',
      reason: 'budget store unavailable',
    });
    // Within retryAfterMs Redis is not tried again: no second error, no second timeout.
    expect((await store.reserve(input(budget))).status).toBe('unavailable');
    expect(await metricValue(metrics.storeErrors, { mode: 'closed', operation: 'reserve' })).toBe(1);
    // Nothing to enforce needs no store.
    expect((await store.reserve({ ...input(budget), budgets: [] })).status).toBe('admitted');
  });

  it('accounts locally when Redis is down and the mode is open', async () => {
    const { store, metrics, input } = setup('open', await closedPort(), { retryAfterMs: 3_600_000 });
    const budget = makeBudget({ limitUsd: 1 });
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => store.reserve(input(budget))));
    const admitted = outcomes.filter((o) => o.status === 'admitted');
    expect(admitted).toHaveLength(10);
    expect(outcomes.find((o) => o.status === 'denied')).toMatchObject({
      local: true,
      denial: { id: budget.id },
    });
    const first = admitted[0];
    if (first?.status !== 'admitted') throw new Error('unreachable');
    expect(first).toMatchObject({ local: true, reservation: { local: true } });

    const settled = await store.settle(first.reservation, { costNanos: 30_000_000, tokens: 5 });
    expect(settled).toMatchObject({
      status: 'settled',
      local: true,
      budgets: [{ spentAfterNanos: 30_000_000 }],
    });
    expect(store.pendingCount).toBe(1);
    expect(await metricValue(metrics.pendingLocalSettlements)).toBe(1);
  });

  it('keeps a bounded list of local settlements', async () => {
    const { store, metrics, admit } = setup('open', await closedPort(), {
      retryAfterMs: 3_600_000,
      maxPending: 2,
    });
    const budget = makeBudget({ limitUsd: 10 });
    for (let i = 0; i < 3; i++) await store.settle(await admit(budget), { costNanos: 1, tokens: 0 });
    expect(store.pendingCount).toBe(2);
    expect(await metricValue(metrics.droppedLocalSettlements)).toBe(1);
  });

  it('replays settlements into Redis when it is back', async () => {
    const proxy = new TcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port) });
    cleanup.push(() => proxy.stop());
    const { store, metrics, redisStore, prefix, clock, admit } = setup('open', await proxy.start(), {
      retryAfterMs: 20,
    });
    await redisStore.connect();
    const budget = makeBudget({ limitUsd: 1 });

    const shared = await admit(budget);
    expect(shared.local).toBe(false);
    await proxy.stop();
    const failed = await store.settle(shared, { costNanos: 40_000_000, tokens: 5 });
    expect(failed).toMatchObject({ status: 'settled', local: true });
    const local = await admit(budget);
    expect(local.local).toBe(true);
    await store.settle(local, { costNanos: 60_000_000, tokens: 5 });
    expect(store.pendingCount).toBe(2);

    await proxy.start();
    await eventually(async () => {
      await store.replay();
      return store.pendingCount === 0;
    }, 800);
    expect(await readBudgetUsage(redis, budget, clock.now(), prefix)).toMatchObject({
      spentNanos: 100_000_000,
      reservedNanos: 0,
    });
    expect(await metricValue(metrics.replayedLocalSettlements)).toBe(2);
    expect(await metricValue(metrics.pendingLocalSettlements)).toBe(0);
    expect((await store.settle(shared, { costNanos: 40_000_000, tokens: 5 })).status).toBe('duplicate');
  });

  it('admits again once Redis is back in closed mode', async () => {
    const proxy = new TcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port) });
    cleanup.push(() => proxy.stop());
    const { store, redisStore, input } = setup('closed', await proxy.start(), { retryAfterMs: 20 });
    await redisStore.connect();
    const budget = makeBudget();
    await proxy.stop();
    expect((await store.reserve(input(budget))).status).toBe('unavailable');
    await proxy.start();
    await eventually(async () => (await store.reserve(input(budget))).status === 'admitted', 800);
  });
});

describe('parseBudgetFailureMode', () => {
  it('defaults to closed and rejects anything else', () => {
    expect(parseBudgetFailureMode(undefined)).toBe('closed');
    expect(parseBudgetFailureMode('')).toBe('closed');
    expect(parseBudgetFailureMode('open')).toBe('open');
    expect(() => parseBudgetFailureMode('maybe')).toThrow(RangeError);
  });
});
