// Routing rules. Every write is checked, before it commits, by compiling the org's routing as the next snapshot will
// carry it, with extproc's own compiler: a rule the API accepts is a rule extproc runs.
import { type CompiledRouting, RoutingCompileError, splitModelRef } from '@acc/extproc/routing';
import type { Static } from 'typebox';
import { type AuditActor, recordAudit } from '../../audit/audit.js';
import type { Tx } from '../../db/database.js';
import { AppError, fail } from '../../errors.js';
import { compileOrgRouting, loadOrgRouting, lockOrgRouting } from '../../routing/org-routing.js';
import type { CreateRoutingRuleBody, RoutingRule, UpdateRoutingRuleBody } from './schemas.js';

export type RoutingRuleView = Static<typeof RoutingRule>;

/** Every rule may run on every request up to the deciding one: the list stays short. */
export const MAX_RULES_PER_ORG = 200;
const DEFAULT_PRIORITY = 100;

interface RuleRow {
  id: string;
  org_id: string;
  name: string;
  priority: number;
  condition: string;
  actions: RoutingRuleView['actions'];
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, org_id, name, priority, condition, actions, enabled, created_at, updated_at';

function toView(row: RuleRow): RoutingRuleView {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    priority: row.priority,
    condition: row.condition,
    actions: row.actions,
    enabled: row.enabled,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The API's error for a rule extproc's compiler refuses. */
export function ruleError(error: RoutingCompileError): AppError {
  if (error.field === 'condition' && error.position) {
    return new AppError('invalid_condition', `condition: ${error.reason}`, {
      field: 'condition',
      location: 'body',
      position: error.position,
    });
  }
  return new AppError('validation_failed', `body.${error.field}: ${error.reason}`, {
    field: error.field,
    location: 'body',
  });
}

/** cheapest_capable can only choose models the catalogue knows and can price: anything else is a typo or a gap. */
function checkAllowedModels(routing: CompiledRouting, rule: RoutingRuleView): void {
  for (const [i, action] of rule.actions.entries()) {
    if (action.type !== 'cheapest_capable') continue;
    for (const model of action.allowedModels) {
      const entry = routing.catalogue.lookup(model);
      const field = `actions.${i}.allowedModels`;
      if (entry === null) {
        throw fail.validation(
          field,
          `body.${field}: '${model}' is not in the model catalogue; add a model override`,
        );
      }
      if (routing.catalogue.estimateCostUsd(entry.provider, splitModelRef(model).model, 1, 1) === null) {
        throw fail.validation(field, `body.${field}: '${model}' has no price; add a price override`);
      }
    }
  }
}

/** Compiles the org's routing as the transaction left it; throws the API error if `rule` would not compile. */
async function validate(tx: Tx, orgId: string, rule: RoutingRuleView): Promise<void> {
  let routing: CompiledRouting;
  try {
    routing = compileOrgRouting(orgId, await loadOrgRouting(tx, orgId));
  } catch (error) {
    if (error instanceof RoutingCompileError && error.ruleId === rule.id) throw ruleError(error);
    throw error;
  }
  checkAllowedModels(routing, rule);
}

export async function listRoutingRules(tx: Tx, orgId: string): Promise<{ items: RoutingRuleView[] }> {
  const { rows } = await tx.query<RuleRow>(
    `SELECT ${COLUMNS} FROM routing_rules WHERE org_id = $1 ORDER BY priority, name COLLATE "C", id`,
    [orgId],
  );
  return { items: rows.map(toView) };
}

export async function getRoutingRule(
  tx: Tx,
  orgId: string,
  id: string,
  lock = false,
): Promise<RoutingRuleView> {
  const { rows } = await tx.query<RuleRow>(
    `SELECT ${COLUMNS} FROM routing_rules WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [id, orgId],
  );
  if (!rows[0]) throw fail.notFound('Routing rule');
  return toView(rows[0]);
}

export async function createRoutingRule(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  input: Static<typeof CreateRoutingRuleBody>,
): Promise<RoutingRuleView> {
  await lockOrgRouting(tx, orgId);
  const { rows: count } = await tx.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM routing_rules WHERE org_id = $1',
    [orgId],
  );
  if ((count[0]?.n ?? 0) >= MAX_RULES_PER_ORG) {
    throw fail.conflict(`An org has at most ${MAX_RULES_PER_ORG} routing rules`, {
      limit: MAX_RULES_PER_ORG,
    });
  }
  const { rows } = await tx.query<RuleRow>(
    `INSERT INTO routing_rules (org_id, name, priority, condition, actions, enabled)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [
      orgId,
      input.name.trim(),
      input.priority ?? DEFAULT_PRIORITY,
      input.condition,
      JSON.stringify(input.actions),
      input.enabled ?? true,
    ],
  );
  const created = toView(rows[0] as RuleRow);
  await validate(tx, orgId, created);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'routing_rule.create',
    resourceType: 'routing_rule',
    resourceId: created.id,
    after: created,
  });
  return created;
}

export async function updateRoutingRule(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
  changes: Static<typeof UpdateRoutingRuleBody>,
): Promise<RoutingRuleView> {
  await lockOrgRouting(tx, orgId);
  const before = await getRoutingRule(tx, orgId, id, true);
  const { rows } = await tx.query<RuleRow>(
    `UPDATE routing_rules SET
       name = COALESCE($3, name),
       priority = COALESCE($4, priority),
       condition = COALESCE($5, condition),
       actions = COALESCE($6::jsonb, actions),
       enabled = COALESCE($7, enabled),
       updated_at = now()
     WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
    [
      id,
      orgId,
      changes.name?.trim() ?? null,
      changes.priority ?? null,
      changes.condition ?? null,
      changes.actions === undefined ? null : JSON.stringify(changes.actions),
      changes.enabled ?? null,
    ],
  );
  const after = toView(rows[0] as RuleRow);
  await validate(tx, orgId, after);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'routing_rule.update',
    resourceType: 'routing_rule',
    resourceId: id,
    before,
    after,
  });
  return after;
}

export async function deleteRoutingRule(tx: Tx, orgId: string, actor: AuditActor, id: string): Promise<void> {
  const before = await getRoutingRule(tx, orgId, id, true);
  await tx.query('DELETE FROM routing_rules WHERE id = $1 AND org_id = $2', [id, orgId]);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'routing_rule.delete',
    resourceType: 'routing_rule',
    resourceId: id,
    before,
  });
}
