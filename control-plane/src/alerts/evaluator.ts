// Budget alerts: each pass computes every budget's spend in its current window (the same numbers the API shows)
// and records the thresholds it has crossed. The unique (budget, window, threshold) key makes each alert fire once
// per window: several evaluators, in one process or several control planes, race harmlessly on ON CONFLICT. Each
// new alert queues one delivery per channel of its org in the same transaction, so none is lost between the two.
//
// Only the current window is looked at: a threshold crossed in the last seconds of a window and not seen before it
// ended (one evaluation interval) does not fire.
import { type SnapshotBudget, usdToNanos } from '@acc/extproc/budgets';
import type { Redis } from 'ioredis';
import { loadBudgetRows, toSnapshotBudget } from '../budgets/rows.js';
import { type BudgetState, budgetStates } from '../budgets/usage.js';
import type { Database } from '../db/database.js';

export interface EvaluatedBudget {
  budget: SnapshotBudget;
  state: BudgetState;
}

export interface EvaluationResult {
  budgets: EvaluatedBudget[];
  /** Alerts inserted by this pass (not those another evaluator got first). */
  fired: { alertId: string; budgetId: string; threshold: number; deliveries: number }[];
}

/** Thresholds (percent) that `spentUsd` has reached, compared exactly in nano-dollars. */
export function crossedThresholds(budget: SnapshotBudget, spentUsd: number): number[] {
  const spent = BigInt(usdToNanos(spentUsd)) * 100n;
  const limit = BigInt(usdToNanos(budget.limitUsd));
  return budget.alertThresholds.filter((threshold) => spent >= limit * BigInt(threshold));
}

export async function evaluateBudgetAlerts(
  db: Database,
  redis: Redis | null,
  nowMs: number,
): Promise<EvaluationResult> {
  const budgets = (await db.withAdmin((tx) => loadBudgetRows(tx))).map(toSnapshotBudget);
  const states = await budgetStates((fn) => db.withAdmin(fn), redis, budgets, nowMs);
  const evaluated: EvaluatedBudget[] = [];
  const fired: EvaluationResult['fired'] = [];
  for (const budget of budgets) {
    const state = states.get(budget.id);
    if (!state) continue;
    evaluated.push({ budget, state });
    const crossed = crossedThresholds(budget, state.spentUsd);
    if (crossed.length === 0) continue;
    const firedAt = new Date(nowMs).toISOString();
    const inserted = await db.withAdmin(async (tx) => {
      const alerts = await tx.query<{ id: string; threshold: number }>(
        `INSERT INTO budget_alerts (org_id, budget_id, window_id, threshold, spent_usd, limit_usd, fired_at)
         SELECT b.org_id, b.id, $2, t, $4, $5, $6
           FROM budgets b, unnest($3::int[]) AS t
          WHERE b.id = $1
         ON CONFLICT (budget_id, window_id, threshold) DO NOTHING
         RETURNING id, threshold`,
        [budget.id, state.windowId, crossed, state.spentUsd, budget.limitUsd, firedAt],
      );
      if (alerts.rows.length === 0) return [];
      const deliveries = await tx.query<{ alert_id: string }>(
        `INSERT INTO alert_deliveries (org_id, alert_id, channel_id, next_attempt_at)
         SELECT c.org_id, a.id, c.id, $2
           FROM budget_alerts a JOIN alert_channels c ON c.org_id = a.org_id
          WHERE a.id = ANY ($1::uuid[])
         RETURNING alert_id`,
        [alerts.rows.map((row) => row.id), firedAt],
      );
      return alerts.rows.map((row) => ({
        alertId: row.id,
        budgetId: budget.id,
        threshold: row.threshold,
        deliveries: deliveries.rows.filter((delivery) => delivery.alert_id === row.id).length,
      }));
    });
    fired.push(...inserted);
  }
  return { budgets: evaluated, fired };
}
