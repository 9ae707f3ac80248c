// Operator price overrides (`ACC_PRICE_OVERRIDES`): per "provider:model" USD per million tokens.
// Parsed strictly at startup so a typo fails loudly instead of silently mispricing traffic.

import type { ProviderId } from '../providers/types.js';

/** USD per million tokens for one model, as configured. */
export interface ModelPriceOverride {
  readonly input_mtok: number;
  readonly output_mtok: number;
  /** Cache reads; when absent they are charged at `input_mtok`. */
  readonly cache_read_mtok?: number;
  /** Cache writes; when absent they are charged at `input_mtok`. */
  readonly cache_write_mtok?: number;
}

/** Overrides keyed by `"provider:model"`, e.g. `"openai:ft:gpt-4o-mini:acme"` (model matched exactly). */
export type PriceOverrides = ReadonlyMap<string, ModelPriceOverride>;

export class PriceConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PriceConfigError';
  }
}

const PROVIDERS: readonly ProviderId[] = ['openai', 'anthropic'];
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'input_mtok',
  'output_mtok',
  'cache_read_mtok',
  'cache_write_mtok',
]);

/** The map key for a provider/model pair. */
export function overrideKey(provider: ProviderId, model: string): string {
  return `${provider}:${model}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/**
 * Parses the override configuration text: a JSON object
 * `{ "provider:model": { "input_mtok": n, "output_mtok": n, "cache_read_mtok"?: n, "cache_write_mtok"?: n } }`.
 * Prices are USD per million tokens, finite and >= 0. Unknown fields are rejected.
 * Throws PriceConfigError naming the offending key and field.
 */
export function parsePriceOverrides(text: string): PriceOverrides {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PriceConfigError(`price overrides: not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PriceConfigError(
      `price overrides: expected a JSON object keyed by "provider:model", got ${describe(parsed)}`,
    );
  }

  const result = new Map<string, ModelPriceOverride>();
  for (const [key, value] of Object.entries(parsed)) {
    const where = `price override ${JSON.stringify(key)}`;
    const colon = key.indexOf(':');
    const provider = colon === -1 ? '' : key.slice(0, colon);
    const model = colon === -1 ? '' : key.slice(colon + 1);
    if (colon === -1 || !(PROVIDERS as readonly string[]).includes(provider)) {
      throw new PriceConfigError(
        `${where}: key must be "provider:model" with provider one of ${PROVIDERS.join(', ')}`,
      );
    }
    if (model === '' || model.trim() !== model) {
      throw new PriceConfigError(`${where}: model name must be non-empty without surrounding whitespace`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new PriceConfigError(`${where}: expected an object of prices, got ${describe(value)}`);
    }
    const fields = value as Record<string, unknown>;
    for (const field of Object.keys(fields)) {
      if (!KNOWN_FIELDS.has(field)) {
        throw new PriceConfigError(
          `${where}: unknown field ${JSON.stringify(field)} (allowed: ${[...KNOWN_FIELDS].join(', ')})`,
        );
      }
    }
    const price = (field: string): number | undefined => {
      const v = fields[field];
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new PriceConfigError(
          `${where}: "${field}" must be a finite number >= 0 (USD per million tokens), got ${describe(v)}`,
        );
      }
      return v;
    };
    const required = (field: string): number => {
      const v = price(field);
      if (v === undefined) throw new PriceConfigError(`${where}: missing required field "${field}"`);
      return v;
    };
    const entry: { -readonly [K in keyof ModelPriceOverride]: ModelPriceOverride[K] } = {
      input_mtok: required('input_mtok'),
      output_mtok: required('output_mtok'),
    };
    const cacheRead = price('cache_read_mtok');
    const cacheWrite = price('cache_write_mtok');
    if (cacheRead !== undefined) entry.cache_read_mtok = cacheRead;
    if (cacheWrite !== undefined) entry.cache_write_mtok = cacheWrite;
    result.set(key, Object.freeze(entry));
  }
  return result;
}
