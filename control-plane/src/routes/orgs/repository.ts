// The caller's own org: under RLS the orgs table shows exactly one row, so no id is needed.
import type { Static } from 'typebox';
import type { Tx } from '../../db/database.js';
import type { Org } from './schemas.js';

interface OrgRow {
  id: string;
  slug: string;
  name: string;
  created_at: Date;
}

export type OrgView = Static<typeof Org>;

function toOrg(row: OrgRow): OrgView {
  return { id: row.id, slug: row.slug, name: row.name, createdAt: row.created_at.toISOString() };
}

export async function getCurrentOrg(tx: Tx, lock = false): Promise<OrgView | null> {
  const { rows } = await tx.query<OrgRow>(
    `SELECT id, slug, name, created_at FROM orgs${lock ? ' FOR UPDATE' : ''}`,
  );
  return rows[0] ? toOrg(rows[0]) : null;
}

export async function updateCurrentOrg(
  tx: Tx,
  changes: { name?: string; slug?: string },
): Promise<OrgView | null> {
  const { rows } = await tx.query<OrgRow>(
    `UPDATE orgs SET name = COALESCE($1, name), slug = COALESCE($2, slug) RETURNING id, slug, name, created_at`,
    [changes.name ?? null, changes.slug ?? null],
  );
  return rows[0] ? toOrg(rows[0]) : null;
}
