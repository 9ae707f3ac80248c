import { describe, expect, it } from 'vitest';
import { MemoryBudgetStore } from '../../src/budgets/memory-store.js';
import { budgetTargets } from '../../src/budgets/store.js';
import { currentWindow } from '../../src/budgets/windows.js';
import { budgetStoreContract } from './store-contract.js';
import { makeBudget, TestClock, unique } from './support.js';

budgetStoreContract('MemoryBudgetStore', async (clock) => {
  const store = new MemoryBudgetStore({ now: clock.now });
  return { store, usage: async (budget) => store.usage(budget), close: () => store.close() };
});

describe('MemoryBudgetStore', () => {
  it('seeds spend from the ledger without lowering what it counted itself', async () => {
    const clock = new TestClock();
    const store = new MemoryBudgetStore({ now: clock.now });
    const monthly = makeBudget({ limitUsd: 1 });
    const rolling = makeBudget({ limitUsd: 1, window: { kind: 'rolling', seconds: 3600 } });
    const windowOf = (b: typeof monthly) => currentWindow(b.window, clock.now()).id;

    store.seed(monthly.id, windowOf(monthly), 900_000_000);
    store.seed(rolling.id, windowOf(rolling), 400_000_000);
    expect(store.usage(monthly)).toMatchObject({ spentNanos: 900_000_000 });
    expect(store.usage(rolling)).toMatchObject({ spentNanos: 400_000_000 });
    store.seed(monthly.id, windowOf(monthly), 100_000_000);
    expect(store.usage(monthly)).toMatchObject({ spentNanos: 900_000_000 });

    const denied = await store.reserve({
      requestId: unique('req'),
      costNanos: 200_000_000,
      tokens: 0,
      budgets: budgetTargets([monthly], clock.now()),
      rateLimits: [],
      ttlMs: 1000,
    });
    expect(denied).toMatchObject({ status: 'denied', denial: { id: monthly.id } });
  });

  it('forgets windows, reservations and markers once they are over', async () => {
    const clock = new TestClock();
    const store = new MemoryBudgetStore({ now: clock.now, sweepIntervalMs: 0 });
    const budget = makeBudget({ window: { kind: 'calendar', period: 'day', timeZone: 'UTC' } });
    const sizes = () => {
      const s = store as unknown as Record<string, Map<unknown, unknown>>;
      return [s.counters?.size, s.reservations?.size, s.markers?.size];
    };
    const reserve = () =>
      store.reserve({
        requestId: unique('req'),
        costNanos: 1,
        tokens: 0,
        budgets: budgetTargets([budget], clock.now()),
        rateLimits: [],
        ttlMs: 60_000,
      });
    const first = await reserve();
    if (first.status !== 'admitted') throw new Error('expected admission');
    await store.settle(first.reservation, { costNanos: 1, tokens: 0 });
    await reserve();
    expect(sizes()).toEqual([1, 1, 1]);
    clock.advance(3 * 86_400_000);
    store.usage(budget);
    expect(sizes()).toEqual([0, 0, 0]);
  });
});
