// Checks that ids named in a request belong to the caller's org. Inside withTenant, RLS already hides other orgs'
// rows; the explicit org_id also holds in withAdmin (CLI). A foreign id reads exactly like a missing one: 404.
import type { Tx } from '../db/database.js';
import { fail } from '../errors.js';

const TABLES = {
  team: { table: 'teams', label: 'Team' },
  user: { table: 'users', label: 'User' },
  serviceAccount: { table: 'service_accounts', label: 'Service account' },
} as const;

export async function assertInOrg(
  tx: Tx,
  orgId: string,
  kind: keyof typeof TABLES,
  id: string | null | undefined,
): Promise<void> {
  if (id === null || id === undefined) return;
  const { table, label } = TABLES[kind];
  const { rows } = await tx.query(`SELECT 1 FROM ${table} WHERE id = $1 AND org_id = $2`, [id, orgId]);
  if (rows.length === 0) throw fail.notFound(label);
}

/** The actor id for NOT NULL `created_by` columns: the system actor (CLI, bootstrap) is the nil UUID. */
export const SYSTEM_ACTOR_ID = '00000000-0000-0000-0000-000000000000';
