// The security policies of one snapshot, resolved once: every org and team gets its effective settings and its own
// detector list (tool-abuse built from its lists, detectors switched off entirely left out), so a request only
// looks its policy up. Invalid settings refuse the snapshot, like an unopenable credential does.
import { createToolAbuseDetector, ToolPolicyError } from './detectors/tool-abuse.js';
import {
  applyOverrides,
  DEFAULT_SECURITY_POLICY,
  parseSecurityOverrides,
  SEVERITIES,
  SecurityPolicyError,
  type SecurityPolicyOverrides,
  type SecurityPolicySettings,
  type SnapshotSecurityPolicy,
} from './policy.js';
import { ALL_DETECTORS } from './registry.js';
import type { Detector, DetectorId } from './types.js';

/** Detectors whose findings make sense in model output: what the model must not leak. */
const RESPONSE_DETECTORS: ReadonlySet<DetectorId> = new Set(['secrets', 'exfiltration']);

export interface EffectiveSecurityPolicy {
  readonly settings: SecurityPolicySettings;
  /** Where the settings came from: the team's overrides, the org's, or the gateway-wide base. */
  readonly scope: 'team' | 'org' | 'gateway';
  readonly requestDetectors: readonly Detector[];
  readonly responseDetectors: readonly Detector[];
  /** Runaway detection is on and some severity of runaway_agent is not `off`. */
  readonly watchesRunaway: boolean;
}

export interface CompiledSecurity {
  forRequest(orgId: string | null, teamId: string | null): EffectiveSecurityPolicy;
}

export class SecurityCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecurityCompileError';
  }
}

function active(settings: SecurityPolicySettings, id: DetectorId): boolean {
  return SEVERITIES.some((severity) => settings.actions[id][severity] !== 'off');
}

function effective(
  settings: SecurityPolicySettings,
  scope: EffectiveSecurityPolicy['scope'],
): EffectiveSecurityPolicy {
  const requestDetectors: Detector[] = ALL_DETECTORS.filter(
    (d) => d.id !== 'tool_abuse' && active(settings, d.id),
  );
  if (active(settings, 'tool_abuse')) {
    requestDetectors.push(
      createToolAbuseDetector({
        deniedTools: settings.deniedTools,
        deniedArgumentPatterns: settings.deniedArgumentPatterns,
        allowedTools: settings.allowedTools,
      }),
    );
  }
  return {
    settings,
    scope,
    requestDetectors,
    responseDetectors: ALL_DETECTORS.filter((d) => RESPONSE_DETECTORS.has(d.id) && active(settings, d.id)),
    watchesRunaway: settings.runaway.enabled && active(settings, 'runaway_agent'),
  };
}

function overridesOf(policy: SnapshotSecurityPolicy): SecurityPolicyOverrides {
  const { orgId: _org, teamId: _team, ...overrides } = policy;
  return parseSecurityOverrides(overrides);
}

function where(policy: SnapshotSecurityPolicy): string {
  return policy.teamId === null ? `org ${policy.orgId}` : `team ${policy.teamId} of org ${policy.orgId}`;
}

/**
 * Resolves team → org → base for every policy of a snapshot. `base` is the gateway-wide policy
 * (ACC_SECURITY_POLICY over the built-in default); it also applies to keys without an org (bootstrap keys).
 */
export function compileSecurityPolicies(
  policies: readonly SnapshotSecurityPolicy[] = [],
  base: Readonly<SecurityPolicySettings> = DEFAULT_SECURITY_POLICY,
): CompiledSecurity {
  const compileOne = (policy: SnapshotSecurityPolicy, parent: Readonly<SecurityPolicySettings>) => {
    try {
      return applyOverrides(parent, overridesOf(policy));
    } catch (error) {
      if (error instanceof SecurityPolicyError) {
        throw new SecurityCompileError(`security policy of ${where(policy)}: ${error.message}`);
      }
      throw error;
    }
  };
  const build = (
    settings: SecurityPolicySettings,
    scope: EffectiveSecurityPolicy['scope'],
    policy?: SnapshotSecurityPolicy,
  ) => {
    try {
      return effective(settings, scope);
    } catch (error) {
      if (error instanceof ToolPolicyError && policy) {
        throw new SecurityCompileError(`security policy of ${where(policy)}: ${error.message}`);
      }
      throw error;
    }
  };

  const gateway = effective(applyOverrides(base, undefined), 'gateway');
  const orgSettings = new Map<string, SecurityPolicySettings>();
  const orgs = new Map<string, EffectiveSecurityPolicy>();
  for (const policy of policies) {
    if (policy.teamId !== null) continue;
    const settings = compileOne(policy, base);
    orgSettings.set(policy.orgId, settings);
    orgs.set(policy.orgId, build(settings, 'org', policy));
  }
  const teams = new Map<string, EffectiveSecurityPolicy>();
  for (const policy of policies) {
    if (policy.teamId === null) continue;
    const settings = compileOne(policy, orgSettings.get(policy.orgId) ?? base);
    teams.set(`${policy.orgId}/${policy.teamId}`, build(settings, 'team', policy));
  }
  return {
    forRequest(orgId, teamId) {
      if (orgId === null) return gateway;
      return (teamId === null ? undefined : teams.get(`${orgId}/${teamId}`)) ?? orgs.get(orgId) ?? gateway;
    },
  };
}
