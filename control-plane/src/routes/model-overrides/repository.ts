// Model catalogue overrides: an org's corrections to what the gateway knows of a model (context window, output
// limit, capabilities), or a model it does not know at all (fine-tunes), and models cheapest_capable must not pick.
import type { Static } from 'typebox';
import { type AuditActor, recordAudit } from '../../audit/audit.js';
import type { Tx } from '../../db/database.js';
import { fail } from '../../errors.js';
import { CREATED_US_SQL, listOrgPage } from '../common.js';
import type {
  CreateModelOverrideBody,
  ModelOverride,
  ModelOverrideListQuery,
  UpdateModelOverrideBody,
} from './schemas.js';

export type ModelOverrideView = Static<typeof ModelOverride>;
type Changes = Static<typeof UpdateModelOverrideBody>;

interface OverrideRow {
  id: string;
  org_id: string;
  provider: ModelOverrideView['provider'];
  model: string;
  context_window: number | null;
  max_output_tokens: number | null;
  supports_tools: boolean | null;
  supports_vision: boolean | null;
  supports_json_mode: boolean | null;
  supports_reasoning: boolean | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
  created_us: string;
}

/** API field → column, for the fields an update may set (to null too). */
const SETTABLE: ReadonlyArray<[keyof Changes, string]> = [
  ['contextWindow', 'context_window'],
  ['maxOutputTokens', 'max_output_tokens'],
  ['supportsTools', 'supports_tools'],
  ['supportsVision', 'supports_vision'],
  ['supportsJsonMode', 'supports_json_mode'],
  ['supportsReasoning', 'supports_reasoning'],
  ['enabled', 'enabled'],
];

const COLUMNS = `id, org_id, provider, model, context_window, max_output_tokens, supports_tools, supports_vision,
  supports_json_mode, supports_reasoning, enabled, created_at, updated_at, ${CREATED_US_SQL}`;

function toView(row: OverrideRow): ModelOverrideView {
  return {
    id: row.id,
    orgId: row.org_id,
    provider: row.provider,
    model: row.model,
    contextWindow: row.context_window,
    maxOutputTokens: row.max_output_tokens,
    supportsTools: row.supports_tools,
    supportsVision: row.supports_vision,
    supportsJsonMode: row.supports_json_mode,
    supportsReasoning: row.supports_reasoning,
    enabled: row.enabled,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function listModelOverrides(
  tx: Tx,
  orgId: string,
  query: Static<typeof ModelOverrideListQuery>,
) {
  return listOrgPage(tx, { table: 'model_overrides', columns: COLUMNS }, orgId, query, toView, {
    provider: query.provider,
    model: query.model,
  });
}

export async function getModelOverride(
  tx: Tx,
  orgId: string,
  id: string,
  lock = false,
): Promise<ModelOverrideView> {
  const { rows } = await tx.query<OverrideRow>(
    `SELECT ${COLUMNS} FROM model_overrides WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [id, orgId],
  );
  if (!rows[0]) throw fail.notFound('Model override');
  return toView(rows[0]);
}

export async function createModelOverride(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  input: Static<typeof CreateModelOverrideBody>,
): Promise<ModelOverrideView> {
  const { rows } = await tx.query<OverrideRow>(
    `INSERT INTO model_overrides (org_id, provider, model, context_window, max_output_tokens, supports_tools,
                                  supports_vision, supports_json_mode, supports_reasoning, enabled)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
    [
      orgId,
      input.provider,
      input.model,
      input.contextWindow ?? null,
      input.maxOutputTokens ?? null,
      input.supportsTools ?? null,
      input.supportsVision ?? null,
      input.supportsJsonMode ?? null,
      input.supportsReasoning ?? null,
      input.enabled ?? true,
    ],
  );
  const created = toView(rows[0] as OverrideRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'model_override.create',
    resourceType: 'model_override',
    resourceId: created.id,
    after: created,
  });
  return created;
}

export async function updateModelOverride(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
  changes: Changes,
): Promise<ModelOverrideView> {
  const before = await getModelOverride(tx, orgId, id, true);
  const params: unknown[] = [id, orgId];
  const sets = ['updated_at = now()'];
  for (const [field, column] of SETTABLE) {
    if (changes[field] === undefined) continue;
    params.push(changes[field]);
    sets.push(`${column} = $${params.length}`);
  }
  const { rows } = await tx.query<OverrideRow>(
    `UPDATE model_overrides SET ${sets.join(', ')} WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
    params,
  );
  const after = toView(rows[0] as OverrideRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'model_override.update',
    resourceType: 'model_override',
    resourceId: id,
    before,
    after,
  });
  return after;
}

export async function deleteModelOverride(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
): Promise<void> {
  const before = await getModelOverride(tx, orgId, id, true);
  await tx.query('DELETE FROM model_overrides WHERE id = $1 AND org_id = $2', [id, orgId]);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'model_override.delete',
    resourceType: 'model_override',
    resourceId: id,
    before,
  });
}
