// Malformed requests: each wrong shape is a 400 naming the offending field, and nothing but a
// RequestError ever escapes parseRequest.
import { describe, expect, it } from 'vitest';
import {
  anthropicAdapter,
  openaiAdapter,
  type ProviderAdapter,
  RequestError,
} from '../../src/providers/index.js';
import { seededRandom } from './helpers.js';

type Body = Record<string, unknown>;

const openaiBody = (): Body => ({
  model: 'gpt-5-nano',
  stream: true,
  stream_options: { include_usage: true },
  max_completion_tokens: 500,
  messages: [
    { role: 'developer', content: 'Be brief.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is this, and the weather?' },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
        { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
      ],
    },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
  ],
  tools: [
    {
      type: 'function',
      function: {
        name: 'weather',
        description: 'Weather now',
        parameters: { type: 'object', properties: {} },
      },
    },
  ],
});

const anthropicBody = (): Body => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  stream: false,
  system: [{ type: 'text', text: 'Be brief.' }],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
      ],
    },
    {
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } }],
    },
    {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'Sunny' }] }],
    },
  ],
  tools: [{ name: 'weather', description: 'Weather now', input_schema: { type: 'object' } }],
});

/** Sets (or with `undefined`, deletes) the value at a path of keys and indexes. */
function mutate(body: Body, path: Array<string | number>, value: unknown): Body {
  const copy = structuredClone(body);
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

function rejection(adapter: ProviderAdapter, body: unknown): RequestError | null {
  try {
    adapter.parseRequest(body);
    return null;
  } catch (error) {
    if (error instanceof RequestError) return error;
    throw error;
  }
}

type Case = [path: Array<string | number>, value: unknown, param: string];

const openaiCases: Case[] = [
  [['model'], undefined, 'model'],
  [['model'], 5, 'model'],
  [['model'], '', 'model'],
  [['stream'], 'yes', 'stream'],
  [['stream_options'], 'x', 'stream_options'],
  [['max_completion_tokens'], 0, 'max_completion_tokens'],
  [['max_completion_tokens'], 1.5, 'max_completion_tokens'],
  [['max_completion_tokens'], '100', 'max_completion_tokens'],
  [['max_tokens'], -1, 'max_tokens'],
  [['messages'], undefined, 'messages'],
  [['messages'], {}, 'messages'],
  [['messages'], [], 'messages'],
  [['messages', 0], 'hi', 'messages[0]'],
  [['messages', 0, 'role'], undefined, 'messages[0].role'],
  [['messages', 2, 'role'], 7, 'messages[2].role'],
  [['messages', 0, 'content'], undefined, 'messages[0].content'],
  [['messages', 0, 'content'], null, 'messages[0].content'],
  [['messages', 0, 'content'], 42, 'messages[0].content'],
  [['messages', 1, 'content', 1], 'img', 'messages[1].content[1]'],
  [['messages', 1, 'content', 0, 'type'], undefined, 'messages[1].content[0].type'],
  [['messages', 1, 'content', 0, 'text'], ['a'], 'messages[1].content[0].text'],
  [['messages', 1, 'content', 1, 'image_url'], undefined, 'messages[1].content[1].image_url'],
  [['messages', 1, 'content', 1, 'image_url', 'url'], 1, 'messages[1].content[1].image_url.url'],
  [
    ['messages', 1, 'content', 2, 'input_audio', 'format'],
    undefined,
    'messages[1].content[2].input_audio.format',
  ],
  [['messages', 2, 'tool_calls'], {}, 'messages[2].tool_calls'],
  [['messages', 2, 'tool_calls', 0], null, 'messages[2].tool_calls[0]'],
  [['messages', 2, 'tool_calls', 0, 'function'], undefined, 'messages[2].tool_calls[0].function'],
  [['messages', 2, 'tool_calls', 0, 'function', 'name'], 3, 'messages[2].tool_calls[0].function.name'],
  // A frequent client mistake: arguments as an object instead of a JSON string.
  [
    ['messages', 2, 'tool_calls', 0, 'function', 'arguments'],
    { city: 'Paris' },
    'messages[2].tool_calls[0].function.arguments',
  ],
  [['messages', 3, 'tool_call_id'], undefined, 'messages[3].tool_call_id'],
  [['messages', 3, 'name'], 5, 'messages[3].name'],
  [['tools'], 'weather', 'tools'],
  [['tools', 0], 1, 'tools[0]'],
  [['tools', 0, 'type'], undefined, 'tools[0].type'],
  [['tools', 0, 'function'], undefined, 'tools[0].function'],
  [['tools', 0, 'function', 'name'], undefined, 'tools[0].function.name'],
  [['tools', 0, 'function', 'description'], 1, 'tools[0].function.description'],
  [['tools', 0, 'function', 'parameters'], '{}', 'tools[0].function.parameters'],
  [['functions'], [1], 'functions[0]'],
];

const anthropicCases: Case[] = [
  [['model'], undefined, 'model'],
  [['model'], 1, 'model'],
  [['max_tokens'], undefined, 'max_tokens'],
  [['max_tokens'], '1024', 'max_tokens'],
  [['max_tokens'], 0, 'max_tokens'],
  [['max_tokens'], 2.5, 'max_tokens'],
  [['stream'], 1, 'stream'],
  [['messages'], undefined, 'messages'],
  [['messages'], 'hi', 'messages'],
  [['messages'], [], 'messages'],
  [['messages', 0], 'hi', 'messages.0'],
  [['messages', 0, 'role'], undefined, 'messages.0.role'],
  [['messages', 0, 'role'], 'system', 'messages.0.role'],
  [['messages', 0, 'content'], undefined, 'messages.0.content'],
  [['messages', 0, 'content'], 5, 'messages.0.content'],
  [['messages', 0, 'content', 0], 'text', 'messages.0.content.0'],
  [['messages', 0, 'content', 0, 'type'], undefined, 'messages.0.content.0.type'],
  [['messages', 0, 'content', 0, 'text'], null, 'messages.0.content.0.text'],
  [['messages', 0, 'content', 1, 'source'], undefined, 'messages.0.content.1.source'],
  [['messages', 1, 'content', 0, 'id'], undefined, 'messages.1.content.0.id'],
  [['messages', 1, 'content', 0, 'name'], 5, 'messages.1.content.0.name'],
  [['messages', 1, 'content', 0, 'input'], '{"city":"Paris"}', 'messages.1.content.0.input'],
  [['messages', 2, 'content', 0, 'tool_use_id'], undefined, 'messages.2.content.0.tool_use_id'],
  [['messages', 2, 'content', 0, 'content'], 5, 'messages.2.content.0.content'],
  [['messages', 2, 'content', 0, 'content', 0], 'x', 'messages.2.content.0.content.0'],
  [['messages', 2, 'content', 0, 'is_error'], 'yes', 'messages.2.content.0.is_error'],
  [['system'], 5, 'system'],
  [['system', 0], 'x', 'system.0'],
  [['system', 0, 'type'], 'image', 'system.0.type'],
  [['system', 0, 'text'], undefined, 'system.0.text'],
  [['tools'], {}, 'tools'],
  [['tools', 0, 'name'], undefined, 'tools.0.name'],
  [['tools', 0, 'description'], false, 'tools.0.description'],
  [['tools', 0, 'input_schema'], undefined, 'tools.0.input_schema'],
  [['tools', 0, 'input_schema'], 'object', 'tools.0.input_schema'],
];

const suites: Array<[ProviderAdapter, () => Body, Case[]]> = [
  [openaiAdapter, openaiBody, openaiCases],
  [anthropicAdapter, anthropicBody, anthropicCases],
];

for (const [adapter, valid, cases] of suites) {
  describe(`${adapter.provider}: malformed requests`, () => {
    it('accepts the valid base request', () => {
      expect(rejection(adapter, valid())).toBeNull();
    });

    it.each(cases)('%j = %j → 400 at %s', (path, value, param) => {
      const error = rejection(adapter, mutate(valid(), path, value));
      expect(error).not.toBeNull();
      expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', param });
      expect(error?.message).toContain(param);
    });

    it('throws nothing but RequestError for any value at any path (seeded fuzz)', () => {
      const random = seededRandom(adapter.provider.length * 7919);
      const values: unknown[] = [
        undefined,
        null,
        0,
        -1,
        1.5,
        2 ** 53,
        '',
        'x',
        true,
        [],
        {},
        [null],
        [[]],
        { a: 1 },
      ];
      const paths: Array<Array<string | number>> = [];
      const walk = (node: unknown, path: Array<string | number>): void => {
        if (path.length > 0) paths.push(path);
        if (node === null || typeof node !== 'object') return;
        for (const [key, child] of Object.entries(node)) {
          walk(child, [...path, Array.isArray(node) ? Number(key) : key]);
        }
      };
      walk(valid(), []);
      let rejected = 0;
      for (const path of paths) {
        for (const value of values) {
          const error = rejection(adapter, mutate(valid(), path, value));
          if (!error) continue;
          rejected++;
          expect(error.status).toBe(400);
          expect(error.type).toBe('invalid_request_error');
          // The blamed field lies on the mutated branch.
          expect(String(error.param).split(/[.[]/)[0], `${path.join('.')}=${JSON.stringify(value)}`).toBe(
            String(path[0]),
          );
        }
      }
      // Random structural damage: several mutations at once.
      for (let round = 0; round < 2000; round++) {
        let body = valid();
        for (let n = 0; n < 3; n++) {
          const path = paths[Math.floor(random() * paths.length)] as Array<string | number>;
          try {
            body = mutate(body, path, values[Math.floor(random() * values.length)]);
          } catch {
            // The path no longer exists after an earlier mutation.
          }
        }
        rejection(adapter, body);
      }
      expect(rejected).toBeGreaterThan(paths.length);
    });
  });
}

it('anthropic: rejects tool_use input nested too deeply to re-serialise', () => {
  const deep = JSON.parse(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
  const error = rejection(
    anthropicAdapter,
    mutate(anthropicBody(), ['messages', 1, 'content', 0, 'input'], deep),
  );
  expect(error).toMatchObject({ status: 400, param: 'messages.1.content.0.input' });
});
