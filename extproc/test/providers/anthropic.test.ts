// No Anthropic recordings exist: these streams follow the Messages API streaming reference.
import { describe, expect, it } from 'vitest';
import { anthropicAdapter, type Usage } from '../../src/providers/index.js';
import { chunkings, runStream, summary, toCRLF, usage } from './helpers.js';

const sse = (events: Array<[string, unknown]>): string =>
  events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join('');

const MODEL = 'claude-sonnet-4-5-20250929';

const messageStart = (u: Record<string, number>) =>
  [
    'message_start',
    {
      type: 'message_start',
      message: {
        id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
        type: 'message',
        role: 'assistant',
        model: MODEL,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: u,
      },
    },
  ] as [string, unknown];

const toolStream = sse([
  messageStart({
    input_tokens: 25,
    cache_creation_input_tokens: 1200,
    cache_read_input_tokens: 3000,
    output_tokens: 1,
  }),
  [
    'content_block_start',
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  ],
  ['ping', { type: 'ping' }],
  [
    'content_block_delta',
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Héllo — 世界 🌍' } },
  ],
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  [
    'content_block_start',
    {
      type: 'content_block_start',
      index: 1,
      content_block: {
        type: 'tool_use',
        id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
        name: 'get_weather',
        input: {},
      },
    },
  ],
  [
    'content_block_delta',
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } },
  ],
  [
    'content_block_delta',
    {
      type: 'content_block_delta',
      index: 1,
      delta: { type: 'input_json_delta', partial_json: '{"location": "San Fra' },
    },
  ],
  [
    'content_block_delta',
    {
      type: 'content_block_delta',
      index: 1,
      delta: { type: 'input_json_delta', partial_json: 'ncisco, CA"}' },
    },
  ],
  ['content_block_stop', { type: 'content_block_stop', index: 1 }],
  [
    'message_delta',
    {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: 89 },
    },
  ],
  ['message_stop', { type: 'message_stop' }],
]);

const thinkingStream = sse([
  messageStart({
    input_tokens: 40,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: 3,
  }),
  [
    'content_block_start',
    { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
  ],
  [
    'content_block_delta',
    {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'thinking_delta', thinking: 'Let me think: 2+2…' },
    },
  ],
  [
    'content_block_delta',
    { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCg==' } },
  ],
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  [
    'message_delta',
    { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 120 } },
  ],
  // Newer API versions repeat the input side in message_delta, e.g. after server tools ran.
  [
    'message_delta',
    {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn' },
      usage: {
        input_tokens: 55,
        cache_creation_input_tokens: 7,
        cache_read_input_tokens: 9,
        output_tokens: 250,
      },
    },
  ],
  ['message_stop', { type: 'message_stop' }],
]);

const errorStream = sse([
  messageStart({ input_tokens: 10, output_tokens: 1 }),
  ['ping', { type: 'ping' }],
  ['error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }],
]);

const cases: Array<{ name: string; text: string; usage: Usage; events: number; error: unknown }> = [
  {
    name: 'text + tool_use',
    text: toolStream,
    usage: usage(4225, 3000, 1200, 89, 0),
    events: 12,
    error: null,
  },
  {
    name: 'thinking + late input usage',
    text: thinkingStream,
    usage: usage(71, 9, 7, 250, 0),
    events: 8,
    error: null,
  },
  {
    name: 'overloaded error',
    text: errorStream,
    usage: usage(10, 0, 0, 1, 0),
    events: 3,
    error: { type: 'overloaded_error', message: 'Overloaded' },
  },
];

describe('Anthropic streams at every split point', () => {
  for (const c of cases) {
    for (const [variant, text] of [
      ['LF', c.text],
      ['CRLF', toCRLF(c.text)],
    ] as const) {
      it(`${c.name} (${variant})`, () => {
        const input = Buffer.from(text);
        const reference = runStream(anthropicAdapter, [input]);
        expect(reference).toMatchObject({ usage: c.usage, model: MODEL, error: c.error, events: c.events });
        expect(reference.output.equals(input)).toBe(true);
        const expected = summary(reference);
        const mismatches: string[] = [];
        for (const { label, chunks } of chunkings(input)) {
          const run = runStream(anthropicAdapter, chunks, false);
          if (!run.sameBuffers || summary(run) !== expected) mismatches.push(label);
        }
        expect(mismatches).toEqual([]);
      });
    }
  }

  it('reports output tokens cumulatively as message_delta events arrive', () => {
    const observer = anthropicAdapter.createStreamObserver({ stripInjectedUsage: false });
    const bytes = Buffer.from(thinkingStream);
    const seen: number[] = [];
    for (let i = 0; i < bytes.length; i += 50) {
      observer.push(bytes.subarray(i, i + 50));
      const out = observer.usage?.outputTokens;
      if (out !== undefined && seen.at(-1) !== out) seen.push(out);
    }
    expect(seen).toEqual([3, 120, 250]);
  });

  it('ignores the strip option: there is never anything to strip', () => {
    const input = Buffer.from(toolStream);
    const run = runStream(anthropicAdapter, [input], true);
    expect(run.sameBuffers).toBe(true);
    expect(run.usage).toEqual(usage(4225, 3000, 1200, 89, 0));
  });
});

describe('Anthropic JSON responses', () => {
  it('adds cache reads and writes to the input total', () => {
    const body = {
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [{ type: 'text', text: 'Hi!' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 12,
        cache_creation_input_tokens: 2048,
        cache_read_input_tokens: 100,
        output_tokens: 6,
      },
    };
    expect(anthropicAdapter.summariseJsonResponse(body)).toEqual({
      usage: usage(2160, 100, 2048, 6, 0),
      model: MODEL,
      error: null,
    });
  });

  it('treats missing cache fields as zero', () => {
    const body = { model: MODEL, usage: { input_tokens: 12, output_tokens: 6 } };
    expect(anthropicAdapter.summariseJsonResponse(body).usage).toEqual(usage(12, 0, 0, 6, 0));
  });

  it('reads error bodies', () => {
    const body = {
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
    };
    expect(anthropicAdapter.summariseJsonResponse(body)).toEqual({
      usage: null,
      model: null,
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
    });
  });
});

describe('Anthropic requests', () => {
  const body = {
    model: MODEL,
    max_tokens: 1024,
    stream: true,
    system: [
      { type: 'text', text: 'You are terse.' },
      { type: 'text', text: 'Long cached context…', cache_control: { type: 'ephemeral' } },
    ],
    tools: [
      {
        name: 'get_weather',
        description: 'Get the weather',
        input_schema: {
          type: 'object',
          properties: { location: { type: 'string' } },
          required: ['location'],
        },
      },
      { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
    ],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather in SF? And what is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Need the tool.', signature: 'EqQBCg==' },
          {
            type: 'tool_use',
            id: 'toolu_01A',
            name: 'get_weather',
            input: { location: 'San Francisco, CA' },
          },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_01A', content: '15°C, foggy' },
          {
            type: 'tool_result',
            tool_use_id: 'toolu_01B',
            content: [{ type: 'text', text: 'ok' }],
            is_error: true,
          },
          { type: 'text', text: 'Thanks' },
        ],
      },
      { role: 'assistant', content: 'Anything else?' },
    ],
  };

  it('parses the Messages API shapes', () => {
    const parsed = anthropicAdapter.parseRequest(body);
    expect(parsed).toMatchObject({ provider: 'anthropic', model: MODEL, stream: true, maxTokens: 1024 });
    expect(parsed.body).toBe(body);
    expect(parsed.system).toEqual(['You are terse.', 'Long cached context…']);
    expect(parsed.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Get the weather',
        parameters: body.tools[0]?.input_schema,
      },
      { name: 'web_search' },
    ]);
    expect(parsed.messages).toEqual([
      { role: 'user', texts: ['Weather in SF? And what is this?'], toolCalls: [], imageCount: 1 },
      {
        role: 'assistant',
        texts: ['Need the tool.'],
        toolCalls: [{ id: 'toolu_01A', name: 'get_weather', arguments: '{"location":"San Francisco, CA"}' }],
        imageCount: 0,
      },
      { role: 'tool', texts: ['15°C, foggy'], toolCalls: [], toolCallId: 'toolu_01A', imageCount: 0 },
      { role: 'tool', texts: ['ok'], toolCalls: [], toolCallId: 'toolu_01B', imageCount: 0 },
      { role: 'user', texts: ['Thanks'], toolCalls: [], imageCount: 0 },
      { role: 'assistant', texts: ['Anything else?'], toolCalls: [], imageCount: 0 },
    ]);
  });

  it('never changes the upstream request', () => {
    expect(anthropicAdapter.planUpstreamRequest(anthropicAdapter.parseRequest(body))).toEqual({
      body: null,
      stripInjectedUsage: false,
    });
  });

  it('answers a missing max_tokens like Anthropic', () => {
    const { max_tokens: _, ...rest } = body;
    expect(() => anthropicAdapter.parseRequest(rest)).toThrow(
      expect.objectContaining({
        status: 400,
        type: 'invalid_request_error',
        message: 'max_tokens: Field required',
      }),
    );
  });

  it('builds error bodies in the Anthropic shape', () => {
    const text = anthropicAdapter.errorBody({
      status: 429,
      type: 'rate_limit_error',
      message: 'Budget exhausted',
    });
    expect(JSON.parse(text)).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'Budget exhausted' },
    });
  });
});
