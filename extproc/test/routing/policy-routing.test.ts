// Routing inside the compiled policy: per org, priced like the org, and a broken rule refuses the whole snapshot.
import { describe, expect, it } from 'vitest';
import {
  compilePolicy,
  defaultPolicy,
  PolicyCompileError,
  type PolicyDefaults,
} from '../../src/policy/compiled-policy.js';
import type { PolicySnapshot } from '../../src/policy/snapshot.js';
import { decideRoute } from '../../src/routing/engine.js';
import { attrs, deployment, ORG, override, rule } from './fixtures.js';

const OTHER_ORG = '22222222-2222-4222-8222-222222222222';
const PRICED_ORG = '33333333-3333-4333-8333-333333333333';
const defaults: PolicyDefaults = {
  bootstrapKeys: [],
  providerKeys: { openai: null, anthropic: null },
  priceOverrides: undefined,
};

function snapshot(routing: PolicySnapshot['routing']): PolicySnapshot {
  return {
    schema: 1,
    version: 5,
    publishedAt: new Date().toISOString(),
    orgs: [],
    teams: [],
    keys: [],
    providerCredentials: [],
    pricing: [
      // gpt-4.1-mini priced below gpt-4o-mini for this org only.
      {
        orgId: ORG,
        provider: 'openai',
        model: 'gpt-4.1-mini',
        inputMtok: 0.01,
        outputMtok: 0.01,
        cacheReadMtok: null,
        cacheWriteMtok: null,
      },
      {
        orgId: PRICED_ORG,
        provider: 'openai',
        model: 'gpt-4o',
        inputMtok: 1,
        outputMtok: 1,
        cacheReadMtok: null,
        cacheWriteMtok: null,
      },
    ],
    ...(routing ? { routing } : {}),
  };
}

describe('CompiledPolicy.routing', () => {
  const cheapest = rule('true', [
    { type: 'cheapest_capable', allowedModels: ['gpt-4o-mini', 'gpt-4.1-mini', 'house'] },
  ]);
  const routed = rule('request.team == "eu"', [{ type: 'route', deployment: 'eu' }], { orgId: OTHER_ORG });
  const policy = compilePolicy(
    snapshot({
      rules: [cheapest, routed],
      deployments: [deployment('eu', { orgId: OTHER_ORG, model: 'gpt-4o' })],
      modelOverrides: [override('gpt-4.1-mini', { enabled: true, maxOutputTokens: 100 })],
    }),
    defaults,
    [],
  );

  it("compiles each org's rules with its own prices and overrides", () => {
    expect(decideRoute(policy.routing(ORG), attrs({ maxTokens: 50 })).model).toBe('gpt-4.1-mini');
    // The override caps gpt-4.1-mini's output at 100 tokens for this org.
    expect(decideRoute(policy.routing(ORG), attrs({ maxTokens: 500 })).model).toBe('gpt-4o-mini');
    expect(decideRoute(policy.routing(OTHER_ORG), attrs({ team: 'eu' }))).toMatchObject({
      deployment: 'eu',
      model: 'gpt-4o',
    });
    expect(decideRoute(policy.routing(OTHER_ORG), attrs({ team: 'us' })).ruleId).toBe('default');
  });

  it('gives orgs without rules, and requests without an org, an empty routing priced like them', () => {
    for (const routing of [policy.routing('no-such-org'), policy.routing(null), policy.routing(PRICED_ORG)]) {
      expect(routing.rules).toEqual([]);
      expect(decideRoute(routing, attrs()).ruleId).toBe('default');
    }
    expect(
      policy.routing(PRICED_ORG).catalogue.estimateCostUsd('openai', 'gpt-4o', 1_000_000, 0),
    ).toBeCloseTo(1, 9);
    expect(policy.routing(null).catalogue.estimateCostUsd('openai', 'gpt-4o', 1_000_000, 0)).toBeCloseTo(
      2.5,
      9,
    );
    const fallback = defaultPolicy(defaults);
    expect(fallback.routing(ORG).rules).toEqual([]);
    expect(compilePolicy(snapshot(undefined), defaults, []).routing(ORG).rules).toEqual([]);
  });

  it('refuses a snapshot with a rule that does not compile, naming it', () => {
    const broken = rule('request.model >', [{ type: 'deny', reason: 'x' }], { name: 'broken rule' });
    const compile = () =>
      compilePolicy(snapshot({ rules: [broken], deployments: [], modelOverrides: [] }), defaults, []);
    expect(compile).toThrow(PolicyCompileError);
    expect(compile).toThrow(/broken rule/);
    const dangling = rule('true', [{ type: 'route', deployment: 'gone' }]);
    expect(() =>
      compilePolicy(snapshot({ rules: [dangling], deployments: [], modelOverrides: [] }), defaults, []),
    ).toThrow(/no deployment named 'gone'/);
  });
});
