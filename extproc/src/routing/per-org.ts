// The routing section of a snapshot, compiled per org. The policy compiler (policy/compiled-policy.ts) and the
// control plane's validation and dry run all go through here, so they cannot disagree on a rule.
import type { Pricer } from '../pricing/pricing.js';
import { createCatalogue } from './catalogue.js';
import { type CompiledRouting, compileRouting } from './engine.js';
import type {
  SnapshotDeployment,
  SnapshotModelOverride,
  SnapshotRouting,
  SnapshotRoutingRule,
} from './types.js';

interface OrgSection {
  rules: SnapshotRoutingRule[];
  deployments: SnapshotDeployment[];
  modelOverrides: SnapshotModelOverride[];
}

/**
 * One CompiledRouting per org that has rules, deployments or model overrides. Throws RoutingCompileError for the
 * first rule that does not compile.
 */
export function compileSnapshotRouting(
  routing: SnapshotRouting | undefined,
  pricerFor: (orgId: string) => Pricer,
): Map<string, CompiledRouting> {
  const sections = new Map<string, OrgSection>();
  const sectionOf = (orgId: string): OrgSection => {
    let section = sections.get(orgId);
    if (!section) {
      section = { rules: [], deployments: [], modelOverrides: [] };
      sections.set(orgId, section);
    }
    return section;
  };
  for (const rule of routing?.rules ?? []) sectionOf(rule.orgId).rules.push(rule);
  for (const deployment of routing?.deployments ?? [])
    sectionOf(deployment.orgId).deployments.push(deployment);
  for (const override of routing?.modelOverrides ?? [])
    sectionOf(override.orgId).modelOverrides.push(override);

  const compiled = new Map<string, CompiledRouting>();
  for (const [orgId, section] of sections) {
    const catalogue = createCatalogue({ pricer: pricerFor(orgId), overrides: section.modelOverrides });
    compiled.set(orgId, compileRouting(section.rules, catalogue, section.deployments));
  }
  return compiled;
}
