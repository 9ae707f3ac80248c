// The one definition of which spend-ledger records count against a budget, used wherever spend is read from the
// ledger instead of the enforcement counters: the budgets API without Redis, the alert evaluator, extproc's seed in
// embedded mode, and reconciliation. Keep every reader on this query so they can never disagree.
//
// A record counts when it belongs to the budget's org, is priced (cost_usd not null: unpriced requests cannot be
// charged), started inside the window, matches the scope (org: every record; team/user/key: team_id/user_id/key_id;
// agent: agent; tag: one of tags) and, when the budget lists models, asked for one of them (model_requested, the
// name the client sent, as extproc matches it before any routing).
import type { Queryable } from '../policy/compile.js';

export interface LedgerWindow {
  budgetId: string;
  /** Inclusive, epoch ms. */
  startMs: number;
  /** Exclusive, epoch ms; null = open-ended (rolling windows run up to now, whatever the clocks say). */
  endMs: number | null;
}

export interface LedgerSpend {
  spentUsd: number;
  /** The exact sum in nano-dollars, as the enforcement counters hold it. */
  spentNanos: number;
}

// Ids are compared as text: budget subjects are text for every scope, and the ledger keeps ids as written by
// extproc. The join on budgets makes RLS apply when run inside withTenant.
const SPEND_SQL = `
SELECT w.budget_id::text AS budget_id,
       COALESCE(s.spent, 0)::float8 AS spent_usd,
       (COALESCE(s.spent, 0) * 1000000000)::bigint AS spent_nanos
  FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS w(budget_id, start_at, end_at)
  JOIN budgets b ON b.id = w.budget_id
  CROSS JOIN LATERAL (
    SELECT sum(l.cost_usd) AS spent
      FROM spend_ledger l
     WHERE l.org_id = b.org_id
       AND l.cost_usd IS NOT NULL
       AND l.started_at >= w.start_at
       AND (w.end_at IS NULL OR l.started_at < w.end_at)
       AND CASE b.scope
             WHEN 'org' THEN TRUE
             WHEN 'team' THEN l.team_id::text = b.subject
             WHEN 'user' THEN l.user_id::text = b.subject
             WHEN 'key' THEN l.key_id::text = b.subject
             WHEN 'agent' THEN l.agent = b.subject
             WHEN 'tag' THEN b.subject = ANY (l.tags)
             ELSE FALSE
           END
       AND (b.models IS NULL OR l.model_requested = ANY (b.models))
  ) s`;

/** Ledger spend of each budget over its window; budgets not found (deleted, or another org's) are left out. */
export async function ledgerSpend(tx: Queryable, windows: LedgerWindow[]): Promise<Map<string, LedgerSpend>> {
  const result = new Map<string, LedgerSpend>();
  if (windows.length === 0) return result;
  const { rows } = await tx.query<{ budget_id: string; spent_usd: number; spent_nanos: number | string }>(
    SPEND_SQL,
    [
      windows.map((w) => w.budgetId),
      windows.map((w) => new Date(w.startMs).toISOString()),
      windows.map((w) => (w.endMs === null ? null : new Date(w.endMs).toISOString())),
    ],
  );
  for (const row of rows) {
    result.set(row.budget_id, { spentUsd: Number(row.spent_usd), spentNanos: Number(row.spent_nanos) });
  }
  return result;
}
