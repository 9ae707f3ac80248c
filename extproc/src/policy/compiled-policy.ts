// A snapshot compiled into what the hot path needs: O(1) key lookups, opened provider credentials and a pricer per
// org. Compiled once per published version and then only read, so a request never waits on anything.
import { type CompiledBudgets, compileBudgets } from '../budgets/applicable.js';
import type { GatewayIdentity, GatewayKeyStore } from '../pipeline/auth.js';
import { digestKey } from '../pipeline/auth.js';
import type { ModelPriceOverride } from '../pricing/overrides.js';
import { createPricer, type PriceOverrides, type Pricer } from '../pricing/pricing.js';
import type { ProviderId } from '../providers/types.js';
import { createCatalogue } from '../routing/catalogue.js';
import { type CompiledRouting, emptyRouting, RoutingCompileError } from '../routing/engine.js';
import { compileSnapshotRouting } from '../routing/per-org.js';
import {
  type CompiledSecurity,
  compileSecurityPolicies,
  SecurityCompileError,
} from '../security/compiled-security.js';
import { applyOverrides, DEFAULT_SECURITY_POLICY, type SecurityPolicyOverrides } from '../security/policy.js';
import { type MasterKey, openSecret } from './sealed-secret.js';
import type { PolicySnapshot } from './snapshot.js';

export interface CompiledPolicy {
  /** 0 = no snapshot: bootstrap keys and environment credentials only. */
  readonly version: number;
  readonly keys: GatewayKeyStore;
  /** The credential for this org and provider: the org's own, else the gateway-wide one from the environment. */
  providerKey(orgId: string | null, provider: ProviderId): string | null;
  pricer(orgId: string | null): Pricer;
  /** The org's routing rules and deployments, compiled; an org without any routes every request as requested. */
  routing(orgId: string | null): CompiledRouting;
  /** A team's name (routing rules match on names), null when the snapshot does not know the team. */
  teamName(teamId: string): string | null;
  /** ClawShield policy per org and team, resolved once per snapshot. */
  readonly security: CompiledSecurity;
  /** Budgets and rate limits indexed by org and subject, once per snapshot; none before the first snapshot. */
  readonly budgets: CompiledBudgets;
}

export interface PolicyDefaults {
  bootstrapKeys: string[];
  providerKeys: Record<ProviderId, string | null>;
  priceOverrides: PriceOverrides | undefined;
  /** ACC_SECURITY_POLICY: the gateway-wide security base under every org's own policy. */
  security?: SecurityPolicyOverrides | null;
}

function securityBase(defaults: PolicyDefaults) {
  return applyOverrides(DEFAULT_SECURITY_POLICY, defaults.security ?? undefined);
}

export class PolicyCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyCompileError';
  }
}

class DigestKeyStore implements GatewayKeyStore {
  constructor(private readonly byDigest: ReadonlyMap<string, GatewayIdentity>) {}

  resolve(presentedKey: string): GatewayIdentity | null {
    return this.byDigest.get(digestKey(presentedKey)) ?? null;
  }
}

function bootstrapIdentities(keys: string[]): Map<string, GatewayIdentity> {
  const identities = new Map<string, GatewayIdentity>();
  for (const [index, key] of keys.entries()) {
    identities.set(digestKey(key), {
      keyId: `bootstrap-${index + 1}`,
      orgId: null,
      teamId: null,
      ownerId: null,
      agent: null,
      allowAgentHeader: true,
      allowedModels: null,
      expiresAt: null,
    });
  }
  return identities;
}

const NO_BUDGETS = compileBudgets();

/** The policy in force before any snapshot arrived (or when no control plane is configured). */
export function defaultPolicy(defaults: PolicyDefaults): CompiledPolicy {
  const pricer = createPricer(defaults.priceOverrides);
  const routing = emptyRouting(createCatalogue({ pricer }));
  return {
    version: 0,
    keys: new DigestKeyStore(bootstrapIdentities(defaults.bootstrapKeys)),
    providerKey: (_orgId, provider) => defaults.providerKeys[provider],
    pricer: () => pricer,
    routing: () => routing,
    teamName: () => null,
    security: compileSecurityPolicies([], securityBase(defaults)),
    budgets: NO_BUDGETS,
  };
}

/**
 * Compiles a snapshot. Throws PolicyCompileError if a credential cannot be opened or a routing rule does not compile:
 * a snapshot we cannot fully apply is rejected whole, and the previous one stays in force.
 */
export function compilePolicy(
  snapshot: PolicySnapshot,
  defaults: PolicyDefaults,
  masterKeys: MasterKey[],
): CompiledPolicy {
  const identities = bootstrapIdentities(defaults.bootstrapKeys);
  for (const key of snapshot.keys) {
    identities.set(key.digest, {
      keyId: key.id,
      orgId: key.orgId,
      teamId: key.teamId,
      ownerId: key.ownerId,
      agent: key.agent ?? null,
      allowAgentHeader: key.allowAgentHeader ?? false,
      allowedModels: key.allowedModels ? new Set(key.allowedModels) : null,
      expiresAt: key.expiresAt ? Date.parse(key.expiresAt) : null,
    });
  }

  const credentials = new Map<string, string>();
  for (const credential of snapshot.providerCredentials) {
    if (masterKeys.length === 0) {
      throw new PolicyCompileError('the snapshot has provider credentials but ACC_MASTER_KEY is not set');
    }
    try {
      credentials.set(
        `${credential.orgId}:${credential.provider}`,
        openSecret(credential.secret, masterKeys),
      );
    } catch (error) {
      throw new PolicyCompileError(
        `provider credential ${credential.provider} of org ${credential.orgId}: ${(error as Error).message}`,
      );
    }
  }

  const globalPricer = createPricer(defaults.priceOverrides);
  const orgOverrides = new Map<string, Map<string, ModelPriceOverride>>();
  for (const price of snapshot.pricing) {
    let overrides = orgOverrides.get(price.orgId);
    if (!overrides) {
      overrides = new Map(defaults.priceOverrides ?? []);
      orgOverrides.set(price.orgId, overrides);
    }
    overrides.set(`${price.provider}:${price.model}`, {
      input_mtok: price.inputMtok,
      output_mtok: price.outputMtok,
      ...(price.cacheReadMtok === null ? {} : { cache_read_mtok: price.cacheReadMtok }),
      ...(price.cacheWriteMtok === null ? {} : { cache_write_mtok: price.cacheWriteMtok }),
    });
  }
  const orgPricers = new Map<string, Pricer>();
  for (const [orgId, overrides] of orgOverrides) orgPricers.set(orgId, createPricer(overrides));

  let orgRouting: Map<string, CompiledRouting>;
  try {
    orgRouting = compileSnapshotRouting(snapshot.routing, (orgId) => orgPricers.get(orgId) ?? globalPricer);
  } catch (error) {
    if (!(error instanceof RoutingCompileError)) throw error;
    throw new PolicyCompileError(error.message);
  }
  // Rule-less orgs with their own prices still get a catalogue that prices like their pricer.
  for (const [orgId, pricer] of orgPricers) {
    if (!orgRouting.has(orgId)) orgRouting.set(orgId, emptyRouting(createCatalogue({ pricer })));
  }
  const globalRouting = emptyRouting(createCatalogue({ pricer: globalPricer }));
  const teamNames = new Map(snapshot.teams.map((team) => [team.id, team.name]));

  let security: CompiledSecurity;
  try {
    security = compileSecurityPolicies(snapshot.security, securityBase(defaults));
  } catch (error) {
    if (!(error instanceof SecurityCompileError)) throw error;
    throw new PolicyCompileError(error.message);
  }

  return {
    version: snapshot.version,
    keys: new DigestKeyStore(identities),
    providerKey: (orgId, provider) =>
      (orgId === null ? undefined : credentials.get(`${orgId}:${provider}`)) ??
      defaults.providerKeys[provider],
    pricer: (orgId) => (orgId === null ? globalPricer : (orgPricers.get(orgId) ?? globalPricer)),
    routing: (orgId) => (orgId === null ? globalRouting : (orgRouting.get(orgId) ?? globalRouting)),
    teamName: (teamId) => teamNames.get(teamId) ?? null,
    security,
    budgets: compileBudgets(snapshot.budgets, snapshot.rateLimits),
  };
}
