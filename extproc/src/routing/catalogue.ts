// The model catalogue routing decides on: which provider serves a model, how much context and output it takes, what
// it can do (catalogue-data.ts, else the context window @pydantic/genai-prices knows), corrected by the org's model
// overrides; and what it costs, through the org's pricer (genai-prices plus the org's price overrides).
import { calcPrice } from '@pydantic/genai-prices';
import type { Pricer } from '../pricing/pricing.js';
import type { ProviderId } from '../providers/types.js';
import { BUILTIN_MODELS, type BuiltinModel } from './catalogue-data.js';
import type { ModelCapabilities, SnapshotModelOverride } from './types.js';

export interface CatalogueModel {
  provider: ProviderId;
  /** The catalogue's name for it (dated snapshots resolve to their family). */
  model: string;
  /** Input + output tokens; null = unknown, so never judged large enough. */
  contextWindow: number | null;
  maxInputTokens: number | null;
  /** null = unknown: not checked. */
  maxOutputTokens: number | null;
  capabilities: Readonly<ModelCapabilities>;
  /** false = an org override took it out of cheapest_capable. */
  enabled: boolean;
}

/** What a request needs from the model that serves it. */
export interface CapabilityNeeds {
  inputTokens: number;
  /** Output tokens the request may produce (max_tokens after any cap); null = not set by the client. */
  maxOutputTokens: number | null;
  tools: boolean;
  images: boolean;
  jsonMode: boolean;
  reasoning?: boolean;
  /** Only models of this provider: a request body is in one provider's shape. */
  provider?: ProviderId;
}

export interface ModelCatalogue {
  /** `model` or `provider:model`; dated names (`-2024-08-06`, `-20250929`) and `-latest` fall back to the family. */
  lookup(model: string, provider?: ProviderId): CatalogueModel | null;
  /**
   * USD for a call of this size, at the price tier `inputTokens` selects; null when the model has no price.
   * `outputTokens` null = DEFAULT_OUTPUT_TOKENS.
   */
  estimateCostUsd(
    provider: ProviderId,
    model: string,
    inputTokens: number,
    outputTokens: number | null,
  ): number | null;
}

/**
 * Output assumed when the client sets no max_tokens, to compare models: prices differ in their input/output ratio,
 * so some output size has to be assumed, and a typical chat answer is well under this.
 */
export const DEFAULT_OUTPUT_TOKENS = 1024;

const PROVIDERS: readonly ProviderId[] = ['openai', 'anthropic'];
const NO_CAPABILITIES: Readonly<ModelCapabilities> = Object.freeze({
  tools: false,
  vision: false,
  jsonMode: false,
  reasoning: false,
});
// Client-chosen model names reach lookup(): the memo must not grow without bound.
const MAX_MEMO = 1000;

const builtinByName = new Map<string, BuiltinModel>();
for (const entry of BUILTIN_MODELS) {
  for (const name of [entry.model, ...(entry.aliases ?? [])])
    builtinByName.set(`${entry.provider}:${name}`, entry);
}

/** `gpt-4o-2024-08-06` → `gpt-4o`, `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`, `…-latest` → `…`. */
export function familyName(model: string): string {
  return model.replace(/-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$/, '');
}

function fromBuiltin(entry: BuiltinModel): CatalogueModel {
  return {
    provider: entry.provider,
    model: entry.model,
    contextWindow: entry.contextWindow,
    maxInputTokens: entry.maxInputTokens ?? null,
    maxOutputTokens: entry.maxOutputTokens,
    capabilities: entry.capabilities,
    enabled: true,
  };
}

/** Only what the price list knows: the context window when listed, no capabilities. */
function fromPriceList(provider: ProviderId, model: string): CatalogueModel | null {
  let found: ReturnType<typeof calcPrice>;
  try {
    found = calcPrice({}, model, { providerId: provider });
  } catch {
    return null;
  }
  if (found === null || found.provider.id !== provider) return null;
  const window = found.model.context_window;
  return {
    provider,
    model: found.model.id,
    contextWindow: typeof window === 'number' && window > 0 ? window : null,
    maxInputTokens: null,
    maxOutputTokens: null,
    capabilities: NO_CAPABILITIES,
    enabled: true,
  };
}

function builtinOrPriceList(provider: ProviderId, model: string): CatalogueModel | null {
  const builtin =
    builtinByName.get(`${provider}:${model}`) ?? builtinByName.get(`${provider}:${familyName(model)}`);
  return builtin ? fromBuiltin(builtin) : fromPriceList(provider, model);
}

function applyOverride(base: CatalogueModel | null, override: SnapshotModelOverride): CatalogueModel {
  const caps = override.capabilities;
  const baseCaps = base?.capabilities ?? NO_CAPABILITIES;
  return {
    provider: override.provider,
    model: base?.model ?? override.model,
    contextWindow: override.contextWindow ?? base?.contextWindow ?? null,
    maxInputTokens: base?.maxInputTokens ?? null,
    maxOutputTokens: override.maxOutputTokens ?? base?.maxOutputTokens ?? null,
    capabilities: {
      tools: caps.tools ?? baseCaps.tools,
      vision: caps.vision ?? baseCaps.vision,
      jsonMode: caps.jsonMode ?? baseCaps.jsonMode,
      reasoning: caps.reasoning ?? baseCaps.reasoning,
    },
    enabled: override.enabled,
  };
}

/** Splits `provider:model`; a colon that does not follow a provider id is part of the name (`ft:gpt-4o:acme`). */
export function splitModelRef(ref: string): { provider: ProviderId | undefined; model: string } {
  const colon = ref.indexOf(':');
  if (colon > 0) {
    const prefix = ref.slice(0, colon);
    if ((PROVIDERS as readonly string[]).includes(prefix)) {
      return { provider: prefix as ProviderId, model: ref.slice(colon + 1) };
    }
  }
  return { provider: undefined, model: ref };
}

export function createCatalogue(options: {
  pricer: Pricer;
  overrides?: readonly SnapshotModelOverride[];
}): ModelCatalogue {
  const { pricer } = options;
  const overrides = new Map<string, SnapshotModelOverride>();
  for (const override of options.overrides ?? [])
    overrides.set(`${override.provider}:${override.model}`, override);
  const memo = new Map<string, CatalogueModel | null>();

  function resolve(provider: ProviderId, model: string): CatalogueModel | null {
    const key = `${provider}:${model}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const override = overrides.get(key);
    const base = builtinOrPriceList(provider, model);
    const resolved = override ? applyOverride(base, override) : base;
    if (memo.size >= MAX_MEMO) memo.clear();
    memo.set(key, resolved);
    return resolved;
  }

  return {
    lookup(ref, provider) {
      const split = splitModelRef(ref);
      const explicit = split.provider ?? provider;
      if (explicit) return resolve(explicit, split.model);
      for (const candidate of PROVIDERS) {
        const found = resolve(candidate, split.model);
        if (found) return found;
      }
      return null;
    },

    estimateCostUsd(provider, model, inputTokens, outputTokens) {
      const unit = pricer.unitPrices(provider, model, inputTokens);
      if (unit === null) return null;
      return (
        unit.input * inputTokens + unit.output * (outputTokens ?? DEFAULT_OUTPUT_TOKENS) + unit.perRequest
      );
    },
  };
}

/** Whether `model` can serve a request with these needs. */
export function meetsNeeds(model: CatalogueModel, needs: CapabilityNeeds): boolean {
  if (needs.provider !== undefined && model.provider !== needs.provider) return false;
  if (model.contextWindow === null) return false;
  if (needs.inputTokens + (needs.maxOutputTokens ?? 0) > model.contextWindow) return false;
  if (model.maxInputTokens !== null && needs.inputTokens > model.maxInputTokens) return false;
  if (needs.maxOutputTokens !== null && model.maxOutputTokens !== null) {
    if (needs.maxOutputTokens > model.maxOutputTokens) return false;
  }
  const caps = model.capabilities;
  if (needs.tools && !caps.tools) return false;
  if (needs.images && !caps.vision) return false;
  if (needs.jsonMode && !caps.jsonMode) return false;
  if (needs.reasoning === true && !caps.reasoning) return false;
  return true;
}

export interface CapableChoice {
  /** As written in `allowed` (without any `provider:` prefix): the name sent upstream. */
  model: string;
  provider: ProviderId;
  estimatedCostUsd: number;
}

/**
 * The cheapest allowed model that meets the needs, by estimated cost of this request; ties go to the earlier entry
 * of `allowed`. Disabled, unknown and unpriced models are never chosen: routing to a model whose cost cannot be
 * accounted for would defeat the point. null when none qualifies.
 */
export function cheapestCapable(
  needs: CapabilityNeeds,
  allowed: readonly string[],
  catalogue: ModelCatalogue,
): CapableChoice | null {
  let best: CapableChoice | null = null;
  for (const ref of allowed) {
    const { provider, model } = splitModelRef(ref);
    const entry = catalogue.lookup(model, provider ?? needs.provider);
    if (entry === null || !entry.enabled || !meetsNeeds(entry, needs)) continue;
    const cost = catalogue.estimateCostUsd(entry.provider, model, needs.inputTokens, needs.maxOutputTokens);
    if (cost === null) continue;
    if (best === null || cost < best.estimatedCostUsd) {
      best = { model, provider: entry.provider, estimatedCostUsd: cost };
    }
  }
  return best;
}
