// Delivers queued alerts. A pass claims due deliveries with FOR UPDATE SKIP LOCKED and, in the same short
// transaction, pushes their next attempt a lease ahead: other control planes skip them while the claim is open and
// find them not due after it, so each is sent by one instance. Sending happens outside any transaction (the embedded
// database has one connection). A failed attempt is retried after base·2^(attempt−1), capped; after maxAttempts the
// delivery is marked failed. An instance dying mid-send leaves the claim to expire: the delivery is retried, which
// is why events carry an id (x-acc-event-id) for receivers to drop duplicates.

import type { BudgetScope } from '@acc/extproc/budgets';
import { type MasterKey, openSecret, type SealedSecret } from '@acc/extproc/policy';
import type { Database } from '../db/database.js';
import { budgetAlertEvent } from './events.js';
import { type SendResult, sendEvent } from './send.js';

export interface DeliveryOptions {
  masterKey: MasterKey;
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Deliveries claimed per pass. */
  batchSize: number;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

export interface DeliveryReport {
  deliveryId: string;
  channelKind: 'webhook' | 'slack';
  attempt: number;
  outcome: DeliveryOutcome;
  result: SendResult;
}

interface ClaimedRow {
  id: string;
  attempts: number;
  alert_id: string;
  org_id: string;
  window_id: string;
  threshold: number;
  spent_usd: number;
  limit_usd: number;
  fired_at: Date;
  budget_id: string;
  budget_name: string;
  scope: BudgetScope;
  subject: string | null;
  enforcement: 'hard' | 'soft';
  kind: 'webhook' | 'slack';
  url: string;
  signing_secret_sealed: SealedSecret | null;
}

export function retryDelayMs(
  attempt: number,
  options: Pick<DeliveryOptions, 'retryBaseMs' | 'retryMaxMs'>,
): number {
  return Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, attempt - 1));
}

async function claim(db: Database, nowMs: number, options: DeliveryOptions): Promise<ClaimedRow[]> {
  // Long enough for one send to finish; a claim outliving it means the sender died.
  const leaseMs = options.timeoutMs * 2 + 30_000;
  const now = new Date(nowMs).toISOString();
  return db.withAdmin(async (tx) => {
    const { rows } = await tx.query<ClaimedRow>(
      `WITH due AS (
         SELECT id FROM alert_deliveries
          WHERE status = 'pending' AND next_attempt_at <= $1
          ORDER BY next_attempt_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE alert_deliveries d
            SET attempts = d.attempts + 1,
                next_attempt_at = $1::timestamptz + $3 * interval '1 millisecond'
           FROM due WHERE d.id = due.id
         RETURNING d.id, d.attempts, d.alert_id, d.channel_id
       )
       SELECT c.id, c.attempts, a.id AS alert_id, a.org_id, a.window_id, a.threshold, a.spent_usd, a.limit_usd,
              a.fired_at, b.id AS budget_id, b.name AS budget_name, b.scope, b.subject, b.enforcement,
              ch.kind, ch.url, ch.signing_secret_sealed
         FROM claimed c
         JOIN budget_alerts a ON a.id = c.alert_id
         JOIN budgets b ON b.id = a.budget_id
         JOIN alert_channels ch ON ch.id = c.channel_id`,
      [now, options.batchSize, leaseMs],
    );
    return rows;
  });
}

async function send(row: ClaimedRow, nowMs: number, options: DeliveryOptions): Promise<SendResult> {
  let signingSecret: string | null = null;
  try {
    signingSecret = row.signing_secret_sealed
      ? openSecret(row.signing_secret_sealed, [options.masterKey])
      : null;
  } catch {
    return { ok: false, status: null, error: 'the signing secret cannot be opened with ACC_MASTER_KEY' };
  }
  const event = budgetAlertEvent({
    alertId: row.alert_id,
    orgId: row.org_id,
    firedAt: row.fired_at,
    budgetId: row.budget_id,
    budgetName: row.budget_name,
    scope: row.scope,
    subject: row.subject,
    enforcement: row.enforcement,
    threshold: row.threshold,
    windowId: row.window_id,
    spentUsd: Number(row.spent_usd),
    limitUsd: Number(row.limit_usd),
  });
  return sendEvent({ kind: row.kind, url: row.url, signingSecret }, event, {
    timeoutMs: options.timeoutMs,
    nowMs,
  });
}

async function record(
  db: Database,
  row: ClaimedRow,
  result: SendResult,
  nowMs: number,
  options: DeliveryOptions,
): Promise<DeliveryOutcome> {
  const outcome: DeliveryOutcome = result.ok
    ? 'delivered'
    : row.attempts >= options.maxAttempts
      ? 'failed'
      : 'retry';
  const now = new Date(nowMs).toISOString();
  const nextAttempt = new Date(nowMs + retryDelayMs(row.attempts, options)).toISOString();
  await db.withAdmin((tx) =>
    tx.query(
      `UPDATE alert_deliveries
          SET status = $2, delivered_at = $3, next_attempt_at = COALESCE($4, next_attempt_at), last_error = $5
        WHERE id = $1`,
      [
        row.id,
        outcome === 'retry' ? 'pending' : outcome,
        outcome === 'delivered' ? now : null,
        outcome === 'retry' ? nextAttempt : null,
        result.error,
      ],
    ),
  );
  return outcome;
}

/** One pass: claims what is due at `nowMs` and sends it; returns what happened to each. */
export async function deliverDueAlerts(
  db: Database,
  options: DeliveryOptions,
  nowMs = Date.now(),
): Promise<DeliveryReport[]> {
  const claimed = await claim(db, nowMs, options);
  return Promise.all(
    claimed.map(async (row) => {
      const result = await send(row, nowMs, options);
      const outcome = await record(db, row, result, nowMs, options);
      return { deliveryId: row.id, channelKind: row.kind, attempt: row.attempts, outcome, result };
    }),
  );
}
