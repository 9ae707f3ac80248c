// Route attributes from requests parsed by the real provider adapters, and the dry run's token estimate.
import { describe, expect, it } from 'vitest';
import { anthropicAdapter, openaiAdapter } from '../../src/providers/index.js';
import { celRequestOf, type RouteContext, routeAttributesFrom } from '../../src/routing/attributes.js';
import { estimateInputTokens } from '../../src/routing/estimate.js';

const context: RouteContext = {
  team: { id: 'team-1', name: 'ml' },
  key: 'key-1',
  agent: 'planner',
  tags: ['batch'],
  estimatedInputTokens: 1234,
  utilisation: { key: 0.5, team: 0.25 },
  // A Sunday, 23:30 UTC.
  now: new Date('2026-01-04T23:30:00Z'),
};

describe('routeAttributesFrom', () => {
  it('reads an OpenAI chat request', () => {
    const request = openaiAdapter.parseRequest({
      model: 'gpt-4o',
      stream: true,
      max_completion_tokens: 300,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } },
      reasoning_effort: 'low',
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
      ],
    });
    expect(routeAttributesFrom(request, context)).toEqual({
      model: 'gpt-4o',
      provider: 'openai',
      endpoint: 'chat_completions',
      team: 'ml',
      teamId: 'team-1',
      key: 'key-1',
      agent: 'planner',
      tags: ['batch'],
      estimatedInputTokens: 1234,
      maxTokens: 300,
      stream: true,
      hasTools: true,
      hasImages: true,
      jsonMode: true,
      reasoning: true,
      hour: 23,
      weekday: 0,
      utilisation: { key: 0.5, team: 0.25 },
    });
  });

  it('reads an Anthropic messages request', () => {
    const request = anthropicAdapter.parseRequest({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      system: 'be brief',
      thinking: { type: 'enabled', budget_tokens: 512 },
      messages: [{ role: 'user', content: 'hello' }],
    });
    const attrs = routeAttributesFrom(request, {
      ...context,
      team: null,
      now: Date.parse('2026-01-05T08:00:00Z'),
    });
    expect(attrs).toMatchObject({
      provider: 'anthropic',
      endpoint: 'messages',
      team: null,
      teamId: null,
      maxTokens: 1024,
      stream: false,
      hasTools: false,
      hasImages: false,
      jsonMode: false,
      reasoning: true,
      hour: 8,
      weekday: 1,
    });
  });

  it('does not take a disabled reasoning effort as a reasoning request', () => {
    const request = openaiAdapter.parseRequest({
      model: 'gpt-5.1',
      reasoning_effort: 'none',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(routeAttributesFrom(request, { ...context, endpoint: 'custom' })).toMatchObject({
      reasoning: false,
      jsonMode: false,
      maxTokens: null,
      endpoint: 'custom',
    });
  });
});

describe('celRequestOf', () => {
  it('binds integers as CEL ints and fills unknowns with empty values', () => {
    const request = openaiAdapter.parseRequest({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const attrs = routeAttributesFrom(request, {
      ...context,
      team: null,
      key: null,
      agent: null,
      utilisation: { org: 0.9 },
    });
    expect(celRequestOf(attrs)).toMatchObject({
      team: '',
      team_id: '',
      key: '',
      agent: '',
      max_tokens: 0n,
      estimated_input_tokens: 1234n,
      hour: 23n,
      weekday: 0n,
      key_utilisation: 0,
      team_utilisation: 0,
      budget: { org: 0.9 },
    });
  });
});

describe('estimateInputTokens', () => {
  it('counts text, framing, tools and images', () => {
    const plain = openaiAdapter.parseRequest({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hello world, how are you today?' }],
    });
    // 8 tokens of text (o200k) + 3 framing + 3 reply priming.
    expect(estimateInputTokens(plain)).toBe(14);

    const withImage = openaiAdapter.parseRequest({
      model: 'gpt-4o',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hello world, how are you today?' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
      ],
    });
    expect(estimateInputTokens(withImage)).toBe(14 + 765);

    const anthropic = anthropicAdapter.parseRequest({
      model: 'claude-haiku-4-5',
      max_tokens: 10,
      system: 'Hello world, how are you today?',
      tools: [{ name: 'lookup', input_schema: { type: 'object' } }],
      messages: [{ role: 'user', content: '<|endoftext|>' }],
    });
    expect(estimateInputTokens(anthropic)).toBeGreaterThan(14 + 3 + 5);
  });
});
