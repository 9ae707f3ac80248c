import { countTokens as claudeTokens } from '@anthropic-ai/tokenizer';
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import {
  ANTHROPIC_TOKEN_SAFETY_FACTOR,
  CostEstimator,
  encodingFor,
  withMaxTokens,
} from '../../src/budgets/estimate.js';
import { createPricer } from '../../src/pricing/pricing.js';
import { anthropicAdapter, openaiAdapter } from '../../src/providers/index.js';

const pricer = createPricer();
const PROSE =
  'Budgets must hold under concurrency, streaming, disconnects and several replicas. '.repeat(40) +
  'Les budgets doivent tenir sous la concurrence. 予算は同時実行でも守られなければならない。 🚀✨ ' +
  'function reserve(cost) { return spent + reserved + cost <= limit; }';

const openai = (body: Record<string, unknown>) =>
  openaiAdapter.parseRequest({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROSE }], ...body });
const anthropic = (body: Record<string, unknown>) =>
  anthropicAdapter.parseRequest({
    model: 'claude-sonnet-4-5',
    max_tokens: 1000,
    messages: [{ role: 'user', content: PROSE }],
    ...body,
  });
const nanos = (usd: number) => Math.ceil(usd * 1e9);

describe('tokenizer choice', () => {
  it('follows the model family', () => {
    expect(encodingFor('openai', 'gpt-4o-mini')).toBe('o200k_base');
    expect(encodingFor('openai', 'gpt-4.1')).toBe('o200k_base');
    expect(encodingFor('openai', 'gpt-5-mini')).toBe('o200k_base');
    expect(encodingFor('openai', 'o3-mini')).toBe('o200k_base');
    expect(encodingFor('openai', 'ft:gpt-4o-mini:acme::abc')).toBe('o200k_base');
    expect(encodingFor('openai', 'gpt-4-turbo')).toBe('cl100k_base');
    expect(encodingFor('openai', 'gpt-3.5-turbo')).toBe('cl100k_base');
    expect(encodingFor('anthropic', 'claude-3-5-haiku-latest')).toBe('claude');
  });
});

describe('input tokens', () => {
  const estimator = new CostEstimator(pricer);

  it('are the tokenizer count plus a small framing overhead', async () => {
    const e = await estimator.estimate(openai({ max_completion_tokens: 10 }));
    const exact = o200k(PROSE);
    expect(exact).toBeGreaterThan(PROSE.length / 6);
    expect(exact).toBeLessThan(PROSE.length / 2);
    expect(e.inputTokens).toBeGreaterThanOrEqual(exact);
    expect(e.inputTokens).toBeLessThanOrEqual(exact + 20);
    expect(e.bounded).toBe(false);

    const legacy = await estimator.estimate(openai({ model: 'gpt-4', max_completion_tokens: 10 }));
    expect(legacy.encoding).toBe('cl100k_base');
    expect(legacy.inputTokens).toBeGreaterThanOrEqual(cl100k(PROSE));
  });

  it('scale the public Claude tokenizer by the safety factor', async () => {
    const e = await estimator.estimate(anthropic({}));
    const legacy = claudeTokens(PROSE);
    expect(e.encoding).toBe('claude');
    expect(e.inputTokens).toBeGreaterThanOrEqual(Math.ceil(legacy * ANTHROPIC_TOKEN_SAFETY_FACTOR));
    expect(e.inputTokens).toBeLessThan(legacy * ANTHROPIC_TOKEN_SAFETY_FACTOR + 20);
  });

  it('count system prompts, tool calls, tool results and tool definitions', async () => {
    const base = await estimator.estimate(anthropic({}));
    const system = 'You are a careful assistant that never overspends. '.repeat(10);
    const tool = {
      name: 'lookup_budget',
      description: 'Find the remaining budget of a team',
      input_schema: { type: 'object', properties: { team: { type: 'string' } }, required: ['team'] },
    };
    const withEverything = await estimator.estimate(
      anthropic({
        system,
        tools: [tool],
        messages: [
          { role: 'user', content: PROSE },
          {
            role: 'assistant',
            content: [
              { type: 'tool_use', id: 'toolu_01', name: 'lookup_budget', input: { team: 'research' } },
            ],
          },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'remaining: $12.50 of $100' }],
          },
        ],
      }),
    );
    const extra =
      claudeTokens(system) +
      claudeTokens(JSON.stringify({ team: 'research' })) +
      claudeTokens('remaining: $12.50 of $100') +
      claudeTokens(JSON.stringify(tool.input_schema));
    expect(withEverything.inputTokens - base.inputTokens).toBeGreaterThanOrEqual(extra);
  });

  it('count images at a per-image upper bound', async () => {
    const image = { type: 'image_url', image_url: { url: 'https://example.com/a.png' } };
    const text = await estimator.estimate(openai({ max_completion_tokens: 10 }));
    const two = await estimator.estimate(
      openai({
        max_completion_tokens: 10,
        messages: [{ role: 'user', content: [{ type: 'text', text: PROSE }, image, image] }],
      }),
    );
    // gpt-4o-mini bills a 2048×768 high-detail image at 2833 + 8 × 5667 tokens.
    expect(two.inputTokens - text.inputTokens).toBeGreaterThanOrEqual(2 * (2833 + 8 * 5667));
  });

  it('never fall below the tokenizer count when huge prompts are bounded by bytes', async () => {
    const bounded = new CostEstimator(pricer, { maxTokenizeChars: 0 });
    const samples = [
      PROSE,
      '日本語のテキスト'.repeat(200),
      '🚀'.repeat(300),
      '{"a":[1,2,3]}'.repeat(100),
      ' '.repeat(500),
    ];
    for (const text of samples) {
      const o = await bounded.estimate(openai({ messages: [{ role: 'user', content: text }] }));
      expect(o.bounded).toBe(true);
      expect(o.inputTokens).toBeGreaterThanOrEqual(o200k(text));
      const c = await bounded.estimate(anthropic({ messages: [{ role: 'user', content: text }] }));
      expect(c.inputTokens).toBeGreaterThanOrEqual(claudeTokens(text));
    }
  });

  it('tokenize only up to the per-request allowance', async () => {
    const small = new CostEstimator(pricer, { maxTokenizeChars: 1000 });
    const e = await small.estimate(
      openai({
        messages: [
          { role: 'user', content: 'short question' },
          { role: 'user', content: PROSE },
        ],
      }),
    );
    expect(e.bounded).toBe(true);
    expect(e.inputTokens).toBeGreaterThanOrEqual(Buffer.byteLength(PROSE) + o200k('short question'));
  });

  it('give the same answer from the count cache', async () => {
    const first = await estimator.estimate(openai({}));
    const second = await estimator.estimate(openai({}));
    expect(second).toEqual(first);
  });
});

describe('output cap', () => {
  const estimator = new CostEstimator(pricer, { defaultMaxOutputTokens: 2048 });

  it('is injected when the client set none', async () => {
    const e = await estimator.estimate(openai({}));
    expect(e.injectMaxTokens).toBe(2048);
    expect(e.maxOutputTokens).toBe(2048);
    expect(e.tokens).toBe(e.inputTokens + 2048);
    expect(withMaxTokens('openai', { model: 'x' }, 2048)).toEqual({
      model: 'x',
      max_completion_tokens: 2048,
    });
    expect(withMaxTokens('anthropic', { model: 'x' }, 2048)).toEqual({ model: 'x', max_tokens: 2048 });
  });

  it("is the client's own limit, times the number of choices", async () => {
    const own = await estimator.estimate(openai({ max_tokens: 300 }));
    expect(own.injectMaxTokens).toBeNull();
    expect(own.maxOutputTokens).toBe(300);
    const three = await estimator.estimate(openai({ max_completion_tokens: 300, n: 3 }));
    expect(three.maxOutputTokens).toBe(900);
    const claude = await estimator.estimate(anthropic({ max_tokens: 777 }));
    expect(claude).toMatchObject({ injectMaxTokens: null, maxOutputTokens: 777 });
  });
});

describe('cost', () => {
  const estimator = new CostEstimator(pricer);

  it('is at least what the request would cost at the tokenizer count and full output', async () => {
    const e = await estimator.estimate(openai({ max_completion_tokens: 500 }));
    const usage = {
      inputTokens: o200k(PROSE),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 500,
      reasoningTokens: 0,
    };
    const quote = pricer.price('openai', 'gpt-4o-mini', usage);
    if (!quote.priced || !e.priced) throw new Error('gpt-4o-mini should be priced');
    expect(Number.isInteger(e.costNanos)).toBe(true);
    expect(e.costNanos).toBeGreaterThanOrEqual(nanos(quote.costUsd));
    expect(e.costNanos).toBeLessThan(nanos(quote.costUsd) * 1.1);
  });

  it('charges all input as cache writes, at 2× input with 1-hour cache writes', async () => {
    const plain = await estimator.estimate(anthropic({ max_tokens: 1 }));
    // Sonnet 4.5 is tiered by input size: the rates of this prompt's tier.
    const prices = pricer.unitPrices('anthropic', 'claude-sonnet-4-5', plain.inputTokens);
    if (prices === null) throw new Error('claude-sonnet-4-5 should be priced');
    const cached = await estimator.estimate(
      anthropic({
        max_tokens: 1,
        messages: [
          {
            role: 'user',
            content: [{ type: 'text', text: PROSE, cache_control: { type: 'ephemeral', ttl: '1h' } }],
          },
        ],
      }),
    );
    expect(plain.costNanos).toBeGreaterThanOrEqual(nanos(plain.inputTokens * prices.cacheWrite));
    expect(cached.costNanos).toBeGreaterThanOrEqual(nanos(cached.inputTokens * prices.input * 2));
  });

  it('is null for unpriced models, with tokens still estimated', async () => {
    const e = await estimator.estimate(openai({ model: 'acme-private-model-7' }));
    expect(e.priced).toBe(false);
    expect(e.costNanos).toBeNull();
    expect(e.tokens).toBeGreaterThan(o200k(PROSE));
  });
});
