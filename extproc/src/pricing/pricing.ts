// Cost in USD from token usage.
//
// Source of prices, in order:
//   1. an operator override for the exact "provider:model" (see overrides.ts);
//   2. the catalogue bundled in @pydantic/genai-prices, looked up with the explicit provider id.
// Anything else is unpriced (`priced: false`), never a silent $0.
//
// genai-prices' `calcPrice` costs ~10 µs per call (it scans the provider's models with regex/substring
// matchers, then re-validates the whole price table and decomposes usage on every call). So we use it only
// to *find* a model's price table, cache that per (provider, model), and do the arithmetic here. The
// arithmetic mirrors genai-prices for the usage we report (text tokens, cache read/write, reasoning):
// test/pricing/pricing.test.ts cross-checks it against `calcPrice` for every OpenAI/Anthropic model.
//
// Catalogue features and how they are handled:
//   - Tiered prices (e.g. Claude Sonnet 4.5 above 200k input tokens, GPT-5.4 above 272k): the tier is
//     chosen by the request's total input tokens and applies to *all* tokens of that kind (as genai-prices
//     and the providers do), including output.
//   - Prices that change on a date (`start_date` constraints): resolved for the current time; the cached
//     entry expires at the next scheduled change. Time-of-day prices (none for OpenAI/Anthropic today)
//     are re-resolved on every call.
//   - Anthropic's 1-hour cache writes cost more than 5-minute ones; `Usage` has no TTL split, so all cache
//     writes are charged at the catalogue's `cache_write_mtok` (the 5-minute rate).
//   - Per-call tool fees (web search, file search) are not in `Usage` and are not charged.
//   - A per-request fee (`requests_kcount`, none for OpenAI/Anthropic today) is included in `costUsd` only.

import { calcPrice, type ModelPrice } from '@pydantic/genai-prices';
import type { ProviderId, Usage } from '../providers/types.js';
import { type ModelPriceOverride, overrideKey, type PriceOverrides } from './overrides.js';

export type { ModelPriceOverride, PriceOverrides } from './overrides.js';
export { PriceConfigError, parsePriceOverrides } from './overrides.js';

export type PriceSource = 'override' | 'catalog';

export type PriceQuote =
  | {
      priced: true;
      /** Total: input + output (+ any per-request fee). */
      costUsd: number;
      /** Uncached input, cache reads and cache writes. */
      inputCostUsd: number;
      /** Output, reasoning included. */
      outputCostUsd: number;
      source: PriceSource;
      /** Catalogue model id the name resolved to (e.g. `gpt-4o-mini`); for overrides, the model as configured. */
      catalogModel: string;
    }
  | { priced: false; costUsd: null; reason: 'unknown_model' };

/** USD per single token (per-million price / 1e6). */
export interface UnitPrices {
  input: number;
  output: number;
  /** Equals `input` when the model has no separate cache-read price. */
  cacheRead: number;
  /** Equals `input` when the model has no separate cache-write price. */
  cacheWrite: number;
  /** Reasoning output; equals `output` unless the catalogue prices reasoning separately. */
  reasoning: number;
  /** Flat USD per request (0 for all OpenAI/Anthropic models today). */
  perRequest: number;
  /** True when prices depend on the request's input size (see `unitPrices`). */
  tiered: boolean;
  source: PriceSource;
  catalogModel: string;
}

export interface Pricer {
  /** Cost of one call. Throws RangeError on impossible usage (negative, cache > input, reasoning > output). */
  price(provider: ProviderId, model: string, usage: Usage): PriceQuote;
  /**
   * Per-token rates, or null for an unknown model. For tiered models, `inputTokens` (the request's total
   * input) selects the tier; without it the highest tier is returned, so estimates stay an upper bound.
   */
  unitPrices(provider: ProviderId, model: string, inputTokens?: number): UnitPrices | null;
}

export interface PricerOptions {
  /** Max cached (provider, model) lookups, unknown models included. Default 1000. */
  cacheSize?: number;
  /** Clock in epoch ms, used to pick date-dependent catalogue prices. Default `Date.now`. */
  now?: () => number;
}

/** USD per million tokens: flat, or tiered by the request's total input tokens. */
type Rate = number | Tiered;
interface Tiered {
  readonly base: number;
  /** Sorted by `start`; a tier applies when input tokens > start. */
  readonly tiers: readonly { readonly start: number; readonly price: number }[];
}

interface CompiledPrice {
  readonly input: Rate;
  readonly output: Rate;
  /** null = not priced separately: these tokens stay in (and are charged as) plain input. */
  readonly cacheRead: Rate | null;
  readonly cacheWrite: Rate | null;
  /** null = reasoning is charged as ordinary output. */
  readonly reasoning: Rate | null;
  readonly perRequestUsd: number;
  readonly tiered: boolean;
}

interface Resolved {
  readonly source: PriceSource;
  readonly catalogModel: string;
  readonly price: CompiledPrice;
  /** Epoch ms from which `price` may be stale and must be re-resolved; Infinity = never. */
  readonly validUntilMs: number;
}

const UNPRICED: PriceQuote = Object.freeze({ priced: false, costUsd: null, reason: 'unknown_model' });
const PER_MILLION = 1e6;

function rateAt(rate: Rate, inputTokens: number): number {
  if (typeof rate === 'number') return rate;
  let price = rate.base;
  for (const tier of rate.tiers) {
    if (inputTokens > tier.start) price = tier.price;
  }
  return price;
}

function maxRate(rate: Rate): number {
  if (typeof rate === 'number') return rate;
  let max = rate.base;
  for (const tier of rate.tiers) max = Math.max(max, tier.price);
  return max;
}

function isPrice(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** A catalogue price value as a Rate; undefined when absent, null when malformed. */
function toRate(v: ModelPrice[string]): Rate | undefined | null {
  if (v === undefined) return undefined;
  if (isPrice(v)) return v;
  if (typeof v !== 'object' || v === null || !isPrice(v.base) || !Array.isArray(v.tiers)) return null;
  const tiers: { start: number; price: number }[] = [];
  for (const t of v.tiers as unknown[]) {
    if (typeof t !== 'object' || t === null) return null;
    const { start, price } = t as { start?: unknown; price?: unknown };
    if (!isPrice(start) || !isPrice(price)) return null;
    tiers.push({ start, price });
  }
  tiers.sort((a, b) => a.start - b.start);
  return { base: v.base, tiers };
}

/** null when the table has no token prices (e.g. audio-hour models) or malformed ones. */
function compileCatalogPrice(prices: ModelPrice): CompiledPrice | null {
  const input = toRate(prices.input_mtok);
  const output = toRate(prices.output_mtok);
  const cacheRead = toRate(prices.cache_read_mtok);
  const cacheWrite = toRate(prices.cache_write_mtok);
  const reasoning = toRate(prices.output_reasoning_mtok);
  const requests = prices.requests_kcount;
  if (input === null || output === null || cacheRead === null || cacheWrite === null || reasoning === null) {
    return null;
  }
  if (input === undefined && output === undefined) return null;
  if (requests !== undefined && !isPrice(requests)) return null;
  const rates = [input, output, cacheRead, cacheWrite, reasoning];
  return {
    // A missing input/output price costs nothing in genai-prices (e.g. embeddings have no output price).
    input: input ?? 0,
    output: output ?? 0,
    cacheRead: cacheRead ?? null,
    cacheWrite: cacheWrite ?? null,
    reasoning: reasoning ?? null,
    perRequestUsd: (requests ?? 0) / 1000,
    tiered: rates.some((r) => typeof r === 'object'),
  };
}

function compileOverride(o: ModelPriceOverride): CompiledPrice {
  return {
    input: o.input_mtok,
    output: o.output_mtok,
    cacheRead: o.cache_read_mtok ?? null,
    cacheWrite: o.cache_write_mtok ?? null,
    reasoning: null,
    perRequestUsd: 0,
    tiered: false,
  };
}

/** Until when the catalogue's choice among a model's dated prices stays the same. */
function validUntil(prices: unknown, nowMs: number): number {
  if (!Array.isArray(prices)) return Number.POSITIVE_INFINITY;
  let until = Number.POSITIVE_INFINITY;
  for (const entry of prices as { constraint?: { type?: string; start_date?: string } }[]) {
    const c = entry.constraint;
    if (c === undefined) continue;
    if (c.type !== 'start_date' || typeof c.start_date !== 'string') return nowMs; // time-of-day: every call
    const start = new Date(c.start_date).getTime();
    if (Number.isNaN(start)) return nowMs;
    if (start > nowMs && start < until) until = start;
  }
  return until;
}

function resolveCatalog(provider: ProviderId, model: string, nowMs: number): Resolved | null {
  let result: ReturnType<typeof calcPrice>;
  try {
    // Empty usage: we only want the model and its price table for this moment.
    result = calcPrice({}, model, { providerId: provider, timestamp: new Date(nowMs) });
  } catch {
    return null; // malformed catalogue entry: unpriced rather than a wrong number
  }
  if (result === null || result.provider.id !== provider) return null;
  const price = compileCatalogPrice(result.model_price);
  if (price === null) return null;
  return {
    source: 'catalog',
    catalogModel: result.model.id,
    price,
    validUntilMs: validUntil(result.model.prices, nowMs),
  };
}

function checkCount(name: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) {
    throw new RangeError(`usage.${name} must be a finite number >= 0, got ${v}`);
  }
}

function checkUsage(u: Usage): void {
  checkCount('inputTokens', u.inputTokens);
  checkCount('cacheReadTokens', u.cacheReadTokens);
  checkCount('cacheWriteTokens', u.cacheWriteTokens);
  checkCount('outputTokens', u.outputTokens);
  checkCount('reasoningTokens', u.reasoningTokens);
  if (u.cacheReadTokens + u.cacheWriteTokens > u.inputTokens) {
    throw new RangeError(
      `usage: cacheReadTokens (${u.cacheReadTokens}) + cacheWriteTokens (${u.cacheWriteTokens}) exceed inputTokens (${u.inputTokens})`,
    );
  }
  if (u.reasoningTokens > u.outputTokens) {
    throw new RangeError(
      `usage: reasoningTokens (${u.reasoningTokens}) exceed outputTokens (${u.outputTokens})`,
    );
  }
}

export function createPricer(overrides: PriceOverrides = new Map(), options: PricerOptions = {}): Pricer {
  const cacheSize = options.cacheSize ?? 1000;
  if (!Number.isInteger(cacheSize) || cacheSize < 1) {
    throw new RangeError('cacheSize must be an integer >= 1');
  }
  const now = options.now ?? Date.now;

  const fixed = new Map<string, Resolved>();
  for (const [key, o] of overrides) {
    fixed.set(key, {
      source: 'override',
      catalogModel: key.slice(key.indexOf(':') + 1),
      price: compileOverride(o),
      validUntilMs: Number.POSITIVE_INFINITY,
    });
  }
  /** Catalogue lookups, unknown models cached as null. Insertion-ordered: evicts the oldest. */
  const cache = new Map<string, Resolved | null>();

  function resolve(provider: ProviderId, model: string): Resolved | null {
    const key = overrideKey(provider, model);
    const own = fixed.get(key);
    if (own !== undefined) return own;
    const hit = cache.get(key);
    if (hit === null) return null;
    if (hit !== undefined && hit.validUntilMs === Number.POSITIVE_INFINITY) return hit;
    const nowMs = now();
    if (hit !== undefined && nowMs < hit.validUntilMs) return hit;

    const fresh = resolveCatalog(provider, model, nowMs);
    cache.delete(key);
    if (cache.size >= cacheSize) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, fresh);
    return fresh;
  }

  return {
    price(provider, model, usage) {
      const r = resolve(provider, model);
      if (r === null) return UNPRICED;
      checkUsage(usage);
      const p = r.price;
      const inputTokens = usage.inputTokens;

      // Cache reads/writes are parts of inputTokens: take out those with their own price.
      let plainInput = inputTokens;
      let inputMicros = 0; // USD per million tokens × tokens, i.e. micro-dollars
      if (p.cacheRead !== null) {
        inputMicros += rateAt(p.cacheRead, inputTokens) * usage.cacheReadTokens;
        plainInput -= usage.cacheReadTokens;
      }
      if (p.cacheWrite !== null) {
        inputMicros += rateAt(p.cacheWrite, inputTokens) * usage.cacheWriteTokens;
        plainInput -= usage.cacheWriteTokens;
      }
      inputMicros += rateAt(p.input, inputTokens) * plainInput;

      // Reasoning is part of outputTokens: only split it out when it has its own price.
      let outputMicros: number;
      if (p.reasoning !== null) {
        outputMicros =
          rateAt(p.reasoning, inputTokens) * usage.reasoningTokens +
          rateAt(p.output, inputTokens) * (usage.outputTokens - usage.reasoningTokens);
      } else {
        outputMicros = rateAt(p.output, inputTokens) * usage.outputTokens;
      }

      const inputCostUsd = inputMicros / PER_MILLION;
      const outputCostUsd = outputMicros / PER_MILLION;
      return {
        priced: true,
        costUsd: inputCostUsd + outputCostUsd + p.perRequestUsd,
        inputCostUsd,
        outputCostUsd,
        source: r.source,
        catalogModel: r.catalogModel,
      };
    },

    unitPrices(provider, model, inputTokens) {
      const r = resolve(provider, model);
      if (r === null) return null;
      const p = r.price;
      const at = (rate: Rate): number =>
        (inputTokens === undefined ? maxRate(rate) : rateAt(rate, inputTokens)) / PER_MILLION;
      return {
        input: at(p.input),
        output: at(p.output),
        cacheRead: at(p.cacheRead ?? p.input),
        cacheWrite: at(p.cacheWrite ?? p.input),
        reasoning: at(p.reasoning ?? p.output),
        perRequest: p.perRequestUsd,
        tiered: p.tiered,
        source: r.source,
        catalogModel: r.catalogModel,
      };
    },
  };
}
