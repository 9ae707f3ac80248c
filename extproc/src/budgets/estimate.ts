// The most a request can cost, reserved against budgets before it is forwarded. Every approximation here errs
// upwards: the reservation is settled to the provider-reported cost afterwards, so over-estimating only holds
// budget a little longer, while under-estimating could let concurrent requests overshoot a limit.
//
// Input tokens: a real tokenizer for the model family over everything the model reads (system prompt, message
// texts, tool-call names/arguments/ids, tool definitions as JSON) plus fixed overheads, and images at a per-image
// upper bound. Output tokens: the client's max tokens (times `n` choices), or when it set none a default cap that
// the caller must inject into the forwarded body (`injectMaxTokens`), since otherwise nothing bounds the output.
// Cost: all input at the highest input-side rate (cache writes can cost more than plain input; cache-read
// discounts are ignored) and all output at the highest output-side rate, in nano-USD rounded up.
//
// Not counted: PDF documents, audio and file parts, which ParsedRequest does not describe (only their presence is
// validated by the adapters); requests carrying them are under-reserved and settle to their real cost.
import type { Pricer } from '../pricing/pricing.js';
import type { ParsedRequest, ProviderId } from '../providers/types.js';
import { type Encoding, type RequestTokenCounter, TokenCounters } from './tokenizers.js';

/**
 * Claude 3 and later use tokenizers Anthropic has not published; the public one is Claude 2's. Later models count
 * up to ~20% more tokens than it for English and code, and Anthropic states that Claude Opus 4.7's tokenizer
 * produces up to 1.35× the tokens of its predecessors: 1.2 × 1.35 ≈ 1.6.
 */
export const ANTHROPIC_TOKEN_SAFETY_FACTOR = 1.6;

/** OpenAI's documented chat framing: 3 tokens per message (+1 for a name) and 3 priming the reply. */
const OPENAI_PER_MESSAGE = 4;
const OPENAI_REPLY_PRIMING = 3;
/** Anthropic documents no framing cost; role markers and separators stay well under this. */
const ANTHROPIC_PER_MESSAGE = 5;
/** Per tool definition, on top of its JSON: functions are rendered more compactly than JSON. */
const PER_TOOL = 12;
/**
 * Added once when tools are present. Anthropic documents a tool-use system prompt of 313-530 tokens depending on
 * model and tool_choice; OpenAI's function preamble is a few dozen.
 */
const TOOLS_PREAMBLE: Record<ProviderId, number> = { openai: 32, anthropic: 600 };
const PER_TOOL_CALL = 8;

/**
 * Per-image upper bounds. OpenAI tile models: at most 8 tiles of 512 px (short side scaled to 768, long side at most
 * 2048): 85 + 8×170 = 1445 tokens for gpt-4o, 2833 + 8×5667 = 48,169 for gpt-4o-mini (which multiplies image tokens
 * to keep gpt-4o's price); patch models (gpt-4.1-mini/nano, o4-mini) cap at 1536 patches × ≤2.46; newer models'
 * high-fidelity modes use up to ~10k patches, hence 12,000 for the rest. Anthropic: images are resized to at most
 * ~1.15 MP (≈1,600 tokens at w×h/750), high-resolution models up to ~3.75 MP (≈5,000 tokens).
 */
function imageTokens(provider: ProviderId, model: string): number {
  if (provider === 'anthropic') return 5_000;
  return /^(ft:)?gpt-4o-mini/.test(model) ? 48_169 : 12_000;
}

export function encodingFor(provider: ProviderId, model: string): Encoding {
  if (provider === 'anthropic') return 'claude';
  const name = model.toLowerCase().replace(/^ft:/, '');
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d|chatgpt-|gpt-oss|codex)/.test(name)) return 'o200k_base';
  if (/^(gpt-4|gpt-3\.5)/.test(name)) return 'cl100k_base';
  return 'o200k_base'; // models newer than this table use o200k or its successors
}

export interface EstimatorOptions {
  /** Output cap when the client set none; injected into the forwarded body. Default 4096. */
  defaultMaxOutputTokens?: number;
  /** Characters tokenized per request before falling back to the byte-length bound. Default 32,000. */
  maxTokenizeChars?: number;
  /** Characters of message texts whose token counts are cached per tokenizer. Default 4,000,000. */
  tokenCacheChars?: number;
}

interface EstimateBase {
  /** Upper bound of the prompt's tokens. */
  inputTokens: number;
  /** Output tokens the request may produce: max tokens × choices. */
  maxOutputTokens: number;
  /** inputTokens + maxOutputTokens, reserved against tokens-per-minute limits. */
  tokens: number;
  /** Set the forwarded body's max tokens field to this (see `withMaxTokens`); null = leave the body alone. */
  injectMaxTokens: number | null;
  encoding: Encoding;
  /** True when part of the prompt was counted by its byte length rather than tokenized. */
  bounded: boolean;
}

export type RequestEstimate =
  | (EstimateBase & { priced: true; costNanos: number })
  | (EstimateBase & { priced: false; costNanos: null });

function choices(request: ParsedRequest): number {
  const n = request.provider === 'openai' ? request.body.n : undefined;
  return typeof n === 'number' && Number.isInteger(n) && n > 1 ? n : 1;
}

/** Anthropic bills 1-hour cache writes at 2× input, above the catalogue's (5-minute) cache-write price. */
function hasLongCacheWrites(body: Record<string, unknown>): boolean {
  const blocks: unknown[] = [];
  for (const field of ['system', 'tools'] as const) {
    const v = body[field];
    if (Array.isArray(v)) blocks.push(...v);
  }
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) {
      const content = (m as { content?: unknown } | null)?.content;
      if (Array.isArray(content)) blocks.push(...content);
    }
  }
  return blocks.some((b) => (b as { cache_control?: { ttl?: unknown } } | null)?.cache_control?.ttl === '1h');
}

function countPrompt(request: ParsedRequest, counter: RequestTokenCounter): number {
  const perMessage = request.provider === 'openai' ? OPENAI_PER_MESSAGE : ANTHROPIC_PER_MESSAGE;
  let fixed = request.provider === 'openai' ? OPENAI_REPLY_PRIMING : 0;
  for (const text of request.system) {
    counter.add(text);
    fixed += perMessage;
  }
  const perImage = imageTokens(request.provider, request.model);
  for (const message of request.messages) {
    fixed += perMessage + message.imageCount * perImage;
    for (const text of message.texts) counter.add(text);
    for (const call of message.toolCalls) {
      counter.add(call.name);
      counter.add(call.arguments);
      if (call.id !== undefined) counter.add(call.id);
      fixed += PER_TOOL_CALL;
    }
    if (message.toolCallId !== undefined) counter.add(message.toolCallId);
  }
  if (request.tools.length > 0) fixed += TOOLS_PREAMBLE[request.provider];
  for (const tool of request.tools) {
    counter.add(JSON.stringify(tool));
    fixed += PER_TOOL;
  }
  const factor = request.provider === 'anthropic' ? ANTHROPIC_TOKEN_SAFETY_FACTOR : 1;
  return Math.ceil(counter.tokenized * factor) + counter.bytes + fixed;
}

export class CostEstimator {
  private readonly defaultMaxOutputTokens: number;
  private readonly counters: TokenCounters;

  constructor(
    private readonly pricer: Pricer,
    options: EstimatorOptions = {},
  ) {
    this.defaultMaxOutputTokens = options.defaultMaxOutputTokens ?? 4096;
    const maxChars = options.maxTokenizeChars ?? 32_000;
    const cacheChars = options.tokenCacheChars ?? 4_000_000;
    for (const [name, v] of [
      ['defaultMaxOutputTokens', this.defaultMaxOutputTokens],
      ['maxTokenizeChars', maxChars],
      ['tokenCacheChars', cacheChars],
    ] as const) {
      if (!Number.isInteger(v) || v < (name === 'defaultMaxOutputTokens' ? 1 : 0)) {
        throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
      }
    }
    this.counters = new TokenCounters({ maxChars, cacheChars });
  }

  async estimate(request: ParsedRequest): Promise<RequestEstimate> {
    const encoding = encodingFor(request.provider, request.model);
    const counter = await this.counters.forRequest(encoding);
    const inputTokens = countPrompt(request, counter);
    const injectMaxTokens = request.maxTokens === null ? this.defaultMaxOutputTokens : null;
    const maxOutputTokens = (request.maxTokens ?? this.defaultMaxOutputTokens) * choices(request);
    const base: EstimateBase = {
      inputTokens,
      maxOutputTokens,
      tokens: inputTokens + maxOutputTokens,
      injectMaxTokens,
      encoding,
      bounded: counter.bytes > 0,
    };
    const prices = this.pricer.unitPrices(request.provider, request.model, inputTokens);
    if (prices === null) return { ...base, priced: false, costNanos: null };
    let inputRate = Math.max(prices.input, prices.cacheWrite, prices.cacheRead);
    if (request.provider === 'anthropic' && hasLongCacheWrites(request.body)) {
      inputRate = Math.max(inputRate, 2 * prices.input);
    }
    const outputRate = Math.max(prices.output, prices.reasoning);
    const usd = inputTokens * inputRate + maxOutputTokens * outputRate + prices.perRequest;
    return { ...base, priced: true, costNanos: Math.ceil(usd * 1e9) };
  }
}

/** The forwarded body with the output cap set where the provider reads it. */
export function withMaxTokens(
  provider: ProviderId,
  body: Record<string, unknown>,
  maxTokens: number,
): Record<string, unknown> {
  return provider === 'openai'
    ? { ...body, max_completion_tokens: maxTokens }
    : { ...body, max_tokens: maxTokens };
}
