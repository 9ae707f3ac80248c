/**
 * Shared pieces of the fake OpenAI / Anthropic upstream: scenario controls (the `x-fake-*` request headers),
 * the deterministic token formula, the generated text, ids, and the "response plan" that the HTTP layer writes.
 *
 * Token formula (documented here once, used by both providers):
 *
 *   tok(s)   = ceil(utf8ByteLength(s) / 4)
 *   base     = 3                                        (reply priming)
 *            + Σ over messages: 4 + tok(text) + 85 × (non-text parts, e.g. images/audio/files)
 *                                 + tok(name) + tok(JSON.stringify(tool_calls))          (OpenAI)
 *            + tok(system text) + 85 × (non-text system parts)                           (Anthropic)
 *            + tok(JSON.stringify(tools))  when the request has a non-empty `tools` array
 *   `x-fake-prompt-tokens: N` replaces `base` by N.
 *
 *   The `base` is the *uncached* part of the prompt. `x-fake-cached-tokens` (cache reads) and, for Anthropic,
 *   `x-fake-cache-write-tokens` (cache creation) are added on top:
 *     OpenAI     prompt_tokens = base + cached;  prompt_tokens_details.cached_tokens = cached
 *     Anthropic  input_tokens = base;  cache_read_input_tokens = cached;  cache_creation_input_tokens = writes
 *
 * Output: `x-fake-pieces: N` (default 12) content pieces, one completion token each, plus
 * `x-fake-reasoning-tokens: R` hidden reasoning tokens (included in completion/output tokens, like the real APIs).
 * With a cap C (OpenAI `max_completion_tokens` ?? `max_tokens`; Anthropic `max_tokens`): reasoning' = min(R, C),
 * pieces' = min(N, C - reasoning'); if R + N > C the finish/stop reason is `length` / `max_tokens`.
 * Tool calls (when generated) cost 1 token per call plus 1 per streamed argument fragment (4 code points each);
 * the cap is not applied to tool calls.
 */
import { randomBytes } from 'node:crypto';

export type HeaderMap = Record<string, string | string[] | undefined>;

/** The generated text cycles through these pieces; multi-byte characters on purpose (é: 2 bytes, —: 3, 🙂: 4). */
export const FAKE_VOCAB: readonly string[] = [
  'Hello',
  ' from',
  ' the',
  ' fake',
  ' café',
  ' 🙂',
  ' —',
  ' naïve',
  ' résumé',
  ',',
  ' déjà',
  ' vu',
  ' 🚀',
  ' über',
  ' upstream',
  '.',
];

export const DEFAULT_PIECES = 12;

/** Image / audio / file parts count as this many prompt tokens each. */
export const NON_TEXT_PART_TOKENS = 85;

/** The content pieces the fake generates for `n` pieces (piece i = FAKE_VOCAB[i % FAKE_VOCAB.length]). */
export function fakePieces(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(FAKE_VOCAB[i % FAKE_VOCAB.length] as string);
  return out;
}

/** The full text the fake generates for `n` pieces. */
export function fakeText(n: number): string {
  return fakePieces(n).join('');
}

/** tok(s) = ceil(utf8 bytes / 4). */
export function textTokens(s: string): number {
  return Math.ceil(Buffer.byteLength(s, 'utf8') / 4);
}

export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  if (Array.isArray(v)) return v[0];
  return v;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Text and non-text part count of a message content (string, or array of parts/blocks). */
export function contentTokens(content: unknown): number {
  if (typeof content === 'string') return textTokens(content);
  if (!Array.isArray(content)) return 0;
  let text = '';
  let extra = 0;
  for (const part of content) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    if (!isRecord(part)) continue;
    if (typeof part.text === 'string') {
      text += part.text;
    } else if (part.type === 'tool_use') {
      text += `${typeof part.name === 'string' ? part.name : ''}${JSON.stringify(part.input ?? {})}`;
    } else if (part.type === 'tool_result') {
      extra += contentTokens(part.content);
    } else {
      extra += NON_TEXT_PART_TOKENS;
    }
  }
  return textTokens(text) + extra;
}

// ---------------------------------------------------------------------------------------------------------------
// Scenario controls

export interface Controls {
  /** x-fake-status: respond with this error status (provider error shape). */
  status: number | undefined;
  /** x-fake-chunk-bytes / x-fake-chunk-pattern: write sizes (cycled). undefined = one write per event. */
  chunkPattern: number[] | undefined;
  /** x-fake-delay-ms: wait between writes. */
  delayMs: number;
  /** x-fake-first-byte-delay-ms: wait before the response head. */
  firstByteDelayMs: number;
  /** x-fake-pieces: number of content pieces (completion tokens) to generate. */
  pieces: number;
  cachedTokens: number;
  reasoningTokens: number;
  cacheWriteTokens: number;
  /** x-fake-prompt-tokens: override the computed (uncached) prompt token count. */
  promptTokens: number | undefined;
  /** x-fake-stream-error: after:N */
  streamErrorAfter: number | undefined;
  /** x-fake-hang: 1 */
  hang: boolean;
  /** x-fake-tool-calls: N — force N tool calls (0 = never call tools). undefined = decide like a model would. */
  toolCalls: number | undefined;
  /** x-fake-retry-after: value of the retry-after header on 429/529/503 (default "1"). */
  retryAfter: string;
  /** x-fake-service-tier: override the reported service tier. */
  serviceTier: string | undefined;
  /** x-fake-anthropic-delta-usage: full (default) | output-only — shape of message_delta.usage. */
  anthropicDeltaUsage: 'full' | 'output-only';
  /** x-fake-reply: the text to answer with (split into 4-code-point pieces) instead of the generated vocabulary. */
  reply: string | undefined;
}

export class ControlError extends Error {}

function intHeader(headers: HeaderMap, name: string): number | undefined {
  const raw = headerValue(headers, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\s*\d+\s*$/.test(raw))
    throw new ControlError(`invalid ${name}: ${JSON.stringify(raw)} (expected integer)`);
  return Number.parseInt(raw, 10);
}

export function parseControls(headers: HeaderMap): Controls {
  const chunkBytes = intHeader(headers, 'x-fake-chunk-bytes');
  let chunkPattern: number[] | undefined;
  const patternRaw = headerValue(headers, 'x-fake-chunk-pattern');
  if (patternRaw !== undefined && patternRaw.trim() !== '') {
    const parts = patternRaw.split(',').map((s) => s.trim());
    if (parts.some((p) => !/^\d+$/.test(p) || Number(p) === 0)) {
      throw new ControlError(
        `invalid x-fake-chunk-pattern: ${JSON.stringify(patternRaw)} (expected e.g. 1,7,3)`,
      );
    }
    chunkPattern = parts.map(Number);
  } else if (chunkBytes !== undefined) {
    if (chunkBytes === 0) throw new ControlError('invalid x-fake-chunk-bytes: 0');
    chunkPattern = [chunkBytes];
  }
  let streamErrorAfter: number | undefined;
  const se = headerValue(headers, 'x-fake-stream-error');
  if (se !== undefined && se.trim() !== '') {
    const m = /^\s*after:(\d+)\s*$/.exec(se);
    if (!m) throw new ControlError(`invalid x-fake-stream-error: ${JSON.stringify(se)} (expected after:N)`);
    streamErrorAfter = Number(m[1]);
  }
  const hangRaw = headerValue(headers, 'x-fake-hang');
  const deltaUsage = headerValue(headers, 'x-fake-anthropic-delta-usage');
  if (deltaUsage !== undefined && deltaUsage !== 'full' && deltaUsage !== 'output-only') {
    throw new ControlError(`invalid x-fake-anthropic-delta-usage: ${JSON.stringify(deltaUsage)}`);
  }
  const reply = headerValue(headers, 'x-fake-reply') || undefined;
  return {
    status: intHeader(headers, 'x-fake-status'),
    chunkPattern,
    delayMs: intHeader(headers, 'x-fake-delay-ms') ?? 0,
    firstByteDelayMs: intHeader(headers, 'x-fake-first-byte-delay-ms') ?? 0,
    pieces: intHeader(headers, 'x-fake-pieces') ?? (reply ? fragments(reply).length : DEFAULT_PIECES),
    cachedTokens: intHeader(headers, 'x-fake-cached-tokens') ?? 0,
    reasoningTokens: intHeader(headers, 'x-fake-reasoning-tokens') ?? 0,
    cacheWriteTokens: intHeader(headers, 'x-fake-cache-write-tokens') ?? 0,
    promptTokens: intHeader(headers, 'x-fake-prompt-tokens'),
    streamErrorAfter,
    hang: hangRaw !== undefined && hangRaw !== '' && hangRaw !== '0' && hangRaw !== 'false',
    toolCalls: intHeader(headers, 'x-fake-tool-calls'),
    retryAfter: headerValue(headers, 'x-fake-retry-after') ?? '1',
    serviceTier: headerValue(headers, 'x-fake-service-tier'),
    anthropicDeltaUsage: deltaUsage ?? 'full',
    reply,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Output planning

export interface OutputPlan {
  pieces: string[];
  reasoningTokens: number;
  /** Reasoning + visible pieces actually produced. */
  outputTokens: number;
  truncated: boolean;
}

export function planTextOutput(
  requestedPieces: number,
  reasoning: number,
  cap: number | undefined,
  reply?: string,
): OutputPlan {
  const replyPieces = reply ? fragments(reply) : null;
  const piecesOf = (n: number) => (replyPieces ? replyPieces.slice(0, n) : fakePieces(n));
  if (replyPieces) requestedPieces = Math.min(requestedPieces, replyPieces.length);
  if (cap === undefined) {
    return {
      pieces: piecesOf(requestedPieces),
      reasoningTokens: reasoning,
      outputTokens: reasoning + requestedPieces,
      truncated: false,
    };
  }
  const r = Math.min(reasoning, cap);
  const p = Math.min(requestedPieces, cap - r);
  return {
    pieces: piecesOf(p),
    reasoningTokens: r,
    outputTokens: r + p,
    truncated: reasoning + requestedPieces > cap,
  };
}

/** Split a string into fragments of at most `size` code points (never splitting a surrogate pair). */
export function fragments(s: string, size = 4): string[] {
  const cps = Array.from(s);
  const out: string[] = [];
  for (let i = 0; i < cps.length; i += size) out.push(cps.slice(i, i + size).join(''));
  return out;
}

/** A plausible argument object for a JSON schema: required properties (or all if none required). */
export function argumentsForSchema(schema: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(schema) || !isRecord(schema.properties)) return out;
  const props = schema.properties;
  const required = Array.isArray(schema.required)
    ? schema.required.filter((k): k is string => typeof k === 'string' && k in props)
    : [];
  const keys = required.length > 0 ? required : Object.keys(props);
  for (const k of keys) out[k] = valueForSchema(props[k]);
  return out;
}

function valueForSchema(schema: unknown): unknown {
  if (!isRecord(schema)) return 'value';
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'number':
      return 42.5;
    case 'integer':
      return 42;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return argumentsForSchema(schema);
    case 'null':
      return null;
    default:
      return 'San Francisco, CA';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Ids

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function randomString(len: number, alphabet = ALNUM): string {
  const bytes = randomBytes(len);
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[(bytes[i] as number) % alphabet.length];
  return s;
}

export function randomBase58(len: number): string {
  return randomString(len, BASE58);
}

export function randomHex(len: number): string {
  return randomBytes(Math.ceil(len / 2))
    .toString('hex')
    .slice(0, len);
}

// ---------------------------------------------------------------------------------------------------------------
// Response plan: everything the HTTP layer needs to write (so usage can be computed without a server).

export interface ResponsePlan {
  status: number;
  headers: Record<string, string>;
  /** Logical writes: one per SSE event, or the whole JSON body. */
  chunks: Buffer[];
  /** Non-streaming bodies get a content-length; SSE is chunked. */
  sse: boolean;
  /** The usage object the fake reports in this response (null if none is reported). */
  usage: unknown | null;
  /** Index into `chunks` of the chunk whose complete delivery means the usage was reported. */
  usageChunkIndex: number;
  /** Usage the fake computed even if the response does not report it (e.g. streaming without include_usage). */
  plannedUsage: unknown | null;
  provider: 'openai' | 'anthropic';
  apiKey: string | null;
  model: string | null;
  stream: boolean;
}

export function jsonChunk(value: unknown, indent?: number): Buffer {
  return Buffer.from(JSON.stringify(value, null, indent), 'utf8');
}

/** A logical SSE event while building a stream; `content` marks the events counted by `x-fake-stream-error`. */
export interface SseEvent {
  buf: Buffer;
  content: boolean;
}

/** Number of leading events to keep so that exactly min(n, #content events) content events are included. */
export function cutAfterContent(events: readonly SseEvent[], n: number): number {
  let seen = 0;
  let lastContentEnd = -1;
  for (let i = 0; i < events.length; i++) {
    if (!(events[i] as SseEvent).content) continue;
    if (seen === n) return i;
    seen++;
    lastContentEnd = i + 1;
  }
  return lastContentEnd >= 0 ? lastContentEnd : events.length;
}
