// Provider-neutral shapes shared by the request pipeline, pricing and (later) the policy engines.
// Nothing here knows about Envoy or gRPC.
import type { SseEvent } from './sse.js';

export type ProviderId = 'openai' | 'anthropic';

/** Token counts in genai-prices semantics: `inputTokens` is the total, cache reads/writes are parts of it. */
export interface Usage {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Total output, reasoning included. */
  outputTokens: number;
  /** Part of outputTokens spent on hidden reasoning. */
  reasoningTokens: number;
}

export interface ChatToolCall {
  id?: string;
  name: string;
  /** Arguments exactly as sent (a JSON string for OpenAI, re-serialised input for Anthropic). */
  arguments: string;
}

/** One message flattened to its text; non-text parts (images, audio) are counted, not copied. */
export interface ChatMessage {
  role: string;
  texts: string[];
  toolCalls: ChatToolCall[];
  /** Set on tool results: which call they answer. */
  toolCallId?: string;
  imageCount: number;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the parameters / input, as sent. */
  parameters?: unknown;
}

export interface ParsedRequest {
  provider: ProviderId;
  model: string;
  stream: boolean;
  /** max_tokens / max_completion_tokens as sent, or null when the client set none. */
  maxTokens: number | null;
  /** System prompt(s): OpenAI system/developer messages stay in `messages`; Anthropic `system` lands here. */
  system: string[];
  messages: ChatMessage[];
  tools: ToolDefinition[];
  /** The decoded JSON body; mutate only through the adapter. */
  body: Record<string, unknown>;
}

/** A caller mistake, reported in the caller's own API shape. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    /** Provider error type, e.g. `invalid_request_error`, `authentication_error`. */
    readonly type: string,
    message: string,
    /** Offending field, when there is one (OpenAI's `param`). */
    readonly param: string | null = null,
    /** Short machine code for metrics, e.g. `malformed_json`. */
    readonly code: string = type,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface UpstreamRequestPlan {
  /** Body to send upstream; `null` = forward the original bytes unchanged. */
  body: Record<string, unknown> | null;
  /** The gateway added usage reporting the client did not ask for: strip it from what the client sees. */
  stripInjectedUsage: boolean;
}

export interface StreamError {
  type: string;
  message: string;
}

/**
 * Observes an SSE response as it passes through, in chunks split at arbitrary bytes.
 * `push` returns what to send downstream for that chunk: the same Buffer when nothing changes.
 */
export interface StreamObserver {
  push(chunk: Buffer): Buffer;
  /** Upstream finished: returns any bytes still held back (normally empty). */
  end(): Buffer;
  /** Usage as known so far (cumulative); null until the provider reported any. */
  readonly usage: Usage | null;
  /** Model the provider says it used, when reported. */
  readonly model: string | null;
  /** An in-stream error event, if one arrived. */
  readonly error: StreamError | null;
  /** Number of complete events seen. */
  readonly events: number;
  /**
   * The blocks the last push() or end() completed, as they leave: rewritten bytes in `raw`, dropped blocks left
   * out, unparsed tails included. All of them together are the whole output stream, so a later stage (the security
   * scan) reads the stream's events from here instead of framing it again.
   */
  readonly lastEvents: readonly SseEvent[];
}

export interface JsonResponseSummary {
  usage: Usage | null;
  model: string | null;
  error: StreamError | null;
}

export interface ProviderAdapter {
  readonly provider: ProviderId;
  /** Validates and parses a decoded JSON body; throws RequestError on a wrong shape. */
  parseRequest(body: unknown): ParsedRequest;
  /** What to send upstream (e.g. OpenAI streaming: ask for the usage chunk). */
  planUpstreamRequest(request: ParsedRequest): UpstreamRequestPlan;
  /** Usage, model and error from a complete JSON response body (any status). */
  summariseJsonResponse(body: unknown): JsonResponseSummary;
  createStreamObserver(options: { stripInjectedUsage: boolean }): StreamObserver;
  /** Error body in this provider's shape. */
  errorBody(error: {
    status: number;
    type: string;
    message: string;
    param?: string | null;
    code?: string | null;
  }): string;
}
