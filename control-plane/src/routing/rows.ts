// Routing rows as stored, and their snapshot form. Shared by the snapshot compiler (all orgs, as the owner role) and
// by the API's validation and dry run (one org, under RLS), so both see the routing extproc will run.
import type {
  RoutingAction,
  SnapshotDeployment,
  SnapshotModelOverride,
  SnapshotRouting,
  SnapshotRoutingRule,
} from '@acc/extproc/routing';
import type { Queryable } from '../policy/compile.js';

type Provider = SnapshotDeployment['provider'];

export interface RoutingRuleRow {
  id: string;
  org_id: string;
  name: string;
  priority: number;
  condition: string;
  actions: RoutingAction[];
  enabled: boolean;
}

export interface DeploymentRow {
  id: string;
  org_id: string;
  name: string;
  provider: Provider;
  model: string;
  base_url_cluster: string | null;
  weight: number;
  credential_ref: string | null;
}

export interface ModelOverrideRow {
  org_id: string;
  provider: Provider;
  model: string;
  context_window: number | null;
  max_output_tokens: number | null;
  supports_tools: boolean | null;
  supports_vision: boolean | null;
  supports_json_mode: boolean | null;
  supports_reasoning: boolean | null;
  enabled: boolean;
}

export interface RoutingRows {
  rules: RoutingRuleRow[];
  deployments: DeploymentRow[];
  modelOverrides: ModelOverrideRow[];
}

export function toSnapshotRule(row: RoutingRuleRow): SnapshotRoutingRule {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    priority: row.priority,
    condition: row.condition,
    actions: row.actions,
    enabled: row.enabled,
  };
}

export function toSnapshotDeployment(row: DeploymentRow): SnapshotDeployment {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    provider: row.provider,
    model: row.model,
    baseUrlCluster: row.base_url_cluster,
    weight: row.weight,
    credentialRef: row.credential_ref,
  };
}

export function toSnapshotModelOverride(row: ModelOverrideRow): SnapshotModelOverride {
  return {
    orgId: row.org_id,
    provider: row.provider,
    model: row.model,
    contextWindow: row.context_window,
    maxOutputTokens: row.max_output_tokens,
    capabilities: {
      tools: row.supports_tools,
      vision: row.supports_vision,
      jsonMode: row.supports_json_mode,
      reasoning: row.supports_reasoning,
    },
    enabled: row.enabled,
  };
}

export function toSnapshotRouting(rows: RoutingRows | undefined): SnapshotRouting {
  return {
    rules: (rows?.rules ?? []).map(toSnapshotRule),
    deployments: (rows?.deployments ?? []).map(toSnapshotDeployment),
    modelOverrides: (rows?.modelOverrides ?? []).map(toSnapshotModelOverride),
  };
}

/** Every org's routing (`orgId` null, as the owner role) or one org's; ordered for byte-identical snapshots. */
export async function loadRoutingRows(tx: Queryable, orgId: string | null = null): Promise<RoutingRows> {
  const where = orgId === null ? '' : 'WHERE org_id = $1';
  const params = orgId === null ? [] : [orgId];
  const rules = await tx.query<RoutingRuleRow>(
    `SELECT id, org_id, name, priority, condition, actions, enabled
       FROM routing_rules ${where} ORDER BY org_id, priority, name, id`,
    params,
  );
  const deployments = await tx.query<DeploymentRow>(
    `SELECT id, org_id, name, provider, model, base_url_cluster, weight, credential_ref
       FROM routing_deployments ${where} ORDER BY org_id, name`,
    params,
  );
  const modelOverrides = await tx.query<ModelOverrideRow>(
    `SELECT org_id, provider, model, context_window, max_output_tokens, supports_tools, supports_vision,
            supports_json_mode, supports_reasoning, enabled
       FROM model_overrides ${where} ORDER BY org_id, provider, model`,
    params,
  );
  return { rules: rules.rows, deployments: deployments.rows, modelOverrides: modelOverrides.rows };
}
