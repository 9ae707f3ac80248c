// The pipeline without Envoy: ext_proc messages in, ext_proc replies out. The e2e suite proves Envoy agrees.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadExtprocConfig } from '../../src/config.js';
import type { ProcessingResponse } from '../../src/grpc/envoy-messages.js';
import { ExtprocMetrics } from '../../src/metrics.js';
import { type RequestRecord, StreamContext } from '../../src/pipeline/stream-context.js';
import { defaultPolicy } from '../../src/policy/compiled-policy.js';
import { createPricer } from '../../src/pricing/pricing.js';
import { body, handleNow, requestHeaders, responseHeaders } from '../support/ext-proc-messages.js';

const GATEWAY_KEY = 'acc-test-key-0123456789abcdef0123456789';

function makeContext(env: Record<string, string> = {}) {
  const config = loadExtprocConfig({
    ACC_BOOTSTRAP_KEY: GATEWAY_KEY,
    OPENAI_API_KEY: 'sk-provider-openai',
    ANTHROPIC_API_KEY: 'sk-ant-provider',
    ACC_MAX_REQUEST_BYTES: '4096',
    ...env,
  });
  const metrics = new ExtprocMetrics({ defaultMetrics: false });
  const records: RequestRecord[] = [];
  const policy = defaultPolicy({
    bootstrapKeys: config.bootstrapKeys,
    providerKeys: config.providerKeys,
    priceOverrides: undefined,
  });
  const deps = { config, policy: () => policy, metrics, log: pino({ level: 'silent' }) };
  const context = new StreamContext(deps, (record) => records.push(record));
  return { context, records, metrics };
}

async function metricValue(
  metric: { get(): Promise<{ values: Array<{ labels: object; value: number }> }> },
  labels: object,
) {
  const { values } = await metric.get();
  return values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value;
}

const openaiHeaders = {
  ':method': 'POST',
  ':path': '/v1/chat/completions',
  'content-type': 'application/json',
  authorization: `Bearer ${GATEWAY_KEY}`,
  'x-request-id': 'req-1',
};

function immediate(response: ProcessingResponse) {
  const reply = response.immediate_response;
  if (!reply) throw new Error(`expected an immediate response, got ${JSON.stringify(response)}`);
  return {
    status: (reply.status as { code: number }).code,
    json: JSON.parse(Buffer.from(reply.body as Buffer).toString('utf8')),
    headers: Object.fromEntries(
      (reply.headers?.set_headers ?? []).map((h) => [
        h.header?.key,
        Buffer.from(h.header?.raw_value as Buffer).toString(),
      ]),
    ),
  };
}

function setHeaders(
  response: ProcessingResponse,
  phase: 'request_headers' | 'request_body' | 'response_headers',
) {
  const mutation = response[phase]?.response?.header_mutation;
  return Object.fromEntries(
    (mutation?.set_headers ?? []).map((h) => [
      h.header?.key,
      Buffer.from(h.header?.raw_value as Buffer).toString(),
    ]),
  );
}

describe('StreamContext request phase', () => {
  it('swaps the gateway key for the provider key and asks for identity encoding', () => {
    const { context } = makeContext();
    const reply = handleNow(context, requestHeaders(openaiHeaders));
    expect(setHeaders(reply, 'request_headers')).toMatchObject({
      authorization: 'Bearer sk-provider-openai',
      'accept-encoding': 'identity',
    });
    expect(reply.request_headers?.response?.header_mutation?.remove_headers).toContain('x-api-key');
  });

  it('uses x-api-key for Anthropic and answers auth failures in the Anthropic shape', () => {
    const { context, records } = makeContext();
    const reply = handleNow(
      context,
      requestHeaders({
        ':method': 'POST',
        ':path': '/v1/messages',
        'content-type': 'application/json',
        'x-api-key': 'wrong-key-123456789',
      }),
    );
    const answer = immediate(reply);
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(answer.json.error.message).not.toContain('wrong-key-123456789');
    expect(records[0]).toMatchObject({ decision: 'rejected', status: 401, provider: 'anthropic' });
  });

  it('answers a missing key with 401 in the OpenAI shape and the request id', () => {
    const { context } = makeContext();
    const { authorization: _, ...headers } = openaiHeaders;
    const answer = immediate(handleNow(context, requestHeaders(headers)));
    expect(answer.status).toBe(401);
    expect(answer.json.error).toMatchObject({ type: 'invalid_request_error', code: 'missing_api_key' });
    expect(answer.headers['x-acc-request-id']).toBe('req-1');
    expect(answer.headers['content-type']).toBe('application/json');
  });

  it.each([
    ['wrong content type', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
    ['declared body too large', { 'content-length': '999999' }, 413, 'request_too_large'],
    ['wrong method', { ':method': 'GET' }, 405, 'method_not_allowed'],
  ])('rejects %s at the headers phase', async (_name, override, status, code) => {
    const { context, metrics } = makeContext();
    const answer = immediate(handleNow(context, requestHeaders({ ...openaiHeaders, ...override })));
    expect(answer.status).toBe(status);
    expect(answer.json.error.code).toBe(code);
    expect(await metricValue(metrics.rejected, { provider: 'openai', code })).toBe(1);
  });

  it.each([
    ['empty body', Buffer.alloc(0), 'empty_body'],
    ['malformed JSON', Buffer.from('{"model":'), 'malformed_json'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid_utf8'],
    [
      'body over the limit',
      Buffer.from(JSON.stringify({ model: 'x', messages: [], pad: 'a'.repeat(5000) })),
      'request_too_large',
    ],
  ])('rejects %s in the body phase with a clear OpenAI error', (_name, bytes, code) => {
    const { context } = makeContext();
    handleNow(context, requestHeaders(openaiHeaders));
    const answer = immediate(handleNow(context, body('request_body', bytes)));
    expect(answer.json.error.code).toBe(code);
    expect(answer.json.error.message.length).toBeGreaterThan(10);
  });

  it('rejects a wrong request shape with the offending param', () => {
    const { context } = makeContext();
    handleNow(context, requestHeaders(openaiHeaders));
    const answer = immediate(
      handleNow(context, body('request_body', JSON.stringify({ model: 'gpt-4o-mini', messages: 'hi' }))),
    );
    expect(answer.status).toBe(400);
    expect(answer.json.error.param).toBe('messages');
  });

  it('injects stream_options.include_usage and fixes content-length for streaming OpenAI requests', () => {
    const { context } = makeContext();
    handleNow(context, requestHeaders(openaiHeaders));
    const request = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] };
    const reply = handleNow(context, body('request_body', JSON.stringify(request)));
    const rewritten = reply.request_body?.response?.body_mutation?.body as Buffer;
    expect(JSON.parse(rewritten.toString())).toEqual({ ...request, stream_options: { include_usage: true } });
    expect(setHeaders(reply, 'request_body')['content-length']).toBe(String(rewritten.length));
  });

  it('refuses unpriced models only when configured to', () => {
    const request = JSON.stringify({
      model: 'no-such-model-xyz',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const strict = makeContext({ ACC_DENY_UNPRICED_MODELS: 'true' });
    handleNow(strict.context, requestHeaders(openaiHeaders));
    expect(immediate(handleNow(strict.context, body('request_body', request))).json.error.code).toBe(
      'unpriced_model',
    );
    const lenient = makeContext();
    handleNow(lenient.context, requestHeaders(openaiHeaders));
    expect(handleNow(lenient.context, body('request_body', request)).immediate_response).toBeUndefined();
  });

  it('passes unknown paths through with provider credentials and no body processing', () => {
    const { context } = makeContext();
    const reply = handleNow(
      context,
      requestHeaders({ ...openaiHeaders, ':method': 'GET', ':path': '/v1/models' }, true),
    );
    expect(reply.mode_override).toMatchObject({ request_body_mode: 'NONE', response_body_mode: 'NONE' });
    expect(setHeaders(reply, 'request_headers').authorization).toBe('Bearer sk-provider-openai');
  });

  it('strips a client-sent upstream cluster header and recomputes the route', () => {
    const { context } = makeContext();
    const reply = handleNow(
      context,
      requestHeaders({ ...openaiHeaders, 'x-acc-upstream-cluster': 'anthropic' }),
    );
    expect(reply.request_headers?.response?.header_mutation?.remove_headers).toContain(
      'x-acc-upstream-cluster',
    );
    expect(reply.request_headers?.response?.clear_route_cache).toBe(true);
  });
});

describe('StreamContext response phase', () => {
  it('accounts a JSON response split over several chunks exactly', async () => {
    const { context, records, metrics } = makeContext();
    handleNow(context, requestHeaders(openaiHeaders));
    handleNow(
      context,
      body(
        'request_body',
        JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      ),
    );
    const headersReply = handleNow(
      context,
      responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
    );
    expect(setHeaders(headersReply, 'response_headers')['x-acc-request-id']).toBe('req-1');
    const response = JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'gpt-4o-mini-2024-07-18',
      choices: [],
      usage: {
        prompt_tokens: 1000,
        completion_tokens: 200,
        total_tokens: 1200,
        prompt_tokens_details: { cached_tokens: 400 },
      },
    });
    const mid = Math.floor(response.length / 2);
    expect(
      handleNow(context, body('response_body', response.slice(0, mid), false)).response_body?.response
        ?.body_mutation,
    ).toBeUndefined();
    handleNow(context, body('response_body', response.slice(mid), true));
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record).toMatchObject({
      status: 200,
      decision: 'forwarded',
      outcome: 'complete',
      model: 'gpt-4o-mini-2024-07-18',
      usage: { inputTokens: 1000, cacheReadTokens: 400, outputTokens: 200 },
    });
    const expected = createPricer().price('openai', 'gpt-4o-mini-2024-07-18', record?.usage as never);
    expect(expected.priced && record?.costUsd).toBeCloseTo(expected.costUsd as number, 12);
    const model = 'gpt-4o-mini-2024-07-18';
    expect(await metricValue(metrics.tokens, { provider: 'openai', model, type: 'input' })).toBe(1000);
    expect(await metricValue(metrics.tokens, { provider: 'openai', model, type: 'cached_input' })).toBe(400);
    expect(await metricValue(metrics.costUsd, { provider: 'openai', model })).toBeCloseTo(
      record?.costUsd as number,
      12,
    );
  });

  it('records a stream cut off by the client as client_closed with the usage known so far', () => {
    const { context, records } = makeContext();
    handleNow(
      context,
      requestHeaders({
        ...openaiHeaders,
        ':path': '/v1/messages',
        authorization: '',
        'x-api-key': GATEWAY_KEY,
      }),
    );
    handleNow(
      context,
      body(
        'request_body',
        JSON.stringify({
          model: 'claude-3-5-haiku-20241022',
          max_tokens: 50,
          stream: true,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      ),
    );
    handleNow(context, responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }));
    const start = {
      type: 'message_start',
      message: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-3-5-haiku-20241022',
        content: [],
        usage: { input_tokens: 30, output_tokens: 1 },
      },
    };
    handleNow(
      context,
      body('response_body', `event: message_start\ndata: ${JSON.stringify(start)}\n\n`, false),
    );
    context.close();
    expect(records[0]).toMatchObject({
      outcome: 'client_closed',
      usage: { inputTokens: 30, outputTokens: 1 },
    });
  });
});
