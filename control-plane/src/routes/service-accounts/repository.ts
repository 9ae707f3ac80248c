// Service accounts: non-human principals (CI, agents) holding API tokens and owning gateway keys.
import type { Static } from 'typebox';
import { type AuditActor, recordAudit } from '../../audit/audit.js';
import type { Tx } from '../../db/database.js';
import { fail } from '../../errors.js';
import { CREATED_US_SQL, iso, keyset, toPage } from '../common.js';
import { assertInOrg } from '../references.js';
import type {
  CreateServiceAccountBody,
  ServiceAccount,
  ServiceAccountListQuery,
  UpdateServiceAccountBody,
} from './schemas.js';

export type ServiceAccountView = Static<typeof ServiceAccount>;

interface ServiceAccountRow {
  id: string;
  org_id: string;
  name: string;
  role: ServiceAccountView['role'];
  team_id: string | null;
  created_at: Date;
  disabled_at: Date | null;
  created_us: string;
}

const COLUMNS = `id, org_id, name, role, team_id, created_at, disabled_at, ${CREATED_US_SQL}`;

function toView(row: ServiceAccountRow): ServiceAccountView {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    role: row.role,
    teamId: row.team_id,
    createdAt: row.created_at.toISOString(),
    disabledAt: iso(row.disabled_at),
  };
}

export async function listServiceAccounts(
  tx: Tx,
  orgId: string,
  query: Static<typeof ServiceAccountListQuery>,
) {
  const params: unknown[] = [orgId];
  const filters = ['org_id = $1'];
  if (query.teamId !== undefined) {
    params.push(query.teamId);
    filters.push(`team_id = $${params.length}`);
  }
  if (query.disabled !== undefined)
    filters.push(query.disabled ? 'disabled_at IS NOT NULL' : 'disabled_at IS NULL');
  const page = keyset(query, params.length + 1);
  const { rows } = await tx.query<ServiceAccountRow>(
    `SELECT ${COLUMNS} FROM service_accounts WHERE ${[page.where, ...filters].join(' AND ')} ${page.tail}`,
    [...params, ...page.params],
  );
  return toPage(rows, query, toView);
}

export async function getServiceAccount(
  tx: Tx,
  orgId: string,
  id: string,
  lock = false,
): Promise<ServiceAccountView> {
  const { rows } = await tx.query<ServiceAccountRow>(
    `SELECT ${COLUMNS} FROM service_accounts WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [id, orgId],
  );
  if (!rows[0]) throw fail.notFound('Service account');
  return toView(rows[0]);
}

export async function createServiceAccount(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  input: Static<typeof CreateServiceAccountBody>,
): Promise<ServiceAccountView> {
  await assertInOrg(tx, orgId, 'team', input.teamId);
  const { rows } = await tx.query<ServiceAccountRow>(
    `INSERT INTO service_accounts (org_id, name, role, team_id) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [orgId, input.name.trim(), input.role, input.teamId ?? null],
  );
  const created = toView(rows[0] as ServiceAccountRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'service_account.create',
    resourceType: 'service_account',
    resourceId: created.id,
    after: created,
  });
  return created;
}

export async function updateServiceAccount(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
  changes: Static<typeof UpdateServiceAccountBody>,
): Promise<ServiceAccountView> {
  const before = await getServiceAccount(tx, orgId, id, true);
  await assertInOrg(tx, orgId, 'team', changes.teamId);
  const { rows } = await tx.query<ServiceAccountRow>(
    `UPDATE service_accounts SET
       name = COALESCE($3::text, name),
       role = COALESCE($4::text, role),
       team_id = CASE WHEN $5::boolean THEN $6::uuid ELSE team_id END,
       disabled_at = CASE WHEN $7::boolean IS NULL THEN disabled_at
                          WHEN $7::boolean THEN COALESCE(disabled_at, now()) ELSE NULL END
     WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
    [
      id,
      orgId,
      changes.name?.trim() ?? null,
      changes.role ?? null,
      changes.teamId !== undefined,
      changes.teamId ?? null,
      changes.disabled ?? null,
    ],
  );
  const after = toView(rows[0] as ServiceAccountRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'service_account.update',
    resourceType: 'service_account',
    resourceId: id,
    before,
    after,
  });
  return after;
}

/**
 * Deletes the account and its API tokens (cascade). Its gateway keys are revoked first: left alone they would
 * outlive their owner as ownerless keys that still work.
 */
export async function deleteServiceAccount(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
): Promise<void> {
  const before = await getServiceAccount(tx, orgId, id, true);
  const revoked = await tx.query<{ id: string; prefix: string }>(
    `UPDATE gateway_keys SET revoked_at = now()
      WHERE org_id = $1 AND owner_service_account_id = $2 AND revoked_at IS NULL RETURNING id, prefix`,
    [orgId, id],
  );
  for (const key of revoked.rows) {
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'gateway_key.revoke',
      resourceType: 'gateway_key',
      resourceId: key.id,
      after: {
        id: key.id,
        prefix: key.prefix,
        reason: 'owner service account deleted',
        serviceAccountId: id,
      },
    });
  }
  const deleted = await tx.query('DELETE FROM service_accounts WHERE id = $1 AND org_id = $2', [id, orgId]);
  if ((deleted.rowCount ?? 0) === 0) throw fail.notFound('Service account');
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'service_account.delete',
    resourceType: 'service_account',
    resourceId: id,
    before,
    after: { revokedGatewayKeys: revoked.rows.length },
  });
}
