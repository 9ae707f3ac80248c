// The catalogue (built-in facts, the price list, org overrides) and the cheapest model able to serve a request.
import { describe, expect, it } from 'vitest';
import {
  type CapabilityNeeds,
  cheapestCapable,
  familyName,
  splitModelRef,
} from '../../src/routing/catalogue.js';
import { catalogue, override } from './fixtures.js';

const needs = (overrides: Partial<CapabilityNeeds> = {}): CapabilityNeeds => ({
  inputTokens: 1_000,
  maxOutputTokens: 500,
  tools: false,
  images: false,
  jsonMode: false,
  provider: 'openai',
  ...overrides,
});

describe('lookup', () => {
  it('resolves dated snapshots, aliases and provider prefixes to their family', () => {
    const models = catalogue();
    expect(models.lookup('gpt-4o-2024-08-06')).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o',
      contextWindow: 128_000,
      maxOutputTokens: 16_384,
      capabilities: { tools: true, vision: true, jsonMode: true, reasoning: false },
      enabled: true,
    });
    expect(models.lookup('gpt-4o-2024-05-13')?.maxOutputTokens).toBe(4_096);
    expect(models.lookup('claude-sonnet-4-5-20250929')).toMatchObject({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    });
    expect(models.lookup('claude-sonnet-4-6')).toMatchObject({
      provider: 'anthropic',
      maxOutputTokens: 64_000,
    });
    expect(models.lookup('claude-opus-4-0')?.model).toBe('claude-opus-4');
    expect(models.lookup('claude-3-5-haiku-latest')?.model).toBe('claude-3-5-haiku');
    expect(models.lookup('anthropic:claude-haiku-4-5')?.provider).toBe('anthropic');
    expect(models.lookup('openai:claude-haiku-4-5')).toBeNull();
    expect(models.lookup('claude-haiku-4-5', 'openai')).toBeNull();
    expect(models.lookup('no-such-model-anywhere')).toBeNull();
  });

  it('falls back to the price list: its context window, no capabilities', () => {
    expect(catalogue().lookup('gpt-3.5-turbo')).toMatchObject({
      provider: 'openai',
      contextWindow: 16_385,
      maxOutputTokens: null,
      capabilities: { tools: false, vision: false, jsonMode: false, reasoning: false },
    });
  });

  it('applies org overrides field by field, and can add models', () => {
    const models = catalogue([
      override('gpt-4o', {
        contextWindow: 64_000,
        capabilities: { tools: null, vision: false, jsonMode: null, reasoning: null },
      }),
      override('ft:gpt-4o-mini:acme', {
        contextWindow: 128_000,
        capabilities: { tools: true, vision: null, jsonMode: null, reasoning: null },
      }),
    ]);
    expect(models.lookup('gpt-4o')).toMatchObject({
      contextWindow: 64_000,
      maxOutputTokens: 16_384,
      capabilities: { tools: true, vision: false, jsonMode: true },
    });
    expect(models.lookup('ft:gpt-4o-mini:acme')).toMatchObject({
      provider: 'openai',
      model: 'ft:gpt-4o-mini:acme',
      contextWindow: 128_000,
      capabilities: { tools: true, vision: false },
    });
  });

  it('splits provider prefixes and strips snapshot dates only', () => {
    expect(splitModelRef('anthropic:claude-3-haiku')).toEqual({
      provider: 'anthropic',
      model: 'claude-3-haiku',
    });
    expect(splitModelRef('ft:gpt-4o:acme')).toEqual({ provider: undefined, model: 'ft:gpt-4o:acme' });
    expect(familyName('gpt-4.1-2025-04-14')).toBe('gpt-4.1');
    expect(familyName('claude-haiku-4-5-20251001')).toBe('claude-haiku-4-5');
    expect(familyName('gpt-4o-mini')).toBe('gpt-4o-mini');
  });
});

describe('estimateCostUsd', () => {
  it('prices input and output at the tier the input size selects', () => {
    const models = catalogue();
    expect(models.estimateCostUsd('openai', 'gpt-4o', 1_000, 500)).toBeCloseTo(0.0025 + 0.005, 12);
    expect(models.estimateCostUsd('openai', 'gpt-4o', 1_000, null)).toBeCloseTo(0.0025 + 1024 * 10e-6, 12);
    expect(models.estimateCostUsd('anthropic', 'claude-sonnet-4-5', 1_000, 0)).toBeCloseTo(0.003, 12);
    expect(models.estimateCostUsd('anthropic', 'claude-sonnet-4-5', 250_000, 0)).toBeCloseTo(1.5, 9);
    expect(models.estimateCostUsd('openai', 'no-such-model', 1, 1)).toBeNull();
  });
});

describe('cheapestCapable', () => {
  it('only considers models with room for the input and the output', () => {
    const models = catalogue();
    const allowed = ['gpt-4o-mini', 'gpt-4.1-mini'];
    expect(cheapestCapable(needs(), allowed, models)?.model).toBe('gpt-4o-mini');
    expect(
      cheapestCapable(needs({ inputTokens: 127_000, maxOutputTokens: 2_000 }), allowed, models)?.model,
    ).toBe('gpt-4.1-mini');
    expect(cheapestCapable(needs({ maxOutputTokens: 20_000 }), allowed, models)?.model).toBe('gpt-4.1-mini');
    // GPT-5 takes 400k in total but at most 272k of input.
    const gpt5 = ['gpt-5-nano', 'gpt-4.1-nano'];
    expect(cheapestCapable(needs(), gpt5, models)?.model).toBe('gpt-5-nano');
    expect(cheapestCapable(needs({ inputTokens: 300_000 }), gpt5, models)?.model).toBe('gpt-4.1-nano');
    expect(cheapestCapable(needs({ inputTokens: 2_000_000 }), gpt5, models)).toBeNull();
  });

  it('matches tools, images, JSON mode and reasoning', () => {
    const models = catalogue();
    // o3-mini and o4-mini cost the same: the earlier entry wins unless it cannot see images.
    expect(cheapestCapable(needs(), ['o3-mini', 'o4-mini'], models)?.model).toBe('o3-mini');
    expect(cheapestCapable(needs({ images: true }), ['o3-mini', 'o4-mini'], models)?.model).toBe('o4-mini');
    // Capabilities unknown to the catalogue count as absent.
    expect(cheapestCapable(needs(), ['gpt-3.5-turbo', 'gpt-4o'], models)?.model).toBe('gpt-3.5-turbo');
    expect(cheapestCapable(needs({ tools: true }), ['gpt-3.5-turbo', 'gpt-4o'], models)?.model).toBe(
      'gpt-4o',
    );
    const toolsKnown = catalogue([
      override('gpt-3.5-turbo', {
        capabilities: { tools: true, vision: null, jsonMode: null, reasoning: null },
      }),
    ]);
    expect(cheapestCapable(needs({ tools: true }), ['gpt-3.5-turbo', 'gpt-4o'], toolsKnown)?.model).toBe(
      'gpt-3.5-turbo',
    );
    expect(cheapestCapable(needs({ reasoning: true }), ['gpt-4o-mini', 'o4-mini'], models)?.model).toBe(
      'o4-mini',
    );
    const claude = ['claude-haiku-4-5', 'claude-sonnet-4-5'];
    const anthropic = needs({ provider: 'anthropic' });
    expect(cheapestCapable(anthropic, claude, models)).toMatchObject({
      model: 'claude-haiku-4-5',
      provider: 'anthropic',
    });
    expect(cheapestCapable({ ...anthropic, jsonMode: true }, claude, models)?.model).toBe(
      'claude-sonnet-4-5',
    );
  });

  it('keeps to the request provider, and skips disabled, unknown and unpriced models', () => {
    const models = catalogue([
      override('gpt-4.1-nano', { enabled: false }),
      override('house-model', {
        contextWindow: 1_000_000,
        capabilities: { tools: true, vision: true, jsonMode: true, reasoning: true },
      }),
    ]);
    expect(cheapestCapable(needs(), ['claude-3-haiku', 'gpt-4o'], models)?.model).toBe('gpt-4o');
    expect(cheapestCapable(needs(), ['gpt-4.1-nano', 'gpt-4.1-mini'], models)?.model).toBe('gpt-4.1-mini');
    expect(cheapestCapable(needs(), ['house-model', 'nonexistent-model'], models)).toBeNull();
  });

  it("prices with the org's price overrides and returns the name as listed", () => {
    const prices = new Map([
      ['openai:gpt-4o', { input_mtok: 0.01, output_mtok: 0.01 }],
      ['openai:house-model', { input_mtok: 0.001, output_mtok: 0.001 }],
    ]);
    const models = catalogue(
      [
        override('house-model', {
          contextWindow: 32_000,
          capabilities: { tools: true, vision: false, jsonMode: false, reasoning: false },
        }),
      ],
      prices,
    );
    const choice = cheapestCapable(needs(), ['gpt-4o-mini', 'openai:gpt-4o'], models);
    expect(choice).toEqual({
      model: 'gpt-4o',
      provider: 'openai',
      estimatedCostUsd: expect.closeTo(1.5e-5, 12),
    });
    expect(cheapestCapable(needs({ tools: true }), ['gpt-4o', 'house-model'], models)?.model).toBe(
      'house-model',
    );
    expect(cheapestCapable(needs({ images: true }), ['gpt-4o', 'house-model'], models)?.model).toBe('gpt-4o');
  });
});
