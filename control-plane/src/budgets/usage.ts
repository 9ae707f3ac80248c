// A budget's live state for its current window, from the same source extproc enforces with: the Redis counters
// when there is Redis (spent and in-flight reservations), otherwise the spend ledger (reservations live only in
// extproc's memory then, so none are reported).
import {
  currentWindow,
  nanosToUsd,
  readBudgetUsage,
  type SnapshotBudget,
  usdToNanos,
} from '@acc/extproc/budgets';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { Queryable } from '../policy/compile.js';
import { type LedgerWindow, ledgerSpend } from './ledger.js';

export interface BudgetState {
  windowId: string;
  windowStartMs: number;
  resetsAtMs: number;
  spentUsd: number;
  reservedUsd: number;
  /** What can still be reserved: limit − spent − reserved, never below 0. */
  remainingUsd: number;
  /** spent / limit: 1 = limit reached; above 1 when requests cost more than their reservation. */
  utilisation: number;
}

type Window = { id: string; startMs: number; resetsAtMs: number };

/** The ledger range of a window of `budget` (as currentWindow or readBudgetUsage describe it). */
export function ledgerWindowOf(budget: SnapshotBudget, window: Window): LedgerWindow {
  return {
    budgetId: budget.id,
    startMs: window.startMs,
    endMs: budget.window.kind === 'calendar' ? window.resetsAtMs : null,
  };
}

function stateOf(budget: SnapshotBudget, window: Window, spentUsd: number, reservedUsd: number): BudgetState {
  return {
    windowId: window.id,
    windowStartMs: window.startMs,
    resetsAtMs: window.resetsAtMs,
    spentUsd,
    reservedUsd,
    // In nano-dollars, as counters are kept, so 10 − 9.9 reads 0.1 and not 0.09999999999999964.
    remainingUsd: nanosToUsd(
      Math.max(0, usdToNanos(budget.limitUsd) - usdToNanos(spentUsd) - usdToNanos(reservedUsd)),
    ),
    utilisation: spentUsd / budget.limitUsd,
  };
}

/** Runs `fn` in a transaction that sees the budgets' org (withTenant) or every org (withAdmin). */
export type ReadLedger = <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>;

export async function budgetStates(
  readLedger: ReadLedger,
  redis: Redis | null,
  budgets: SnapshotBudget[],
  nowMs: number,
): Promise<Map<string, BudgetState>> {
  const states = new Map<string, BudgetState>();
  if (redis) {
    try {
      const usages = await Promise.all(budgets.map((budget) => readBudgetUsage(redis, budget, nowMs)));
      budgets.forEach((budget, i) => {
        const usage = usages[i];
        if (!usage) return;
        const window = { id: usage.windowId, startMs: usage.windowStartMs, resetsAtMs: usage.resetsAtMs };
        states.set(budget.id, stateOf(budget, window, usage.spentUsd, usage.reservedUsd));
      });
    } catch (error) {
      // The Redis error stays in the server log (the error handler logs the cause), not in the response.
      const failure = new AppError('budget_state_unavailable');
      failure.cause = error;
      throw failure;
    }
    return states;
  }
  const windows = budgets.map((budget) => currentWindow(budget.window, nowMs));
  if (budgets.length === 0) return states;
  const spend = await readLedger((tx) =>
    ledgerSpend(
      tx,
      budgets.map((budget, i) => ledgerWindowOf(budget, windows[i] as Window)),
    ),
  );
  budgets.forEach((budget, i) => {
    states.set(budget.id, stateOf(budget, windows[i] as Window, spend.get(budget.id)?.spentUsd ?? 0, 0));
  });
  return states;
}
