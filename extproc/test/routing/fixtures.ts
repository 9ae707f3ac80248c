// Rules, attributes and catalogues for the routing tests: every field spelled out once, tests override what they
// are about.
import { createPricer } from '../../src/pricing/pricing.js';
import type { RouteAttributes } from '../../src/routing/attributes.js';
import { createCatalogue, type ModelCatalogue } from '../../src/routing/catalogue.js';
import type {
  RoutingAction,
  SnapshotDeployment,
  SnapshotModelOverride,
  SnapshotRoutingRule,
} from '../../src/routing/types.js';

export const ORG = '11111111-1111-4111-8111-111111111111';

export function attrs(overrides: Partial<RouteAttributes> = {}): RouteAttributes {
  return {
    model: 'gpt-4o',
    provider: 'openai',
    endpoint: 'chat_completions',
    team: 'ml',
    teamId: 'team-ml',
    key: 'key-1',
    agent: 'planner',
    tags: ['batch'],
    estimatedInputTokens: 1_000,
    maxTokens: 500,
    stream: false,
    hasTools: false,
    hasImages: false,
    jsonMode: false,
    reasoning: false,
    hour: 10,
    weekday: 2,
    utilisation: { key: 0.1, team: 0.2 },
    ...overrides,
  };
}

let counter = 0;

export function rule(
  condition: string,
  actions: RoutingAction[],
  overrides: Partial<SnapshotRoutingRule> = {},
): SnapshotRoutingRule {
  counter++;
  return {
    id: `rule-${counter}`,
    orgId: ORG,
    name: `rule ${counter}`,
    priority: 100,
    condition,
    actions,
    enabled: true,
    ...overrides,
  };
}

export function deployment(name: string, overrides: Partial<SnapshotDeployment> = {}): SnapshotDeployment {
  return {
    id: `dep-${name}`,
    orgId: ORG,
    name,
    provider: 'openai',
    model: 'gpt-4o-2024-08-06',
    baseUrlCluster: null,
    weight: 1,
    credentialRef: null,
    ...overrides,
  };
}

export function override(
  model: string,
  overrides: Partial<SnapshotModelOverride> = {},
): SnapshotModelOverride {
  return {
    orgId: ORG,
    provider: 'openai',
    model,
    contextWindow: null,
    maxOutputTokens: null,
    capabilities: { tools: null, vision: null, jsonMode: null, reasoning: null },
    enabled: true,
    ...overrides,
  };
}

/** genai-prices' catalogue, no org prices, unless given. */
export function catalogue(
  overrides: SnapshotModelOverride[] = [],
  prices: Parameters<typeof createPricer>[0] = new Map(),
): ModelCatalogue {
  return createCatalogue({ pricer: createPricer(prices), overrides });
}
