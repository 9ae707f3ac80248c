// Teams, always inside a withTenant() transaction: RLS confines every statement to the caller's org.
import type { Static } from 'typebox';
import type { Tx } from '../../db/database.js';
import { CREATED_US_SQL, keyset, likePattern, toPage } from '../common.js';
import type { Team, TeamListQuery } from './schemas.js';

interface TeamRow {
  id: string;
  org_id: string;
  name: string;
  created_at: Date;
  created_us: string;
}

export type TeamView = Static<typeof Team>;

const COLUMNS = `id, org_id, name, created_at, ${CREATED_US_SQL}`;

export function toTeam(row: TeamRow): TeamView {
  return { id: row.id, orgId: row.org_id, name: row.name, createdAt: row.created_at.toISOString() };
}

export async function listTeams(tx: Tx, query: Static<typeof TeamListQuery>) {
  const filters: string[] = [];
  const params: unknown[] = [];
  if (query.name !== undefined) {
    params.push(likePattern(query.name));
    filters.push(`name ILIKE $${params.length}`);
  }
  const page = keyset(query, params.length + 1);
  const where = [page.where, ...filters].join(' AND ');
  const { rows } = await tx.query<TeamRow>(`SELECT ${COLUMNS} FROM teams WHERE ${where} ${page.tail}`, [
    ...params,
    ...page.params,
  ]);
  return toPage(rows, query, toTeam);
}

export async function getTeam(tx: Tx, id: string, lock = false): Promise<TeamView | null> {
  const { rows } = await tx.query<TeamRow>(
    `SELECT ${COLUMNS} FROM teams WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ? toTeam(rows[0]) : null;
}

export async function insertTeam(tx: Tx, orgId: string, name: string): Promise<TeamView> {
  const { rows } = await tx.query<TeamRow>(
    `INSERT INTO teams (org_id, name) VALUES ($1, $2) RETURNING ${COLUMNS}`,
    [orgId, name],
  );
  return toTeam(rows[0] as TeamRow);
}

export async function updateTeam(tx: Tx, id: string, changes: { name?: string }): Promise<TeamView | null> {
  const { rows } = await tx.query<TeamRow>(
    `UPDATE teams SET name = COALESCE($2, name) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, changes.name ?? null],
  );
  return rows[0] ? toTeam(rows[0]) : null;
}

export async function deleteTeam(tx: Tx, id: string): Promise<boolean> {
  const { rowCount } = await tx.query('DELETE FROM teams WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}
