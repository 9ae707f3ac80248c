// API tokens for this API (`accp_…`): for a user or a service account, stored as a SHA-256 digest (the auth plugin
// looks tokens up by digest), shown once at creation.
import type { Static } from 'typebox';
import { type AuditActor, recordAudit } from '../../audit/audit.js';
import { newApiToken } from '../../auth/secrets.js';
import type { Tx } from '../../db/database.js';
import { fail } from '../../errors.js';
import { CREATED_US_SQL, iso, keyset, toPage } from '../common.js';
import type { ApiToken, ApiTokenListQuery } from './schemas.js';

export type ApiTokenView = Static<typeof ApiToken>;
export type TokenOwner = { kind: 'user' | 'service_account'; id: string };

interface TokenRow {
  id: string;
  org_id: string;
  user_id: string | null;
  service_account_id: string | null;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  created_us: string;
}

// Never token_digest.
const COLUMNS = `id, org_id, user_id, service_account_id, name, prefix, created_at, last_used_at, expires_at,
  revoked_at, ${CREATED_US_SQL}`;

function toView(row: TokenRow): ApiTokenView {
  return {
    id: row.id,
    orgId: row.org_id,
    userId: row.user_id,
    serviceAccountId: row.service_account_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: iso(row.last_used_at),
    expiresAt: iso(row.expires_at),
    revokedAt: iso(row.revoked_at),
  };
}

export async function createApiToken(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  owner: TokenOwner,
  input: { name: string; expiresAt?: string | null | undefined },
): Promise<{ token: string; apiToken: ApiTokenView }> {
  if (input.expiresAt && new Date(input.expiresAt).getTime() <= Date.now()) {
    throw fail.validation('expiresAt', 'body.expiresAt must be in the future');
  }
  const table = owner.kind === 'user' ? 'users' : 'service_accounts';
  const found = await tx.query<{ disabled_at: Date | null }>(
    `SELECT disabled_at FROM ${table} WHERE id = $1 AND org_id = $2`,
    [owner.id, orgId],
  );
  if (!found.rows[0]) throw fail.notFound(owner.kind === 'user' ? 'User' : 'Service account');
  if (found.rows[0].disabled_at) throw fail.conflict('A disabled account cannot get new tokens');
  const minted = newApiToken();
  const { rows } = await tx.query<TokenRow>(
    `INSERT INTO api_tokens (org_id, user_id, service_account_id, name, token_digest, prefix, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [
      orgId,
      owner.kind === 'user' ? owner.id : null,
      owner.kind === 'service_account' ? owner.id : null,
      input.name.trim(),
      minted.digest,
      minted.prefix,
      input.expiresAt ?? null,
    ],
  );
  const apiToken = toView(rows[0] as TokenRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'api_token.create',
    resourceType: 'api_token',
    resourceId: apiToken.id,
    after: apiToken,
  });
  return { token: minted.token, apiToken };
}

/** `onlyOwner` confines the listing to one principal's tokens (non-admins see only their own). */
export async function listApiTokens(
  tx: Tx,
  orgId: string,
  query: Static<typeof ApiTokenListQuery>,
  onlyOwner: TokenOwner | null,
) {
  const params: unknown[] = [orgId];
  const filters = ['org_id = $1'];
  const add = (column: string, value: unknown) => {
    params.push(value);
    filters.push(`${column} = $${params.length}`);
  };
  if (onlyOwner) add(onlyOwner.kind === 'user' ? 'user_id' : 'service_account_id', onlyOwner.id);
  if (query.userId !== undefined) add('user_id', query.userId);
  if (query.serviceAccountId !== undefined) add('service_account_id', query.serviceAccountId);
  if (query.revoked !== undefined)
    filters.push(query.revoked ? 'revoked_at IS NOT NULL' : 'revoked_at IS NULL');
  const page = keyset(query, params.length + 1);
  const { rows } = await tx.query<TokenRow>(
    `SELECT ${COLUMNS} FROM api_tokens WHERE ${[page.where, ...filters].join(' AND ')} ${page.tail}`,
    [...params, ...page.params],
  );
  return toPage(rows, query, toView);
}

/** 404 also when the token exists but belongs to someone `onlyOwner` is not: no existence oracle. */
export async function getApiToken(
  tx: Tx,
  orgId: string,
  id: string,
  onlyOwner: TokenOwner | null,
  lock = false,
): Promise<ApiTokenView> {
  const { rows } = await tx.query<TokenRow>(
    `SELECT ${COLUMNS} FROM api_tokens WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [id, orgId],
  );
  const row = rows[0];
  const owned =
    !onlyOwner || (onlyOwner.kind === 'user' ? row?.user_id : row?.service_account_id) === onlyOwner.id;
  if (!row || !owned) throw fail.notFound('API token');
  return toView(row);
}

/** Idempotent. */
export async function revokeApiToken(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
  onlyOwner: TokenOwner | null,
): Promise<ApiTokenView> {
  const before = await getApiToken(tx, orgId, id, onlyOwner, true);
  if (before.revokedAt) return before;
  const { rows } = await tx.query<TokenRow>(
    `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
    [id, orgId],
  );
  const after = toView(rows[0] as TokenRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'api_token.revoke',
    resourceType: 'api_token',
    resourceId: id,
    before,
    after,
  });
  return after;
}
