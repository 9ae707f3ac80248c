// Resolving a session id or an API token to a principal. These run before the org is known, so they use the owner
// connection (withAdmin) and match on the secret's digest only.
import type { Database, Tx } from '../db/database.js';
import type { Principal, Role } from './principal.js';
import { digest, randomSecret } from './secrets.js';

export const SESSION_COOKIE = 'acc_session';

export interface ResolvedSession {
  principal: Principal;
  idDigest: string;
  csrfToken: string;
}

export async function resolveSession(db: Database, sessionId: string): Promise<ResolvedSession | null> {
  const idDigest = digest(sessionId);
  return db.withAdmin(async (tx) => {
    // The role is read from users on every request, so a demotion or disable takes effect immediately.
    const { rows } = await tx.query<{ user_id: string; org_id: string; role: Role; csrf_token: string }>(
      `SELECT s.user_id, s.org_id, u.role, s.csrf_token
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id_digest = $1 AND s.expires_at > now() AND u.disabled_at IS NULL`,
      [idDigest],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      principal: { kind: 'user', id: row.user_id, orgId: row.org_id, role: row.role },
      idDigest,
      csrfToken: row.csrf_token,
    };
  });
}

export interface ResolvedToken {
  principal: Principal;
  tokenId: string;
}

const LAST_USED_RESOLUTION_MS = 60_000;

export async function resolveApiToken(db: Database, token: string): Promise<ResolvedToken | null> {
  return db.withAdmin(async (tx) => {
    const { rows } = await tx.query<{
      id: string;
      org_id: string;
      kind: 'user' | 'service_account';
      owner_id: string;
      role: Role;
      last_used_at: Date | null;
    }>(
      `SELECT t.id, t.org_id, t.last_used_at,
              CASE WHEN t.user_id IS NOT NULL THEN 'user' ELSE 'service_account' END AS kind,
              COALESCE(t.user_id, t.service_account_id) AS owner_id,
              COALESCE(u.role, sa.role) AS role
         FROM api_tokens t
         LEFT JOIN users u ON u.id = t.user_id
         LEFT JOIN service_accounts sa ON sa.id = t.service_account_id
        WHERE t.token_digest = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
          AND COALESCE(u.disabled_at, sa.disabled_at) IS NULL`,
      [digest(token)],
    );
    const row = rows[0];
    if (!row) return null;
    // Written at most once a minute per token: a write per request would make every API call a DB write.
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
      await tx.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [row.id]);
    }
    return {
      principal: { kind: row.kind, id: row.owner_id, orgId: row.org_id, role: row.role },
      tokenId: row.id,
    };
  });
}

export interface NewSession {
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function createSession(
  tx: Tx,
  userId: string,
  orgId: string,
  ttlHours: number,
): Promise<NewSession> {
  const sessionId = randomSecret(32);
  const csrfToken = randomSecret(32);
  const expiresAt = new Date(Date.now() + ttlHours * 3_600_000);
  await tx.query(
    `INSERT INTO sessions (id_digest, user_id, org_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4, $5)`,
    [digest(sessionId), userId, orgId, csrfToken, expiresAt],
  );
  // Housekeeping piggybacks on logins instead of needing a scheduler.
  await tx.query(`DELETE FROM sessions WHERE user_id = $1 AND expires_at <= now()`, [userId]);
  return { sessionId, csrfToken, expiresAt };
}
