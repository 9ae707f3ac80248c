/**
 * Fake Anthropic Messages API (`POST …/v1/messages`, `POST …/v1/messages/count_tokens`), per the Messages API
 * reference: compact JSON bodies, SSE `event: X\ndata: {json}\n\n` with message_start / content_block_start /
 * ping / content_block_delta / content_block_stop / message_delta (cumulative usage) / message_stop, and
 * `{"type":"error","error":{…}}` errors.
 */
import {
  argumentsForSchema,
  type Controls,
  contentTokens,
  cutAfterContent,
  fragments,
  type HeaderMap,
  isRecord,
  jsonChunk,
  type OutputPlan,
  parseControls,
  planTextOutput,
  type ResponsePlan,
  randomBase58,
  type SseEvent,
  textTokens,
} from './fake-common.js';
import { lowerKeys } from './fake-openai.js';
import { type FakeRequest, isUnknownModel } from './fake-request.js';

export interface AnthropicUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  output_tokens: number;
  service_tier: string;
  inference_geo: string;
}

/** Aliases → the dated model id Anthropic reports. Anything else is echoed back. */
export const ANTHROPIC_DATED_MODELS: Readonly<Record<string, string>> = {
  'claude-opus-4-5': 'claude-opus-4-5-20251101',
  'claude-sonnet-4-5': 'claude-sonnet-4-5-20250929',
  'claude-haiku-4-5': 'claude-haiku-4-5-20251001',
  'claude-opus-4-1': 'claude-opus-4-1-20250805',
  'claude-opus-4-0': 'claude-opus-4-20250514',
  'claude-sonnet-4-0': 'claude-sonnet-4-20250514',
  'claude-3-7-sonnet-latest': 'claude-3-7-sonnet-20250219',
  'claude-3-5-haiku-latest': 'claude-3-5-haiku-20241022',
};

export function anthropicResponseModel(model: string): string {
  return ANTHROPIC_DATED_MODELS[model] ?? model;
}

// ---------------------------------------------------------------------------------------------------------------
// Usage

/** Uncached input tokens for a Messages request (formula in fake-common.ts). */
export function anthropicInputTokens(requestJson: unknown): number {
  if (!isRecord(requestJson)) return 3;
  let n = 3 + contentTokens(requestJson.system);
  const messages = Array.isArray(requestJson.messages) ? requestJson.messages : [];
  for (const m of messages) {
    if (isRecord(m)) n += 4 + contentTokens(m.content);
  }
  if (Array.isArray(requestJson.tools) && requestJson.tools.length > 0) {
    n += textTokens(JSON.stringify(requestJson.tools));
  }
  return n;
}

interface ToolUsePlan {
  id: string;
  name: string;
  input: Record<string, unknown>;
  fragments: string[];
}

interface AnthropicGeneration {
  text: OutputPlan | null;
  toolUses: ToolUsePlan[] | null;
  stopReason: 'end_turn' | 'max_tokens' | 'tool_use';
  usage: AnthropicUsage;
}

function customTools(json: Record<string, unknown>): Record<string, unknown>[] {
  if (!Array.isArray(json.tools)) return [];
  return json.tools.filter(
    (t): t is Record<string, unknown> =>
      isRecord(t) &&
      typeof t.name === 'string' &&
      isRecord(t.input_schema) &&
      (t.type === undefined || t.type === 'custom'),
  );
}

function endsWithUserTurn(json: Record<string, unknown>): boolean {
  const messages = Array.isArray(json.messages) ? json.messages : [];
  const last = messages[messages.length - 1];
  if (!isRecord(last) || last.role !== 'user') return false;
  return !(Array.isArray(last.content) && last.content.some((b) => isRecord(b) && b.type === 'tool_result'));
}

function plannedToolUseCount(json: Record<string, unknown>, controls: Controls): number {
  if (customTools(json).length === 0) return 0;
  const choice = isRecord(json.tool_choice) ? json.tool_choice : { type: 'auto' };
  if (choice.type === 'none') return 0;
  const single = choice.disable_parallel_tool_use === true || choice.type === 'tool';
  if (controls.toolCalls !== undefined) return single ? Math.min(1, controls.toolCalls) : controls.toolCalls;
  if (choice.type === 'any' || choice.type === 'tool') return 1;
  return endsWithUserTurn(json) ? 1 : 0;
}

function planGeneration(json: Record<string, unknown>, controls: Controls): AnthropicGeneration {
  const writes = controls.cacheWriteTokens;
  const oneHour = JSON.stringify(json).includes('"ttl":"1h"');
  const baseUsage = {
    input_tokens: controls.promptTokens ?? anthropicInputTokens(json),
    cache_creation_input_tokens: writes,
    cache_read_input_tokens: controls.cachedTokens,
    cache_creation: {
      ephemeral_5m_input_tokens: oneHour ? 0 : writes,
      ephemeral_1h_input_tokens: oneHour ? writes : 0,
    },
  };
  const tier = controls.serviceTier ?? 'standard';
  const usage = (output: number): AnthropicUsage => ({
    ...baseUsage,
    output_tokens: output,
    service_tier: tier,
    inference_geo: 'not_available',
  });

  const nCalls = plannedToolUseCount(json, controls);
  if (nCalls > 0) {
    const tools = customTools(json);
    const choice = isRecord(json.tool_choice) ? json.tool_choice : {};
    const forced = choice.type === 'tool' && typeof choice.name === 'string' ? choice.name : undefined;
    const uses: ToolUsePlan[] = [];
    for (let i = 0; i < nCalls; i++) {
      const tool =
        (forced !== undefined ? tools.find((t) => t.name === forced) : undefined) ??
        (tools[i % tools.length] as Record<string, unknown>);
      const input = argumentsForSchema(tool.input_schema);
      uses.push({
        id: `toolu_01${randomBase58(22)}`,
        name: String(tool.name),
        input,
        fragments: fragments(JSON.stringify(input)),
      });
    }
    const output = controls.reasoningTokens + uses.reduce((s, u) => s + 1 + u.fragments.length, 0);
    return { text: null, toolUses: uses, stopReason: 'tool_use', usage: usage(output) };
  }
  const cap =
    typeof json.max_tokens === 'number' && json.max_tokens >= 0 ? Math.floor(json.max_tokens) : undefined;
  const out = planTextOutput(controls.pieces, controls.reasoningTokens, cap, controls.reply);
  return {
    text: out,
    toolUses: null,
    stopReason: out.truncated ? 'max_tokens' : 'end_turn',
    usage: usage(out.outputTokens),
  };
}

/**
 * The usage the fake computes for a Messages request with the given `x-fake-*` headers (the non-streaming
 * `usage`, and the cumulative usage of a stream: message_start input/cache fields + message_delta output_tokens).
 */
export function expectedAnthropicUsage(requestJson: unknown, headers: HeaderMap = {}): AnthropicUsage {
  const json = isRecord(requestJson) ? requestJson : {};
  return planGeneration(json, parseControls(lowerKeys(headers))).usage;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

export interface AnthropicErrorBody {
  type: string;
  message: string;
}

export function anthropicErrorForStatus(
  status: number,
  model: string,
): { status: number; error: AnthropicErrorBody } {
  switch (status) {
    case 400:
      return {
        status,
        error: {
          type: 'invalid_request_error',
          message:
            'messages: roles must alternate between "user" and "assistant", but found multiple "user" roles in a row',
        },
      };
    case 401:
      return { status, error: { type: 'authentication_error', message: 'invalid x-api-key' } };
    case 402:
      return {
        status,
        error: {
          type: 'billing_error',
          message: 'Your credit balance is too low to access the Anthropic API.',
        },
      };
    case 403:
      return {
        status,
        error: {
          type: 'permission_error',
          message: 'Your API key does not have permission to use the specified resource.',
        },
      };
    case 404:
      return { status, error: { type: 'not_found_error', message: `model: ${model}` } };
    case 413:
      return {
        status,
        error: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
      };
    case 429:
      return {
        status,
        error: {
          type: 'rate_limit_error',
          message:
            'This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.',
        },
      };
    case 500:
      return { status, error: { type: 'api_error', message: 'Internal server error' } };
    case 503:
    case 529:
      // Anthropic signals overload with 529 overloaded_error (never 503).
      return { status: 529, error: { type: 'overloaded_error', message: 'Overloaded' } };
    default:
      return {
        status,
        error: {
          type: status >= 500 ? 'api_error' : 'invalid_request_error',
          message: `Simulated HTTP ${status} from the fake upstream.`,
        },
      };
  }
}

interface PlanMeta {
  apiKey: string | null;
  model: string | null;
  stream: boolean;
}

function requestId(): string {
  return `req_011C${randomBase58(20)}`;
}

function baseHeaders(): Record<string, string> {
  return {
    'request-id': requestId(),
    'anthropic-organization-id': '7f3a2c1e-0b4d-4e5f-9a8b-1c2d3e4f5a6b',
    via: '1.1 google',
  };
}

function errorPlan(
  status: number,
  error: AnthropicErrorBody,
  meta: PlanMeta,
  retryAfter?: string,
): ResponsePlan {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...baseHeaders() };
  const body = { type: 'error', error, request_id: headers['request-id'] };
  headers['x-should-retry'] = String(status === 408 || status === 409 || status === 429 || status >= 500);
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
  return {
    status,
    headers,
    chunks: [jsonChunk(body)],
    sse: false,
    usage: null,
    usageChunkIndex: -1,
    plannedUsage: null,
    provider: 'anthropic',
    ...meta,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Handler

function rateLimitHeaders(inputTokens: number, maxTokens: number): Record<string, string> {
  const reset = new Date(Date.now() + 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    'anthropic-ratelimit-requests-limit': '4000',
    'anthropic-ratelimit-requests-remaining': '3999',
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-input-tokens-limit': '2000000',
    'anthropic-ratelimit-input-tokens-remaining': String(Math.max(0, 2000000 - inputTokens)),
    'anthropic-ratelimit-input-tokens-reset': reset,
    'anthropic-ratelimit-output-tokens-limit': '400000',
    'anthropic-ratelimit-output-tokens-remaining': String(Math.max(0, 400000 - maxTokens)),
    'anthropic-ratelimit-output-tokens-reset': reset,
    'anthropic-ratelimit-tokens-limit': '2400000',
    'anthropic-ratelimit-tokens-remaining': String(Math.max(0, 2400000 - inputTokens - maxTokens)),
    'anthropic-ratelimit-tokens-reset': reset,
  };
}

function sse(type: string, data: unknown): Buffer {
  return Buffer.from(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`, 'utf8');
}

/** The real API writes the ping payload with a space after the colon. */
const PING = 'event: ping\ndata: {"type": "ping"}\n\n';

export function handleAnthropic(req: FakeRequest): ResponsePlan {
  const { controls } = req;
  const json = isRecord(req.json) ? req.json : null;
  const meta: PlanMeta = {
    apiKey: null,
    model: json && typeof json.model === 'string' ? json.model : null,
    stream: json?.stream === true,
  };
  const countTokens = req.path.endsWith('/count_tokens');
  if (req.method !== 'POST') {
    return errorPlan(405, { type: 'invalid_request_error', message: `Method Not Allowed` }, meta);
  }

  // The API takes the key as `x-api-key`, or as `Authorization: Bearer <key>` (what current SDKs send).
  const rawKey = req.headers['x-api-key'];
  const auth = req.headers.authorization;
  const bearer = /^Bearer\s+(\S.*)$/i.exec((Array.isArray(auth) ? auth[0] : auth)?.trim() ?? '');
  const key =
    (Array.isArray(rawKey) ? rawKey[0] : rawKey)?.trim() ?? (bearer ? (bearer[1] as string).trim() : null);
  meta.apiKey = key;
  if (key === null || key === '') {
    return errorPlan(401, { type: 'authentication_error', message: 'x-api-key header is required' }, meta);
  }
  if (!req.acceptsKey('anthropic', key)) {
    return errorPlan(401, { type: 'authentication_error', message: 'invalid x-api-key' }, meta);
  }
  if (req.headers['anthropic-version'] === undefined) {
    return errorPlan(
      400,
      { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
      meta,
    );
  }

  if (controls.status !== undefined && controls.status >= 400) {
    const { status, error } = anthropicErrorForStatus(controls.status, meta.model ?? 'claude-sonnet-4-5');
    return errorPlan(status, error, meta, status === 429 || status === 529 ? controls.retryAfter : undefined);
  }

  if (req.jsonError || json === null) {
    return errorPlan(
      400,
      {
        type: 'invalid_request_error',
        message: 'There was an error parsing the body of your request. Please make sure it is valid JSON.',
      },
      meta,
    );
  }
  if (typeof json.model !== 'string' || json.model === '') {
    return errorPlan(400, { type: 'invalid_request_error', message: 'model: Field required' }, meta);
  }
  if (!Array.isArray(json.messages)) {
    return errorPlan(400, { type: 'invalid_request_error', message: 'messages: Field required' }, meta);
  }
  if (!countTokens) {
    if (json.max_tokens === undefined) {
      return errorPlan(400, { type: 'invalid_request_error', message: 'max_tokens: Field required' }, meta);
    }
    if (typeof json.max_tokens !== 'number' || !Number.isInteger(json.max_tokens) || json.max_tokens < 1) {
      return errorPlan(
        400,
        { type: 'invalid_request_error', message: 'max_tokens: Input should be greater than or equal to 1' },
        meta,
      );
    }
  }
  if (json.messages.length === 0) {
    return errorPlan(
      400,
      { type: 'invalid_request_error', message: 'messages: at least one message is required' },
      meta,
    );
  }
  if (isUnknownModel(json.model)) {
    return errorPlan(404, { type: 'not_found_error', message: `model: ${json.model}` }, meta);
  }

  const gen = planGeneration(json, controls);
  if (countTokens) {
    return {
      status: 200,
      headers: { 'content-type': 'application/json', ...baseHeaders() },
      chunks: [jsonChunk({ input_tokens: gen.usage.input_tokens })],
      sse: false,
      usage: null,
      usageChunkIndex: -1,
      plannedUsage: null,
      provider: 'anthropic',
      ...meta,
      stream: false,
    };
  }

  const model = anthropicResponseModel(json.model);
  const id = `msg_01${randomBase58(22)}`;
  const headers: Record<string, string> = {
    'content-type': meta.stream ? 'text/event-stream; charset=utf-8' : 'application/json',
    ...baseHeaders(),
    ...rateLimitHeaders(gen.usage.input_tokens, json.max_tokens as number),
  };
  if (meta.stream) headers['cache-control'] = 'no-cache';

  if (!meta.stream) {
    const content: unknown[] = [];
    if (gen.toolUses) {
      for (const u of gen.toolUses)
        content.push({ type: 'tool_use', id: u.id, name: u.name, input: u.input });
    } else if (gen.text && gen.text.pieces.length > 0) {
      content.push({ type: 'text', text: gen.text.pieces.join('') });
    }
    const body = {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: gen.stopReason,
      stop_sequence: null,
      usage: gen.usage,
    };
    return {
      status: 200,
      headers,
      chunks: [jsonChunk(body)],
      sse: false,
      usage: gen.usage,
      usageChunkIndex: 0,
      plannedUsage: gen.usage,
      provider: 'anthropic',
      ...meta,
    };
  }

  // Streaming.
  const finalOutput = gen.usage.output_tokens;
  const events: SseEvent[] = [
    {
      buf: sse('message_start', {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...gen.usage, output_tokens: Math.min(1, finalOutput) },
        },
      }),
      content: false,
    },
  ];
  let pinged = false;
  const ping = () => {
    if (!pinged) events.push({ buf: Buffer.from(PING, 'utf8'), content: false });
    pinged = true;
  };
  if (gen.toolUses) {
    gen.toolUses.forEach((u, index) => {
      events.push({
        buf: sse('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: u.id, name: u.name, input: {} },
        }),
        content: false,
      });
      ping();
      const delta = (partial: string) =>
        sse('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: partial },
        });
      events.push({ buf: delta(''), content: false });
      for (const f of u.fragments) events.push({ buf: delta(f), content: true });
      events.push({ buf: sse('content_block_stop', { type: 'content_block_stop', index }), content: false });
    });
  } else if (gen.text && gen.text.pieces.length > 0) {
    events.push({
      buf: sse('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }),
      content: false,
    });
    ping();
    for (const p of gen.text.pieces) {
      events.push({
        buf: sse('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: p },
        }),
        content: true,
      });
    }
    events.push({ buf: sse('content_block_stop', { type: 'content_block_stop', index: 0 }), content: false });
  }
  ping();

  const chunks = events.map((e) => e.buf);
  let usage: AnthropicUsage | null = null;
  let usageChunkIndex = -1;
  if (controls.streamErrorAfter !== undefined) {
    chunks.length = cutAfterContent(events, controls.streamErrorAfter);
    chunks.push(sse('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
  } else {
    const deltaUsage =
      controls.anthropicDeltaUsage === 'full'
        ? {
            input_tokens: gen.usage.input_tokens,
            cache_creation_input_tokens: gen.usage.cache_creation_input_tokens,
            cache_read_input_tokens: gen.usage.cache_read_input_tokens,
            output_tokens: finalOutput,
          }
        : { output_tokens: finalOutput };
    chunks.push(
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: gen.stopReason, stop_sequence: null },
        usage: deltaUsage,
      }),
    );
    usageChunkIndex = chunks.length - 1;
    usage = gen.usage;
    chunks.push(sse('message_stop', { type: 'message_stop' }));
  }
  return {
    status: 200,
    headers,
    chunks,
    sse: true,
    usage,
    usageChunkIndex,
    plannedUsage: gen.usage,
    provider: 'anthropic',
    ...meta,
  };
}

/** Anthropic's answer to a path it does not serve. */
export function anthropicNotFound(_req: FakeRequest): ResponsePlan {
  return errorPlan(
    404,
    { type: 'not_found_error', message: 'Not Found' },
    { apiKey: null, model: null, stream: false },
  );
}
