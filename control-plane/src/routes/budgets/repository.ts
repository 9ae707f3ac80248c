// Budgets: their configuration rows. The live state (spent, reserved, window) is added by ./state.ts from the
// enforcement counters or the ledger; audit entries record the configuration only.
import { isValidTimeZone, type SnapshotBudget } from '@acc/extproc/budgets';
import type { Static } from 'typebox';
import { type AuditActor, recordAudit } from '../../audit/audit.js';
import { BUDGET_ROW_COLUMNS, type BudgetRow, toSnapshotBudget } from '../../budgets/rows.js';
import { checkSubject } from '../../budgets/subjects.js';
import type { Tx } from '../../db/database.js';
import { fail } from '../../errors.js';
import { CREATED_US_SQL, listOrgPage } from '../common.js';
import type { BudgetListQuery, CreateBudgetBody, UpdateBudgetBody } from './schemas.js';

export const DEFAULT_THRESHOLDS = [50, 80, 100];

interface StoredBudgetRow extends BudgetRow {
  created_at: Date;
  updated_at: Date;
  created_us: string;
}

/** A budget's configuration as the API shows it (the snapshot form plus timestamps). */
export interface BudgetConfig extends SnapshotBudget {
  createdAt: string;
  updatedAt: string;
}

const COLUMNS = `${BUDGET_ROW_COLUMNS}, created_at, updated_at, ${CREATED_US_SQL}`;

function toConfig(row: StoredBudgetRow): BudgetConfig {
  return {
    ...toSnapshotBudget(row),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The IANA spelling (`europe/paris` → `Europe/Paris`), so equal zones are stored, shown and published alike. */
function canonicalTimeZone(timeZone: string): string {
  if (!isValidTimeZone(timeZone))
    throw fail.validation('window.timeZone', `body.window.timeZone "${timeZone}" is not an IANA time zone`);
  return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
}

function thresholds(values: number[] | undefined): number[] {
  return [...(values ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b);
}

export async function listBudgets(tx: Tx, orgId: string, query: Static<typeof BudgetListQuery>) {
  return listOrgPage(tx, { table: 'budgets', columns: COLUMNS }, orgId, query, toConfig, {
    scope: query.scope,
    subject: query.subject,
  });
}

export async function getBudget(tx: Tx, orgId: string, id: string, lock = false): Promise<BudgetConfig> {
  const { rows } = await tx.query<StoredBudgetRow>(
    `SELECT ${COLUMNS} FROM budgets WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [id, orgId],
  );
  if (!rows[0]) throw fail.notFound('Budget');
  return toConfig(rows[0]);
}

export async function createBudget(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  input: Static<typeof CreateBudgetBody>,
): Promise<BudgetConfig> {
  const window = input.window;
  const timeZone = window.kind === 'calendar' ? canonicalTimeZone(window.timeZone ?? 'UTC') : null;
  const subject = await checkSubject(tx, orgId, input.scope, input.subject);
  const { rows } = await tx.query<StoredBudgetRow>(
    `INSERT INTO budgets (org_id, name, scope, subject, window_kind, period, time_zone, rolling_seconds, limit_usd,
                          enforcement, models, alert_thresholds)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${COLUMNS}`,
    [
      orgId,
      input.name.trim(),
      input.scope,
      subject,
      window.kind,
      window.kind === 'calendar' ? window.period : null,
      timeZone,
      window.kind === 'rolling' ? window.seconds : null,
      input.limitUsd,
      input.enforcement ?? 'hard',
      input.models ?? null,
      thresholds(input.alertThresholds),
    ],
  );
  const created = toConfig(rows[0] as StoredBudgetRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'budget.create',
    resourceType: 'budget',
    resourceId: created.id,
    after: created,
  });
  return created;
}

export async function updateBudget(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
  changes: Static<typeof UpdateBudgetBody>,
): Promise<BudgetConfig> {
  const before = await getBudget(tx, orgId, id, true);
  const { rows } = await tx.query<StoredBudgetRow>(
    `UPDATE budgets SET
       name = COALESCE($3::text, name),
       limit_usd = COALESCE($4::numeric, limit_usd),
       enforcement = COALESCE($5::text, enforcement),
       models = CASE WHEN $6::boolean THEN $7::text[] ELSE models END,
       alert_thresholds = COALESCE($8::int[], alert_thresholds),
       updated_at = now()
     WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
    [
      id,
      orgId,
      changes.name?.trim() ?? null,
      changes.limitUsd ?? null,
      changes.enforcement ?? null,
      changes.models !== undefined,
      changes.models ?? null,
      changes.alertThresholds === undefined ? null : thresholds(changes.alertThresholds),
    ],
  );
  const after = toConfig(rows[0] as StoredBudgetRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'budget.update',
    resourceType: 'budget',
    resourceId: id,
    before,
    after,
  });
  return after;
}

export async function deleteBudget(tx: Tx, orgId: string, actor: AuditActor, id: string): Promise<void> {
  const before = await getBudget(tx, orgId, id, true);
  await tx.query('DELETE FROM budgets WHERE id = $1 AND org_id = $2', [id, orgId]);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'budget.delete',
    resourceType: 'budget',
    resourceId: id,
    before,
  });
}
