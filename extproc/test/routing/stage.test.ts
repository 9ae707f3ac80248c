// The routing stage in the pipeline: what reaches the upstream (model, output cap, headers, cluster), what the
// client is told (x-acc-route, x-acc-model, refusals in its provider's shape) and what the spend record carries.
import { describe, expect, it } from 'vitest';
import { adapterFor } from '../../src/providers/index.js';
import { estimateInputTokens } from '../../src/routing/estimate.js';
import { RouteInputEstimator } from '../../src/routing/input-estimate.js';
import { chainClusterName, deploymentClusterName } from '../../src/routing/upstream-clusters.js';
import { body, handleNow, requestHeaders, responseHeaders } from '../support/ext-proc-messages.js';
import { deployment, rule } from './fixtures.js';
import {
  answer,
  anthropicHeaders,
  chat,
  claude,
  forwarded,
  headersOf,
  immediate,
  OTHER_KEY,
  openaiHeaders,
  routingGateway,
  send,
} from './stage-support.js';

const researchRule = () =>
  rule('request.team == "research" && request.estimated_input_tokens < 2000', [
    { type: 'rewrite_model', model: 'gpt-4o-mini' },
  ]);
const usage = { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500 };

describe('routing stage: rules applied to live requests', () => {
  it('with no rules, forwards untouched and synchronously, and still names the route and model', async () => {
    const gateway = routingGateway();
    const context = gateway.open();
    handleNow(context, requestHeaders(openaiHeaders()));
    const reply = handleNow(context, body('request_body', JSON.stringify(chat())));
    expect(forwarded(reply)).toBeNull();
    const client = await answer(context, { model: 'gpt-4o-2024-08-06', usage });
    expect(client).toMatchObject({ 'x-acc-route': 'default', 'x-acc-model': 'gpt-4o' });
    expect(gateway.records[0]).toMatchObject({
      route: 'default',
      requestedModel: 'gpt-4o',
      model: 'gpt-4o-2024-08-06',
      counterfactualCostUsd: null,
    });
    expect(await gateway.metric('acc_routing_decisions_total', '{outcome="default"}')).toBe(1);
  });

  it('rewrites a small research request to the cheaper model and records the counterfactual cost', async () => {
    const research = researchRule();
    const gateway = routingGateway({ rules: [research] });
    const { context, reply } = await send(gateway, openaiHeaders(), chat());
    expect(forwarded(reply)).toMatchObject({ model: 'gpt-4o-mini' });
    const client = await answer(context, { model: 'gpt-4o-mini-2024-07-18', usage });
    expect(client).toMatchObject({ 'x-acc-route': research.id, 'x-acc-model': 'gpt-4o-mini' });
    const record = gateway.records[0];
    expect(record).toMatchObject({
      route: research.id,
      requestedModel: 'gpt-4o',
      model: 'gpt-4o-mini-2024-07-18',
    });
    // gpt-4o costs ~16× gpt-4o-mini for the same tokens.
    expect(record?.costUsd).toBeGreaterThan(0);
    expect(record?.counterfactualCostUsd).toBeGreaterThan(10 * (record?.costUsd ?? 0));
    expect(await gateway.metric('acc_routing_decisions_total', '{outcome="model_changed"}')).toBe(1);
  });

  it('leaves other teams and large inputs on the requested model', async () => {
    const research = researchRule();
    const gateway = routingGateway({ rules: [research] });
    const other = await send(gateway, openaiHeaders(OTHER_KEY), chat());
    expect(forwarded(other.reply)).toBeNull();
    const large = await send(gateway, openaiHeaders(), chat({}, 'lorem ipsum '.repeat(1500)));
    expect(forwarded(large.reply)).toBeNull();
    expect(await answer(large.context, { model: 'gpt-4o', usage })).toMatchObject({
      'x-acc-route': 'default',
      'x-acc-model': 'gpt-4o',
    });
    expect(await gateway.metric('acc_routing_decisions_total', '{outcome="kept_model"}')).toBe(2);
  });

  it('caps output in the field the provider reads, lowering only, and later stages see the cap', async () => {
    const cap = rule('true', [{ type: 'cap_max_tokens', maxTokens: 300 }]);
    const seen: Array<number | null> = [];
    const gateway = routingGateway({
      rules: [cap],
      later: [
        {
          name: 'budgets',
          onRequest: (context) => {
            seen.push(context.request.maxTokens);
            return null;
          },
        },
      ],
    });
    const legacy = await send(gateway, openaiHeaders(), chat({ max_tokens: 5000 }));
    expect(forwarded(legacy.reply)).toMatchObject({ max_tokens: 300 });
    expect(forwarded(legacy.reply)).not.toHaveProperty('max_completion_tokens');
    const unset = await send(gateway, openaiHeaders(), chat());
    expect(forwarded(unset.reply)).toMatchObject({ max_completion_tokens: 300 });
    const lower = await send(gateway, openaiHeaders(), chat({ max_completion_tokens: 100 }));
    expect(forwarded(lower.reply)).toBeNull();
    const anthropic = await send(gateway, anthropicHeaders(), claude());
    expect(forwarded(anthropic.reply)).toMatchObject({ max_tokens: 300, model: 'claude-sonnet-4-5' });
    expect(seen).toEqual([300, 300, 100, 300]);
  });

  it('adds the rules’ headers to the upstream request', async () => {
    const tagged = rule('true', [{ type: 'add_headers', headers: { 'x-cost-centre': 'research' } }]);
    const gateway = routingGateway({ rules: [tagged] });
    const { reply } = await send(gateway, openaiHeaders(), chat());
    expect(headersOf(reply, 'request_body')).toMatchObject({ 'x-cost-centre': 'research' });
  });

  it('denies in the caller’s own error shape, with the reason and the rule', async () => {
    const night = rule('request.hour < 5', [{ type: 'deny', reason: 'maintenance window' }], {
      name: 'night',
    });
    const threeAm = Date.parse('2026-01-06T03:00:00Z');
    const gateway = routingGateway({ rules: [night], now: () => threeAm });
    const openai = immediate((await send(gateway, openaiHeaders(), chat())).reply);
    expect(openai.status).toBe(403);
    expect(openai.body.error).toMatchObject({ type: 'invalid_request_error', code: 'routing_denied' });
    expect(openai.body.error.message).toContain("'night': maintenance window");
    expect(openai.headers).toMatchObject({ 'x-acc-route': night.id });
    const anthropic = immediate((await send(gateway, anthropicHeaders(), claude())).reply);
    expect(anthropic.status).toBe(403);
    expect(anthropic.body).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    expect(gateway.records.map((r) => [r.decision, r.route, r.status])).toEqual([
      ['rejected', night.id, 403],
      ['rejected', night.id, 403],
    ]);
    const noon = routingGateway({ rules: [night], now: () => threeAm + 9 * 3_600_000 });
    expect(immediate((await send(noon, openaiHeaders(), chat())).reply).status).toBeUndefined();
  });

  it('downgrades near budget with the utilisation the budget view reports', async () => {
    const downgrade = rule('request.key_utilisation > 0.8', [
      { type: 'rewrite_model', model: 'gpt-4o-mini' },
    ]);
    let spent = 0.5;
    const gateway = routingGateway({
      rules: [downgrade],
      utilisation: {
        utilisation: (identity): Record<string, number> =>
          identity.keyId === 'key-research' ? { key: spent } : {},
      },
    });
    expect(forwarded((await send(gateway, openaiHeaders(), chat())).reply)).toBeNull();
    spent = 0.85;
    expect(forwarded((await send(gateway, openaiHeaders(), chat())).reply)).toMatchObject({
      model: 'gpt-4o-mini',
    });
  });

  it('counts a condition that fails to evaluate and treats it as no match', async () => {
    const broken = rule("request.budget['org'] > 0.5", [{ type: 'deny', reason: 'org budget' }]);
    const gateway = routingGateway({ rules: [broken] });
    const { reply } = await send(gateway, openaiHeaders(), chat());
    expect(reply.immediate_response).toBeUndefined();
    expect(await gateway.metric('acc_routing_condition_errors_total')).toBe(1);
  });

  it('forwards as requested when routing itself fails', async () => {
    const estimator = new RouteInputEstimator();
    estimator.estimate = () => Promise.reject(new Error('tokenizer exploded'));
    const gateway = routingGateway({ rules: [researchRule()], estimator });
    const { context, reply } = await send(gateway, openaiHeaders(), chat());
    expect(forwarded(reply)).toBeNull();
    expect(await answer(context, { model: 'gpt-4o', usage })).toMatchObject({ 'x-acc-route': 'default' });
    expect(await gateway.metric('acc_routing_decisions_total', '{outcome="failed"}')).toBe(1);
  });
});

describe('routing stage: deployments', () => {
  it('routes to a named deployment: its model, its cluster, the fallbacks of this provider', async () => {
    const primary = deployment('primary', { model: 'gpt-4o-mini' });
    const backup = deployment('backup', { model: 'gpt-4o-mini' });
    const spare = deployment('spare', { model: 'gpt-4.1-mini' });
    const claudeEu = deployment('claude-eu', { provider: 'anthropic', model: 'claude-sonnet-4-5' });
    const routeRule = rule('true', [
      { type: 'route', deployment: 'primary' },
      { type: 'fallback', chain: ['backup', 'claude-eu', 'gpt-4.1-mini', 'gpt-3.5-turbo'] },
    ]);
    const gateway = routingGateway({ rules: [routeRule], deployments: [primary, backup, spare, claudeEu] });
    const { context, reply } = await send(gateway, openaiHeaders(), chat());
    expect(headersOf(reply, 'request_body')).toMatchObject({
      'x-acc-upstream-cluster': chainClusterName([primary.id, backup.id, spare.id]),
    });
    expect(reply.request_body?.response?.clear_route_cache).toBe(true);
    expect(forwarded(reply)).toMatchObject({ model: 'gpt-4o-mini' });
    expect(gateway.balancer.inFlight(primary.id)).toBe(1);
    const client = await answer(context, { model: 'gpt-4o-mini', usage });
    expect(client).toMatchObject({
      'x-acc-route': routeRule.id,
      'x-acc-model': 'gpt-4o-mini',
      'x-acc-deployment': 'primary,backup,spare',
    });
    expect(gateway.balancer.inFlight(primary.id)).toBe(0);
    expect(await gateway.metric('acc_routing_fallback_skipped_total', '{reason="other_provider"}')).toBe(1);
    expect(await gateway.metric('acc_routing_fallback_skipped_total', '{reason="no_deployment"}')).toBe(1);
  });

  it('a chain of different models: model first in the body, reserved for the priciest, recorded by deployment', async () => {
    const mini = deployment('mini', { model: 'gpt-4o-mini' });
    const big = deployment('big', { model: 'gpt-4o' });
    const routeRule = rule('true', [
      { type: 'route', deployment: 'mini' },
      { type: 'fallback', chain: ['big'] },
    ]);
    const reservedFor: Array<string | undefined> = [];
    const gateway = routingGateway({
      rules: [routeRule],
      deployments: [mini, big],
      later: [
        {
          name: 'budgets',
          onRequest: (context) => {
            reservedFor.push(context.annotations.reservationModel);
            return null;
          },
        },
      ],
    });
    // The client's own member order, model last: the requested model is kept, but the body is re-serialised.
    const payload = { messages: [{ role: 'user', content: 'Hi.' }], model: 'gpt-4o-mini' };
    const { context, reply } = await send(gateway, openaiHeaders(), payload);
    const bytes = Buffer.from(reply.request_body?.response?.body_mutation?.body as Buffer).toString('utf8');
    expect(bytes).toBe(JSON.stringify({ model: 'gpt-4o-mini', messages: payload.messages }));
    expect(reservedFor).toEqual(['gpt-4o']);

    // Every attempt failed; the last one, on `big`, answered without naming a model.
    await context.handle(
      responseHeaders({
        ':status': '503',
        'content-type': 'application/json',
        'x-acc-upstream-deployment': big.id,
        'x-acc-upstream-attempts': '2',
      }),
    );
    await context.handle(body('response_body', JSON.stringify({ error: { message: 'overloaded' } })));
    context.close();
    expect(gateway.records[0]).toMatchObject({
      status: 503,
      model: 'gpt-4o',
      deploymentChain: [mini.id, big.id],
      upstreamDeployment: big.id,
      upstreamAttempts: 2,
    });
  });

  it('a mixed chain with a model without a price reserves for that one: its cost has no bound', async () => {
    const mini = deployment('mini', { model: 'gpt-4o-mini' });
    const custom = deployment('custom', { model: 'in-house-model' });
    const routeRule = rule('true', [
      { type: 'route', deployment: 'mini' },
      { type: 'fallback', chain: ['custom'] },
    ]);
    const reservedFor: Array<string | undefined> = [];
    const gateway = routingGateway({
      rules: [routeRule],
      deployments: [mini, custom],
      later: [
        {
          name: 'budgets',
          onRequest: (context) => {
            reservedFor.push(context.annotations.reservationModel);
            return null;
          },
        },
      ],
    });
    await send(gateway, openaiHeaders(), chat());
    expect(reservedFor).toEqual(['in-house-model']);
  });

  it('refuses a deployment of the other provider with a clear error', async () => {
    const claudeEu = deployment('claude-eu', { provider: 'anthropic', model: 'claude-sonnet-4-5' });
    const eu = rule('true', [{ type: 'route', deployment: 'claude-eu' }]);
    const gateway = routingGateway({ rules: [eu], deployments: [claudeEu] });
    const refused = immediate((await send(gateway, openaiHeaders(), chat())).reply);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('routing_provider_mismatch');
    expect(refused.body.error.message).toContain("the anthropic deployment 'claude-eu'");
    const served = await send(gateway, anthropicHeaders(), claude());
    expect(headersOf(served.reply, 'request_body')).toMatchObject({
      'x-acc-upstream-cluster': deploymentClusterName(claudeEu.id),
    });
  });

  it('sends a rewritten model to the deployments serving it, by weight; weight 0 is never picked', async () => {
    const a = deployment('mini-a', { model: 'gpt-4o-mini', weight: 3 });
    const b = deployment('mini-b', { model: 'gpt-4o-mini', weight: 1 });
    const drained = deployment('mini-c', { model: 'gpt-4o-mini', weight: 0 });
    const points = [0.1, 0.7, 0.74, 0.76, 0.99];
    const gateway = routingGateway({
      rules: [researchRule()],
      deployments: [a, b, drained],
      random: () => points.shift() ?? 0,
    });
    const clusters: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { reply } = await send(gateway, openaiHeaders(), chat());
      clusters.push(headersOf(reply, 'request_body')['x-acc-upstream-cluster'] as string);
    }
    const [ca, cb] = [deploymentClusterName(a.id), deploymentClusterName(b.id)];
    expect(clusters).toEqual([ca, ca, ca, cb, cb]);
  });

  it('least_outstanding sends to the deployment with the fewest requests in flight', async () => {
    const a = deployment('mini-a', { model: 'gpt-4o-mini', weight: 1 });
    const b = deployment('mini-b', { model: 'gpt-4o-mini', weight: 1 });
    const gateway = routingGateway({
      rules: [researchRule()],
      deployments: [a, b],
      balance: 'least_outstanding',
      random: () => 0,
    });
    const cluster = async () => {
      const sent = await send(gateway, openaiHeaders(), chat());
      return { ...sent, cluster: headersOf(sent.reply, 'request_body')['x-acc-upstream-cluster'] };
    };
    const first = await cluster();
    const second = await cluster();
    expect([first.cluster, second.cluster]).toEqual([
      deploymentClusterName(a.id),
      deploymentClusterName(b.id),
    ]);
    await answer(second.context, { model: 'gpt-4o-mini', usage });
    expect((await cluster()).cluster).toBe(deploymentClusterName(b.id));
    expect(gateway.balancer.inFlight(a.id)).toBe(1);
    expect(gateway.balancer.inFlight(b.id)).toBe(1);
  });

  it('applies no fallback without a deployment to start from', async () => {
    const backup = deployment('backup', { model: 'gpt-4o' });
    const onlyFallback = rule('true', [{ type: 'fallback', chain: ['backup'] }]);
    const gateway = routingGateway({ rules: [onlyFallback], deployments: [backup] });
    const served = await send(gateway, openaiHeaders(), chat({ model: 'gpt-4.1' }));
    expect(headersOf(served.reply, 'request_body')).not.toHaveProperty('x-acc-upstream-cluster');
    expect(
      await gateway.metric('acc_routing_fallback_skipped_total', '{reason="no_primary_deployment"}'),
    ).toBe(1);
    // gpt-4o is served by `backup` itself: that deployment is the primary, with nothing left to fall back to.
    const own = await send(gateway, openaiHeaders(), chat());
    expect(headersOf(own.reply, 'request_body')).toMatchObject({
      'x-acc-upstream-cluster': deploymentClusterName(backup.id),
    });
  });
});

describe('live input estimate', () => {
  it('counts what the dry run counts', async () => {
    const request = adapterFor('openai').parseRequest({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are terse.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture? '.repeat(40) },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'look', arguments: '{"x":1}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'a cat' },
      ],
      tools: [{ type: 'function', function: { name: 'look', parameters: { type: 'object' } } }],
    });
    const estimator = new RouteInputEstimator();
    expect(await estimator.estimate(request)).toBe(estimateInputTokens(request));
    // Cached the second time, same answer.
    expect(await estimator.estimate(request)).toBe(estimateInputTokens(request));
    const anthropic = adapterFor('anthropic').parseRequest(claude({ system: 'Be brief.' }));
    expect(await estimator.estimate(anthropic)).toBe(estimateInputTokens(anthropic));
  });

  it('counts text past its allowance by UTF-8 bytes, never fewer tokens', async () => {
    const request = adapterFor('openai').parseRequest(chat({}, 'héllo wörld '.repeat(400)));
    const bounded = await new RouteInputEstimator({ maxChars: 100 }).estimate(request);
    expect(bounded).toBeGreaterThan(estimateInputTokens(request));
  });
});
