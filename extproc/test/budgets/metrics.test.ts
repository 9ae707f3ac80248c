import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MemoryBudgetStore } from '../../src/budgets/memory-store.js';
import { BudgetMetrics, instrumentBudgetStore } from '../../src/budgets/metrics.js';
import { budgetTargets } from '../../src/budgets/store.js';
import { makeBudget, unique } from './support.js';

describe('BudgetMetrics', () => {
  it('records denials by reason and how close reservations were to actual cost', async () => {
    const registry = new Registry();
    const metrics = new BudgetMetrics(registry);
    const store = instrumentBudgetStore(new MemoryBudgetStore(), metrics);
    const budget = makeBudget({ limitUsd: 1 });
    const reserve = () =>
      store.reserve({
        requestId: unique('req'),
        costNanos: 800_000_000,
        tokens: 1,
        budgets: budgetTargets([budget], Date.now()),
        rateLimits: [],
        ttlMs: 60_000,
      });
    const admitted = await reserve();
    expect((await reserve()).status).toBe('denied');
    if (admitted.status !== 'admitted') throw new Error('expected admission');
    await store.settle(admitted.reservation, { costNanos: 200_000_000, tokens: 1 });

    const text = await registry.metrics();
    expect(text).toContain('acc_budget_denials_total{reason="budget_exceeded"} 1');
    expect(text).toContain('acc_budget_reservation_accuracy_ratio_bucket{le="0.2"} 0');
    expect(text).toContain('acc_budget_reservation_accuracy_ratio_bucket{le="0.3"} 1');
    expect(text).toContain('acc_budget_reservation_accuracy_ratio_count 1');
  });
});
