// Routing deployments: named upstreams (provider, served model, Envoy cluster, credential) rules route to. Rules name
// them in their actions, so a deployment a rule still names cannot be renamed or deleted.
import type { Static } from 'typebox';
import { type AuditActor, recordAudit } from '../../audit/audit.js';
import type { Tx } from '../../db/database.js';
import { fail } from '../../errors.js';
import { lockOrgRouting } from '../../routing/org-routing.js';
import { loadRoutingRows } from '../../routing/rows.js';
import { CREATED_US_SQL, listOrgPage } from '../common.js';
import type {
  CreateDeploymentBody,
  Deployment,
  DeploymentListQuery,
  UpdateDeploymentBody,
} from './schemas.js';

export type DeploymentView = Static<typeof Deployment>;

interface DeploymentRow {
  id: string;
  org_id: string;
  name: string;
  provider: DeploymentView['provider'];
  model: string;
  base_url_cluster: string | null;
  weight: number;
  credential_ref: string | null;
  created_at: Date;
  updated_at: Date;
  created_us: string;
}

const COLUMNS = `id, org_id, name, provider, model, base_url_cluster, weight, credential_ref, created_at, updated_at,
  ${CREATED_US_SQL}`;

function toView(row: DeploymentRow): DeploymentView {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    provider: row.provider,
    model: row.model,
    baseUrlCluster: row.base_url_cluster,
    weight: row.weight,
    credentialRef: row.credential_ref,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** 409 when a rule routes to `name` or lists it in a fallback chain. */
async function assertUnused(tx: Tx, orgId: string, name: string, change: string): Promise<void> {
  const { rules } = await loadRoutingRows(tx, orgId);
  const users = rules.filter((rule) =>
    rule.actions.some(
      (action) =>
        (action.type === 'route' && action.deployment === name) ||
        (action.type === 'fallback' && action.chain.includes(name)),
    ),
  );
  if (users.length > 0) {
    throw fail.conflict(
      `Deployment ${name} cannot be ${change}: routing rules name it (${users.map((rule) => rule.name).join(', ')})`,
      { rules: users.map((rule) => ({ id: rule.id, name: rule.name })) },
    );
  }
}

export async function listDeployments(tx: Tx, orgId: string, query: Static<typeof DeploymentListQuery>) {
  return listOrgPage(tx, { table: 'routing_deployments', columns: COLUMNS }, orgId, query, toView, {
    provider: query.provider,
  });
}

export async function getDeployment(
  tx: Tx,
  orgId: string,
  id: string,
  lock = false,
): Promise<DeploymentView> {
  const { rows } = await tx.query<DeploymentRow>(
    `SELECT ${COLUMNS} FROM routing_deployments WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [id, orgId],
  );
  if (!rows[0]) throw fail.notFound('Deployment');
  return toView(rows[0]);
}

export async function createDeployment(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  input: Static<typeof CreateDeploymentBody>,
): Promise<DeploymentView> {
  const { rows } = await tx.query<DeploymentRow>(
    `INSERT INTO routing_deployments (org_id, name, provider, model, base_url_cluster, weight, credential_ref)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [
      orgId,
      input.name,
      input.provider,
      input.model,
      input.baseUrlCluster ?? null,
      input.weight ?? 1,
      input.credentialRef ?? null,
    ],
  );
  const created = toView(rows[0] as DeploymentRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'routing_deployment.create',
    resourceType: 'routing_deployment',
    resourceId: created.id,
    after: created,
  });
  return created;
}

export async function updateDeployment(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
  changes: Static<typeof UpdateDeploymentBody>,
): Promise<DeploymentView> {
  await lockOrgRouting(tx, orgId);
  const before = await getDeployment(tx, orgId, id, true);
  if (changes.name !== undefined && changes.name !== before.name) {
    await assertUnused(tx, orgId, before.name, 'renamed');
  }
  const { rows } = await tx.query<DeploymentRow>(
    `UPDATE routing_deployments SET
       name = COALESCE($3, name),
       provider = COALESCE($4, provider),
       model = COALESCE($5, model),
       base_url_cluster = CASE WHEN $6::boolean THEN $7 ELSE base_url_cluster END,
       weight = COALESCE($8, weight),
       credential_ref = CASE WHEN $9::boolean THEN $10 ELSE credential_ref END,
       updated_at = now()
     WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
    [
      id,
      orgId,
      changes.name ?? null,
      changes.provider ?? null,
      changes.model ?? null,
      changes.baseUrlCluster !== undefined,
      changes.baseUrlCluster ?? null,
      changes.weight ?? null,
      changes.credentialRef !== undefined,
      changes.credentialRef ?? null,
    ],
  );
  const after = toView(rows[0] as DeploymentRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'routing_deployment.update',
    resourceType: 'routing_deployment',
    resourceId: id,
    before,
    after,
  });
  return after;
}

export async function deleteDeployment(tx: Tx, orgId: string, actor: AuditActor, id: string): Promise<void> {
  await lockOrgRouting(tx, orgId);
  const before = await getDeployment(tx, orgId, id, true);
  await assertUnused(tx, orgId, before.name, 'deleted');
  await tx.query('DELETE FROM routing_deployments WHERE id = $1 AND org_id = $2', [id, orgId]);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'routing_deployment.delete',
    resourceType: 'routing_deployment',
    resourceId: id,
    before,
  });
}
