// Where a routed request goes when deployments are involved: which deployment serves it, which ones Envoy falls back
// to, and the Envoy cluster that tries them in order (upstream-clusters.ts).
//
//   - `route {deployment}` sends to that deployment, whatever its weight: the rule named it.
//   - A rule that decides a model (rewrite_model, cheapest_capable, or a fallback-only rule keeping the requested
//     model) sends to the org's deployments serving that model for the request's provider, when there are any,
//     balanced between them; weight 0 takes a deployment out of balancing. None serving it: the provider's default
//     upstream, as before deployments existed.
//   - `fallback {chain}` entries: a deployment name is that deployment; a model name is every deployment (weight > 0)
//     serving it, by name. Entries of another provider are skipped (the body is in the request's API format), and a
//     fallback needs a deployment to start from: with the provider's default upstream as primary it is not applied.
import type { ProviderId } from '../providers/types.js';
import { splitModelRef } from './catalogue.js';
import type { CompiledRouting } from './engine.js';
import type { FallbackSkipReason } from './metrics.js';
import type { SnapshotDeployment } from './types.js';
import { chainClusterName } from './upstream-clusters.js';

export type BalanceStrategy = 'weighted' | 'least_outstanding';
export const BALANCE_STRATEGIES: readonly BalanceStrategy[] = ['weighted', 'least_outstanding'];

const PROVIDERS: readonly ProviderId[] = ['openai', 'anthropic'];
const NONE: readonly SnapshotDeployment[] = Object.freeze([]);

/** Per compiled routing (so per snapshot): `provider:model` → the deployments serving it, by name. */
const servingIndex = new WeakMap<CompiledRouting, Map<string, SnapshotDeployment[]>>();

function byName(a: SnapshotDeployment, b: SnapshotDeployment): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The org's deployments serving `model` for `provider`, by name (weight 0 included). */
export function deploymentsServing(
  routing: CompiledRouting,
  provider: ProviderId,
  model: string,
): readonly SnapshotDeployment[] {
  let index = servingIndex.get(routing);
  if (!index) {
    index = new Map();
    for (const deployment of [...routing.deployments.values()].sort(byName)) {
      const key = `${deployment.provider}:${deployment.model}`;
      const list = index.get(key);
      if (list) list.push(deployment);
      else index.set(key, [deployment]);
    }
    servingIndex.set(routing, index);
  }
  return index.get(`${provider}:${model}`) ?? NONE;
}

const balanced = (deployments: readonly SnapshotDeployment[]) => deployments.filter((d) => d.weight > 0);

/**
 * Picks one deployment among several serving the same model. Outstanding requests are counted per extproc process
 * (acquire when forwarded, release when the exchange ends), not across a fleet.
 */
export class DeploymentBalancer {
  private readonly outstanding = new Map<string, number>();

  constructor(
    readonly strategy: BalanceStrategy,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * `weighted`: at random in proportion to weight. `least_outstanding`: the fewest requests in flight, ties by
   * weight as above. Deployments of weight 0 are never picked; null when none is left.
   */
  pick(candidates: readonly SnapshotDeployment[]): SnapshotDeployment | null {
    let pool = balanced(candidates);
    if (pool.length <= 1) return pool[0] ?? null;
    if (this.strategy === 'least_outstanding') {
      let least = Number.POSITIVE_INFINITY;
      for (const deployment of pool) least = Math.min(least, this.inFlight(deployment.id));
      pool = pool.filter((deployment) => this.inFlight(deployment.id) === least);
      if (pool.length === 1) return pool[0] as SnapshotDeployment;
    }
    let total = 0;
    for (const deployment of pool) total += deployment.weight;
    let point = this.random() * total;
    for (const deployment of pool) {
      point -= deployment.weight;
      if (point < 0) return deployment;
    }
    return pool[pool.length - 1] as SnapshotDeployment;
  }

  acquire(deploymentId: string): void {
    this.outstanding.set(deploymentId, this.inFlight(deploymentId) + 1);
  }

  release(deploymentId: string): void {
    const count = this.inFlight(deploymentId);
    // Idle deployments leave the map, so it never outgrows what is in flight.
    if (count <= 1) this.outstanding.delete(deploymentId);
    else this.outstanding.set(deploymentId, count - 1);
  }

  inFlight(deploymentId: string): number {
    return this.outstanding.get(deploymentId) ?? 0;
  }
}

/** The fallback entries as deployments of `provider`, in order; what cannot be used is reported in `skipped`. */
export function fallbackDeployments(
  routing: CompiledRouting,
  provider: ProviderId,
  entries: readonly string[],
  skipped: FallbackSkipReason[],
): SnapshotDeployment[] {
  const out: SnapshotDeployment[] = [];
  for (const entry of entries) {
    const named = routing.deployments.get(entry);
    if (named) {
      if (named.provider === provider) out.push(named);
      else skipped.push('other_provider');
      continue;
    }
    const ref = splitModelRef(entry);
    if (ref.provider !== undefined && ref.provider !== provider) {
      skipped.push('other_provider');
      continue;
    }
    const serving = balanced(deploymentsServing(routing, provider, ref.model));
    if (serving.length === 0) skipped.push('no_deployment');
    else out.push(...serving);
  }
  return out;
}

export interface UpstreamChain {
  /** In the order Envoy tries them: the first serves the request, the rest take over on failure. */
  deployments: readonly SnapshotDeployment[];
  /** The Envoy cluster to name in UPSTREAM_CLUSTER_HEADER. */
  cluster: string;
}

/** `primary`, then the fallbacks it is not already. */
export function chainOf(
  primary: SnapshotDeployment,
  fallbacks: readonly SnapshotDeployment[],
): UpstreamChain {
  const deployments = [primary];
  const seen = new Set([primary.id]);
  for (const deployment of fallbacks) {
    if (seen.has(deployment.id)) continue;
    seen.add(deployment.id);
    deployments.push(deployment);
  }
  return { deployments, cluster: chainClusterName(deployments.map((d) => d.id)) };
}

/**
 * Every ordered list of deployment ids the routing stage can send a request of this org to (one-element lists
 * included): the chain clusters Envoy needs for the org's current rules. Balancing picks the first element, so each
 * deployment a rule may balance to starts a chain of its own.
 */
export function deploymentChains(routing: CompiledRouting): string[][] {
  const chains = new Map<string, string[]>();
  const add = (primary: SnapshotDeployment, fallback: readonly string[] | null) => {
    const chain = chainOf(primary, fallbackDeployments(routing, primary.provider, fallback ?? [], []));
    chains.set(
      chain.cluster,
      chain.deployments.map((d) => d.id),
    );
  };
  for (const rule of routing.rules) {
    if (!rule.decisive || rule.deny) continue;
    if (rule.deployment) {
      add(rule.deployment, rule.fallbackChain);
      continue;
    }
    let primaries: SnapshotDeployment[];
    if (rule.rewriteModel) {
      const { model, provider } = rule.rewriteModel;
      primaries = (provider ? [provider] : PROVIDERS).flatMap((p) =>
        balanced(deploymentsServing(routing, p, model)),
      );
    } else if (rule.allowedModels) {
      primaries = rule.allowedModels.flatMap((entry) => {
        const ref = splitModelRef(entry);
        return (ref.provider ? [ref.provider] : PROVIDERS).flatMap((p) =>
          balanced(deploymentsServing(routing, p, ref.model)),
        );
      });
    } else {
      // A fallback-only rule keeps whatever model was requested: any deployment may be its primary.
      primaries = balanced([...routing.deployments.values()]);
    }
    for (const primary of primaries) add(primary, rule.fallbackChain);
  }
  return [...chains.values()];
}
