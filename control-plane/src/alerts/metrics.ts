// Budget and alert metrics on the control plane's /metrics. Per-budget gauges are bounded: only the `topN` budgets
// with the highest utilisation are exported (ties by remaining USD, lowest first), and the set is rebuilt on every
// evaluation so budgets that dropped out of it disappear instead of going stale. acc_budgets counts them all.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DeliveryOutcome } from './delivery.js';
import type { EvaluatedBudget } from './evaluator.js';

export type AlertMetrics = ReturnType<typeof createAlertMetrics>;

export function createAlertMetrics(registry: Registry) {
  const registers = [registry];
  return {
    budgets: new Gauge({
      name: 'acc_budgets',
      help: 'Budgets evaluated in the last alert pass (per-budget gauges cover only the top N by utilisation)',
      registers,
    }),
    utilisation: new Gauge({
      name: 'acc_budget_utilisation_ratio',
      help: 'Spent / limit in the current window, for the top N budgets by utilisation (ACC_BUDGET_METRICS_TOP_N)',
      labelNames: ['budget_id'] as const,
      registers,
    }),
    remaining: new Gauge({
      name: 'acc_budget_remaining_usd',
      help: 'USD left in the current window (limit − spent − reserved), for the same top N budgets',
      labelNames: ['budget_id'] as const,
      registers,
    }),
    fired: new Counter({
      name: 'acc_budget_alerts_fired_total',
      help: 'Budget threshold alerts fired (each once per budget, window and threshold)',
      registers,
    }),
    deliveries: new Counter({
      name: 'acc_budget_alert_deliveries_total',
      help: 'Alert delivery attempts by channel kind and outcome (delivered, retry, failed)',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    }),
    evaluationErrors: new Counter({
      name: 'acc_budget_alert_evaluation_errors_total',
      help: 'Alert passes that failed (database or Redis unavailable); the next pass retries',
      registers,
    }),
  };
}

export function recordBudgetGauges(metrics: AlertMetrics, evaluated: EvaluatedBudget[], topN: number): void {
  metrics.budgets.set(evaluated.length);
  metrics.utilisation.reset();
  metrics.remaining.reset();
  const top = [...evaluated]
    .sort((a, b) => b.state.utilisation - a.state.utilisation || a.state.remainingUsd - b.state.remainingUsd)
    .slice(0, topN);
  for (const { budget, state } of top) {
    metrics.utilisation.set({ budget_id: budget.id }, state.utilisation);
    metrics.remaining.set({ budget_id: budget.id }, state.remainingUsd);
  }
}

export function recordDelivery(
  metrics: AlertMetrics,
  kind: 'webhook' | 'slack',
  outcome: DeliveryOutcome,
): void {
  metrics.deliveries.inc({ kind, outcome });
}
