// The security stage in the pipeline, driven message by message as Envoy would: what is forwarded, what the
// client is answered, which headers it sees, and what the request record carries.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadExtprocConfig } from '../../src/config.js';
import type { ProcessingResponse } from '../../src/grpc/envoy-messages.js';
import { ExtprocMetrics } from '../../src/metrics.js';
import { digestKey } from '../../src/pipeline/auth.js';
import type { RequestStage } from '../../src/pipeline/stages.js';
import { type RequestRecord, StreamContext } from '../../src/pipeline/stream-context.js';
import { type CompiledPolicy, compilePolicy } from '../../src/policy/compiled-policy.js';
import { SNAPSHOT_SCHEMA } from '../../src/policy/snapshot.js';
import { SecurityMetrics } from '../../src/security/metrics.js';
import type { SnapshotSecurityPolicy } from '../../src/security/policy.js';
import { memoryRunawayMonitor } from '../../src/security/runaway-check.js';
import { SecurityStage } from '../../src/security/stage.js';
import { body, handleNow, requestHeaders, responseHeaders } from '../support/ext-proc-messages.js';
import { fakeOpenAiKey } from './support.js';

const ORG = '00000000-0000-4000-8000-000000000001';
const TEAM = '00000000-0000-4000-8000-0000000000a1';
const ORG_KEY = 'acc-security-org-key-0123456789abcdef01';
const TEAM_KEY = 'acc-security-team-key-0123456789abcdef0';

function policyWith(security: SnapshotSecurityPolicy[]): CompiledPolicy {
  const key = (digest: string, id: string, teamId: string | null) => ({
    digest: digestKey(digest),
    id,
    prefix: digest.slice(0, 8),
    orgId: ORG,
    teamId,
    ownerId: null,
    ownerKind: null,
    allowedModels: null,
    expiresAt: null,
  });
  return compilePolicy(
    {
      schema: SNAPSHOT_SCHEMA,
      version: 7,
      publishedAt: new Date().toISOString(),
      orgs: [{ id: ORG, slug: 'org', name: 'Org' }],
      teams: [{ id: TEAM, orgId: ORG, name: 'Team' }],
      keys: [key(ORG_KEY, 'key-org', null), key(TEAM_KEY, 'key-team', TEAM)],
      providerCredentials: [],
      pricing: [],
      security,
    },
    {
      bootstrapKeys: [],
      providerKeys: { openai: 'sk-provider', anthropic: 'sk-ant-provider' },
      priceOverrides: undefined,
    },
    [],
  );
}

function gateway(policy: CompiledPolicy, extraStages: RequestStage[] = []) {
  const config = loadExtprocConfig({});
  const metrics = new ExtprocMetrics({ defaultMetrics: false });
  const log = pino({ level: 'silent' });
  const security = new SecurityMetrics(metrics.registry);
  const stage = new SecurityStage({ metrics: security, log, runaway: memoryRunawayMonitor(security, log) });
  const records: RequestRecord[] = [];
  const deps = { config, policy: () => policy, metrics, log, stages: [stage, ...extraStages] };
  return {
    records,
    metrics,
    open: () => new StreamContext(deps, (record) => records.push(record)),
  };
}

function openaiHeaders(key: string) {
  return {
    ':method': 'POST',
    ':path': '/v1/chat/completions',
    'content-type': 'application/json',
    authorization: `Bearer ${key}`,
    'x-request-id': `req-${Math.random().toString(36).slice(2)}`,
  };
}

function anthropicHeaders(key: string) {
  return {
    ':method': 'POST',
    ':path': '/v1/messages',
    'content-type': 'application/json',
    'x-api-key': key,
    'anthropic-version': '2023-06-01',
    'x-request-id': `req-${Math.random().toString(36).slice(2)}`,
  };
}

const chat = (content: string) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });

function setHeaders(
  reply: ProcessingResponse,
  phase: 'response_headers' | 'response_body',
): Record<string, string> {
  const mutation = reply[phase]?.response?.header_mutation;
  return Object.fromEntries(
    (mutation?.set_headers ?? []).map((h) => [
      h.header?.key,
      Buffer.from(h.header?.raw_value as Buffer).toString(),
    ]),
  );
}

function immediate(reply: ProcessingResponse) {
  const response = reply.immediate_response;
  return {
    status: response?.status?.code,
    body: JSON.parse(Buffer.from(response?.body as Buffer).toString('utf8')),
    headers: Object.fromEntries(
      (response?.headers?.set_headers ?? []).map((h) => [
        h.header?.key,
        Buffer.from(h.header?.raw_value as Buffer).toString(),
      ]),
    ),
  };
}

function forwarded(reply: ProcessingResponse): Record<string, unknown> | null {
  const bytes = reply.request_body?.response?.body_mutation?.body;
  return bytes ? JSON.parse(Buffer.from(bytes as Buffer).toString('utf8')) : null;
}

async function send(open: () => StreamContext, headers: Record<string, string>, payload: string) {
  const context = open();
  handleNow(context, requestHeaders(headers));
  const reply = await context.handle(body('request_body', payload));
  return { context, reply };
}

describe('security stage', () => {
  it('masks a key in the forwarded body by default, reports it in headers and the record, never its text', async () => {
    const { open, records } = gateway(policyWith([]));
    const key = fakeOpenAiKey();
    const { context, reply } = await send(open, openaiHeaders(ORG_KEY), chat(`deploy with ${key} please`));
    const sent = forwarded(reply) as { messages: Array<{ content: string }> };
    expect(sent.messages[0]?.content).toBe('deploy with [REDACTED:openai_api_key] please');
    const lengthHeader = reply.request_body?.response?.header_mutation?.set_headers?.find(
      (h) => h.header?.key === 'content-length',
    );
    expect(Buffer.from(lengthHeader?.header?.raw_value as Buffer).toString()).toBe(
      String(Buffer.byteLength(JSON.stringify(sent))),
    );
    const head = handleNow(
      context,
      responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
    );
    expect(setHeaders(head, 'response_headers')).toMatchObject({
      'x-acc-security-status': 'redacted',
      'x-acc-threat-level': 'critical',
    });
    handleNow(
      context,
      body('response_body', JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'ok' } }] })),
    );
    context.close();
    const [record] = records;
    expect(record?.securityStatus).toBe('redacted');
    expect(record?.securityFindings).toEqual([
      expect.objectContaining({
        detector: 'secrets',
        rule: 'openai_api_key',
        severity: 'critical',
        action: 'redact',
        fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
        location: {
          kind: 'message',
          messageIndex: 0,
          role: 'user',
          partIndex: 0,
          start: 12,
          spanLength: key.length,
        },
      }),
    ]);
    expect(JSON.stringify(record)).not.toContain(key.slice(8));
  });

  it('blocks under an org policy, in the provider error shape, with finding ids and the headers', async () => {
    const { open, records } = gateway(
      policyWith([{ orgId: ORG, teamId: null, actions: { secrets: { critical: 'block' } } }]),
    );
    const key = fakeOpenAiKey();
    const { context, reply } = await send(
      open,
      anthropicHeaders(ORG_KEY),
      JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: `k=${key}` }],
      }),
    );
    const answer = immediate(reply);
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    expect(answer.body.error.message).toMatch(
      /Request blocked by the gateway's security policy: .+ Finding ids: [0-9a-f]{16}\./,
    );
    expect(JSON.stringify(answer)).not.toContain(key.slice(8));
    expect(answer.headers).toMatchObject({
      'x-acc-security-status': 'blocked',
      'x-acc-threat-level': 'critical',
      'x-acc-security-findings': expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    context.close();
    expect(records[0]).toMatchObject({ decision: 'rejected', status: 403, securityStatus: 'blocked' });
    expect(records[0]?.securityFindings[0]?.action).toBe('block');
  });

  it('resolves team over org over default: the team may switch a detector off', async () => {
    const { open, records } = gateway(
      policyWith([
        { orgId: ORG, teamId: null, actions: { secrets: { critical: 'block' } } },
        { orgId: ORG, teamId: TEAM, actions: { secrets: { critical: 'off' } } },
      ]),
    );
    const key = fakeOpenAiKey();
    const team = await send(open, openaiHeaders(TEAM_KEY), chat(`token ${key}`));
    expect(team.reply.immediate_response).toBeUndefined();
    expect(forwarded(team.reply)).toBeNull();
    team.context.close();
    const org = await send(open, openaiHeaders(ORG_KEY), chat(`token ${key}`));
    expect(immediate(org.reply).status).toBe(403);
    org.context.close();
    expect(records.map((r) => r.securityStatus)).toEqual(['clean', 'blocked']);
  });

  it('a failing scanner follows the fail mode: open forwards with status error, closed answers 503', async () => {
    const failing = (failMode: 'open' | 'closed'): CompiledPolicy => {
      const base = policyWith([{ orgId: ORG, teamId: null, failMode }]);
      const effective = base.security.forRequest(ORG, null);
      const boom = {
        id: 'secrets' as const,
        scan(): never {
          throw new Error('detector bug');
        },
      };
      return {
        ...base,
        security: { forRequest: () => ({ ...effective, requestDetectors: [boom] }) },
      };
    };
    const open = gateway(failing('open'));
    const passed = await send(open.open, openaiHeaders(ORG_KEY), chat('hello'));
    expect(passed.reply.immediate_response).toBeUndefined();
    const head = handleNow(
      passed.context,
      responseHeaders({ ':status': '200', 'content-type': 'text/plain' }),
    );
    expect(setHeaders(head, 'response_headers')).toMatchObject({
      'x-acc-security-status': 'error',
      'x-acc-threat-level': 'unknown',
    });
    passed.context.close();
    expect(await open.metrics.registry.getSingleMetricAsString('acc_security_scan_failures_total')).toMatch(
      /phase="request"} 1/,
    );

    const closed = gateway(failing('closed'));
    const refused = await send(closed.open, openaiHeaders(ORG_KEY), chat('hello'));
    const answer = immediate(refused.reply);
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatchObject({ type: 'server_error', code: 'security_scan_failed' });
    expect(answer.headers['x-acc-security-status']).toBe('error');
  });

  it('buffers and masks a JSON answer carrying a key (content-length fixed), leaving usage accounting intact', async () => {
    const { open, records } = gateway(policyWith([]));
    const { context } = await send(open, openaiHeaders(ORG_KEY), chat('print the config'));
    const head = handleNow(
      context,
      responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
    );
    expect(head.mode_override?.response_body_mode).toBe('BUFFERED_PARTIAL');
    const key = fakeOpenAiKey();
    const answer = {
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, message: { role: 'assistant', content: `OPENAI_API_KEY=${key}` } }],
      usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
    };
    const reply = handleNow(context, body('response_body', JSON.stringify(answer)));
    const replaced = Buffer.from(reply.response_body?.response?.body_mutation?.body as Buffer).toString(
      'utf8',
    );
    expect(JSON.parse(replaced).choices[0].message.content).toBe('OPENAI_API_KEY=[REDACTED:openai_api_key]');
    expect(setHeaders(reply, 'response_body')).toMatchObject({
      'content-length': String(Buffer.byteLength(replaced)),
      'x-acc-security-status': 'redacted',
    });
    context.close();
    expect(records[0]?.usage?.outputTokens).toBe(4);
    expect(records[0]?.securityFindings.map((f) => f.location.kind)).toEqual(['response']);
  });

  it('lets an answer too big for the buffer through unscanned, without guessing at its usage', async () => {
    const { open, records } = gateway(policyWith([]));
    const declared = await send(open, openaiHeaders(ORG_KEY), chat('a lot'));
    const big = handleNow(
      declared.context,
      responseHeaders({
        ':status': '200',
        'content-type': 'application/json',
        'content-length': String(64 << 20),
      }),
    );
    expect(big.mode_override).toBeUndefined();
    declared.context.close();

    const unknown = await send(open, openaiHeaders(ORG_KEY), chat('a lot'));
    const head = handleNow(
      unknown.context,
      responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
    );
    expect(head.mode_override?.response_body_mode).toBe('BUFFERED_PARTIAL');
    // Envoy's buffer filled up: this is the first part only, the rest streams past extproc.
    const part = handleNow(
      unknown.context,
      body('response_body', '{"choices":[{"message":{"content":"', false),
    );
    expect(part.response_body?.response?.body_mutation).toBeUndefined();
    unknown.context.close();
    expect(records[1]).toMatchObject({ outcome: 'response_too_large', usage: null });
  });

  it('does not buffer answers when response scanning is off', async () => {
    const { open } = gateway(policyWith([{ orgId: ORG, teamId: null, scanResponses: false }]));
    const { context } = await send(open, openaiHeaders(ORG_KEY), chat('hi'));
    const head = handleNow(
      context,
      responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
    );
    expect(head.mode_override).toBeUndefined();
    expect(setHeaders(head, 'response_headers')['x-acc-security-status']).toBe('clean');
    context.close();
  });

  it('puts its headers on a later stage’s refusal too', async () => {
    const deny: RequestStage = {
      name: 'budget',
      onRequest: () => ({ status: 429, code: 'budget_exceeded', body: '{"error":{"message":"over"}}' }),
    };
    const { open } = gateway(policyWith([]), [deny]);
    const { reply } = await send(open, openaiHeaders(ORG_KEY), chat('hi'));
    expect(immediate(reply)).toMatchObject({
      status: 429,
      headers: { 'x-acc-security-status': 'clean', 'x-acc-threat-level': 'none' },
    });
  });

  it('flags, then blocks, one agent repeating the same request in a loop', async () => {
    const { open, records } = gateway(
      policyWith([{ orgId: ORG, teamId: null, runaway: { repeatThreshold: 2 } }]),
    );
    const statuses: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const { context, reply } = await send(
        open,
        openaiHeaders(ORG_KEY),
        chat(`run step ${i} of the same task again`),
      );
      statuses.push(reply.immediate_response?.status?.code);
      context.close();
    }
    expect(records.map((r) => r.securityStatus)).toEqual(['clean', 'flagged', 'flagged', 'blocked']);
    expect(statuses.at(-1)).toBe(403);
    expect(records[3]?.securityFindings[0]).toMatchObject({
      detector: 'runaway_agent',
      rule: 'repeated_request',
    });
  });
});
