// Fired alerts of a budget, newest first, each with how its deliveries went. Alerts are written by the evaluator
// (alerts/evaluator.ts); this is read-only.
import type { Static } from 'typebox';
import type { Tx } from '../../db/database.js';
import { fail } from '../../errors.js';
import { iso } from '../common.js';
import type { BudgetAlert } from './schemas.js';

export type BudgetAlertView = Static<typeof BudgetAlert>;
type DeliveryView = BudgetAlertView['deliveries'][number];

interface AlertRow {
  id: string;
  budget_id: string;
  window_id: string;
  threshold: number;
  spent_usd: number;
  limit_usd: number;
  fired_at: Date;
  deliveries: {
    channel_id: string;
    channel_name: string;
    channel_kind: DeliveryView['channelKind'];
    status: DeliveryView['status'];
    attempts: number;
    next_attempt_at: string;
    last_error: string | null;
    delivered_at: string | null;
  }[];
}

export async function listBudgetAlerts(
  tx: Tx,
  orgId: string,
  budgetId: string,
  limit: number,
): Promise<BudgetAlertView[]> {
  const budget = await tx.query('SELECT 1 FROM budgets WHERE id = $1 AND org_id = $2', [budgetId, orgId]);
  if (budget.rows.length === 0) throw fail.notFound('Budget');
  const { rows } = await tx.query<AlertRow>(
    `SELECT a.id, a.budget_id, a.window_id, a.threshold, a.spent_usd, a.limit_usd, a.fired_at,
            COALESCE(
              (SELECT json_agg(json_build_object(
                        'channel_id', d.channel_id, 'channel_name', c.name, 'channel_kind', c.kind,
                        'status', d.status, 'attempts', d.attempts, 'next_attempt_at', d.next_attempt_at,
                        'last_error', d.last_error, 'delivered_at', d.delivered_at) ORDER BY c.name, d.channel_id)
                 FROM alert_deliveries d JOIN alert_channels c ON c.id = d.channel_id
                WHERE d.alert_id = a.id),
              '[]'::json) AS deliveries
       FROM budget_alerts a
      WHERE a.budget_id = $1 AND a.org_id = $2
      ORDER BY a.fired_at DESC, a.threshold DESC
      LIMIT $3`,
    [budgetId, orgId, limit],
  );
  const time = (value: string | null) => (value === null ? null : new Date(value).toISOString());
  return rows.map((row) => ({
    id: row.id,
    budgetId: row.budget_id,
    windowId: row.window_id,
    threshold: row.threshold,
    spentUsd: Number(row.spent_usd),
    limitUsd: Number(row.limit_usd),
    firedAt: iso(row.fired_at) as string,
    deliveries: row.deliveries.map((delivery) => ({
      channelId: delivery.channel_id,
      channelName: delivery.channel_name,
      channelKind: delivery.channel_kind,
      status: delivery.status,
      attempts: delivery.attempts,
      // Only a pending delivery has a next attempt; for the others the column is history.
      nextAttemptAt: delivery.status === 'pending' ? time(delivery.next_attempt_at) : null,
      lastError: delivery.last_error,
      deliveredAt: time(delivery.delivered_at),
    })),
  }));
}
