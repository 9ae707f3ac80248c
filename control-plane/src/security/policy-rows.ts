// Security policies as stored and as published in the snapshot: the one conversion the compiler uses.
import type { SnapshotSecurityPolicy } from '@acc/extproc/policy';
import type { Queryable } from '../policy/compile.js';

export interface SecurityPolicyRow {
  org_id: string;
  team_id: string | null;
  /** The overrides object the API validated. */
  settings: Record<string, unknown>;
}

/** Org defaults first, then teams: extproc layers a team over its org, so the order only aids reading. */
export async function loadSecurityPolicyRows(tx: Queryable): Promise<SecurityPolicyRow[]> {
  const { rows } = await tx.query<SecurityPolicyRow>(
    `SELECT org_id, team_id, settings FROM security_policies
      ORDER BY org_id, team_id NULLS FIRST`,
  );
  return rows;
}

export function toSnapshotSecurityPolicy(row: SecurityPolicyRow): SnapshotSecurityPolicy {
  return { ...row.settings, orgId: row.org_id, teamId: row.team_id };
}
