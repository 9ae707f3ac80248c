// End to end through a real Envoy: official SDKs → Envoy → our extproc → faithful fake upstream.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Interaction } from '../support/fake-upstream.js';
import {
  ANTHROPIC_PROVIDER_KEY,
  GATEWAY_KEY,
  type Gateway,
  metricSample,
  OPENAI_PROVIDER_KEY,
  startGateway,
} from './gateway-harness.js';

let gateway: Gateway;

beforeAll(async () => {
  gateway = await startGateway();
}, 120_000);
afterAll(async () => {
  await gateway?.close();
});
beforeEach(() => {
  gateway.upstream.reset();
  gateway.records.length = 0;
});

function openai(headers: Record<string, string> = {}) {
  return new OpenAI({
    apiKey: GATEWAY_KEY,
    baseURL: `${gateway.url}/v1`,
    maxRetries: 0,
    defaultHeaders: headers,
  });
}

function anthropic(headers: Record<string, string> = {}) {
  return new Anthropic({ apiKey: GATEWAY_KEY, baseURL: gateway.url, maxRetries: 0, defaultHeaders: headers });
}

// Expected usage straight from what the fake upstream reported, in each provider's own field names.
function usageFromOpenAI(interaction: Interaction) {
  const usage = interaction.usage as unknown as {
    prompt_tokens: number;
    completion_tokens: number;
    prompt_tokens_details?: { cached_tokens?: number };
    completion_tokens_details?: { reasoning_tokens?: number };
  };
  return {
    inputTokens: usage.prompt_tokens,
    cacheReadTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: 0,
    outputTokens: usage.completion_tokens,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

function usageFromAnthropic(interaction: Interaction) {
  const usage = interaction.usage as {
    input_tokens: number;
    output_tokens: number;
    cache_creation_input_tokens?: number;
    cache_read_input_tokens?: number;
  };
  const write = usage.cache_creation_input_tokens ?? 0;
  const read = usage.cache_read_input_tokens ?? 0;
  return {
    inputTokens: usage.input_tokens + write + read,
    cacheReadTokens: read,
    cacheWriteTokens: write,
    outputTokens: usage.output_tokens,
    reasoningTokens: 0,
  };
}

/** What OpenAI sends a client that did not ask for usage: no `"usage":null` members, no usage-only chunk. */
function withoutInjectedUsage(stream: string): string {
  return stream
    .split('\n\n')
    .filter((event) => !event.includes('"choices":[],"usage":{'))
    .map((event) => event.replace(',"usage":null', ''))
    .join('\n\n');
}

async function readAll(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

const chat = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Say hello, gateway é🙂' }],
};

describe('OpenAI chat completions through Envoy', () => {
  it('non-streaming: the client gets the upstream bytes, the provider gets the provider key, usage and cost are exact', async () => {
    const response = await openai({ 'x-fake-cached-tokens': '3', 'x-fake-pieces': '9' })
      .chat.completions.create(chat)
      .asResponse();
    const clientBytes = await readAll(response);
    const [interaction] = gateway.upstream.interactions;
    expect(response.status).toBe(200);
    expect(clientBytes.equals(interaction?.responseBody as Buffer)).toBe(true);
    expect(interaction?.apiKey).toBe(OPENAI_PROVIDER_KEY);
    expect(interaction?.headers.authorization).not.toContain(GATEWAY_KEY);
    expect(response.headers.get('x-acc-request-id')).toMatch(/\S{8,}/);

    const [record] = await gateway.waitForRecords(1);
    const usage = usageFromOpenAI(interaction as Interaction);
    expect(usage.cacheReadTokens).toBe(3);
    expect(record).toMatchObject({
      provider: 'openai',
      status: 200,
      decision: 'forwarded',
      outcome: 'complete',
      usage,
    });
    expect(record?.requestId).toBe(response.headers.get('x-acc-request-id'));
    // gpt-4o-mini: $0.15 / M input, $0.075 / M cached input, $0.60 / M output.
    const expectedCost =
      ((usage.inputTokens - usage.cacheReadTokens) * 0.15 +
        usage.cacheReadTokens * 0.075 +
        usage.outputTokens * 0.6) /
      1e6;
    expect(record?.costUsd).toBeCloseTo(expectedCost, 15);

    const metrics = await gateway.metricsText();
    const model = record?.model as string;
    expect(metricSample(metrics, 'acc_tokens_total', { model, type: 'input' })).toBe(usage.inputTokens);
    expect(metricSample(metrics, 'acc_tokens_total', { model, type: 'output' })).toBe(usage.outputTokens);
    expect(metricSample(metrics, 'acc_cost_usd_total', { model })).toBeCloseTo(expectedCost, 15);
  });

  it('streaming without include_usage: usage is requested upstream, the client sees exactly the stream it asked for', async () => {
    const client = openai({ 'x-fake-chunk-pattern': '1,7,3,64,5', 'x-fake-reasoning-tokens': '4' });
    const response = await client.chat.completions.create({ ...chat, stream: true }).asResponse();
    const clientText = (await readAll(response)).toString('utf8');
    const interaction = gateway.upstream.interactions[0] as Interaction;
    expect((interaction.json as { stream_options?: unknown }).stream_options).toEqual({
      include_usage: true,
    });
    const upstreamText = interaction.responseBody.toString('utf8');
    expect(upstreamText).toContain('"usage":null');
    expect(clientText).toBe(withoutInjectedUsage(upstreamText));
    expect(clientText).not.toContain('"usage"');

    const [record] = await gateway.waitForRecords(1);
    expect(record).toMatchObject({
      stream: true,
      outcome: 'complete',
      usage: usageFromOpenAI(interaction as Interaction),
    });
    expect(record?.usage?.reasoningTokens).toBe(4);
  });

  it('streaming with include_usage: bytes are untouched and the SDK sees the usage chunk', async () => {
    const stream = await openai({ 'x-fake-chunk-bytes': '13' }).chat.completions.create({
      ...chat,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let sdkUsage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) sdkUsage = chunk.usage;
    }
    const [interaction] = gateway.upstream.interactions;
    expect(text.length).toBeGreaterThan(0);
    expect(sdkUsage).toEqual(interaction?.usage);
    const [record] = await gateway.waitForRecords(1);
    expect(record?.usage).toEqual(usageFromOpenAI(interaction as Interaction));
  });

  it('slow streams are forwarded as they come and accounted at the end', async () => {
    const stream = await openai({ 'x-fake-delay-ms': '40', 'x-fake-pieces': '8' }).chat.completions.create({
      ...chat,
      stream: true,
    });
    const arrivals: number[] = [];
    for await (const _chunk of stream) arrivals.push(Date.now());
    // Chunks arrive spread over time, not all at once at the end: Envoy + extproc do not buffer the stream.
    expect((arrivals.at(-1) as number) - (arrivals[0] as number)).toBeGreaterThan(200);
    const [record] = await gateway.waitForRecords(1);
    expect(record?.usage?.outputTokens).toBe(8);
  });

  it('upstream 429 and 500 reach the client unchanged, in the SDK error classes, and are recorded', async () => {
    await expect(openai({ 'x-fake-status': '429' }).chat.completions.create(chat)).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    await expect(openai({ 'x-fake-status': '500' }).chat.completions.create(chat)).rejects.toBeInstanceOf(
      OpenAI.InternalServerError,
    );
    const records = await gateway.waitForRecords(2);
    expect(records.map((r) => r.status).sort()).toEqual([429, 500]);
    expect(records.every((r) => r.usage === null && r.costUsd === null)).toBe(true);
    const raw = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${GATEWAY_KEY}`,
        'content-type': 'application/json',
        'x-fake-status': '429',
      },
      body: JSON.stringify(chat),
    });
    const [, , interaction] = gateway.upstream.interactions;
    expect((await readAll(raw)).equals(interaction?.responseBody as Buffer)).toBe(true);
    expect(raw.headers.get('retry-after')).toBe('1');
  });

  it('an unknown model gets the provider 404 and is counted as unpriced only if usage came back', async () => {
    const error = await openai()
      .chat.completions.create({ ...chat, model: 'nonexistent-model' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    const [record] = await gateway.waitForRecords(1);
    expect(record).toMatchObject({ status: 404, usage: null, requestedModel: 'nonexistent-model' });
  });

  it('a client that disconnects mid-stream is recorded as client_closed and the upstream stream is cut', async () => {
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${GATEWAY_KEY}`,
        'content-type': 'application/json',
        'x-fake-delay-ms': '50',
        'x-fake-pieces': '200',
      },
      body: JSON.stringify({ ...chat, stream: true }),
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    const [record] = await gateway.waitForRecords(1);
    expect(record).toMatchObject({ outcome: 'client_closed', status: 200, stream: true });
    await gateway.upstream.waitForInteractions(1);
    expect(gateway.upstream.interactions[0]?.closedEarly).toBe(true);
    const metrics = await gateway.metricsText();
    expect(
      metricSample(metrics, 'acc_usage_missing_total', { reason: 'client_closed' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('routes by path, so a provider key never reaches the other provider whatever headers the client sends', async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'x-api-key': GATEWAY_KEY,
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify(chat),
    });
    expect(response.status).toBe(200);
    await readAll(response);
    const messages = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-3-5-haiku-20241022',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    await readAll(messages);
    const [toOpenAI, toAnthropic] = gateway.upstream.interactions;
    expect(toOpenAI?.headers.authorization).toBe(`Bearer ${OPENAI_PROVIDER_KEY}`);
    expect(toOpenAI?.headers['x-api-key']).toBeUndefined();
    expect(toAnthropic?.path).toBe('/v1/messages');
    expect(toAnthropic?.headers['x-api-key']).toBe(ANTHROPIC_PROVIDER_KEY);
    expect(toAnthropic?.headers.authorization).toBeUndefined();
  });

  it('other paths pass through with the provider key and a request id', async () => {
    const response = await fetch(`${gateway.url}/v1/models`, {
      headers: { authorization: `Bearer ${GATEWAY_KEY}` },
    });
    await readAll(response);
    expect(response.headers.get('x-acc-request-id')).toBeTruthy();
    const [interaction] = gateway.upstream.interactions;
    expect(interaction?.path).toBe('/v1/models');
    expect(interaction?.headers.authorization).toBe(`Bearer ${OPENAI_PROVIDER_KEY}`);
  });
});

describe('Anthropic messages through Envoy', () => {
  const message = {
    model: 'claude-3-5-haiku-20241022',
    max_tokens: 64,
    messages: [{ role: 'user' as const, content: 'Hello Claude, gateway here é🙂' }],
  };

  it('non-streaming with cache tokens: bytes, credentials, usage and cost', async () => {
    const client = anthropic({ 'x-fake-cache-write-tokens': '20', 'x-fake-cached-tokens': '10' });
    const response = await client.messages.create(message).asResponse();
    const clientBytes = await readAll(response);
    const [interaction] = gateway.upstream.interactions;
    expect(clientBytes.equals(interaction?.responseBody as Buffer)).toBe(true);
    expect(interaction?.apiKey).toBe(ANTHROPIC_PROVIDER_KEY);
    const [record] = await gateway.waitForRecords(1);
    const usage = usageFromAnthropic(interaction as Interaction);
    expect(usage).toMatchObject({ cacheWriteTokens: 20, cacheReadTokens: 10 });
    expect(record).toMatchObject({ provider: 'anthropic', endpoint: 'messages', status: 200, usage });
    // claude-3-5-haiku: $0.80 / M input, $1.00 / M cache write, $0.08 / M cache read, $4.00 / M output.
    const uncached = usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens;
    const expectedCost = (uncached * 0.8 + 20 * 1 + 10 * 0.08 + usage.outputTokens * 4) / 1e6;
    expect(record?.costUsd).toBeCloseTo(expectedCost, 15);
  });

  it('streaming split at odd bytes: the SDK assembles the text, bytes are identical, usage is exact', async () => {
    const client = anthropic({ 'x-fake-chunk-pattern': '3,1,17,2', 'x-fake-cached-tokens': '5' });
    const response = await client.messages.create({ ...message, stream: true }).asResponse();
    const clientBytes = await readAll(response);
    const [interaction] = gateway.upstream.interactions;
    expect(clientBytes.equals(interaction?.responseBody as Buffer)).toBe(true);

    const stream = client.messages.stream(message);
    const final = await stream.finalMessage();
    expect(final.content[0]?.type).toBe('text');
    const records = await gateway.waitForRecords(2);
    const second = gateway.upstream.interactions[1] as Interaction;
    expect(records[1]?.usage).toEqual(usageFromAnthropic(second));
    expect(final.usage.output_tokens).toBe(records[1]?.usage?.outputTokens);
  });

  it('an in-stream overloaded error is passed to the client and recorded', async () => {
    const stream = anthropic({ 'x-fake-stream-error': 'after:2' }).messages.stream(message);
    await expect(stream.finalMessage()).rejects.toThrow(/overloaded/i);
    const [record] = await gateway.waitForRecords(1);
    expect(record?.outcome).toBe('upstream_error_event');
  });
});

describe('bad input is answered in the caller API shape', () => {
  const post = (path: string, headers: Record<string, string>, body: RequestInit['body']) =>
    fetch(`${gateway.url}${path}`, { method: 'POST', headers, body });
  const openaiHeaders = { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' };
  const anthropicHeaders = {
    'x-api-key': GATEWAY_KEY,
    'anthropic-version': '2023-06-01',
    'content-type': 'application/json',
  };

  it.each([
    ['malformed JSON', '{"model": "gpt-4o-mini", "messages": [', openaiHeaders, 400, 'malformed_json'],
    [
      'invalid UTF-8',
      Buffer.from([0x7b, 0x22, 0x6d, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
      openaiHeaders,
      400,
      'invalid_utf8',
    ],
    ['an empty body', '', openaiHeaders, 400, 'empty_body'],
    [
      'a wrong content type',
      'model=gpt-4o-mini',
      { ...openaiHeaders, 'content-type': 'application/x-www-form-urlencoded' },
      415,
      'unsupported_media_type',
    ],
  ])('OpenAI: %s', async (_name, body, headers, status, code) => {
    const response = await post('/v1/chat/completions', headers, body as RequestInit['body']);
    const json = (await response.json()) as { error: { code: string; type: string; message: string } };
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-acc-request-id')).toBeTruthy();
    expect(json.error).toMatchObject({ code, type: 'invalid_request_error' });
    expect(gateway.upstream.interactions).toHaveLength(0);
  });

  it('OpenAI SDK: a missing or wrong gateway key is a 401 AuthenticationError', async () => {
    const wrong = new OpenAI({
      apiKey: 'acc-not-a-valid-key-000000000000',
      baseURL: `${gateway.url}/v1`,
      maxRetries: 0,
    });
    await expect(wrong.chat.completions.create(chat)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    expect(gateway.upstream.interactions).toHaveLength(0);
  });

  it('Anthropic SDK: a wrong key is a 401 in the Anthropic shape', async () => {
    const wrong = new Anthropic({
      apiKey: 'acc-not-a-valid-key-000000000000',
      baseURL: gateway.url,
      maxRetries: 0,
    });
    const error = await wrong.messages.create(message()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error' },
    });
  });

  it('Anthropic: a request without max_tokens is refused before it reaches the provider', async () => {
    const response = await post(
      '/v1/messages',
      anthropicHeaders,
      JSON.stringify({ model: 'claude-3-5-haiku-20241022', messages: [] }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('a body over the limit gets 413 in the caller shape, whether declared or streamed', async () => {
    const huge = JSON.stringify({ ...chat, padding: 'x'.repeat(1024 * 1024 + 10) });
    const declared = await post('/v1/chat/completions', openaiHeaders, huge);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { type: string } }).error.type).toBeTruthy();
    const anthropicDeclared = await post('/v1/messages', anthropicHeaders, huge);
    expect(anthropicDeclared.status).toBe(413);
    expect(await anthropicDeclared.json()).toMatchObject({ type: 'error' });
    expect(gateway.upstream.interactions).toHaveLength(0);
  });

  it('counts every rejection by code', async () => {
    await post('/v1/chat/completions', openaiHeaders, '{');
    const metrics = await gateway.metricsText();
    expect(
      metricSample(metrics, 'acc_rejected_requests_total', { provider: 'openai', code: 'malformed_json' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

function message() {
  return {
    model: 'claude-3-5-haiku-20241022',
    max_tokens: 16,
    messages: [{ role: 'user' as const, content: 'hi' }],
  };
}
