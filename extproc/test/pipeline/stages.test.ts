import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadExtprocConfig } from '../../src/config.js';
import type { ProcessingResponse } from '../../src/grpc/envoy-messages.js';
import { ExtprocMetrics } from '../../src/metrics.js';
import { digestKey } from '../../src/pipeline/auth.js';
import type { RequestContext, RequestStage } from '../../src/pipeline/stages.js';
import { type RequestRecord, StreamContext } from '../../src/pipeline/stream-context.js';
import { compilePolicy, defaultPolicy } from '../../src/policy/compiled-policy.js';
import { SNAPSHOT_SCHEMA } from '../../src/policy/snapshot.js';
import { body, handleNow, requestHeaders, responseHeaders } from '../support/ext-proc-messages.js';

const GATEWAY_KEY = 'acc-stage-key-0123456789abcdef0123456789';
const REQUEST = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
const HEADERS = {
  ':method': 'POST',
  ':path': '/v1/chat/completions',
  'content-type': 'application/json',
  authorization: `Bearer ${GATEWAY_KEY}`,
  'x-request-id': 'req-stage',
};

function makeContext(stages: RequestStage[]) {
  const config = loadExtprocConfig({ ACC_BOOTSTRAP_KEY: GATEWAY_KEY, OPENAI_API_KEY: 'sk-provider' });
  const policy = defaultPolicy({
    bootstrapKeys: config.bootstrapKeys,
    providerKeys: config.providerKeys,
    priceOverrides: undefined,
  });
  const records: RequestRecord[] = [];
  const metrics = new ExtprocMetrics({ defaultMetrics: false });
  const deps = { config, policy: () => policy, metrics, log: pino({ level: 'silent' }), stages };
  return { context: new StreamContext(deps, (record) => records.push(record)), records };
}

function forwardedBody(reply: ProcessingResponse): Record<string, unknown> | null {
  const bytes = reply.request_body?.response?.body_mutation?.body;
  return bytes ? JSON.parse(Buffer.from(bytes as Buffer).toString('utf8')) : null;
}

function setHeaders(reply: ProcessingResponse, phase: 'request_body' | 'response_headers') {
  const mutation = reply[phase]?.response?.header_mutation;
  return Object.fromEntries(
    (mutation?.set_headers ?? []).map((h) => [
      h.header?.key,
      Buffer.from(h.header?.raw_value as Buffer).toString(),
    ]),
  );
}

describe('policy stages', () => {
  it('run in order, change the forwarded body and headers, and settle once at the end', async () => {
    const calls: string[] = [];
    const rewrite: RequestStage = {
      name: 'rewrite',
      onRequest(context) {
        calls.push('rewrite');
        context.plan.bodyFields.set('model', 'gpt-4.1-nano');
        context.plan.setHeaders.push(['x-acc-upstream-cluster', 'openai_b']);
        context.plan.clearRouteCache = true;
        context.plan.responseHeaders.push(['x-acc-route', 'rule-1']);
        context.annotations.routedModel = 'gpt-4.1-nano';
        context.annotations.route = 'rule-1';
        return null;
      },
      onFinish: () => calls.push('finish rewrite'),
    };
    const reserve: RequestStage = {
      name: 'reserve',
      async onRequest(context: RequestContext) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        calls.push(`reserve ${context.request.model}`);
        context.annotations.reservedCostUsd = 0.25;
        return null;
      },
      onFinish: (_context, record) => calls.push(`finish reserve ${record.outcome}`),
    };
    const { context, records } = makeContext([rewrite, reserve]);
    handleNow(context, requestHeaders(HEADERS));
    const reply = await context.handle(body('request_body', REQUEST));
    expect(forwardedBody(reply)).toMatchObject({ model: 'gpt-4.1-nano' });
    expect(setHeaders(reply, 'request_body')).toMatchObject({ 'x-acc-upstream-cluster': 'openai_b' });
    expect(reply.request_body?.response?.clear_route_cache).toBe(true);
    const response = handleNow(
      context,
      responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
    );
    expect(setHeaders(response, 'response_headers')).toMatchObject({ 'x-acc-route': 'rule-1' });
    handleNow(
      context,
      body(
        'response_body',
        JSON.stringify({ model: 'gpt-4.1-nano', usage: { prompt_tokens: 10, completion_tokens: 2 } }),
      ),
    );
    context.close();
    expect(calls).toEqual(['rewrite', 'reserve gpt-4o-mini', 'finish reserve complete', 'finish rewrite']);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      requestedModel: 'gpt-4o-mini',
      model: 'gpt-4.1-nano',
      route: 'rule-1',
      reservedCostUsd: 0.25,
    });
    expect(records[0]?.counterfactualCostUsd).toBeGreaterThan(records[0]?.costUsd ?? 0);
  });

  it('a rejection answers the client with its headers and stops the chain', async () => {
    const later: RequestStage = { name: 'later', onRequest: () => expect.unreachable() };
    let finished = 0;
    const deny: RequestStage = {
      name: 'deny',
      onRequest: async () => ({
        status: 429,
        code: 'budget_exceeded',
        body: '{"error":{"message":"over budget"}}',
        headers: [['x-acc-budget-id', 'b-1']],
      }),
      onFinish: () => {
        finished += 1;
      },
    };
    const { context, records } = makeContext([deny, later]);
    handleNow(context, requestHeaders(HEADERS));
    const reply = await context.handle(body('request_body', REQUEST));
    expect(reply.immediate_response?.status).toEqual({ code: 429 });
    const headers = reply.immediate_response?.headers?.set_headers?.map((h) => h.header?.key);
    expect(headers).toContain('x-acc-budget-id');
    context.close();
    expect(finished).toBe(1);
    expect(records[0]).toMatchObject({ decision: 'rejected', status: 429 });
  });

  it('a failing onFinish costs neither the other stages nor the record', () => {
    const seen: string[] = [];
    const broken: RequestStage = {
      name: 'broken',
      onRequest: () => null,
      onFinish: () => {
        throw new Error('boom');
      },
    };
    const fine: RequestStage = { name: 'fine', onRequest: () => null, onFinish: () => seen.push('fine') };
    const { context, records } = makeContext([fine, broken]);
    handleNow(context, requestHeaders(HEADERS));
    handleNow(context, body('request_body', REQUEST));
    context.close();
    expect(seen).toEqual(['fine']);
    expect(records).toHaveLength(1);
  });
});

describe('attribution', () => {
  it('refuses x-acc-agent from a key that may not set it, and strips attribution headers upstream', () => {
    const managedKey = 'acc-managed-key-0123456789abcdef012345';
    const config = loadExtprocConfig({ OPENAI_API_KEY: 'sk-provider' });
    const policy = compilePolicy(
      {
        schema: SNAPSHOT_SCHEMA,
        version: 3,
        publishedAt: new Date().toISOString(),
        orgs: [{ id: 'org-1', slug: 'org', name: 'Org' }],
        teams: [],
        keys: [
          {
            digest: digestKey(managedKey),
            id: 'key-1',
            prefix: 'acc-mana',
            orgId: 'org-1',
            teamId: null,
            ownerId: null,
            ownerKind: null,
            allowedModels: null,
            expiresAt: null,
            agent: 'fixed-agent',
            allowAgentHeader: false,
          },
        ],
        providerCredentials: [],
        pricing: [],
      },
      { bootstrapKeys: [], providerKeys: config.providerKeys, priceOverrides: undefined },
      [],
    );
    const deps = {
      config,
      policy: () => policy,
      metrics: new ExtprocMetrics({ defaultMetrics: false }),
      log: pino({ level: 'silent' }),
    };
    const headers = { ...HEADERS, authorization: `Bearer ${managedKey}` };
    const refused = handleNow(
      new StreamContext(deps),
      requestHeaders({ ...headers, 'x-acc-agent': 'other' }),
    );
    expect(refused.immediate_response?.status).toEqual({ code: 403 });
    expect(Buffer.from(refused.immediate_response?.body as Buffer).toString()).toContain('fixed-agent');

    const records: RequestRecord[] = [];
    const context = new StreamContext(deps, (record) => records.push(record));
    const reply = handleNow(context, requestHeaders({ ...headers, 'x-acc-tags': 'a,b' }));
    expect(reply.request_headers?.response?.header_mutation?.remove_headers).toEqual(
      expect.arrayContaining(['x-acc-agent', 'x-acc-tags']),
    );
    handleNow(context, body('request_body', REQUEST));
    context.close();
    expect(records[0]).toMatchObject({
      agent: 'fixed-agent',
      tags: ['a', 'b'],
      keyId: 'key-1',
      orgId: 'org-1',
    });
  });

  it('records the agent and tags a permitted key sends', () => {
    const { context, records } = makeContext([]);
    handleNow(
      context,
      requestHeaders({ ...HEADERS, 'x-acc-agent': 'triage-bot', 'x-acc-tags': 'env:prod, team=x,env:prod' }),
    );
    handleNow(context, body('request_body', REQUEST));
    context.close();
    expect(records[0]).toMatchObject({ agent: 'triage-bot', tags: ['env:prod', 'team=x'] });
  });

  it('rejects malformed tags in the caller API shape', () => {
    const { context } = makeContext([]);
    const reply = handleNow(context, requestHeaders({ ...HEADERS, 'x-acc-tags': 'ok,not ok!' }));
    expect(reply.immediate_response?.status).toEqual({ code: 400 });
    const json = JSON.parse(Buffer.from(reply.immediate_response?.body as Buffer).toString());
    expect(json.error.code).toBe('invalid_attribution');
  });
});
