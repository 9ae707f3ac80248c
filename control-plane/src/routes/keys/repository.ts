// Gateway keys. The key itself exists only in the create response: the table keeps its SHA-256 digest (what
// extproc matches on) and an 8-character prefix for people. Used by the routes and by `acc create-key`.
import type { Static } from 'typebox';
import { type AuditActor, recordAudit } from '../../audit/audit.js';
import type { Tx } from '../../db/database.js';
import { AppError, fail } from '../../errors.js';
import { mintGatewayKey } from '../../keys/secret-tokens.js';
import { CREATED_US_SQL, iso, listOrgPage } from '../common.js';
import { assertInOrg, SYSTEM_ACTOR_ID } from '../references.js';
import type {
  CreateGatewayKeyBody,
  GatewayKey,
  GatewayKeyListQuery,
  UpdateGatewayKeyBody,
} from './schemas.js';

export type GatewayKeyView = Static<typeof GatewayKey>;
export type CreateGatewayKeyInput = Static<typeof CreateGatewayKeyBody>;
export type UpdateGatewayKeyInput = Static<typeof UpdateGatewayKeyBody>;

interface KeyRow {
  id: string;
  org_id: string;
  team_id: string | null;
  owner_user_id: string | null;
  owner_service_account_id: string | null;
  name: string;
  prefix: string;
  allowed_models: string[] | null;
  agent: string | null;
  allow_agent_header: boolean;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_by: string;
  created_at: Date;
  created_us: string;
}

// Never key_digest: not even the digest leaves the database through the API.
const COLUMNS = `id, org_id, team_id, owner_user_id, owner_service_account_id, name, prefix, allowed_models,
  agent, allow_agent_header, expires_at, revoked_at, last_used_at, created_by, created_at, ${CREATED_US_SQL}`;

function toView(row: KeyRow): GatewayKeyView {
  return {
    id: row.id,
    orgId: row.org_id,
    teamId: row.team_id,
    ownerUserId: row.owner_user_id,
    ownerServiceAccountId: row.owner_service_account_id,
    name: row.name,
    prefix: row.prefix,
    allowedModels: row.allowed_models,
    agent: row.agent,
    allowAgentHeader: row.allow_agent_header,
    expiresAt: iso(row.expires_at),
    revokedAt: iso(row.revoked_at),
    lastUsedAt: iso(row.last_used_at),
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

function assertFuture(expiresAt: string | null | undefined): void {
  if (expiresAt && new Date(expiresAt).getTime() <= Date.now()) {
    throw fail.validation('expiresAt', 'body.expiresAt must be in the future');
  }
}

export async function createGatewayKey(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  input: CreateGatewayKeyInput,
): Promise<{ key: string; gatewayKey: GatewayKeyView }> {
  if (input.ownerUserId && input.ownerServiceAccountId) {
    throw new AppError(
      'validation_failed',
      'A key has one owner: ownerUserId or ownerServiceAccountId, not both',
      {
        field: 'ownerServiceAccountId',
        location: 'body',
      },
    );
  }
  assertFuture(input.expiresAt);
  await assertInOrg(tx, orgId, 'team', input.teamId);
  await assertInOrg(tx, orgId, 'user', input.ownerUserId);
  await assertInOrg(tx, orgId, 'serviceAccount', input.ownerServiceAccountId);
  const minted = mintGatewayKey();
  const { rows } = await tx.query<KeyRow>(
    `INSERT INTO gateway_keys (org_id, team_id, owner_user_id, owner_service_account_id, name, prefix, key_digest,
                               allowed_models, expires_at, created_by, agent, allow_agent_header)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${COLUMNS}`,
    [
      orgId,
      input.teamId ?? null,
      input.ownerUserId ?? null,
      input.ownerServiceAccountId ?? null,
      input.name.trim(),
      minted.prefix,
      minted.digest,
      input.allowedModels ?? null,
      input.expiresAt ?? null,
      actor.id ?? SYSTEM_ACTOR_ID,
      input.agent ?? null,
      input.allowAgentHeader ?? false,
    ],
  );
  const gatewayKey = toView(rows[0] as KeyRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'gateway_key.create',
    resourceType: 'gateway_key',
    resourceId: gatewayKey.id,
    after: gatewayKey,
  });
  return { key: minted.secret, gatewayKey };
}

export async function listGatewayKeys(tx: Tx, orgId: string, query: Static<typeof GatewayKeyListQuery>) {
  const revoked =
    query.revoked === undefined ? [] : [query.revoked ? 'revoked_at IS NOT NULL' : 'revoked_at IS NULL'];
  return listOrgPage(
    tx,
    { table: 'gateway_keys', columns: COLUMNS },
    orgId,
    query,
    toView,
    {
      team_id: query.teamId,
      owner_user_id: query.ownerUserId,
      owner_service_account_id: query.ownerServiceAccountId,
    },
    revoked,
  );
}

export async function getGatewayKey(
  tx: Tx,
  orgId: string,
  id: string,
  lock = false,
): Promise<GatewayKeyView> {
  const { rows } = await tx.query<KeyRow>(
    `SELECT ${COLUMNS} FROM gateway_keys WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [id, orgId],
  );
  if (!rows[0]) throw fail.notFound('Gateway key');
  return toView(rows[0]);
}

export async function updateGatewayKey(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
  changes: UpdateGatewayKeyInput,
): Promise<GatewayKeyView> {
  const before = await getGatewayKey(tx, orgId, id, true);
  if (before.revokedAt)
    throw fail.conflict('A revoked key cannot be changed', { revokedAt: before.revokedAt });
  assertFuture(changes.expiresAt);
  await assertInOrg(tx, orgId, 'team', changes.teamId);
  // undefined = keep, null = clear: hence "has the property" flags rather than COALESCE.
  const { rows } = await tx.query<KeyRow>(
    `UPDATE gateway_keys SET
       name = CASE WHEN $3::boolean THEN $4::text ELSE name END,
       team_id = CASE WHEN $5::boolean THEN $6::uuid ELSE team_id END,
       allowed_models = CASE WHEN $7::boolean THEN $8::text[] ELSE allowed_models END,
       expires_at = CASE WHEN $9::boolean THEN $10::timestamptz ELSE expires_at END,
       agent = CASE WHEN $11::boolean THEN $12::text ELSE agent END,
       allow_agent_header = COALESCE($13::boolean, allow_agent_header)
     WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
    [
      id,
      orgId,
      changes.name !== undefined,
      changes.name?.trim() ?? null,
      changes.teamId !== undefined,
      changes.teamId ?? null,
      changes.allowedModels !== undefined,
      changes.allowedModels ?? null,
      changes.expiresAt !== undefined,
      changes.expiresAt ?? null,
      changes.agent !== undefined,
      changes.agent ?? null,
      changes.allowAgentHeader ?? null,
    ],
  );
  const after = toView(rows[0] as KeyRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'gateway_key.update',
    resourceType: 'gateway_key',
    resourceId: id,
    before,
    after,
  });
  return after;
}

/** Idempotent: revoking a revoked key changes nothing (and records nothing). */
export async function revokeGatewayKey(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
): Promise<{ gatewayKey: GatewayKeyView; changed: boolean }> {
  const before = await getGatewayKey(tx, orgId, id, true);
  if (before.revokedAt) return { gatewayKey: before, changed: false };
  const { rows } = await tx.query<KeyRow>(
    `UPDATE gateway_keys SET revoked_at = now() WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
    [id, orgId],
  );
  const after = toView(rows[0] as KeyRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'gateway_key.revoke',
    resourceType: 'gateway_key',
    resourceId: id,
    before,
    after,
  });
  return { gatewayKey: after, changed: true };
}
