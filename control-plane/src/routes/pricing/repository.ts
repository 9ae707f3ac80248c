// Per-org price overrides in USD per million tokens, for models the built-in price list lacks or prices
// differently (negotiated rates, fine-tunes).
import type { Static } from 'typebox';
import { type AuditActor, recordAudit } from '../../audit/audit.js';
import type { Tx } from '../../db/database.js';
import { fail } from '../../errors.js';
import { CREATED_US_SQL, listOrgPage } from '../common.js';
import type {
  CreatePriceOverrideBody,
  PriceOverride,
  PriceOverrideListQuery,
  UpdatePriceOverrideBody,
} from './schemas.js';

export type PriceOverrideView = Static<typeof PriceOverride>;

interface PriceRow {
  id: string;
  org_id: string;
  provider: PriceOverrideView['provider'];
  model: string;
  input_mtok: number;
  output_mtok: number;
  cache_read_mtok: number | null;
  cache_write_mtok: number | null;
  created_at: Date;
  updated_at: Date;
  created_us: string;
}

const COLUMNS = `id, org_id, provider, model, input_mtok, output_mtok, cache_read_mtok, cache_write_mtok, created_at,
  updated_at, ${CREATED_US_SQL}`;

// numeric arrives as a number (database.ts type parser); Number() keeps this right even without it.
function toView(row: PriceRow): PriceOverrideView {
  const optional = (value: number | null) => (value === null ? null : Number(value));
  return {
    id: row.id,
    orgId: row.org_id,
    provider: row.provider,
    model: row.model,
    inputMtok: Number(row.input_mtok),
    outputMtok: Number(row.output_mtok),
    cacheReadMtok: optional(row.cache_read_mtok),
    cacheWriteMtok: optional(row.cache_write_mtok),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function listPriceOverrides(
  tx: Tx,
  orgId: string,
  query: Static<typeof PriceOverrideListQuery>,
) {
  return listOrgPage(tx, { table: 'pricing_overrides', columns: COLUMNS }, orgId, query, toView, {
    provider: query.provider,
    model: query.model,
  });
}

export async function getPriceOverride(
  tx: Tx,
  orgId: string,
  id: string,
  lock = false,
): Promise<PriceOverrideView> {
  const { rows } = await tx.query<PriceRow>(
    `SELECT ${COLUMNS} FROM pricing_overrides WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [id, orgId],
  );
  if (!rows[0]) throw fail.notFound('Price override');
  return toView(rows[0]);
}

export async function createPriceOverride(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  input: Static<typeof CreatePriceOverrideBody>,
): Promise<PriceOverrideView> {
  const existing = await tx.query<{ id: string }>(
    'SELECT id FROM pricing_overrides WHERE org_id = $1 AND provider = $2 AND model = $3',
    [orgId, input.provider, input.model],
  );
  if (existing.rows[0]) {
    throw fail.conflict(`A price override for ${input.provider}:${input.model} already exists`, {
      id: existing.rows[0].id,
    });
  }
  const { rows } = await tx.query<PriceRow>(
    `INSERT INTO pricing_overrides (org_id, provider, model, input_mtok, output_mtok, cache_read_mtok,
                                    cache_write_mtok)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [
      orgId,
      input.provider,
      input.model,
      input.inputMtok,
      input.outputMtok,
      input.cacheReadMtok ?? null,
      input.cacheWriteMtok ?? null,
    ],
  );
  const created = toView(rows[0] as PriceRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'price_override.create',
    resourceType: 'price_override',
    resourceId: created.id,
    after: created,
  });
  return created;
}

export async function updatePriceOverride(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
  changes: Static<typeof UpdatePriceOverrideBody>,
): Promise<PriceOverrideView> {
  const before = await getPriceOverride(tx, orgId, id, true);
  const { rows } = await tx.query<PriceRow>(
    `UPDATE pricing_overrides SET
       input_mtok = COALESCE($3::numeric, input_mtok),
       output_mtok = COALESCE($4::numeric, output_mtok),
       cache_read_mtok = CASE WHEN $5::boolean THEN $6::numeric ELSE cache_read_mtok END,
       cache_write_mtok = CASE WHEN $7::boolean THEN $8::numeric ELSE cache_write_mtok END,
       updated_at = now()
     WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
    [
      id,
      orgId,
      changes.inputMtok ?? null,
      changes.outputMtok ?? null,
      changes.cacheReadMtok !== undefined,
      changes.cacheReadMtok ?? null,
      changes.cacheWriteMtok !== undefined,
      changes.cacheWriteMtok ?? null,
    ],
  );
  const after = toView(rows[0] as PriceRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'price_override.update',
    resourceType: 'price_override',
    resourceId: id,
    before,
    after,
  });
  return after;
}

export async function deletePriceOverride(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
): Promise<void> {
  const before = await getPriceOverride(tx, orgId, id, true);
  await tx.query('DELETE FROM pricing_overrides WHERE id = $1 AND org_id = $2', [id, orgId]);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'price_override.delete',
    resourceType: 'price_override',
    resourceId: id,
    before,
  });
}
