// OpenAI Chat Completions (`POST /v1/chat/completions`): request validation, usage extraction and the
// stream observer that can hide the usage reporting the gateway asked for on the client's behalf.
import { type SseEvent, SseStreamObserver } from './sse.js';
import {
  type ChatMessage,
  type ChatToolCall,
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

// Error texts follow OpenAI's own wording (see the recorded `chat-no-messages` answer) so that clients
// and SDKs see the same kind of message whether the gateway or OpenAI rejected the request.
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value;
}

function invalidType(param: string, expected: string, got: unknown): RequestError {
  const message = `Invalid type for '${param}': expected ${expected}, but got ${describe(got)} instead.`;
  return new RequestError(400, 'invalid_request_error', message, param, 'invalid_type');
}

function missing(param: string): RequestError {
  const message = `Missing required parameter: '${param}'.`;
  return new RequestError(400, 'invalid_request_error', message, param, 'missing_required_parameter');
}

/** A string field; `null` counts as absent unless the field is required. */
function readString(obj: Json, key: string, param: string, required: boolean): string | undefined {
  const value = obj[key];
  if (value === undefined || (value === null && !required)) {
    if (required) throw missing(param);
    return undefined;
  }
  if (typeof value !== 'string') throw invalidType(param, 'a string', value);
  return value;
}

function readObject(obj: Json, key: string, param: string, required: boolean): Json | undefined {
  const value = obj[key];
  if (value === undefined || (value === null && !required)) {
    if (required) throw missing(param);
    return undefined;
  }
  if (!isRecord(value)) throw invalidType(param, 'an object', value);
  return value;
}

function readArray(obj: Json, key: string, param: string): unknown[] | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalidType(param, 'an array', value);
  return value;
}

function readTokenLimit(body: Json, key: string): number | null {
  const value = body[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidType(key, 'an integer', value);
  if (value < 1) {
    const message = `Invalid '${key}': integer below minimum value. Expected a value >= 1, but got ${value} instead.`;
    throw new RequestError(400, 'invalid_request_error', message, key, 'integer_below_min_value');
  }
  return value;
}

function parseContent(content: unknown, param: string, message: ChatMessage): void {
  if (typeof content === 'string') {
    message.texts.push(content);
    return;
  }
  if (!Array.isArray(content)) throw invalidType(param, 'one of a string or array of objects', content);
  for (let i = 0; i < content.length; i++) {
    const part: unknown = content[i];
    const p = `${param}[${i}]`;
    if (!isRecord(part)) throw invalidType(p, 'an object', part);
    const type = readString(part, 'type', `${p}.type`, true);
    if (type === 'text') {
      message.texts.push(readString(part, 'text', `${p}.text`, true) as string);
    } else if (type === 'refusal') {
      message.texts.push(readString(part, 'refusal', `${p}.refusal`, true) as string);
    } else if (type === 'image_url') {
      const image = readObject(part, 'image_url', `${p}.image_url`, true) as Json;
      readString(image, 'url', `${p}.image_url.url`, true);
      message.imageCount++;
    } else if (type === 'input_audio') {
      const audio = readObject(part, 'input_audio', `${p}.input_audio`, true) as Json;
      readString(audio, 'data', `${p}.input_audio.data`, true);
      readString(audio, 'format', `${p}.input_audio.format`, true);
    } else if (type === 'file') {
      readObject(part, 'file', `${p}.file`, true);
    }
    // Part types added by OpenAI later pass on unchecked: OpenAI itself is the authority on them.
  }
}

function parseToolCalls(calls: unknown[], param: string): ChatToolCall[] {
  const out: ChatToolCall[] = [];
  for (let i = 0; i < calls.length; i++) {
    const call: unknown = calls[i];
    const p = `${param}[${i}]`;
    if (!isRecord(call)) throw invalidType(p, 'an object', call);
    const id = readString(call, 'id', `${p}.id`, false);
    const type = readString(call, 'type', `${p}.type`, false) ?? 'function';
    if (type === 'function') {
      const fn = readObject(call, 'function', `${p}.function`, true) as Json;
      const name = readString(fn, 'name', `${p}.function.name`, true) as string;
      const args = readString(fn, 'arguments', `${p}.function.arguments`, true) as string;
      out.push(id === undefined ? { name, arguments: args } : { id, name, arguments: args });
    } else if (type === 'custom') {
      const custom = readObject(call, 'custom', `${p}.custom`, true) as Json;
      const name = readString(custom, 'name', `${p}.custom.name`, true) as string;
      const input = readString(custom, 'input', `${p}.custom.input`, true) as string;
      out.push(id === undefined ? { name, arguments: input } : { id, name, arguments: input });
    }
  }
  return out;
}

function parseMessage(raw: unknown, param: string): ChatMessage {
  if (!isRecord(raw)) throw invalidType(param, 'an object', raw);
  // Any string role is accepted: OpenAI validates roles itself, and a role it adds later should not
  // need a gateway release. Only the shapes we read are checked here.
  const role = readString(raw, 'role', `${param}.role`, true) as string;
  const message: ChatMessage = { role, texts: [], toolCalls: [], imageCount: 0 };
  const content = raw.content;
  if (content === undefined || content === null) {
    // Assistant turns may carry only tool calls (content null or omitted); everyone else must speak.
    if (role !== 'assistant') {
      if (content === undefined) throw missing(`${param}.content`);
      throw invalidType(`${param}.content`, 'one of a string or array of objects', content);
    }
  } else {
    parseContent(content, `${param}.content`, message);
  }
  const toolCalls = readArray(raw, 'tool_calls', `${param}.tool_calls`);
  if (toolCalls) message.toolCalls = parseToolCalls(toolCalls, `${param}.tool_calls`);
  const legacyCall = readObject(raw, 'function_call', `${param}.function_call`, false);
  if (legacyCall) {
    message.toolCalls.push({
      name: readString(legacyCall, 'name', `${param}.function_call.name`, true) as string,
      arguments: readString(legacyCall, 'arguments', `${param}.function_call.arguments`, true) as string,
    });
  }
  const toolCallId = readString(raw, 'tool_call_id', `${param}.tool_call_id`, role === 'tool');
  if (toolCallId !== undefined) message.toolCallId = toolCallId;
  readString(raw, 'name', `${param}.name`, false);
  return message;
}

function parseFunction(fn: Json, param: string): ToolDefinition {
  const tool: ToolDefinition = { name: readString(fn, 'name', `${param}.name`, true) as string };
  const description = readString(fn, 'description', `${param}.description`, false);
  if (description !== undefined) tool.description = description;
  const parameters = readObject(fn, 'parameters', `${param}.parameters`, false);
  if (parameters !== undefined) tool.parameters = parameters;
  return tool;
}

function parseTools(body: Json): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  const list = readArray(body, 'tools', 'tools') ?? [];
  for (let i = 0; i < list.length; i++) {
    const entry: unknown = list[i];
    const p = `tools[${i}]`;
    if (!isRecord(entry)) throw invalidType(p, 'an object', entry);
    const type = readString(entry, 'type', `${p}.type`, true);
    if (type === 'function') {
      tools.push(
        parseFunction(readObject(entry, 'function', `${p}.function`, true) as Json, `${p}.function`),
      );
    } else if (type === 'custom') {
      tools.push(parseFunction(readObject(entry, 'custom', `${p}.custom`, true) as Json, `${p}.custom`));
    }
  }
  // The deprecated `functions` list still works upstream and still costs prompt tokens.
  const legacy = readArray(body, 'functions', 'functions') ?? [];
  for (let i = 0; i < legacy.length; i++) {
    const fn: unknown = legacy[i];
    if (!isRecord(fn)) throw invalidType(`functions[${i}]`, 'an object', fn);
    tools.push(parseFunction(fn, `functions[${i}]`));
  }
  return tools;
}

function parseRequest(body: unknown): ParsedRequest {
  if (!isRecord(body)) {
    const message = `Invalid request body: expected a JSON object, but got ${describe(body)} instead.`;
    throw new RequestError(400, 'invalid_request_error', message, null, 'invalid_body');
  }
  const model = readString(body, 'model', 'model', true) as string;
  if (model === '') {
    const message =
      "Invalid 'model': empty string. Expected a string with minimum length 1, but got an empty string instead.";
    throw new RequestError(400, 'invalid_request_error', message, 'model', 'empty_string');
  }
  const stream = body.stream ?? false;
  if (typeof stream !== 'boolean') throw invalidType('stream', 'a boolean', stream);
  readObject(body, 'stream_options', 'stream_options', false);
  // Both are checked even though max_completion_tokens wins, so a bad legacy value is not silently kept.
  const maxCompletion = readTokenLimit(body, 'max_completion_tokens');
  const maxLegacy = readTokenLimit(body, 'max_tokens');

  const rawMessages = body.messages;
  if (rawMessages === undefined) throw missing('messages');
  if (!Array.isArray(rawMessages)) throw invalidType('messages', 'an array', rawMessages);
  if (rawMessages.length === 0) {
    const message =
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.";
    throw new RequestError(400, 'invalid_request_error', message, 'messages', 'empty_array');
  }
  const messages = rawMessages.map((m: unknown, i) => parseMessage(m, `messages[${i}]`));

  return {
    provider: 'openai',
    model,
    stream,
    maxTokens: maxCompletion ?? maxLegacy,
    system: [],
    messages,
    tools: parseTools(body),
    body,
  };
}

function planUpstreamRequest(request: ParsedRequest): UpstreamRequestPlan {
  const options = request.body.stream_options;
  if (!request.stream || (isRecord(options) && options.include_usage === true)) {
    return { body: null, stripInjectedUsage: false };
  }
  // Without include_usage a stream reports no usage at all, and the gateway cannot bill what it cannot see.
  const streamOptions = { ...(isRecord(options) ? options : {}), include_usage: true };
  return { body: { ...request.body, stream_options: streamOptions }, stripInjectedUsage: true };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** OpenAI's prompt_tokens already include cached tokens and completion_tokens include reasoning. */
export function openaiUsage(usage: Json): Usage {
  const prompt = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const completion = isRecord(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  return {
    inputTokens: count(usage.prompt_tokens),
    cacheReadTokens: count(prompt.cached_tokens),
    cacheWriteTokens: 0,
    outputTokens: count(usage.completion_tokens),
    reasoningTokens: count(completion.reasoning_tokens),
  };
}

function streamError(error: Json): StreamError {
  return {
    type: typeof error.type === 'string' ? error.type : typeof error.code === 'string' ? error.code : 'error',
    message: typeof error.message === 'string' ? error.message : '',
  };
}

function summariseJsonResponse(body: unknown): JsonResponseSummary {
  if (!isRecord(body)) return { usage: null, model: null, error: null };
  return {
    usage: isRecord(body.usage) ? openaiUsage(body.usage) : null,
    model: typeof body.model === 'string' && body.model !== '' ? body.model : null,
    error: isRecord(body.error) ? streamError(body.error) : null,
  };
}

const NULL_USAGE = Buffer.from(',"usage":null');

/**
 * Removes the top-level `,"usage":null` member from a compact JSON event. The literal cannot occur
 * inside a JSON string (its quotes would be escaped), so every occurrence is a real member; the last
 * one is top-level exactly when the bytes after it close one more bracket than they open.
 */
function withoutNullUsage(raw: Buffer): Buffer | undefined {
  const at = raw.lastIndexOf(NULL_USAGE);
  if (at === -1) return undefined;
  const after = at + NULL_USAGE.length;
  let depth = 0;
  let inString = false;
  for (let i = after; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      // A backslash escapes the next byte, which therefore cannot end the string.
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  if (depth !== -1) return undefined;
  return Buffer.concat([raw.subarray(0, at), raw.subarray(after)]);
}

class OpenAIStreamObserver extends SseStreamObserver {
  constructor(private readonly strip: boolean) {
    super(strip);
  }

  protected onEvent(event: SseEvent & { data: string }): Buffer | null | undefined {
    const data = event.data;
    if (data === '[DONE]') return undefined;
    // Parsing every content delta would cost more than everything else here; only the first chunk
    // (model), the usage chunk and error events carry anything we need.
    const wanted =
      this.currentModel === null ||
      data.includes('"error"') ||
      (data.includes('"usage"') && !data.includes('"usage":null'));
    if (wanted) {
      let chunk: unknown;
      try {
        chunk = JSON.parse(data);
      } catch {
        return undefined;
      }
      if (!isRecord(chunk)) return undefined;
      if (typeof chunk.model === 'string' && chunk.model !== '') this.currentModel = chunk.model;
      if (isRecord(chunk.error)) this.currentError = streamError(chunk.error);
      if (isRecord(chunk.usage)) {
        this.currentUsage = openaiUsage(chunk.usage);
        // The chunk include_usage adds: no choices, only usage. A client that did not ask never sees it.
        if (this.strip && Array.isArray(chunk.choices) && chunk.choices.length === 0) return null;
      }
    }
    return this.strip ? withoutNullUsage(event.raw) : undefined;
  }
}

function createStreamObserver(options: { stripInjectedUsage: boolean }): StreamObserver {
  return new OpenAIStreamObserver(options.stripInjectedUsage);
}

function errorBody(error: {
  status: number;
  type: string;
  message: string;
  param?: string | null;
  code?: string | null;
}): string {
  return JSON.stringify({
    error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code ?? null },
  });
}

export const openaiAdapter: ProviderAdapter = {
  provider: 'openai',
  parseRequest,
  planUpstreamRequest,
  summariseJsonResponse,
  createStreamObserver,
  errorBody,
};
