// Anthropic Messages API (`POST /v1/messages`): request validation, usage extraction and stream observing.
import { type SseEvent, SseStreamObserver } from './sse.js';
import {
  type ChatMessage,
  type JsonResponseSummary,
  type ParsedRequest,
  type ProviderAdapter,
  RequestError,
  type StreamError,
  type StreamObserver,
  type ToolDefinition,
  type UpstreamRequestPlan,
  type Usage,
} from './types.js';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Anthropic validates with pydantic and answers `<dotted.path>: <reason>`, e.g. `max_tokens: Field
// required`; the same wording here keeps the gateway's rejections indistinguishable from Anthropic's.
function invalid(path: string, reason: string, code: string): RequestError {
  return new RequestError(400, 'invalid_request_error', `${path}: ${reason}`, path, code);
}

const EXPECTED = {
  string: 'Input should be a valid string',
  integer: 'Input should be a valid integer',
  boolean: 'Input should be a valid boolean',
  list: 'Input should be a valid list',
  dict: 'Input should be a valid dictionary',
} as const;

function field(obj: Json, key: string, path: string, required: boolean): unknown {
  const value = obj[key];
  if (value === undefined && required) throw invalid(path, 'Field required', 'missing');
  return value;
}

function readString(obj: Json, key: string, path: string, required: boolean): string | undefined {
  const value = field(obj, key, path, required);
  if (value === undefined || (value === null && !required)) return undefined;
  if (typeof value !== 'string') throw invalid(path, EXPECTED.string, 'invalid_type');
  return value;
}

function readDict(obj: Json, key: string, path: string, required: boolean): Json | undefined {
  const value = field(obj, key, path, required);
  if (value === undefined || (value === null && !required)) return undefined;
  if (!isRecord(value)) throw invalid(path, EXPECTED.dict, 'invalid_type');
  return value;
}

function asList(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(path, EXPECTED.list, 'invalid_type');
  return value;
}

function asDict(value: unknown, path: string): Json {
  if (!isRecord(value)) throw invalid(path, EXPECTED.dict, 'invalid_type');
  return value;
}

function serialise(value: unknown, path: string): string {
  try {
    return JSON.stringify(value);
  } catch {
    // JSON.stringify recurses: input nested deeply enough to exhaust the stack is hostile, not a tool call.
    throw invalid(path, 'Input is nested too deeply', 'too_deep');
  }
}

/** Adds one content block's text, images and tool calls to `message`; tool results are handled by the caller. */
function addBlock(block: Json, path: string, message: ChatMessage): void {
  const type = readString(block, 'type', `${path}.type`, true);
  switch (type) {
    case 'text':
      message.texts.push(readString(block, 'text', `${path}.text`, true) as string);
      break;
    case 'image':
      readDict(block, 'source', `${path}.source`, true);
      message.imageCount++;
      break;
    case 'document':
      readDict(block, 'source', `${path}.source`, true);
      break;
    case 'tool_use':
    case 'server_tool_use': {
      const id = readString(block, 'id', `${path}.id`, true) as string;
      const name = readString(block, 'name', `${path}.name`, true) as string;
      const input = readDict(block, 'input', `${path}.input`, true);
      message.toolCalls.push({ id, name, arguments: serialise(input, `${path}.input`) });
      break;
    }
    case 'thinking':
      // Counted as text: recent models keep earlier thinking in context, and over-estimating the
      // prompt is the safe side for a budget check.
      message.texts.push(readString(block, 'thinking', `${path}.thinking`, true) as string);
      readString(block, 'signature', `${path}.signature`, false);
      break;
    case 'redacted_thinking':
      readString(block, 'data', `${path}.data`, true);
      break;
    default:
      // Newer block types (search results, server tool results...) pass on for Anthropic to judge.
      break;
  }
}

/**
 * Flattens one message. Each `tool_result` block becomes its own `tool` message (as in OpenAI's model),
 * so policy code sees one shape for both providers; the remaining blocks stay in the original message.
 */
function parseMessage(raw: unknown, path: string): ChatMessage[] {
  const msg = asDict(raw, path);
  const role = readString(msg, 'role', `${path}.role`, true);
  if (role !== 'user' && role !== 'assistant') {
    throw invalid(`${path}.role`, "Input should be 'user' or 'assistant'", 'invalid_value');
  }
  const message: ChatMessage = { role, texts: [], toolCalls: [], imageCount: 0 };
  const content = field(msg, 'content', `${path}.content`, true);
  if (typeof content === 'string') {
    message.texts.push(content);
    return [message];
  }
  const blocks = asList(content, `${path}.content`);
  const results: ChatMessage[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const p = `${path}.content.${i}`;
    const block = asDict(blocks[i], p);
    if (block.type !== 'tool_result') {
      addBlock(block, p, message);
      continue;
    }
    const result: ChatMessage = {
      role: 'tool',
      texts: [],
      toolCalls: [],
      toolCallId: readString(block, 'tool_use_id', `${p}.tool_use_id`, true) as string,
      imageCount: 0,
    };
    const inner = block.content;
    if (typeof inner === 'string') result.texts.push(inner);
    else if (inner !== undefined && inner !== null) {
      const innerBlocks = asList(inner, `${p}.content`);
      for (let j = 0; j < innerBlocks.length; j++) {
        addBlock(asDict(innerBlocks[j], `${p}.content.${j}`), `${p}.content.${j}`, result);
      }
    }
    const isError = block.is_error;
    if (isError !== undefined && isError !== null && typeof isError !== 'boolean') {
      throw invalid(`${p}.is_error`, EXPECTED.boolean, 'invalid_type');
    }
    results.push(result);
  }
  const hasRest = message.texts.length > 0 || message.toolCalls.length > 0 || message.imageCount > 0;
  if (hasRest || results.length === 0) results.push(message);
  return results;
}

function parseSystem(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  const blocks = asList(value, 'system');
  return blocks.map((raw, i) => {
    const block = asDict(raw, `system.${i}`);
    if (block.type !== 'text') throw invalid(`system.${i}.type`, "Input should be 'text'", 'invalid_value');
    return readString(block, 'text', `system.${i}.text`, true) as string;
  });
}

function parseTools(value: unknown): ToolDefinition[] {
  if (value === undefined || value === null) return [];
  return asList(value, 'tools').map((raw, i) => {
    const entry = asDict(raw, `tools.${i}`);
    const type = readString(entry, 'type', `tools.${i}.type`, false);
    const tool: ToolDefinition = { name: readString(entry, 'name', `tools.${i}.name`, true) as string };
    const description = readString(entry, 'description', `tools.${i}.description`, false);
    if (description !== undefined) tool.description = description;
    // Server tools (`web_search_20250305`...) have a versioned type and no schema; custom tools need one.
    const custom = type === undefined || type === 'custom';
    const schema = readDict(entry, 'input_schema', `tools.${i}.input_schema`, custom);
    if (schema !== undefined) tool.parameters = schema;
    return tool;
  });
}

function parseRequest(body: unknown): ParsedRequest {
  if (!isRecord(body)) {
    throw new RequestError(
      400,
      'invalid_request_error',
      'Request body must be a JSON object',
      null,
      'invalid_body',
    );
  }
  const model = readString(body, 'model', 'model', true) as string;
  if (model === '') throw invalid('model', 'String should have at least 1 character', 'empty_string');
  const maxTokens = field(body, 'max_tokens', 'max_tokens', true);
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens)) {
    throw invalid('max_tokens', EXPECTED.integer, 'invalid_type');
  }
  if (maxTokens < 1) throw invalid('max_tokens', 'Input should be greater than or equal to 1', 'too_small');
  const stream = body.stream ?? false;
  if (typeof stream !== 'boolean') throw invalid('stream', EXPECTED.boolean, 'invalid_type');
  const rawMessages = asList(field(body, 'messages', 'messages', true), 'messages');
  if (rawMessages.length === 0) {
    throw invalid('messages', 'List should have at least 1 item after validation, not 0', 'too_short');
  }
  const messages = rawMessages.flatMap((m, i) => parseMessage(m, `messages.${i}`));
  return {
    provider: 'anthropic',
    model,
    stream,
    maxTokens,
    system: parseSystem(body.system),
    messages,
    tools: parseTools(body.tools),
    body,
  };
}

function planUpstreamRequest(_request: ParsedRequest): UpstreamRequestPlan {
  // Anthropic always reports usage, streamed or not: nothing to add.
  return { body: null, stripInjectedUsage: false };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** Anthropic's raw usage fields; `input_tokens` excludes the cache reads and writes. */
interface RawUsage {
  input: number;
  cacheWrite: number;
  cacheRead: number;
  output: number;
}

function toUsage(raw: RawUsage): Usage {
  return {
    inputTokens: raw.input + raw.cacheWrite + raw.cacheRead,
    cacheReadTokens: raw.cacheRead,
    cacheWriteTokens: raw.cacheWrite,
    outputTokens: raw.output,
    // Anthropic bills thinking as ordinary output and does not report it separately.
    reasoningTokens: 0,
  };
}

/** Overwrites the fields present in `usage`: stream values are cumulative, never increments. */
function mergeUsage(into: RawUsage, usage: Json): void {
  if (typeof usage.input_tokens === 'number') into.input = count(usage.input_tokens);
  if (typeof usage.cache_creation_input_tokens === 'number') {
    into.cacheWrite = count(usage.cache_creation_input_tokens);
  }
  if (typeof usage.cache_read_input_tokens === 'number')
    into.cacheRead = count(usage.cache_read_input_tokens);
  if (typeof usage.output_tokens === 'number') into.output = count(usage.output_tokens);
}

export function anthropicUsage(usage: Json): Usage {
  const raw: RawUsage = { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 };
  mergeUsage(raw, usage);
  return toUsage(raw);
}

function streamError(error: Json): StreamError {
  return {
    type: typeof error.type === 'string' ? error.type : 'error',
    message: typeof error.message === 'string' ? error.message : '',
  };
}

function summariseJsonResponse(body: unknown): JsonResponseSummary {
  if (!isRecord(body)) return { usage: null, model: null, error: null };
  return {
    usage: isRecord(body.usage) ? anthropicUsage(body.usage) : null,
    model: typeof body.model === 'string' && body.model !== '' ? body.model : null,
    error: body.type === 'error' && isRecord(body.error) ? streamError(body.error) : null,
  };
}

// Deltas make up nearly all of a stream and carry nothing we account for; skip parsing them.
const IGNORED_EVENTS = new Set(['content_block_start', 'content_block_delta', 'content_block_stop', 'ping']);

class AnthropicStreamObserver extends SseStreamObserver {
  private readonly raw: RawUsage = { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 };

  constructor() {
    // Never rewrites: Anthropic reports usage unasked, so there is nothing to hide from the client.
    super(false);
  }

  protected onEvent(event: SseEvent & { data: string }): undefined {
    if (event.event !== null && IGNORED_EVENTS.has(event.event)) return undefined;
    let payload: unknown;
    try {
      payload = JSON.parse(event.data);
    } catch {
      return undefined;
    }
    if (!isRecord(payload)) return undefined;
    const type = typeof payload.type === 'string' ? payload.type : event.event;
    if (type === 'message_start' && isRecord(payload.message)) {
      const message = payload.message;
      if (typeof message.model === 'string' && message.model !== '') this.currentModel = message.model;
      if (isRecord(message.usage)) this.applyUsage(message.usage);
    } else if (type === 'message_delta' && isRecord(payload.usage)) {
      this.applyUsage(payload.usage);
    } else if (type === 'error' && isRecord(payload.error)) {
      this.currentError = streamError(payload.error);
    }
    return undefined;
  }

  private applyUsage(usage: Json): void {
    mergeUsage(this.raw, usage);
    this.currentUsage = toUsage(this.raw);
  }
}

function createStreamObserver(_options: { stripInjectedUsage: boolean }): StreamObserver {
  return new AnthropicStreamObserver();
}

function errorBody(error: { status: number; type: string; message: string }): string {
  return JSON.stringify({ type: 'error', error: { type: error.type, message: error.message } });
}

export const anthropicAdapter: ProviderAdapter = {
  provider: 'anthropic',
  parseRequest,
  planUpstreamRequest,
  summariseJsonResponse,
  createStreamObserver,
  errorBody,
};
