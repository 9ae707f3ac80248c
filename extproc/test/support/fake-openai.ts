/**
 * Fake OpenAI Chat Completions (`POST …/chat/completions`), shaped like the real recordings in
 * /work/shared/recordings/openai (field order, SSE framing, `usage: null` + final usage chunk only with
 * `stream_options.include_usage`, `obfuscation`, error bodies).
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
  randomHex,
  randomString,
  type SseEvent,
  textTokens,
} from './fake-common.js';
import { type FakeRequest, isUnknownModel } from './fake-request.js';

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

export interface OpenAIErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** Requested model → the dated model name OpenAI reports. Unknown names are echoed back. */
export const OPENAI_DATED_MODELS: Readonly<Record<string, string>> = {
  'gpt-5': 'gpt-5-2025-08-07',
  'gpt-5-mini': 'gpt-5-mini-2025-08-07',
  'gpt-5-nano': 'gpt-5-nano-2025-08-07',
  'gpt-4.1': 'gpt-4.1-2025-04-14',
  'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
  'gpt-4.1-nano': 'gpt-4.1-nano-2025-04-14',
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4o-mini-search-preview': 'gpt-4o-mini-search-preview-2025-03-11',
  'gpt-4o-search-preview': 'gpt-4o-search-preview-2025-03-11',
  o1: 'o1-2024-12-17',
  o3: 'o3-2025-04-16',
  'o3-mini': 'o3-mini-2025-01-31',
  'o4-mini': 'o4-mini-2025-04-16',
  'gpt-3.5-turbo': 'gpt-3.5-turbo-0125',
};

export function openAIResponseModel(model: string): string {
  return OPENAI_DATED_MODELS[model] ?? model;
}

// ---------------------------------------------------------------------------------------------------------------
// Usage

/** Uncached prompt tokens for a chat.completions request (formula in fake-common.ts). */
export function openAIPromptTokens(requestJson: unknown): number {
  if (!isRecord(requestJson)) return 3;
  let n = 3;
  const messages = Array.isArray(requestJson.messages) ? requestJson.messages : [];
  for (const m of messages) {
    if (!isRecord(m)) continue;
    n += 4 + contentTokens(m.content);
    if (typeof m.name === 'string') n += textTokens(m.name);
    if (Array.isArray(m.tool_calls)) n += textTokens(JSON.stringify(m.tool_calls));
  }
  if (Array.isArray(requestJson.tools) && requestJson.tools.length > 0) {
    n += textTokens(JSON.stringify(requestJson.tools));
  }
  return n;
}

interface ToolCallPlan {
  id: string;
  name: string;
  arguments: string;
  fragments: string[];
}

interface OpenAIGeneration {
  promptTokens: number;
  cachedTokens: number;
  text: OutputPlan | null;
  toolCalls: ToolCallPlan[] | null;
  completionTokens: number;
  reasoningTokens: number;
  finishReason: 'stop' | 'length' | 'tool_calls';
  usage: OpenAIUsage;
}

function buildUsage(prompt: number, cached: number, completion: number, reasoning: number): OpenAIUsage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function functionTools(json: Record<string, unknown>): Record<string, unknown>[] {
  if (!Array.isArray(json.tools)) return [];
  return json.tools.filter(
    (t): t is Record<string, unknown> =>
      isRecord(t) && t.type === 'function' && isRecord(t.function) && typeof t.function.name === 'string',
  );
}

/** How many tool calls the fake makes (0 = answer with text). */
function plannedToolCallCount(json: Record<string, unknown>, controls: Controls): number {
  const tools = functionTools(json);
  if (tools.length === 0) return 0;
  const choice = json.tool_choice;
  if (choice === 'none') return 0;
  const single = json.parallel_tool_calls === false || isRecord(choice);
  if (controls.toolCalls !== undefined) return single ? Math.min(1, controls.toolCalls) : controls.toolCalls;
  if (choice === 'required' || isRecord(choice)) return 1;
  // "auto": call a tool when the conversation ends with a user turn; answer with text after tool results.
  const messages = Array.isArray(json.messages) ? json.messages : [];
  const last = messages[messages.length - 1];
  return isRecord(last) && last.role === 'user' ? 1 : 0;
}

function planGeneration(json: Record<string, unknown>, controls: Controls): OpenAIGeneration {
  const promptBase = controls.promptTokens ?? openAIPromptTokens(json);
  const cached = controls.cachedTokens;
  const promptTokens = promptBase + cached;
  const nCalls = plannedToolCallCount(json, controls);
  if (nCalls > 0) {
    const tools = functionTools(json);
    const choice = json.tool_choice;
    const forcedName =
      isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string'
        ? choice.function.name
        : undefined;
    const calls: ToolCallPlan[] = [];
    for (let i = 0; i < nCalls; i++) {
      const tool =
        (forcedName !== undefined
          ? tools.find((t) => (t.function as Record<string, unknown>).name === forcedName)
          : undefined) ?? (tools[i % tools.length] as Record<string, unknown>);
      const fn = tool.function as Record<string, unknown>;
      const args = JSON.stringify(argumentsForSchema(fn.parameters));
      calls.push({
        id: `call_${randomString(24)}`,
        name: String(fn.name),
        arguments: args,
        fragments: fragments(args),
      });
    }
    const reasoning = controls.reasoningTokens;
    const completion = reasoning + calls.reduce((s, c) => s + 1 + c.fragments.length, 0);
    return {
      promptTokens,
      cachedTokens: cached,
      text: null,
      toolCalls: calls,
      completionTokens: completion,
      reasoningTokens: reasoning,
      finishReason: 'tool_calls',
      usage: buildUsage(promptTokens, cached, completion, reasoning),
    };
  }
  const capRaw = json.max_completion_tokens ?? json.max_tokens;
  const cap = typeof capRaw === 'number' && capRaw >= 0 ? Math.floor(capRaw) : undefined;
  const out = planTextOutput(controls.pieces, controls.reasoningTokens, cap, controls.reply);
  return {
    promptTokens,
    cachedTokens: cached,
    text: out,
    toolCalls: null,
    completionTokens: out.outputTokens,
    reasoningTokens: out.reasoningTokens,
    finishReason: out.truncated ? 'length' : 'stop',
    usage: buildUsage(promptTokens, cached, out.outputTokens, out.reasoningTokens),
  };
}

/**
 * The usage the fake computes for a chat.completions request with the given `x-fake-*` headers
 * (reported in the JSON body, or in the final stream chunk when `stream_options.include_usage` is true).
 */
export function expectedOpenAIUsage(requestJson: unknown, headers: HeaderMap = {}): OpenAIUsage {
  const json = isRecord(requestJson) ? requestJson : {};
  return planGeneration(json, parseControls(lowerKeys(headers))).usage;
}

export function lowerKeys(headers: HeaderMap): HeaderMap {
  const out: HeaderMap = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

export const OPENAI_ERRORS = {
  missingKey: {
    message:
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
    type: 'invalid_request_error',
    param: null,
    code: null,
  },
  badRequest: {
    message:
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    type: 'invalid_request_error',
    param: 'max_tokens',
    code: 'unsupported_parameter',
  },
  emptyMessages: {
    message:
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    type: 'invalid_request_error',
    param: 'messages',
    code: 'empty_array',
  },
  missingMessages: {
    message: "Missing required parameter: 'messages'.",
    type: 'invalid_request_error',
    param: 'messages',
    code: 'missing_required_parameter',
  },
  missingModel: {
    message: 'you must provide a model parameter',
    type: 'invalid_request_error',
    param: null,
    code: null,
  },
  invalidJson: {
    message:
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please visit https://platform.openai.com/docs/guides/error-codes/api-errors.)",
    type: 'invalid_request_error',
    param: null,
    code: null,
  },
  serverError: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    param: null,
    code: null,
  },
  overloaded: {
    message: 'The server is overloaded or not ready yet.',
    type: 'server_error',
    param: null,
    code: null,
  },
} as const satisfies Record<string, OpenAIErrorBody>;

function maskKey(key: string): string {
  if (key.length <= 8) return `${key.slice(0, 2)}***`;
  return `${key.slice(0, 3)}${'*'.repeat(Math.min(key.length - 7, 40))}${key.slice(-4)}`;
}

function invalidKeyError(key: string): OpenAIErrorBody {
  return {
    message: `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_api_key',
  };
}

function unknownModelError(model: string): OpenAIErrorBody {
  return {
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: 'invalid_request_error',
    param: null,
    code: 'model_not_found',
  };
}

function rateLimitError(model: string): OpenAIErrorBody {
  return {
    message: `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
    type: 'requests',
    param: null,
    code: 'rate_limit_exceeded',
  };
}

/** The error body for `x-fake-status: N`. */
export function openAIErrorForStatus(status: number, model: string): OpenAIErrorBody {
  switch (status) {
    case 400:
      return OPENAI_ERRORS.badRequest;
    case 401:
      return invalidKeyError('sk-fake-invalid');
    case 403:
      return {
        message: `Project \`proj_fake\` does not have access to model \`${model}\``,
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      };
    case 404:
      return unknownModelError(model);
    case 429:
      return rateLimitError(model);
    case 500:
      return OPENAI_ERRORS.serverError;
    case 503:
      return OPENAI_ERRORS.overloaded;
    default:
      return {
        message: `Simulated HTTP ${status} from the fake upstream.`,
        type: status >= 500 ? 'server_error' : 'invalid_request_error',
        param: null,
        code: null,
      };
  }
}

interface PlanMeta {
  apiKey: string | null;
  model: string | null;
  stream: boolean;
}

function requestId(): string {
  return `req_${randomHex(32)}`;
}

/** OpenAI error bodies are pretty-printed with 4 spaces and end with a newline (see chat-unknown-model.yaml). */
function errorPlan(
  status: number,
  error: OpenAIErrorBody,
  meta: PlanMeta,
  extraHeaders: Record<string, string> = {},
): ResponsePlan {
  const edge = status === 401 || status === 404;
  return {
    status,
    headers: {
      'content-type': edge ? 'application/json; charset=utf-8' : 'application/json',
      'x-request-id': requestId(),
      'x-content-type-options': 'nosniff',
      ...(edge ? { vary: 'Origin' } : { 'openai-version': '2020-10-01', 'openai-processing-ms': '17' }),
      ...extraHeaders,
    },
    chunks: [Buffer.from(`${JSON.stringify({ error }, null, 4)}\n`, 'utf8')],
    sse: false,
    usage: null,
    usageChunkIndex: -1,
    plannedUsage: null,
    provider: 'openai',
    ...meta,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Handler

function serviceTier(json: Record<string, unknown>, controls: Controls): string {
  if (controls.serviceTier !== undefined) return controls.serviceTier;
  const t = json.service_tier;
  return t === 'flex' || t === 'priority' || t === 'scale' ? t : 'default';
}

function systemFingerprint(model: string): string | null {
  return /^gpt-(4|3\.5)/.test(model) ? 'fp_f4ae844694' : null;
}

function obfuscation(): string {
  return randomString(Math.floor(Math.random() * 16));
}

export function handleOpenAI(req: FakeRequest): ResponsePlan {
  const { controls } = req;
  const json = isRecord(req.json) ? req.json : null;
  const meta: PlanMeta = {
    apiKey: null,
    model: json && typeof json.model === 'string' ? json.model : null,
    stream: json?.stream === true,
  };
  if (req.method !== 'POST') return openAIInvalidUrl(req);

  const auth = req.headers.authorization;
  const authValue = Array.isArray(auth) ? auth[0] : auth;
  const m = authValue !== undefined ? /^Bearer\s+(\S.*)$/i.exec(authValue.trim()) : null;
  const key = m ? (m[1] as string).trim() : null;
  meta.apiKey = key;
  if (key === null || key === '') return errorPlan(401, OPENAI_ERRORS.missingKey, meta);
  if (!req.acceptsKey('openai', key)) return errorPlan(401, invalidKeyError(key), meta);

  if (controls.status !== undefined && controls.status >= 400) {
    const extra: Record<string, string> = {};
    if (controls.status === 429) {
      Object.assign(extra, {
        'retry-after': controls.retryAfter,
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': `${controls.retryAfter}s`,
      });
    } else if (controls.status === 503) {
      extra['retry-after'] = controls.retryAfter;
    }
    return errorPlan(
      controls.status,
      openAIErrorForStatus(controls.status, meta.model ?? 'gpt-5-nano'),
      meta,
      extra,
    );
  }

  if (req.jsonError || json === null) return errorPlan(400, OPENAI_ERRORS.invalidJson, meta);
  if (typeof json.model !== 'string' || json.model === '')
    return errorPlan(400, OPENAI_ERRORS.missingModel, meta);
  if (!Array.isArray(json.messages)) return errorPlan(400, OPENAI_ERRORS.missingMessages, meta);
  if (json.messages.length === 0) return errorPlan(400, OPENAI_ERRORS.emptyMessages, meta);
  if (isUnknownModel(json.model)) return errorPlan(404, unknownModelError(json.model), meta);

  const gen = planGeneration(json, controls);
  const model = openAIResponseModel(json.model);
  const id = `chatcmpl-${randomString(29)}`;
  const created = Math.floor(Date.now() / 1000);
  const tier = serviceTier(json, controls);
  const fingerprint = systemFingerprint(model);
  const headers: Record<string, string> = {
    'content-type': meta.stream ? 'text/event-stream; charset=utf-8' : 'application/json',
    'access-control-expose-headers': 'X-Request-ID',
    'openai-organization': 'org-fake',
    'openai-processing-ms': String(Math.max(1, Math.round(req.elapsedMs()))),
    'openai-project': 'proj_fake',
    'openai-version': '2020-10-01',
    'x-content-type-options': 'nosniff',
    'x-ratelimit-limit-requests': '500',
    'x-ratelimit-limit-tokens': '200000',
    'x-ratelimit-remaining-requests': '499',
    'x-ratelimit-remaining-tokens': String(Math.max(0, 200000 - gen.promptTokens)),
    'x-ratelimit-reset-requests': '120ms',
    'x-ratelimit-reset-tokens': '1ms',
    'x-request-id': requestId(),
  };

  if (!meta.stream) {
    const message: Record<string, unknown> = { role: 'assistant' };
    if (gen.toolCalls) {
      message.content = null;
      message.tool_calls = gen.toolCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      }));
    } else {
      message.content = gen.text?.pieces.join('') ?? '';
    }
    message.refusal = null;
    message.annotations = [];
    const body = {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message, finish_reason: gen.finishReason }],
      usage: gen.usage,
      service_tier: tier,
      system_fingerprint: fingerprint,
    };
    return {
      status: 200,
      headers,
      chunks: [jsonChunk(body, 2)],
      sse: false,
      usage: gen.usage,
      usageChunkIndex: 0,
      plannedUsage: gen.usage,
      provider: 'openai',
      ...meta,
    };
  }

  // Streaming.
  const streamOptions = isRecord(json.stream_options) ? json.stream_options : {};
  const includeUsage = streamOptions.include_usage === true;
  const obfuscate = streamOptions.include_obfuscation !== false;
  const event = (choices: unknown[], usage: OpenAIUsage | null = null): Buffer => {
    const o: Record<string, unknown> = {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      service_tier: tier,
      system_fingerprint: fingerprint,
      choices,
    };
    if (includeUsage) o.usage = usage;
    if (obfuscate) o.obfuscation = obfuscation();
    return Buffer.from(`data: ${JSON.stringify(o)}\n\n`, 'utf8');
  };
  const choice = (delta: Record<string, unknown>, finish: string | null = null) => ({
    index: 0,
    delta,
    finish_reason: finish,
  });

  // Content events (text pieces or tool-call argument fragments) are the unit of `x-fake-stream-error: after:N`.
  const events: SseEvent[] = [];
  if (gen.toolCalls) {
    gen.toolCalls.forEach((c, i) => {
      const head = { index: i, id: c.id, type: 'function', function: { name: c.name, arguments: '' } };
      const delta =
        i === 0
          ? { role: 'assistant', content: null, tool_calls: [head], refusal: null }
          : { tool_calls: [head] };
      events.push({ buf: event([choice(delta)]), content: false });
      for (const f of c.fragments) {
        events.push({
          buf: event([choice({ tool_calls: [{ index: i, function: { arguments: f } }] })]),
          content: true,
        });
      }
    });
  } else {
    events.push({ buf: event([choice({ role: 'assistant', content: '', refusal: null })]), content: false });
    for (const p of gen.text?.pieces ?? [])
      events.push({ buf: event([choice({ content: p })]), content: true });
  }

  let usageChunkIndex = -1;
  let usage: OpenAIUsage | null = null;
  const chunks = events.map((e) => e.buf);
  if (controls.streamErrorAfter !== undefined) {
    chunks.length = cutAfterContent(events, controls.streamErrorAfter);
    chunks.push(Buffer.from(`data: ${JSON.stringify({ error: OPENAI_ERRORS.serverError })}\n\n`, 'utf8'));
  } else {
    chunks.push(event([choice({}, gen.finishReason)]));
    if (includeUsage) {
      chunks.push(event([], gen.usage));
      usageChunkIndex = chunks.length - 1;
      usage = gen.usage;
    }
    chunks.push(Buffer.from('data: [DONE]\n\n', 'utf8'));
  }
  return {
    status: 200,
    headers,
    chunks,
    sse: true,
    usage,
    usageChunkIndex,
    plannedUsage: gen.usage,
    provider: 'openai',
    ...meta,
  };
}

/** OpenAI's answer to a path it does not serve. */
export function openAIInvalidUrl(req: FakeRequest): ResponsePlan {
  return errorPlan(
    404,
    {
      message: `Invalid URL (${req.method} ${req.path})`,
      type: 'invalid_request_error',
      param: null,
      code: null,
    },
    { apiKey: null, model: null, stream: false },
  );
}
