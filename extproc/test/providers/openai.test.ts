import { describe, expect, it } from 'vitest';
import { openaiAdapter, RequestError, type Usage } from '../../src/providers/index.js';
import { chunkings, loadOpenAIRecordings, recording, runStream, summary, usage } from './helpers.js';

const recordings = loadOpenAIRecordings();
const json = (name: string): unknown => JSON.parse(recording(name).responseBody);

function parseError(body: unknown): RequestError {
  try {
    openaiAdapter.parseRequest(body);
  } catch (error) {
    if (error instanceof RequestError) return error;
    throw error;
  }
  throw new Error('expected a RequestError');
}

describe('OpenAI recordings: requests', () => {
  it('covers every recording, all chat completions POSTs', () => {
    expect(recordings).toHaveLength(20);
    for (const r of recordings) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe('https://api.openai.com/v1/chat/completions');
    }
  });

  const rejected: Record<string, { param: string; code: string }> = {
    'chat-no-messages': { param: 'messages', code: 'empty_array' },
    // OpenAI objected to max_tokens for this model; ours objects to its value 0, same param.
    'chat-bad-request': { param: 'max_tokens', code: 'integer_below_min_value' },
  };

  for (const r of recordings) {
    const expected = rejected[r.name];
    it(`${r.name}: ${expected ? `rejected at ${expected.param}` : 'parses'}`, () => {
      const body: unknown = JSON.parse(r.requestBody);
      if (expected) {
        const error = parseError(body);
        expect(error.status).toBe(400);
        expect(error.type).toBe('invalid_request_error');
        expect({ param: error.param, code: error.code }).toEqual(expected);
        return;
      }
      const parsed = openaiAdapter.parseRequest(body);
      expect(parsed.provider).toBe('openai');
      expect(parsed.body).toBe(body);
      expect(parsed.system).toEqual([]);
      expect(parsed.messages.length).toBeGreaterThan(0);
    });
  }

  it('answers an empty messages array exactly as OpenAI did', () => {
    const error = parseError(JSON.parse(recording('chat-no-messages').requestBody));
    const ours = JSON.parse(openaiAdapter.errorBody({ ...error, message: error.message }));
    expect(ours).toEqual(json('chat-no-messages'));
  });

  it('extracts what the pipeline needs from the recorded requests', () => {
    const parse = (name: string) => openaiAdapter.parseRequest(JSON.parse(recording(name).requestBody));
    const multiturn = parse('chat-multiturn');
    expect(multiturn.messages.map((m) => [m.role, m.texts])).toEqual([
      ['developer', ['You are a helpful assistant.']],
      ['user', ['Hello!']],
      ['assistant', ['Hello! How can I assist you today?']],
      ['user', ["Answer in up to 5 words: What's the weather like?"]],
    ]);
    expect(multiturn.maxTokens).toBeNull();
    expect(multiturn.stream).toBe(false);
    expect(parse('chat-detailed-usage').maxTokens).toBe(100);
    expect(parse('chat-multimodal').messages[0]).toMatchObject({
      imageCount: 1,
      texts: ['What is in this image?'],
    });
    expect(parse('chat-image-to-text').messages[0]?.imageCount).toBe(1);
    const audio = parse('chat-audio-to-text').messages[0];
    expect(audio).toMatchObject({
      imageCount: 0,
      texts: ['Answer in up to 5 words: What do you hear in this audio?'],
    });
    const tools = parse('chat-parallel-tools').tools;
    expect(tools.map((t) => [t.name, t.description])).toEqual([
      ['get_current_weather', 'Get the current weather in a given location'],
    ]);
    expect(tools[0]?.parameters).toMatchObject({ required: ['location'], type: 'object' });
    expect(parse('chat-text-to-image-tool').messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(parse('chat-streaming').stream).toBe(true);
  });

  it('asks for the usage chunk only when a streaming client did not', () => {
    const plan = (name: string) =>
      openaiAdapter.planUpstreamRequest(openaiAdapter.parseRequest(JSON.parse(recording(name).requestBody)));
    expect(plan('chat-basic')).toEqual({ body: null, stripInjectedUsage: false });
    expect(plan('chat-streaming-detailed-usage')).toEqual({ body: null, stripInjectedUsage: false });
    const streaming = plan('chat-streaming');
    expect(streaming.stripInjectedUsage).toBe(true);
    expect(streaming.body).toEqual({
      ...JSON.parse(recording('chat-streaming').requestBody),
      stream_options: { include_usage: true },
    });
  });

  it('keeps the client stream_options and does not mutate the original body', () => {
    const body = {
      model: 'gpt-5-nano',
      stream: true,
      stream_options: { include_usage: false, include_obfuscation: false },
      messages: [{ role: 'user', content: 'hi' }],
    };
    const snapshot = structuredClone(body);
    const plan = openaiAdapter.planUpstreamRequest(openaiAdapter.parseRequest(body));
    expect(plan.stripInjectedUsage).toBe(true);
    expect(plan.body?.stream_options).toEqual({ include_usage: true, include_obfuscation: false });
    expect(body).toEqual(snapshot);
  });
});

describe('OpenAI recordings: JSON responses', () => {
  // Read off the recordings: prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, model.
  const expected: Record<string, [Usage, string]> = {
    'chat-audio-to-text': [usage(28, 0, 0, 17, 0), 'gpt-4o-audio-preview-2025-06-03'],
    'chat-basic': [usage(8, 0, 0, 377, 320), 'gpt-5-nano-2025-08-07'],
    'chat-detailed-usage': [usage(12, 0, 0, 100, 100), 'gpt-5-nano-2025-08-07'],
    'chat-image-to-text': [usage(22, 0, 0, 719, 704), 'gpt-5-nano-2025-08-07'],
    'chat-json-mode': [usage(21, 0, 0, 280, 256), 'gpt-5-nano-2025-08-07'],
    'chat-multimodal': [usage(2245, 0, 0, 100, 100), 'gpt-5-nano-2025-08-07'],
    'chat-multiturn': [usage(50, 0, 0, 526, 512), 'gpt-5-nano-2025-08-07'],
    'chat-openai-agents-python': [usage(171, 0, 0, 1962, 1664), 'gpt-5-nano-2025-08-07'],
    'chat-parallel-tools': [usage(162, 0, 0, 219, 192), 'gpt-5-nano-2025-08-07'],
    'chat-reasoning': [usage(27, 0, 0, 267, 192), 'gpt-5-nano-2025-08-07'],
    'chat-text-to-audio': [usage(22, 0, 0, 18, 0), 'gpt-4o-mini-audio-preview-2024-12-17'],
    'chat-text-to-image-tool': [usage(206, 0, 0, 150, 150), 'gpt-5-nano-2025-08-07'],
    'chat-tools': [usage(162, 0, 0, 287, 256), 'gpt-5-nano-2025-08-07'],
    'chat-web-search': [usage(26, 0, 0, 22, 0), 'gpt-4o-mini-search-preview-2025-03-11'],
  };
  const errors: Record<string, string> = {
    'chat-bad-request':
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    'chat-no-messages':
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    'chat-unknown-model': 'The model `gpt-4.1-nano-wrong` does not exist or you do not have access to it.',
  };

  it('has an expectation for every JSON recording', () => {
    const names = recordings.filter((r) => r.contentType.startsWith('application/json')).map((r) => r.name);
    expect(names.sort()).toEqual([...Object.keys(expected), ...Object.keys(errors)].sort());
  });

  for (const [name, [want, model]] of Object.entries(expected)) {
    it(`${name}: usage and model`, () => {
      expect(openaiAdapter.summariseJsonResponse(json(name))).toEqual({ usage: want, model, error: null });
    });
  }

  for (const [name, message] of Object.entries(errors)) {
    it(`${name}: error`, () => {
      expect(openaiAdapter.summariseJsonResponse(json(name))).toEqual({
        usage: null,
        model: null,
        error: { type: 'invalid_request_error', message },
      });
    });
  }

  it('reads cached tokens (no recording has any)', () => {
    const body = {
      model: 'gpt-4o',
      usage: { prompt_tokens: 2006, completion_tokens: 300, prompt_tokens_details: { cached_tokens: 1920 } },
    };
    expect(openaiAdapter.summariseJsonResponse(body).usage).toEqual(usage(2006, 1920, 0, 300, 0));
  });

  it('tolerates odd bodies', () => {
    for (const body of [null, 'x', 3, [], {}, { usage: 'x', model: 5, error: 'boom' }]) {
      expect(openaiAdapter.summariseJsonResponse(body)).toEqual({ usage: null, model: null, error: null });
    }
    expect(
      openaiAdapter.summariseJsonResponse({ usage: { prompt_tokens: -1, completion_tokens: 'x' } }).usage,
    ).toEqual(usage(0, 0, 0, 0, 0));
  });
});

describe('OpenAI recordings: streams at every split point', () => {
  const cases: Record<string, { usage: Usage | null; model: string; events: number }> = {
    'chat-streaming': { usage: null, model: 'gpt-5-nano-2025-08-07', events: 51 },
    'chat-streaming-web-search': { usage: null, model: 'gpt-4o-mini-search-preview-2025-03-11', events: 26 },
    'chat-streaming-detailed-usage': {
      usage: usage(12, 0, 0, 100, 100),
      model: 'gpt-5-nano-2025-08-07',
      events: 4,
    },
  };

  for (const [name, want] of Object.entries(cases)) {
    it(`${name}: passes every chunk through untouched and reads usage`, () => {
      const input = Buffer.from(recording(name).responseBody, 'utf8');
      const reference = runStream(openaiAdapter, [input]);
      expect({ usage: reference.usage, model: reference.model, error: reference.error }).toEqual({
        usage: want.usage,
        model: want.model,
        error: null,
      });
      expect(reference.events).toBe((recording(name).responseBody.match(/^data: /gm) ?? []).length);
      expect(reference.events).toBe(want.events);
      const expected = summary(reference);
      const mismatches: string[] = [];
      for (const { label, chunks } of chunkings(input)) {
        const run = runStream(openaiAdapter, chunks);
        if (!run.sameBuffers || summary(run) !== expected) mismatches.push(label);
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('recognises an in-stream error', () => {
    const stream =
      'data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n' +
      'data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}\n\n';
    const input = Buffer.from(stream);
    for (const strip of [false, true]) {
      for (const { label, chunks } of chunkings(input)) {
        const run = runStream(openaiAdapter, chunks, strip);
        expect(run.error, label).toEqual({
          type: 'server_error',
          message: 'The server had an error while processing your request.',
        });
        expect(run.output.equals(input), label).toBe(true);
        expect(run.model, label).toBe('gpt-4o');
      }
    }
  });
});
