// Reconciliation: the Redis counters extproc enforces with against the spend ledger, the durable record of every
// request. They drift when a settle never reached Redis (extproc crash, Redis failover, flushed keys) or the ledger
// lost a write. Reporting compares both over the counter's own window; fixing sets the counter to the ledger value.
//
// A fix overwrites the counter, so spend settled between reading the ledger and writing the counter is lost from
// it (and shows as drift next time): run it when traffic is low, or run it again.
import { nanosToUsd, readBudgetUsage, setBudgetSpent } from '@acc/extproc/budgets';
import type { Redis } from 'ioredis';
import { type AuditActor, recordAudit } from '../audit/audit.js';
import type { Database } from '../db/database.js';
import { ledgerSpend } from './ledger.js';
import { loadBudgetRows, toSnapshotBudget } from './rows.js';
import { ledgerWindowOf } from './usage.js';

export interface BudgetDrift {
  budgetId: string;
  name: string;
  windowId: string;
  counterUsd: number;
  ledgerUsd: number;
  /** counter − ledger: positive when the counter holds more than the ledger explains. */
  driftUsd: number;
  fixed: boolean;
}

export interface ReconcileReport {
  redis: boolean;
  message: string;
  fixed: boolean;
  budgets: BudgetDrift[];
}

export interface ReconcileOptions {
  /** Only this org's budgets; null = every org (CLI). */
  orgId: string | null;
  fix: boolean;
  actor: AuditActor;
  nowMs?: number;
}

export const NO_REDIS_MESSAGE =
  'No Redis: extproc keeps its counters in memory and seeds them from the spend ledger, so there is nothing to reconcile';

export async function reconcileBudgets(
  db: Database,
  redis: Redis | null,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  if (!redis) return { redis: false, message: NO_REDIS_MESSAGE, fixed: false, budgets: [] };
  const nowMs = options.nowMs ?? Date.now();
  const budgets = (await db.withAdmin((tx) => loadBudgetRows(tx, options.orgId))).map(toSnapshotBudget);
  const usages = await Promise.all(budgets.map((budget) => readBudgetUsage(redis, budget, nowMs)));
  const windows = budgets.map((budget, i) => {
    const usage = usages[i] as (typeof usages)[number];
    return ledgerWindowOf(budget, {
      id: usage.windowId,
      startMs: usage.windowStartMs,
      resetsAtMs: usage.resetsAtMs,
    });
  });
  const ledger = await db.withAdmin((tx) => ledgerSpend(tx, windows));

  const report: BudgetDrift[] = [];
  for (const [i, budget] of budgets.entries()) {
    const usage = usages[i] as (typeof usages)[number];
    const counterNanos = usage.spentNanos;
    const ledgerNanos = ledger.get(budget.id)?.spentNanos ?? 0;
    const drift = counterNanos - ledgerNanos;
    let fixed = false;
    if (options.fix && drift !== 0) {
      await setBudgetSpent(redis, budget, usage.windowId, ledgerNanos);
      await db.withAdmin((tx) =>
        recordAudit(tx, {
          orgId: budget.orgId,
          actor: options.actor,
          action: 'budget.reconcile',
          resourceType: 'budget',
          resourceId: budget.id,
          before: { windowId: usage.windowId, spentUsd: nanosToUsd(counterNanos) },
          after: { windowId: usage.windowId, spentUsd: nanosToUsd(ledgerNanos) },
        }),
      );
      fixed = true;
    }
    report.push({
      budgetId: budget.id,
      name: budget.name,
      windowId: usage.windowId,
      counterUsd: nanosToUsd(counterNanos),
      ledgerUsd: nanosToUsd(ledgerNanos),
      driftUsd: nanosToUsd(drift),
      fixed,
    });
  }
  const drifting = report.filter((entry) => entry.driftUsd !== 0).length;
  const message =
    drifting === 0
      ? `${report.length} budget(s) checked, no drift`
      : `${report.length} budget(s) checked, ${drifting} drifting${options.fix ? ', set to the ledger' : ''}`;
  return { redis: true, message, fixed: report.some((entry) => entry.fixed), budgets: report };
}
