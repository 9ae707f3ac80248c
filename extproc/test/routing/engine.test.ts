// Rule order, first match wins, every action, and failures that name the rule.
import { describe, expect, it } from 'vitest';
import { compileRouting, decideRoute, RoutingCompileError } from '../../src/routing/engine.js';
import type { RoutingAction, SnapshotDeployment, SnapshotRoutingRule } from '../../src/routing/types.js';
import { attrs, catalogue, deployment, rule } from './fixtures.js';

const compile = (rules: SnapshotRoutingRule[], deployments: SnapshotDeployment[] = []) =>
  compileRouting(rules, catalogue(), deployments);

function compileError(
  rules: SnapshotRoutingRule[],
  deployments: SnapshotDeployment[] = [],
): RoutingCompileError {
  try {
    compile(rules, deployments);
  } catch (error) {
    if (error instanceof RoutingCompileError) return error;
    throw error;
  }
  throw new Error('expected the rules not to compile');
}

describe('decideRoute: order and first match', () => {
  it('keeps the requested model when nothing matches', () => {
    const routing = compile([
      rule('request.team == "other"', [{ type: 'rewrite_model', model: 'gpt-4o-mini' }]),
    ]);
    const decision = decideRoute(routing, attrs());
    expect(decision).toMatchObject({
      ruleId: 'default',
      ruleName: 'default',
      model: 'gpt-4o',
      requestedModel: 'gpt-4o',
      provider: 'openai',
      deployment: null,
      fallbackChain: [],
      maxTokensCap: null,
      addHeaders: {},
      deny: null,
      appliedRuleIds: [],
    });
    expect(decision.evaluated).toEqual([
      { ruleId: routing.rules[0]?.id, ruleName: routing.rules[0]?.name, matched: false },
    ]);
    expect(decideRoute(compile([]), attrs())).toMatchObject({ ruleId: 'default', evaluated: [] });
  });

  it('runs rules by ascending priority and stops at the first match that decides', () => {
    const late = rule('true', [{ type: 'rewrite_model', model: 'gpt-4.1' }], { priority: 50, name: 'late' });
    const early = rule('request.team == "ml"', [{ type: 'rewrite_model', model: 'gpt-4o-mini' }], {
      priority: 10,
      name: 'early',
    });
    const never = rule('true', [{ type: 'rewrite_model', model: 'o3' }], { priority: 90, name: 'never' });
    const decision = decideRoute(compile([late, never, early]), attrs());
    expect(decision).toMatchObject({ ruleId: early.id, ruleName: 'early', model: 'gpt-4o-mini' });
    expect(decision.evaluated.map((e) => e.ruleId)).toEqual([early.id]);

    const other = decideRoute(compile([late, never, early]), attrs({ team: 'web' }));
    expect(other).toMatchObject({ ruleId: late.id, model: 'gpt-4.1' });
    expect(other.evaluated.map((e) => [e.ruleId, e.matched])).toEqual([
      [early.id, false],
      [late.id, true],
    ]);
  });

  it('breaks priority ties by name, then id, and skips disabled rules', () => {
    const b = rule('true', [{ type: 'rewrite_model', model: 'b-model' }], { name: 'b', id: 'id-1' });
    const a = rule('true', [{ type: 'rewrite_model', model: 'a-model' }], { name: 'a', id: 'id-2' });
    expect(decideRoute(compile([b, a]), attrs()).model).toBe('a-model');
    const twin = rule('true', [{ type: 'rewrite_model', model: 'twin' }], { name: 'a', id: 'id-0' });
    expect(decideRoute(compile([b, a, twin]), attrs()).model).toBe('twin');
    const disabled = { ...twin, enabled: false };
    const routing = compile([b, a, disabled]);
    expect(routing.rules.map((r) => r.id)).toEqual(['id-2', 'id-1']);
    expect(decideRoute(routing, attrs()).model).toBe('a-model');
  });

  it('applies modifiers of every matching rule up to the deciding one', () => {
    const capLoose = rule('true', [{ type: 'cap_max_tokens', maxTokens: 400 }], { priority: 1 });
    const headersFirst = rule(
      'true',
      [{ type: 'add_headers', headers: { 'x-route': 'first', 'x-a': '1' } }],
      {
        priority: 2,
      },
    );
    const skipped = rule('false', [{ type: 'cap_max_tokens', maxTokens: 1 }], { priority: 3 });
    const deciding = rule(
      'true',
      [
        { type: 'rewrite_model', model: 'gpt-4o-mini' },
        { type: 'cap_max_tokens', maxTokens: 300 },
        { type: 'add_headers', headers: { 'x-route': 'second', 'x-b': '2' } },
      ],
      { priority: 4 },
    );
    const after = rule('true', [{ type: 'cap_max_tokens', maxTokens: 5 }], { priority: 5 });
    const decision = decideRoute(compile([after, deciding, skipped, headersFirst, capLoose]), attrs());
    expect(decision).toMatchObject({
      ruleId: deciding.id,
      model: 'gpt-4o-mini',
      maxTokensCap: 300,
      addHeaders: { 'x-route': 'first', 'x-a': '1', 'x-b': '2' },
      appliedRuleIds: [capLoose.id, headersFirst.id, deciding.id],
    });
    expect(decision.evaluated).toHaveLength(4);

    const modifiersOnly = decideRoute(compile([capLoose, headersFirst]), attrs());
    expect(modifiersOnly).toMatchObject({ ruleId: 'default', model: 'gpt-4o', maxTokensCap: 400 });
  });

  it('counts an evaluation error as no match, reports it and goes on', () => {
    const broken = rule("request.budget['org'] > 0.5", [{ type: 'deny', reason: 'org budget' }], {
      priority: 1,
    });
    const next = rule('true', [{ type: 'rewrite_model', model: 'gpt-4o-mini' }], { priority: 2 });
    const decision = decideRoute(compile([broken, next]), attrs());
    expect(decision).toMatchObject({ ruleId: next.id, deny: null, model: 'gpt-4o-mini' });
    expect(decision.evaluated[0]).toMatchObject({
      ruleId: broken.id,
      matched: false,
      error: { message: expect.stringMatching(/org/) },
    });
    expect(decision.evaluated[1]).toEqual({ ruleId: next.id, ruleName: next.name, matched: true });
  });
});

describe('decideRoute: actions', () => {
  it('route: the deployment and its served model and provider', () => {
    const claude = deployment('claude-eu', { provider: 'anthropic', model: 'claude-sonnet-4-5' });
    const routing = compile([rule('true', [{ type: 'route', deployment: 'claude-eu' }])], [claude]);
    expect(decideRoute(routing, attrs())).toMatchObject({
      deployment: 'claude-eu',
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
    });
    expect(routing.deployments.get('claude-eu')).toEqual(claude);
  });

  it('fallback: the chain as written, with or without a model decision', () => {
    const routing = compile([
      rule('true', [
        { type: 'rewrite_model', model: 'gpt-4o-mini' },
        { type: 'fallback', chain: ['azure-east', 'gpt-4.1-mini'] },
      ]),
    ]);
    expect(decideRoute(routing, attrs())).toMatchObject({
      model: 'gpt-4o-mini',
      fallbackChain: ['azure-east', 'gpt-4.1-mini'],
    });
    const alone = compile([rule('true', [{ type: 'fallback', chain: ['gpt-4.1'] }])]);
    expect(decideRoute(alone, attrs())).toMatchObject({ model: 'gpt-4o', fallbackChain: ['gpt-4.1'] });
  });

  it('rewrite_model: takes the provider from the catalogue', () => {
    const routing = compile([rule('true', [{ type: 'rewrite_model', model: 'claude-haiku-4-5' }])]);
    expect(decideRoute(routing, attrs())).toMatchObject({ model: 'claude-haiku-4-5', provider: 'anthropic' });
    const unknown = compile([rule('true', [{ type: 'rewrite_model', model: 'ft:gpt-4o-mini:acme' }])]);
    expect(decideRoute(unknown, attrs())).toMatchObject({ model: 'ft:gpt-4o-mini:acme', provider: 'openai' });
  });

  it('deny: the reason, and the model stays as requested', () => {
    const routing = compile([rule('request.hour < 6', [{ type: 'deny', reason: 'batch window closed' }])]);
    expect(decideRoute(routing, attrs({ hour: 3 }))).toMatchObject({
      deny: { reason: 'batch window closed' },
      model: 'gpt-4o',
    });
    expect(decideRoute(routing, attrs({ hour: 12 })).deny).toBeNull();
  });

  it('cap_max_tokens and add_headers alone do not decide the model', () => {
    const routing = compile([
      rule('true', [
        { type: 'cap_max_tokens', maxTokens: 256 },
        { type: 'add_headers', headers: { 'x-cost-centre': 'ml' } },
      ]),
    ]);
    expect(decideRoute(routing, attrs())).toMatchObject({
      ruleId: 'default',
      maxTokensCap: 256,
      addHeaders: { 'x-cost-centre': 'ml' },
    });
  });

  it('budget-aware downgrade: a key past 80% of its budget goes to the mini model', () => {
    const routing = compile([
      rule('request.key_utilisation > 0.8 && request.model == "gpt-4o"', [
        { type: 'rewrite_model', model: 'gpt-4o-mini' },
      ]),
    ]);
    expect(decideRoute(routing, attrs({ utilisation: { key: 0.85 } })).model).toBe('gpt-4o-mini');
    expect(decideRoute(routing, attrs({ utilisation: { key: 0.8 } })).model).toBe('gpt-4o');
    expect(decideRoute(routing, attrs({ utilisation: {} })).model).toBe('gpt-4o');
  });

  it('cheapest_capable: the cheapest allowed model of the request provider that fits', () => {
    const allowed = ['gpt-4.1-mini', 'gpt-4o-mini', 'claude-3-haiku'];
    const routing = compile([rule('true', [{ type: 'cheapest_capable', allowedModels: allowed }])]);
    expect(decideRoute(routing, attrs())).toMatchObject({ model: 'gpt-4o-mini', provider: 'openai' });
    // 200k tokens of input no longer fit gpt-4o-mini's 128k window; gpt-4.1-mini takes 1M.
    expect(decideRoute(routing, attrs({ estimatedInputTokens: 200_000 })).model).toBe('gpt-4.1-mini');
    const anthropic = attrs({ provider: 'anthropic', model: 'claude-sonnet-4-5', endpoint: 'messages' });
    expect(decideRoute(routing, anthropic)).toMatchObject({ model: 'claude-3-haiku', provider: 'anthropic' });

    const small = compile([
      rule('true', [{ type: 'cheapest_capable', allowedModels: ['gpt-4o', 'gpt-4o-mini'] }]),
    ]);
    const none = decideRoute(small, attrs({ estimatedInputTokens: 200_000 }));
    expect(none).toMatchObject({ model: 'gpt-4o', ruleId: small.rules[0]?.id });
    expect(none.warnings[0]).toMatch(/no allowed openai model/);
  });

  it('cheapest_capable: a cap lowers the output the candidates must take', () => {
    const routing = compile([
      rule('true', [
        { type: 'cap_max_tokens', maxTokens: 16_000 },
        { type: 'cheapest_capable', allowedModels: ['gpt-4o-mini', 'gpt-4-turbo'] },
      ]),
    ]);
    // gpt-4-turbo's 4,096-token output limit rules it out even though it is listed; gpt-4o-mini takes 16k.
    expect(decideRoute(routing, attrs({ maxTokens: 50_000 }))).toMatchObject({
      model: 'gpt-4o-mini',
      maxTokensCap: 16_000,
    });
  });
});

describe('compileRouting: errors name the rule', () => {
  it('invalid CEL: the rule, the field and the position', () => {
    const bad = rule('request.model ==', [{ type: 'deny', reason: 'x' }], { name: 'broken' });
    const error = compileError([rule('true', [{ type: 'deny', reason: 'ok' }]), bad]);
    expect(error).toMatchObject({ ruleId: bad.id, ruleName: 'broken', field: 'condition' });
    expect(error.position).toEqual({ line: 1, column: 15, offset: 14 });
    expect(error.message).toMatch(/^routing rule 'broken'/);
    // Disabled rules are checked too: a snapshot never carries a rule that could not be enabled.
    expect(compileError([{ ...bad, enabled: false }]).ruleId).toBe(bad.id);
  });

  it('invalid actions: the action at fault', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [[], 'actions', /at least one action/],
      [[{ type: 'route', deployment: 'nowhere' }], 'actions.0.deployment', /no deployment named 'nowhere'/],
      [[{ type: 'teleport' }], 'actions.0.type', /unknown action type/],
      [[{ type: 'cap_max_tokens', maxTokens: 0 }], 'actions.0.maxTokens', />= 1/],
      [[{ type: 'cap_max_tokens', maxTokens: 1.5 }], 'actions.0.maxTokens', /whole number/],
      [[{ type: 'rewrite_model', model: 'has space' }], 'actions.0.model', /model name/],
      [[{ type: 'cheapest_capable', allowedModels: [] }], 'actions.0.allowedModels', /1 to 50/],
      [[{ type: 'fallback', chain: [] }], 'actions.0.chain', /1 to 10/],
      [[{ type: 'deny', reason: ' ' }], 'actions.0.reason', /reason/],
      [
        [{ type: 'add_headers', headers: { Authorization: 'x' } }],
        'actions.0.headers.Authorization',
        /lower-case/,
      ],
      [[{ type: 'add_headers', headers: { 'x-api-key': 'x' } }], 'actions.0.headers.x-api-key', /reserved/],
      [
        [{ type: 'add_headers', headers: { 'x-acc-route': 'x' } }],
        'actions.0.headers.x-acc-route',
        /reserved/,
      ],
      [
        [{ type: 'add_headers', headers: { 'x-a': 'line\r\nbreak' } }],
        'actions.0.headers.x-a',
        /single-line/,
      ],
      [
        [
          { type: 'deny', reason: 'no' },
          { type: 'deny', reason: 'twice' },
        ],
        'actions.1',
        /at most one 'deny'/,
      ],
      [
        [
          { type: 'rewrite_model', model: 'a' },
          { type: 'cheapest_capable', allowedModels: ['b'] },
        ],
        'actions',
        /keep one/,
      ],
      [
        [
          { type: 'route', deployment: 'east' },
          { type: 'rewrite_model', model: 'a' },
        ],
        'actions',
        /route sends the deployment's own model/,
      ],
      [
        [
          { type: 'deny', reason: 'no' },
          { type: 'fallback', chain: ['a'] },
        ],
        'actions',
        /deny refuses/,
      ],
    ];
    for (const [actions, field, message] of cases) {
      const bad = rule('true', actions as RoutingAction[]);
      const error = compileError([bad], [deployment('east')]);
      expect(error, JSON.stringify(actions)).toMatchObject({ ruleId: bad.id, field, position: null });
      expect(error.reason, JSON.stringify(actions)).toMatch(message);
    }
  });
});
