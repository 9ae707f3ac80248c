// ClawShield policies of one org: the org default (team_id NULL) and per-team overrides. Reads return both what is
// stored and the effective policy a request would run under (team over org over the built-in default).
import {
  applyOverrides,
  DEFAULT_SECURITY_POLICY,
  parseSecurityOverrides,
  SecurityPolicyError,
  type SecurityPolicyOverrides,
  type SecurityPolicySettings,
} from '@acc/extproc/policy';
import { type AuditActor, recordAudit } from '../../audit/audit.js';
import type { Tx } from '../../db/database.js';
import { AppError, fail } from '../../errors.js';

export interface SecurityPolicyView {
  orgId: string;
  teamId: string | null;
  configured: SecurityPolicyOverrides | null;
  effective: SecurityPolicySettings;
  updatedAt: string | null;
}

interface PolicyRow {
  id: string;
  settings: unknown;
  updated_at: Date;
}

/** Stored settings were validated on write; reading them through the same validator keeps a bad row loud. */
function overridesOf(row: PolicyRow | undefined): SecurityPolicyOverrides | null {
  return row ? parseSecurityOverrides(row.settings) : null;
}

async function policyRow(tx: Tx, orgId: string, teamId: string | null, lock = false) {
  const { rows } = await tx.query<PolicyRow>(
    `SELECT id, settings, updated_at FROM security_policies
      WHERE org_id = $1 AND team_id IS NOT DISTINCT FROM $2::uuid${lock ? ' FOR UPDATE' : ''}`,
    [orgId, teamId],
  );
  return rows[0];
}

async function requireTeam(tx: Tx, orgId: string, teamId: string): Promise<void> {
  const { rows } = await tx.query('SELECT 1 FROM teams WHERE id = $1 AND org_id = $2', [teamId, orgId]);
  if (rows.length === 0) throw fail.notFound('Team');
}

export async function getSecurityPolicy(
  tx: Tx,
  orgId: string,
  teamId: string | null,
): Promise<SecurityPolicyView> {
  if (teamId !== null) await requireTeam(tx, orgId, teamId);
  const orgRow = await policyRow(tx, orgId, null);
  const orgEffective = applyOverrides(DEFAULT_SECURITY_POLICY, overridesOf(orgRow) ?? undefined);
  if (teamId === null) {
    return {
      orgId,
      teamId,
      configured: overridesOf(orgRow),
      effective: orgEffective,
      updatedAt: orgRow?.updated_at.toISOString() ?? null,
    };
  }
  const teamRow = await policyRow(tx, orgId, teamId);
  const configured = overridesOf(teamRow);
  return {
    orgId,
    teamId,
    configured,
    effective: applyOverrides(orgEffective, configured ?? undefined),
    updatedAt: teamRow?.updated_at.toISOString() ?? null,
  };
}

/** The body, checked by the same rules extproc applies (regular expressions compile, tool names are names). */
export function validOverrides(body: unknown): SecurityPolicyOverrides {
  try {
    return parseSecurityOverrides(body);
  } catch (error) {
    if (!(error instanceof SecurityPolicyError)) throw error;
    throw new AppError('validation_failed', `body.${error.message}`, {
      field: error.field,
      location: 'body',
    });
  }
}

// The audit log drops fields whose names look secret-bearing (`secrets` is a detector here): the settings are
// recorded as one JSON text instead.
function auditView(overrides: SecurityPolicyOverrides | null, teamId: string | null) {
  return overrides === null ? null : { teamId, settings: JSON.stringify(overrides) };
}

export async function putSecurityPolicy(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  teamId: string | null,
  overrides: SecurityPolicyOverrides,
): Promise<SecurityPolicyView> {
  if (teamId !== null) await requireTeam(tx, orgId, teamId);
  const before = await policyRow(tx, orgId, teamId, true);
  let id: string;
  if (before) {
    await tx.query('UPDATE security_policies SET settings = $2, updated_at = now() WHERE id = $1', [
      before.id,
      JSON.stringify(overrides),
    ]);
    id = before.id;
  } else {
    const { rows } = await tx.query<{ id: string }>(
      'INSERT INTO security_policies (org_id, team_id, settings) VALUES ($1, $2, $3) RETURNING id',
      [orgId, teamId, JSON.stringify(overrides)],
    );
    id = (rows[0] as { id: string }).id;
  }
  await recordAudit(tx, {
    orgId,
    actor,
    action: before ? 'security_policy.update' : 'security_policy.create',
    resourceType: 'security_policy',
    resourceId: id,
    before: auditView(overridesOf(before), teamId),
    after: auditView(overrides, teamId),
  });
  return getSecurityPolicy(tx, orgId, teamId);
}

export async function deleteTeamSecurityPolicy(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  teamId: string,
): Promise<void> {
  await requireTeam(tx, orgId, teamId);
  const before = await policyRow(tx, orgId, teamId, true);
  if (!before) throw fail.notFound('Security policy');
  await tx.query('DELETE FROM security_policies WHERE id = $1', [before.id]);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'security_policy.delete',
    resourceType: 'security_policy',
    resourceId: before.id,
    before: auditView(overridesOf(before), teamId),
  });
}
