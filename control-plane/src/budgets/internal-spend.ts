// Without Redis, extproc keeps budget counters in memory; after a restart it seeds them from here: each budget's
// spend in its current window, summed from the ledger. Only extproc calls it (ACC_INTERNAL_TOKEN).

import { currentWindow } from '@acc/extproc/budgets';
import { BUDGET_SPEND_PATH, type BudgetSpendReport } from '@acc/extproc/policy';
import type { FastifyInstance } from 'fastify';
import { requireInternalToken } from '../auth/internal-token.js';
import type { Database } from '../db/database.js';
import { ledgerSpend } from './ledger.js';
import { loadBudgetRows, toSnapshotBudget } from './rows.js';
import { ledgerWindowOf } from './usage.js';

export async function budgetSpendReport(db: Database, nowMs: number): Promise<BudgetSpendReport> {
  return db.withAdmin(async (tx) => {
    const budgets = (await loadBudgetRows(tx)).map(toSnapshotBudget);
    const windows = budgets.map((budget) => currentWindow(budget.window, nowMs));
    const spend = await ledgerSpend(
      tx,
      budgets.map((budget, i) => ledgerWindowOf(budget, windows[i] as (typeof windows)[number])),
    );
    return {
      budgets: budgets.map((budget, i) => ({
        budgetId: budget.id,
        windowId: (windows[i] as (typeof windows)[number]).id,
        spentNanos: spend.get(budget.id)?.spentNanos ?? 0,
      })),
    };
  });
}

export function installBudgetSpend(app: FastifyInstance): void {
  const token = app.config.internalToken;
  if (token === null) return;
  app.get(
    BUDGET_SPEND_PATH,
    { schema: { hide: true }, onRequest: requireInternalToken(token) },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return budgetSpendReport(app.db, Date.now());
    },
  );
}
