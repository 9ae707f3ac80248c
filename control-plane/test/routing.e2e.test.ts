// Routing rules end to end: rules written through the control plane API → policy snapshot (Redis) → extproc → real
// Envoy → fake upstream, driven by the official OpenAI and Anthropic SDKs; the spend record, the ledger row and the
// dry run (POST /routing/test) are checked against what the live request did.
/// <reference path="./support/provided.d.ts" />

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../extproc/src/index.js';
import type { FakeUpstream } from '../../extproc/test/support/fake-upstream.js';
import {
  type Api,
  type Gateway,
  type GatewayStack,
  startGatewayStack,
  until,
} from './support/gateway-stack.js';

// A Redis database no other test file uses: the snapshot key has a fixed name.
const REDIS_DB = 9;

type Json = Record<string, unknown>;

let stack: GatewayStack;
let gateway: Gateway;
let api: Api;
let upstream: FakeUpstream;
let records: RequestRecord[];
let openai: OpenAI;
let anthropic: Anthropic;
let keyId: string;
const rules: Record<string, string> = {};

async function createRule(body: Json): Promise<string> {
  const created = await api('POST', '/rules', body);
  if (created.status !== 201) throw new Error(`rule: ${created.status} ${JSON.stringify(created.json)}`);
  return created.json.id as string;
}

/** Waits until extproc runs a snapshot that carries `ruleId`. */
async function waitForRule(ruleId: string): Promise<void> {
  await stack.waitForSnapshot((snapshot) =>
    (snapshot.routing?.rules ?? []).some((rule) => rule.id === ruleId),
  );
}

async function recordOf(requestId: string | null): Promise<RequestRecord> {
  let found: RequestRecord | undefined;
  await until(async () => {
    found = records.find((record) => record.requestId === requestId);
    return found !== undefined;
  });
  return found as RequestRecord;
}

const shortChat = {
  model: 'gpt-4o',
  messages: [{ role: 'user' as const, content: 'Summarise the attached notes in one line.' }],
};

beforeAll(async () => {
  stack = await startGatewayStack(REDIS_DB);
  gateway = await stack.startGateway({ env: { ACC_SECURITY_ENABLED: 'true' } });
  ({ api, upstream } = stack);
  records = gateway.records;

  const team = await api('POST', '/teams', { name: 'research' });
  const key = await api('POST', '/keys', { name: 'research-agent', teamId: team.json.id });
  keyId = key.json.id as string;
  openai = new OpenAI({ apiKey: key.json.key as string, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: key.json.key as string, baseURL: gateway.url, maxRetries: 0 });

  rules.cap = await createRule({
    name: 'Cap tagged requests',
    priority: 1,
    condition: '"capped" in request.tags',
    actions: [{ type: 'cap_max_tokens', maxTokens: 64 }],
  });
  rules.deny = await createRule({
    name: 'No batch jobs',
    priority: 2,
    condition: '"batch" in request.tags',
    actions: [{ type: 'deny', reason: 'batch jobs run on the batch API' }],
  });
  rules.claude = await createRule({
    name: 'Research Claude to Haiku',
    priority: 5,
    condition: 'request.team == "research" && request.provider == "anthropic"',
    actions: [{ type: 'rewrite_model', model: 'claude-haiku-4-5' }],
  });
  rules.research = await createRule({
    name: 'Research small prompts to mini',
    priority: 10,
    condition: 'request.team == "research" && request.estimated_input_tokens < 2000',
    actions: [{ type: 'rewrite_model', model: 'gpt-4o-mini' }],
  });
  await waitForRule(rules.research);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('routing rules on live traffic through Envoy', () => {
  it('rewrites a small research request: the upstream gets the cheaper model, the client learns rule and model', async () => {
    const { data, response } = await openai.chat.completions.create(shortChat).withResponse();
    expect(upstream.interactions.at(-1)?.model).toBe('gpt-4o-mini');
    expect(response.headers.get('x-acc-route')).toBe(rules.research);
    expect(response.headers.get('x-acc-model')).toBe('gpt-4o-mini');
    expect(data.model).toMatch(/^gpt-4o-mini/);
    expect(data.choices[0]?.message.content).toBeTruthy();

    const record = await recordOf(response.headers.get('x-acc-request-id'));
    expect(record).toMatchObject({ route: rules.research, requestedModel: 'gpt-4o', model: data.model });
    expect(record.costUsd).toBeGreaterThan(0);
    // The same tokens on gpt-4o cost ~16× more: the saving is what the ledger reports.
    expect(record.counterfactualCostUsd).toBeGreaterThan(10 * (record.costUsd as number));

    let row: Json | undefined;
    await until(async () => {
      const page = await api('GET', `/spend?key=${keyId}&limit=50`);
      row = (page.json.items as Json[] | undefined)?.find((item) => item.requestId === record.requestId);
      return row !== undefined;
    });
    expect(row).toMatchObject({
      route: rules.research,
      requestedModel: 'gpt-4o',
      model: data.model,
      counterfactualCostUsd: record.counterfactualCostUsd,
    });
  }, 30_000);

  it('streams the rewritten model back', async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({ ...shortChat, stream: true })
      .withResponse();
    let text = '';
    let model = '';
    for await (const chunk of stream) {
      model = chunk.model;
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text.length).toBeGreaterThan(0);
    expect(model).toMatch(/^gpt-4o-mini/);
    expect(upstream.interactions.at(-1)).toMatchObject({ model: 'gpt-4o-mini', stream: true });
    expect(response.headers.get('x-acc-route')).toBe(rules.research);
    expect(response.headers.get('x-acc-model')).toBe('gpt-4o-mini');
    const record = await recordOf(response.headers.get('x-acc-request-id'));
    expect(record).toMatchObject({ route: rules.research, requestedModel: 'gpt-4o', stream: true });
    expect(record.counterfactualCostUsd).toBeGreaterThan(record.costUsd as number);
  }, 30_000);

  it('keeps a large prompt on the requested model, as `default`', async () => {
    const large = {
      ...shortChat,
      messages: [{ role: 'user' as const, content: 'lorem ipsum '.repeat(1500) }],
    };
    const { response } = await openai.chat.completions.create(large).withResponse();
    expect(upstream.interactions.at(-1)?.model).toBe('gpt-4o');
    expect(response.headers.get('x-acc-route')).toBe('default');
    expect(response.headers.get('x-acc-model')).toBe('gpt-4o');
  }, 30_000);

  it('routes an Anthropic request with its own rule (official Anthropic SDK)', async () => {
    const { data, response } = await anthropic.messages
      .create({
        model: 'claude-opus-4-5',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'Name one prime number.' }],
      })
      .withResponse();
    expect(upstream.interactions.at(-1)?.model).toBe('claude-haiku-4-5');
    expect(data.model).toMatch(/^claude-haiku-4-5/);
    expect(response.headers.get('x-acc-route')).toBe(rules.claude);
    expect(response.headers.get('x-acc-model')).toBe('claude-haiku-4-5');
  }, 30_000);

  it('caps max tokens on the way upstream', async () => {
    const capped = new OpenAI({
      apiKey: openai.apiKey,
      baseURL: `${gateway.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-acc-tags': 'capped' },
    });
    await capped.chat.completions.create({ ...shortChat, max_tokens: 1000 });
    expect(upstream.interactions.at(-1)?.json).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 64 });
    await capped.chat.completions.create(shortChat);
    expect(upstream.interactions.at(-1)?.json).toMatchObject({ max_completion_tokens: 64 });
  }, 30_000);

  it('denies in the provider’s error shape with the rule’s reason', async () => {
    const batch = { defaultHeaders: { 'x-acc-tags': 'batch' }, maxRetries: 0 };
    const seen = upstream.interactions.length;
    const openaiError = await new OpenAI({
      apiKey: openai.apiKey,
      baseURL: `${gateway.url}/v1`,
      ...batch,
    }).chat.completions
      .create(shortChat)
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(openaiError).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((openaiError as InstanceType<typeof OpenAI.PermissionDeniedError>).code).toBe('routing_denied');
    expect((openaiError as Error).message).toContain('batch jobs run on the batch API');
    expect((openaiError as InstanceType<typeof OpenAI.APIError>).headers?.get('x-acc-route')).toBe(
      rules.deny,
    );

    const anthropicError = await new Anthropic({
      apiKey: openai.apiKey,
      baseURL: gateway.url,
      ...batch,
    }).messages
      .create({ model: 'claude-opus-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(anthropicError).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((anthropicError as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'permission_error' },
    });
    expect((anthropicError as Error).message).toContain('batch jobs run on the batch API');
    expect(upstream.interactions.length).toBe(seen);
  }, 30_000);

  it('the dry run decides exactly as the live request did', async () => {
    const cases = [
      { request: shortChat, tags: [] as string[] },
      { request: { ...shortChat, max_tokens: 1000 }, tags: ['capped'] },
      {
        request: { ...shortChat, messages: [{ role: 'user', content: 'lorem ipsum '.repeat(1500) }] },
        tags: [],
      },
      { request: shortChat, tags: ['batch'] },
    ];
    for (const { request, tags } of cases) {
      const client = new OpenAI({
        apiKey: openai.apiKey,
        baseURL: `${gateway.url}/v1`,
        maxRetries: 0,
        ...(tags.length > 0 ? { defaultHeaders: { 'x-acc-tags': tags.join(',') } } : {}),
      });
      const live = await client.chat.completions
        .create(request as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .withResponse()
        .then(
          ({ response }) => response.headers,
          (error: InstanceType<typeof OpenAI.APIError>) => error.headers,
        );
      const record = await recordOf(live?.get('x-acc-request-id') ?? null);
      const dry = await api('POST', '/routing/test', {
        provider: 'openai',
        request,
        context: { key: keyId, tags },
      });
      expect(dry.status).toBe(200);
      const decision = dry.json.decision as Json;
      expect(decision.ruleId).toBe(live?.get('x-acc-route'));
      expect(decision.ruleId).toBe(record.route);
      if (decision.deny) {
        expect(record.decision).toBe('rejected');
      } else {
        expect(decision.model).toBe(live?.get('x-acc-model'));
        expect(decision.model).toBe(upstream.interactions.at(-1)?.model);
      }
    }
  }, 60_000);
});
