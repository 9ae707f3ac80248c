// Budgets as stored (one row per budget) and as published (SnapshotBudget): the one conversion shared by the API,
// the snapshot compiler, the alert evaluator and reconciliation, so all of them mean the same window and subject.
import type { BudgetScope, BudgetWindow, SnapshotBudget } from '@acc/extproc/budgets';
import type { Queryable } from '../policy/compile.js';

export interface BudgetRow {
  id: string;
  org_id: string;
  name: string;
  scope: BudgetScope;
  subject: string | null;
  window_kind: 'calendar' | 'rolling';
  period: 'day' | 'week' | 'month' | null;
  time_zone: string | null;
  rolling_seconds: number | null;
  /** numeric: a number through database.ts's type parser, a string from a bare pg client. */
  limit_usd: number | string;
  enforcement: 'hard' | 'soft';
  models: string[] | null;
  alert_thresholds: number[];
}

export const BUDGET_ROW_COLUMNS = `id, org_id, name, scope, subject, window_kind, period, time_zone, rolling_seconds,
  limit_usd, enforcement, models, alert_thresholds`;

export function windowOf(row: BudgetRow): BudgetWindow {
  if (row.window_kind === 'rolling') return { kind: 'rolling', seconds: Number(row.rolling_seconds) };
  return { kind: 'calendar', period: row.period ?? 'month', timeZone: row.time_zone ?? 'UTC' };
}

export function toSnapshotBudget(row: BudgetRow): SnapshotBudget {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    scope: row.scope,
    subject: row.subject,
    window: windowOf(row),
    limitUsd: Number(row.limit_usd),
    enforcement: row.enforcement,
    models: row.models,
    // Ascending, so consumers can walk thresholds in order without sorting.
    alertThresholds: [...row.alert_thresholds].sort((a, b) => a - b),
  };
}

/** Every budget (as the owner role: all orgs) or one org's, in a stable order. */
export async function loadBudgetRows(tx: Queryable, orgId: string | null = null): Promise<BudgetRow[]> {
  const { rows } = await tx.query<BudgetRow>(
    `SELECT ${BUDGET_ROW_COLUMNS} FROM budgets ${orgId === null ? '' : 'WHERE org_id = $1'} ORDER BY org_id, id`,
    orgId === null ? [] : [orgId],
  );
  return rows;
}
