import { readFileSync } from 'node:fs';
import net from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  anthropicInputTokens,
  expectedAnthropicUsage,
  expectedOpenAIUsage,
  type FakeUpstream,
  fakeText,
  openAIPromptTokens,
  startFakeUpstream,
} from './fake-upstream.js';

const RECORDINGS = '/work/shared/recordings/openai';
const OPENAI_KEY = 'sk-provider-openai-key';
const ANTHROPIC_KEY = 'sk-ant-provider-key';

interface Recording {
  request: { body: string };
  response: { code: number; body: string; headers: Record<string, string[]> };
}

function recording(name: string): Recording {
  const doc = parseYaml(readFileSync(`${RECORDINGS}/${name}.yaml`, 'utf8')) as { interactions: Recording[] };
  return doc.interactions[0] as Recording;
}

/** `data: …` payloads of an OpenAI SSE body. */
function sseData(body: string): string[] {
  return body
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
}

/** Key paths ("a.b.c") of a JSON value in order, arrays descended at [0]. */
function keyOrder(v: unknown, prefix = ''): string[] {
  if (Array.isArray(v)) return v.length > 0 ? keyOrder(v[0], `${prefix}[]`) : [];
  if (typeof v !== 'object' || v === null) return [];
  const out: string[] = [];
  for (const [k, child] of Object.entries(v)) {
    out.push(`${prefix}${k}`);
    out.push(...keyOrder(child, `${prefix}${k}.`));
  }
  return out;
}

/** Raw HTTP/1.1 request over a socket; returns the chunk sizes of the chunked response and the payload. */
async function rawChunked(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ head: string; chunkSizes: number[]; payload: Buffer }> {
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    sock.on('data', (d: Buffer) => parts.push(d));
    sock.on('error', reject);
    sock.on('end', () => resolve(Buffer.concat(parts)));
    const bodyBuf = Buffer.from(body, 'utf8');
    const head = [
      `POST ${path} HTTP/1.1`,
      'host: fake',
      'connection: close',
      'content-type: application/json',
      `content-length: ${bodyBuf.length}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      '',
      '',
    ].join('\r\n');
    sock.write(Buffer.concat([Buffer.from(head), bodyBuf]));
  });
  const sep = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, sep).toString('latin1');
  let rest = raw.subarray(sep + 4);
  const chunkSizes: number[] = [];
  const payload: Buffer[] = [];
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.subarray(0, eol).toString('latin1'), 16);
    if (size === 0) break;
    chunkSizes.push(size);
    payload.push(rest.subarray(eol + 2, eol + 2 + size));
    rest = rest.subarray(eol + 2 + size + 2);
  }
  return { head, chunkSizes, payload: Buffer.concat(payload) };
}

function splitsMultiByteChar(writes: Buffer[]): boolean {
  const dec = new TextDecoder('utf-8', { fatal: true });
  return writes.some((w) => {
    try {
      dec.decode(w);
      return false;
    } catch {
      return true;
    }
  });
}

function writesOf(body: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let o = 0;
  for (const s of sizes) {
    out.push(body.subarray(o, o + s));
    o += s;
  }
  return out;
}

const HELLO = { model: 'gpt-5-nano', messages: [{ role: 'user' as const, content: 'Hello!' }] };

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_current_weather',
    description: 'Get the current weather in a given location',
    parameters: {
      type: 'object',
      properties: {
        location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['location'],
    },
  },
};

let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
});

function openai(
  headers: Record<string, string> = {},
  baseURL = `${fake.url}/v1`,
  apiKey = OPENAI_KEY,
): OpenAI {
  return new OpenAI({ apiKey, baseURL, maxRetries: 0, defaultHeaders: headers });
}

function anthropic(headers: Record<string, string> = {}, apiKey = ANTHROPIC_KEY): Anthropic {
  return new Anthropic({ apiKey, baseURL: fake.url, maxRetries: 0, defaultHeaders: headers });
}

describe('usage formula', () => {
  it('computes prompt tokens as documented', () => {
    // 3 + (4 + ceil(6/4)) = 9
    expect(openAIPromptTokens(HELLO)).toBe(9);
    // 3 + tok("Be brief.")=3 + (4 + tok("Hi")=1) + (4 + 85 image) = 100
    expect(
      anthropicInputTokens({
        system: 'Be brief.',
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'http://x' } }] },
        ],
      }),
    ).toBe(100);
    const u = expectedOpenAIUsage(
      { ...HELLO, max_completion_tokens: 10 },
      { 'X-Fake-Pieces': '20', 'x-fake-reasoning-tokens': '4', 'x-fake-cached-tokens': '7' },
    );
    expect(u).toEqual({
      prompt_tokens: 16,
      completion_tokens: 10,
      total_tokens: 26,
      prompt_tokens_details: { cached_tokens: 7, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 4,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
    expect(fakeText(7)).toBe('Hello from the fake café 🙂 —');
  });
});

describe('OpenAI chat completions', () => {
  it('non-streaming: SDK parses a response shaped like chat-basic.yaml', async () => {
    const res = await openai().chat.completions.create(HELLO);
    expect(res.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('gpt-5-nano-2025-08-07');
    expect(res.choices[0]?.message.content).toBe(fakeText(12));
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.usage).toEqual(expectedOpenAIUsage(HELLO));
    expect(res.usage?.prompt_tokens).toBe(9);
    expect(res.usage?.completion_tokens).toBe(12);
    expect(res.service_tier).toBe('default');

    await fake.waitForInteractions(1);
    const i = fake.interactions[0];
    expect(i).toBeDefined();
    if (!i) return;
    expect(i.apiKey).toBe(OPENAI_KEY);
    expect(i.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(i.path).toBe('/v1/chat/completions');
    expect(i.completed).toBe(true);
    expect(i.closedEarly).toBe(false);
    expect(i.status).toBe(200);
    expect(i.usage).toEqual(res.usage);
    expect(i.json).toEqual(HELLO);
    expect(i.responseHeaders['content-length']).toBe(String(i.responseBody.length));
    // Same fields as the recording (which is key-sorted), in the real API's order.
    const rec = JSON.parse(recording('chat-basic').response.body) as unknown;
    const body = JSON.parse(i.responseBody.toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      'id',
      'object',
      'created',
      'model',
      'choices',
      'usage',
      'service_tier',
      'system_fingerprint',
    ]);
    expect([...keyOrder(body)].sort()).toEqual([...keyOrder(rec)].sort());
    expect(i.responseBody.toString('utf8')).toContain('\n  "object": "chat.completion",\n');
    const recHeaders = Object.keys(recording('chat-basic').response.headers).map((h) => h.toLowerCase());
    for (const h of [
      'content-type',
      'openai-processing-ms',
      'openai-version',
      'x-request-id',
      'x-ratelimit-limit-requests',
      'x-ratelimit-limit-tokens',
      'x-ratelimit-remaining-requests',
      'x-ratelimit-remaining-tokens',
      'x-ratelimit-reset-requests',
      'x-ratelimit-reset-tokens',
    ]) {
      expect(recHeaders).toContain(h);
      expect(i.responseHeaders[h]).toBeTruthy();
    }
    expect(i.responseHeaders['content-type']).toBe('application/json');
  });

  it('accepts any path prefix and echoes unknown-but-valid model names', async () => {
    const res = await openai({}, `${fake.url}/openai/v1`).chat.completions.create({
      ...HELLO,
      model: 'my-custom-model',
    });
    expect(res.model).toBe('my-custom-model');
    expect(fake.interactions[0]?.path).toBe('/openai/v1/chat/completions');
  });

  it('streaming without include_usage has no usage field at all (like chat-streaming.yaml)', async () => {
    const stream = await openai().chat.completions.create({ ...HELLO, stream: true });
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if ('usage' in chunk) sawUsage = true;
    }
    expect(text).toBe(fakeText(12));
    expect(sawUsage).toBe(false);

    await fake.waitForInteractions(1);
    const i = fake.interactions[0];
    if (!i) throw new Error('no interaction');
    expect(i.responseHeaders['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(i.usage).toBeNull();
    expect(i.plannedUsage).toEqual(expectedOpenAIUsage(HELLO));
    const body = i.responseBody.toString('utf8');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(body).not.toContain('"usage"');
    // Default: one write per event.
    expect(i.writes.length).toBe(sseData(body).length);

    const rec = sseData(recording('chat-streaming').response.body);
    const ours = sseData(body);
    expect(ours.length).toBe(1 + 12 + 1 + 1);
    const recJson = rec.slice(0, -1).map((d) => JSON.parse(d) as unknown);
    const ourJson = ours.slice(0, -1).map((d) => JSON.parse(d) as unknown);
    // first (role) chunk, a content chunk, the finish chunk: same keys in the same order.
    expect(keyOrder(ourJson[0])).toEqual(keyOrder(recJson[0]));
    expect(keyOrder(ourJson[1])).toEqual(keyOrder(recJson[1]));
    expect(keyOrder(ourJson[ourJson.length - 1])).toEqual(keyOrder(recJson[recJson.length - 1]));
  });

  it('streaming with include_usage: usage:null on every chunk, then a choices:[] usage chunk (like chat-streaming-detailed-usage.yaml)', async () => {
    const req = {
      ...HELLO,
      stream: true as const,
      stream_options: { include_usage: true },
      max_completion_tokens: 100,
    };
    const headers = { 'x-fake-reasoning-tokens': '100' };
    const stream = await openai(headers).chat.completions.create(req);
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const last = chunks[chunks.length - 1];
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual(expectedOpenAIUsage(req, headers));
    expect(last?.usage?.completion_tokens).toBe(100);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks[chunks.length - 2]?.choices[0]?.finish_reason).toBe('length');

    await fake.waitForInteractions(1);
    const i = fake.interactions[0];
    if (!i) throw new Error('no interaction');
    expect(i.usage).toEqual(last?.usage);
    // Byte-level shape: identical key order to the recording for each of its three chunks.
    const rec = sseData(recording('chat-streaming-detailed-usage').response.body)
      .slice(0, -1)
      .map((d) => JSON.parse(d) as unknown);
    const ours = sseData(i.responseBody.toString('utf8'))
      .slice(0, -1)
      .map((d) => JSON.parse(d) as unknown);
    expect(ours.length).toBe(3); // role chunk, finish chunk, usage chunk — the cap left no room for content
    for (let k = 0; k < 3; k++) expect(keyOrder(ours[k])).toEqual(keyOrder(rec[k]));
  });

  it('caps completion at max_tokens and reports cached/reasoning tokens from headers', async () => {
    const req = { ...HELLO, max_tokens: 5 };
    const headers = { 'x-fake-cached-tokens': '1024', 'x-fake-reasoning-tokens': '2', 'x-fake-pieces': '30' };
    const res = await openai(headers).chat.completions.create(req);
    expect(res.choices[0]?.finish_reason).toBe('length');
    expect(res.choices[0]?.message.content).toBe(fakeText(3));
    expect(res.usage?.completion_tokens).toBe(5);
    expect(res.usage?.completion_tokens_details?.reasoning_tokens).toBe(2);
    expect(res.usage?.prompt_tokens_details?.cached_tokens).toBe(1024);
    expect(res.usage?.prompt_tokens).toBe(9 + 1024);
    expect(res.usage).toEqual(expectedOpenAIUsage(req, headers));
  });

  it('tool calls (non-streaming) are shaped like chat-tools.yaml', async () => {
    const rec = recording('chat-tools');
    const req = JSON.parse(
      rec.request.body,
    ) as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
    const res = await openai().chat.completions.create(req);
    const msg = res.choices[0]?.message;
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(msg?.content).toBeNull();
    const call = msg?.tool_calls?.[0];
    expect(call?.type).toBe('function');
    expect(call?.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_current_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ location: 'San Francisco, CA' });
    expect(res.usage).toEqual(expectedOpenAIUsage(req));
    const recBody = JSON.parse(rec.response.body) as unknown;
    const body = JSON.parse(fake.interactions[0]?.responseBody.toString('utf8') ?? '') as unknown;
    expect([...keyOrder(body)].sort()).toEqual([...keyOrder(recBody)].sort());
  });

  it('parallel tool calls stream and the SDK helper assembles them; tool results get a text answer', async () => {
    const client = openai({ 'x-fake-tool-calls': '2' });
    const runner = client.chat.completions.stream({
      ...HELLO,
      tools: [WEATHER_TOOL, { ...WEATHER_TOOL, function: { ...WEATHER_TOOL.function, name: 'get_time' } }],
    });
    const final = await runner.finalChatCompletion();
    const calls = final.choices[0]?.message.tool_calls ?? [];
    expect(calls.map((c) => (c.type === 'function' ? c.function.name : ''))).toEqual([
      'get_current_weather',
      'get_time',
    ]);
    for (const c of calls) {
      if (c.type === 'function')
        expect(JSON.parse(c.function.arguments)).toEqual({ location: 'San Francisco, CA' });
    }
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');

    // After a tool result the model answers with text ("auto").
    const res = await openai().chat.completions.create({
      model: 'gpt-5-nano',
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_current_weather', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
    });
    expect(res.choices[0]?.message.content).toBe(fakeText(12));
  });

  it('auth: missing / invalid bearer key → 401 AuthenticationError in OpenAI shape', async () => {
    const bad = openai({}, `${fake.url}/v1`, 'sk-invalid-key-123456');
    const err = await bad.chat.completions.create(HELLO).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');

    const res = await request(`${fake.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(HELLO),
    });
    expect(res.statusCode).toBe(401);
    const body = (await res.body.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body.error)).toEqual(['message', 'type', 'param', 'code']);
    expect(body.error.message).toMatch(/^You didn't provide an API key/);
    expect(fake.interactions[1]?.apiKey).toBeNull();
  });

  it('unknown model → 404 byte-identical to chat-unknown-model.yaml', async () => {
    const rec = recording('chat-unknown-model');
    const err = await openai()
      .chat.completions.create(
        JSON.parse(rec.request.body) as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    const i = fake.interactions[0];
    expect(i?.responseBody.toString('utf8')).toBe(rec.response.body);
    expect(i?.responseHeaders['content-type']).toBe('application/json; charset=utf-8');

    const err2 = await openai()
      .chat.completions.create({ ...HELLO, model: 'nonexistent-model' })
      .catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('x-fake-status maps to the SDK error classes with OpenAI error bodies', async () => {
    const cases: [string, new (...args: never[]) => Error, number][] = [
      ['400', OpenAI.BadRequestError, 400],
      ['429', OpenAI.RateLimitError, 429],
      ['500', OpenAI.InternalServerError, 500],
      ['503', OpenAI.InternalServerError, 503],
    ];
    for (const [status, cls, code] of cases) {
      const err = await openai({ 'x-fake-status': status })
        .chat.completions.create(HELLO)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(cls);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(code);
    }
    const badReq = JSON.parse(recording('chat-bad-request').response.body) as { error: unknown };
    expect(JSON.parse(fake.interactions[0]?.responseBody.toString('utf8') ?? '')).toEqual(badReq);
    expect(fake.interactions[1]?.responseHeaders['retry-after']).toBe('1');
    expect(fake.interactions.every((i) => i.usage === null)).toBe(true);
  });

  it('request validation errors match the recordings (empty messages)', async () => {
    const rec = recording('chat-no-messages');
    const err = await openai()
      .chat.completions.create({ model: 'gpt-5-nano', messages: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(JSON.parse(fake.interactions[0]?.responseBody.toString('utf8') ?? '')).toEqual(
      JSON.parse(rec.response.body),
    );
  });

  it('x-fake-stream-error: after:N emits data: {"error":…} after N content chunks and no [DONE]', async () => {
    const stream = await openai({ 'x-fake-stream-error': 'after:3' }).chat.completions.create({
      ...HELLO,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(text).toBe(fakeText(3));
    await fake.waitForInteractions(1);
    const i = fake.interactions[0];
    const body = i?.responseBody.toString('utf8') ?? '';
    expect(body).not.toContain('[DONE]');
    expect(sseData(body).at(-1)).toBe(
      '{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}',
    );
    expect(i?.usage).toBeNull();
    expect(i?.completed).toBe(true);
  });
});

describe('Anthropic messages', () => {
  const MSG = {
    model: 'claude-sonnet-4-6',
    max_tokens: 1024,
    messages: [{ role: 'user' as const, content: 'Hello!' }],
  };

  it('non-streaming: SDK parses text and usage', async () => {
    const headers = { 'x-fake-cached-tokens': '300', 'x-fake-cache-write-tokens': '50' };
    const res = await anthropic(headers).messages.create(MSG);
    expect(res.id).toMatch(/^msg_01[1-9A-HJ-NP-Za-km-z]{22}$/);
    expect(res.type).toBe('message');
    expect(res.role).toBe('assistant');
    expect(res.model).toBe('claude-sonnet-4-6');
    expect(res.content).toEqual([{ type: 'text', text: fakeText(12) }]);
    expect(res.stop_reason).toBe('end_turn');
    expect(res.stop_sequence).toBeNull();
    const expected = expectedAnthropicUsage(MSG, headers);
    expect(res.usage).toEqual(expected);
    expect(expected).toMatchObject({
      input_tokens: 9,
      cache_read_input_tokens: 300,
      cache_creation_input_tokens: 50,
      output_tokens: 12,
      service_tier: 'standard',
    });
    const i = fake.interactions[0];
    expect(i?.apiKey).toBe(ANTHROPIC_KEY);
    expect(i?.provider).toBe('anthropic');
    expect(i?.headers['anthropic-version']).toBeTruthy();
    expect(Object.keys(JSON.parse(i?.responseBody.toString('utf8') ?? '{}') as object)).toEqual([
      'id',
      'type',
      'role',
      'model',
      'content',
      'stop_reason',
      'stop_sequence',
      'usage',
    ]);
    expect(i?.responseHeaders['request-id']).toMatch(/^req_/);
  });

  it('streaming: event sequence, text deltas, cumulative usage in message_delta', async () => {
    const stream = await anthropic().messages.create({ ...MSG, stream: true });
    const types: string[] = [];
    let text = '';
    let deltaUsage: unknown;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
      if (ev.type === 'message_delta') deltaUsage = ev.usage;
    }
    expect(text).toBe(fakeText(12));
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      ...Array(12).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const expected = expectedAnthropicUsage(MSG);
    expect(deltaUsage).toEqual({
      input_tokens: expected.input_tokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 12,
    });
    await fake.waitForInteractions(1);
    const i = fake.interactions[0];
    const body = i?.responseBody.toString('utf8') ?? '';
    expect(i?.responseHeaders['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(body).toContain('event: ping\ndata: {"type": "ping"}\n\n');
    // Every event is `event: X\ndata: {"type":"X",…}\n\n`.
    const events = body.split('\n\n').filter((e) => e !== '');
    for (const e of events) {
      const m = /^event: (\w+)\ndata: (.*)$/s.exec(e);
      expect(m).not.toBeNull();
      expect((JSON.parse(m?.[2] ?? '{}') as { type: string }).type).toBe(m?.[1]);
    }
    expect(i?.usage).toEqual(expected);
    expect(i?.writes.length).toBe(events.length);
  });

  it('streaming helper finalMessage(), max_tokens cap and output-only delta usage', async () => {
    const headers = { 'x-fake-anthropic-delta-usage': 'output-only', 'x-fake-cached-tokens': '10' };
    const req = { ...MSG, max_tokens: 4 };
    const final = await anthropic(headers).messages.stream(req).finalMessage();
    expect(final.stop_reason).toBe('max_tokens');
    expect(final.content).toEqual([{ type: 'text', text: fakeText(4) }]);
    expect(final.usage.output_tokens).toBe(4);
    expect(final.usage.input_tokens).toBe(9);
    expect(final.usage.cache_read_input_tokens).toBe(10);
    const body = fake.interactions[0]?.responseBody.toString('utf8') ?? '';
    expect(body).toContain('"usage":{"output_tokens":4}}');
    expect(fake.interactions[0]?.usage).toEqual(expectedAnthropicUsage(req, headers));
  });

  it('tool use (non-streaming and streaming)', async () => {
    const tools = [
      {
        name: 'get_weather',
        description: 'Get the weather',
        input_schema: {
          type: 'object' as const,
          properties: { city: { type: 'string' }, days: { type: 'integer' } },
          required: ['city', 'days'],
        },
      },
    ];
    const res = await anthropic().messages.create({ ...MSG, tools });
    expect(res.stop_reason).toBe('tool_use');
    const block = res.content[0];
    expect(block?.type).toBe('tool_use');
    if (block?.type !== 'tool_use') throw new Error('expected tool_use');
    expect(block.id).toMatch(/^toolu_01/);
    expect(block.name).toBe('get_weather');
    expect(block.input).toEqual({ city: 'San Francisco, CA', days: 42 });
    expect(res.usage).toEqual(expectedAnthropicUsage({ ...MSG, tools }));

    const final = await anthropic()
      .messages.stream({ ...MSG, tools })
      .finalMessage();
    const sblock = final.content[0];
    if (sblock?.type !== 'tool_use') throw new Error('expected tool_use');
    expect(sblock.input).toEqual({ city: 'San Francisco, CA', days: 42 });
    expect(final.stop_reason).toBe('tool_use');
  });

  it('auth and validation errors in Anthropic shape', async () => {
    const err = await anthropic({}, 'sk-ant-invalid')
      .messages.create(MSG)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.AuthenticationError>).status).toBe(401);

    const post = async (headers: Record<string, string>, body: unknown) => {
      const res = await request(`${fake.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return {
        status: res.statusCode,
        body: (await res.body.json()) as { type: string; error: { type: string; message: string } },
      };
    };
    const noKey = await post({ 'anthropic-version': '2023-06-01' }, MSG);
    expect(noKey.status).toBe(401);
    expect(noKey.body).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const noVersion = await post({ 'x-api-key': ANTHROPIC_KEY }, MSG);
    expect(noVersion.status).toBe(400);
    expect(noVersion.body.error.message).toBe('anthropic-version: header is required');
    const { max_tokens: _omit, ...noMax } = MSG;
    const missingMax = await post({ 'x-api-key': ANTHROPIC_KEY, 'anthropic-version': '2023-06-01' }, noMax);
    expect(missingMax.status).toBe(400);
    expect(missingMax.body.error).toEqual({
      type: 'invalid_request_error',
      message: 'max_tokens: Field required',
    });

    const nf = await anthropic()
      .messages.create({ ...MSG, model: 'nonexistent-model' })
      .catch((e: unknown) => e);
    expect(nf).toBeInstanceOf(Anthropic.NotFoundError);
    expect((nf as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error', message: 'model: nonexistent-model' },
    });
  });

  it('x-fake-status maps to SDK error classes (429 rate_limit_error, 500 api_error, 503/529 overloaded_error)', async () => {
    const cases: [string, new (...args: never[]) => Error, number, string][] = [
      ['429', Anthropic.RateLimitError, 429, 'rate_limit_error'],
      ['500', Anthropic.InternalServerError, 500, 'api_error'],
      ['503', Anthropic.InternalServerError, 529, 'overloaded_error'],
      ['529', Anthropic.InternalServerError, 529, 'overloaded_error'],
      ['400', Anthropic.BadRequestError, 400, 'invalid_request_error'],
    ];
    for (const [status, cls, code, type] of cases) {
      const err = await anthropic({ 'x-fake-status': status })
        .messages.create(MSG)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(cls);
      const apiErr = err as InstanceType<typeof Anthropic.APIError>;
      expect(apiErr.status).toBe(code);
      expect((apiErr.error as { error: { type: string } }).error.type).toBe(type);
    }
    expect(fake.interactions[0]?.responseHeaders['retry-after']).toBe('1');
  });

  it('x-fake-stream-error: after:N emits event: error after N text deltas', async () => {
    const stream = await anthropic({ 'x-fake-stream-error': 'after:2' }).messages.create({
      ...MSG,
      stream: true,
    });
    let text = '';
    const err = await (async () => {
      for await (const ev of stream) {
        if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(text).toBe(fakeText(2));
    const body = fake.interactions[0]?.responseBody.toString('utf8') ?? '';
    expect(
      body.endsWith(
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
      ),
    ).toBe(true);
    expect(body).not.toContain('message_stop');
  });

  it('count_tokens returns the computed input tokens', async () => {
    const res = await anthropic().messages.countTokens({ model: MSG.model, messages: MSG.messages });
    expect(res.input_tokens).toBe(9);
  });
});

describe('transport controls', () => {
  it('x-fake-chunk-pattern splits the SSE body into exactly those HTTP chunks, including mid-UTF-8', async () => {
    const { head, chunkSizes, payload } = await rawChunked(
      fake.port,
      '/v1/chat/completions',
      // No chunk is longer than 3 bytes, so the 4-byte emoji is split wherever ids and timestamps put it.
      { authorization: `Bearer ${OPENAI_KEY}`, 'x-fake-chunk-pattern': '1,3,2' },
      JSON.stringify({ ...HELLO, stream: true }),
    );
    expect(head).toMatch(/transfer-encoding: chunked/i);
    const i = fake.interactions[0];
    if (!i) throw new Error('no interaction');
    expect(payload.equals(i.responseBody)).toBe(true);
    expect(chunkSizes).toEqual(i.writes);
    const expected = Array.from({ length: chunkSizes.length - 1 }, (_, k) => [1, 3, 2][k % 3]);
    expect(chunkSizes.slice(0, -1)).toEqual(expected);
    expect(chunkSizes.at(-1)).toBeLessThanOrEqual([1, 3, 2][(chunkSizes.length - 1) % 3] as number);
    expect(splitsMultiByteChar(writesOf(payload, chunkSizes))).toBe(true);
    expect(payload.toString('utf8')).toContain('🙂');
  });

  it('x-fake-chunk-bytes with delay: a reader sees the small writes separately; JSON keeps content-length', async () => {
    const res = await request(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': ANTHROPIC_KEY,
        'anthropic-version': '2023-06-01',
        'x-fake-chunk-bytes': '20',
        'x-fake-delay-ms': '10',
        'x-fake-pieces': '3',
      },
      body: JSON.stringify({
        model: 'claude-haiku-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
      }),
    });
    expect(res.headers['content-length']).toBeDefined();
    const seen: number[] = [];
    for await (const chunk of res.body) seen.push((chunk as Buffer).length);
    const i = fake.interactions[0];
    if (!i) throw new Error('no interaction');
    // Server-side the writes are exact; a reader sees many separate arrivals (TCP may still coalesce a few).
    expect(i.writes.slice(0, -1).every((n) => n === 20)).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(i.responseBody.length);
    expect(Number(res.headers['content-length'])).toBe(i.responseBody.length);
    const parsed = JSON.parse(i.responseBody.toString('utf8')) as { content: { text: string }[] };
    expect(parsed.content[0]?.text).toBe(fakeText(3));
  });

  it('SDK streaming survives 1-byte writes split mid-UTF-8', async () => {
    const stream = await openai({ 'x-fake-chunk-bytes': '1' }).chat.completions.create({
      ...HELLO,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: unknown = null;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe(fakeText(12));
    expect(usage).toEqual(expectedOpenAIUsage(HELLO));
    const final = await anthropic({ 'x-fake-chunk-pattern': '2,3' })
      .messages.stream({
        model: 'claude-haiku-4-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: fakeText(12) }]);
  });

  it('first-byte delay and keep-alive', async () => {
    const t0 = Date.now();
    const res = await request(`${fake.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${OPENAI_KEY}`,
        'x-fake-first-byte-delay-ms': '150',
      },
      body: JSON.stringify(HELLO),
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(res.headers.connection).toBe('keep-alive');
    await res.body.text();
  });

  it('x-fake-hang never answers; the interaction records the client giving up', async () => {
    const err = await request(`${fake.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${OPENAI_KEY}`,
        'x-fake-hang': '1',
      },
      body: JSON.stringify(HELLO),
      signal: AbortSignal.timeout(200),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    await fake.waitForInteractions(1);
    const i = fake.interactions[0];
    expect(i?.hung).toBe(true);
    expect(i?.status).toBe(0);
    await expect.poll(() => i?.closedEarly, { timeout: 2000 }).toBe(true);
    expect(i?.completed).toBe(false);
    expect(i?.responseBody.length).toBe(0);
  });

  it('records a peer that closes mid-stream as closedEarly', async () => {
    const stream = await openai({ 'x-fake-delay-ms': '30', 'x-fake-pieces': '50' }).chat.completions.create({
      ...HELLO,
      stream: true,
    });
    let n = 0;
    for await (const _c of stream) {
      if (++n === 3) break; // the SDK aborts the request
    }
    await fake.waitForInteractions(1, 3000);
    const i = fake.interactions[0];
    expect(i?.closedEarly).toBe(true);
    expect(i?.completed).toBe(false);
    expect(i?.responseBody.toString('utf8')).not.toContain('[DONE]');
    expect(i?.endedAt).not.toBeNull();
  });

  it('invalid control header → 400; waitForInteractions times out when nothing arrives; reset clears', async () => {
    const res = await request(`${fake.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${OPENAI_KEY}`,
        'x-fake-pieces': 'lots',
      },
      body: JSON.stringify(HELLO),
    });
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as { error: { code: string } }).error.code).toBe('fake_control_error');
    expect(fake.interactions).toHaveLength(1);
    fake.reset();
    expect(fake.interactions).toHaveLength(0);
    await expect(fake.waitForInteractions(1, 50)).rejects.toThrow(/timed out/);
  });

  it('unknown paths get provider-shaped 404s', async () => {
    const res = await request(`${fake.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPENAI_KEY}` },
      body: '{}',
    });
    expect(res.statusCode).toBe(404);
    expect(((await res.body.json()) as { error: { message: string } }).error.message).toBe(
      'Invalid URL (POST /v1/embeddings)',
    );
    const health = await request(`${fake.url}/healthz`);
    expect(await health.body.text()).toBe('ok');
    expect(fake.interactions).toHaveLength(1);
  });
});
