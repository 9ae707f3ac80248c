// One org's routing compiled exactly as extproc will compile it from the next snapshot: the rows go through
// buildSnapshot, the org's pricer comes from compilePolicy and the rules through compileSnapshotRouting, the
// function compilePolicy itself uses. Writes validate against it before they commit; the dry run decides with it.
import { compilePolicy, type PolicySnapshot } from '@acc/extproc/policy';
import {
  type CompiledRouting,
  compileSnapshotRouting,
  createCatalogue,
  emptyRouting,
} from '@acc/extproc/routing';
import type { Tx } from '../db/database.js';
import { buildSnapshot, type PricingRow } from '../policy/compile.js';
import { loadRoutingRows, type RoutingRows } from './rows.js';

export interface OrgRoutingState {
  routing: RoutingRows;
  pricing: PricingRow[];
}

const NO_DEFAULTS = {
  bootstrapKeys: [],
  providerKeys: { openai: null, anthropic: null },
  priceOverrides: undefined,
};

/**
 * Serialises an org's routing writes until the transaction ends. A rule naming a deployment and the deletion of that
 * deployment, committed side by side, would each pass its own check and leave a rule extproc refuses to compile.
 */
export async function lockOrgRouting(tx: Tx, orgId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`acc.routing:${orgId}`]);
}

/** Reads through `tx`, so within withTenant it sees only this org and any uncommitted change of the transaction. */
export async function loadOrgRouting(tx: Tx, orgId: string): Promise<OrgRoutingState> {
  const routing = await loadRoutingRows(tx, orgId);
  const pricing = await tx.query<PricingRow>(
    `SELECT org_id, provider, model, input_mtok, output_mtok, cache_read_mtok, cache_write_mtok
       FROM pricing_overrides WHERE org_id = $1 ORDER BY provider, model`,
    [orgId],
  );
  return { routing, pricing: pricing.rows };
}

/** Throws RoutingCompileError (from @acc/extproc/routing) for a rule extproc would refuse. */
export function compileOrgRouting(orgId: string, state: OrgRoutingState): CompiledRouting {
  const snapshot: PolicySnapshot = buildSnapshot(
    { orgs: [], teams: [], keys: [], credentials: [], pricing: state.pricing, routing: state.routing },
    0,
    new Date(),
  );
  const pricer = compilePolicy({ ...snapshot, routing: undefined }, NO_DEFAULTS, []).pricer(orgId);
  return (
    compileSnapshotRouting(snapshot.routing, () => pricer).get(orgId) ??
    emptyRouting(createCatalogue({ pricer }))
  );
}
