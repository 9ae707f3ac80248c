// Users of the caller's org. The password hash never leaves this module except for the login check.
import type { Static } from 'typebox';
import type { Role } from '../../auth/principal.js';
import type { Tx } from '../../db/database.js';
import { CREATED_US_SQL, iso, keyset, likePattern, toPage } from '../common.js';
import type { User, UserListQuery } from './schemas.js';

interface UserRow {
  id: string;
  org_id: string;
  email: string;
  name: string;
  role: Role;
  team_id: string | null;
  created_at: Date;
  disabled_at: Date | null;
  created_us: string;
}

export type UserView = Static<typeof User>;

const COLUMNS = `id, org_id, email, name, role, team_id, created_at, disabled_at, ${CREATED_US_SQL}`;

export function toUser(row: UserRow): UserView {
  return {
    id: row.id,
    orgId: row.org_id,
    email: row.email,
    name: row.name,
    role: row.role,
    teamId: row.team_id,
    createdAt: row.created_at.toISOString(),
    disabledAt: iso(row.disabled_at),
  };
}

/** Across orgs (owner connection): login happens before the org is known. Disabled users are not found. */
export async function findUserForLogin(
  tx: Tx,
  email: string,
): Promise<{ id: string; orgId: string; passwordHash: string } | null> {
  const { rows } = await tx.query<{ id: string; org_id: string; password_hash: string }>(
    'SELECT id, org_id, password_hash FROM users WHERE email = $1 AND disabled_at IS NULL',
    [email],
  );
  const row = rows[0];
  return row ? { id: row.id, orgId: row.org_id, passwordHash: row.password_hash } : null;
}

export async function listUsers(tx: Tx, query: Static<typeof UserListQuery>) {
  const filters: string[] = [];
  const params: unknown[] = [];
  if (query.email !== undefined) {
    params.push(likePattern(query.email.toLowerCase()));
    filters.push(`email LIKE $${params.length}`);
  }
  if (query.role !== undefined) {
    params.push(query.role);
    filters.push(`role = $${params.length}`);
  }
  if (query.teamId !== undefined) {
    params.push(query.teamId);
    filters.push(`team_id = $${params.length}`);
  }
  const page = keyset(query, params.length + 1);
  const where = [page.where, ...filters].join(' AND ');
  const { rows } = await tx.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE ${where} ${page.tail}`, [
    ...params,
    ...page.params,
  ]);
  return toPage(rows, query, toUser);
}

export async function getUser(tx: Tx, id: string, lock = false): Promise<UserView | null> {
  const { rows } = await tx.query<UserRow>(
    `SELECT ${COLUMNS} FROM users WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
  teamId: string | null;
}

export async function insertUser(tx: Tx, orgId: string, user: NewUser): Promise<UserView> {
  const { rows } = await tx.query<UserRow>(
    `INSERT INTO users (org_id, email, name, password_hash, role, team_id) VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING ${COLUMNS}`,
    [orgId, user.email, user.name, user.passwordHash, user.role, user.teamId],
  );
  return toUser(rows[0] as UserRow);
}

export interface UserChanges {
  email?: string;
  name?: string;
  passwordHash?: string;
  role?: Role;
  /** undefined = unchanged, null = no team. */
  teamId?: string | null;
  disabled?: boolean;
}

export async function updateUser(tx: Tx, id: string, changes: UserChanges): Promise<UserView | null> {
  const { rows } = await tx.query<UserRow>(
    `UPDATE users SET
        email = COALESCE($2, email),
        name = COALESCE($3, name),
        password_hash = COALESCE($4, password_hash),
        role = COALESCE($5, role),
        team_id = CASE WHEN $6 THEN $7::uuid ELSE team_id END,
        disabled_at = CASE WHEN $8::boolean IS NULL THEN disabled_at
                           WHEN $8 THEN COALESCE(disabled_at, now()) ELSE NULL END
      WHERE id = $1
      RETURNING ${COLUMNS}`,
    [
      id,
      changes.email ?? null,
      changes.name ?? null,
      changes.passwordHash ?? null,
      changes.role ?? null,
      changes.teamId !== undefined,
      changes.teamId ?? null,
      changes.disabled ?? null,
    ],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

export async function deleteUser(tx: Tx, id: string): Promise<boolean> {
  const { rowCount } = await tx.query('DELETE FROM users WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}

/** Active owners other than `exceptId`, locked so two concurrent demotions cannot both pass the check. */
export async function otherActiveOwners(tx: Tx, exceptId: string): Promise<number> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM users WHERE role = 'owner' AND disabled_at IS NULL AND id <> $1 FOR UPDATE`,
    [exceptId],
  );
  return rows.length;
}

/** Ends a user's sessions (all, or all but one) and, when disabling, nothing else: tokens check disabled_at. */
export async function endSessions(tx: Tx, userId: string, keepDigest: string | null = null): Promise<void> {
  await tx.query('DELETE FROM sessions WHERE user_id = $1 AND id_digest IS DISTINCT FROM $2', [
    userId,
    keepDigest,
  ]);
}
