// What every ProviderAdapter must do, whatever its provider.
import { describe, expect, it } from 'vitest';
import {
  adapterFor,
  adapters,
  anthropicAdapter,
  openaiAdapter,
  type ProviderAdapter,
  RequestError,
} from '../../src/providers/index.js';
import { chunkings, randomChunks, runStream, summary } from './helpers.js';

interface Fixture {
  adapter: ProviderAdapter;
  minimal: () => Record<string, unknown>;
  /** A request with `count` messages of `size` characters each. */
  large: (count: number, size: number) => Record<string, unknown>;
  stream: string;
  isErrorBody: (body: unknown) => boolean;
}

const fixtures: Fixture[] = [
  {
    adapter: openaiAdapter,
    minimal: () => ({ model: 'gpt-5-nano', messages: [{ role: 'user', content: 'Hello!' }] }),
    large: (count, size) => ({
      model: 'gpt-5-nano',
      messages: Array.from({ length: count }, (_, i) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: 'x'.repeat(size),
      })),
    }),
    stream:
      'data: {"id":"c","object":"chat.completion.chunk","model":"gpt-5-nano-2025-08-07","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}\n\n' +
      'data: {"id":"c","object":"chat.completion.chunk","model":"gpt-5-nano-2025-08-07","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":2,"total_tokens":10}}\n\n' +
      'data: [DONE]\n\n',
    isErrorBody: (body) => {
      const error = (body as { error?: Record<string, unknown> }).error;
      return (
        error !== undefined &&
        Object.keys(error).sort().join() === 'code,message,param,type' &&
        typeof error.message === 'string' &&
        typeof error.type === 'string'
      );
    },
  },
  {
    adapter: anthropicAdapter,
    minimal: () => ({
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hello!' }],
    }),
    large: (count, size) => ({
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      messages: Array.from({ length: count }, (_, i) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: 'x'.repeat(size),
      })),
    }),
    stream:
      'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-haiku-4-5","usage":{"input_tokens":8,"output_tokens":1}}}\n\n' +
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}\n\n' +
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    isErrorBody: (body) => {
      const b = body as { type?: unknown; error?: Record<string, unknown> };
      return b.type === 'error' && typeof b.error?.type === 'string' && typeof b.error.message === 'string';
    },
  },
];

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe.each(fixtures)(
  '$adapter.provider adapter contract',
  ({ adapter, minimal, large, stream, isErrorBody }) => {
    it('is the adapter registered for its provider', () => {
      expect(adapterFor(adapter.provider)).toBe(adapter);
      expect(adapters[adapter.provider]).toBe(adapter);
    });

    it('parses a minimal valid request', () => {
      const body = minimal();
      const parsed = adapter.parseRequest(body);
      expect(parsed).toMatchObject({ provider: adapter.provider, stream: false, body });
      expect(parsed.messages).toEqual([{ role: 'user', texts: ['Hello!'], toolCalls: [], imageCount: 0 }]);
    });

    it.each([null, undefined, 'x', 42, true, [], [{}]])(
      'rejects the non-object body %j with a 400',
      (body) => {
        const error = thrown(() => adapter.parseRequest(body));
        expect(error).toBeInstanceOf(RequestError);
        expect(error).toMatchObject({ status: 400, type: 'invalid_request_error' });
      },
    );

    it('rejects a missing or non-string model with a 400 naming it', () => {
      for (const model of [undefined, null, 3, ['gpt'], {}]) {
        const body = { ...minimal(), model };
        if (model === undefined) delete body.model;
        const error = thrown(() => adapter.parseRequest(body));
        expect(error).toBeInstanceOf(RequestError);
        expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'model' });
      }
    });

    it('renders error bodies as JSON in the provider shape', () => {
      for (const error of [
        {
          status: 400,
          type: 'invalid_request_error',
          message: 'Bad "quotes" \\ and\nnewlines',
          param: 'messages',
        },
        { status: 429, type: 'rate_limit_error', message: 'Budget exceeded', code: 'budget_exceeded' },
        { status: 500, type: 'api_error', message: '' },
      ]) {
        const body: unknown = JSON.parse(adapter.errorBody(error));
        expect(isErrorBody(body)).toBe(true);
        expect(JSON.stringify(body)).toContain(JSON.stringify(error.message));
      }
    });

    it('reports nothing for an empty stream', () => {
      const observer = adapter.createStreamObserver({ stripInjectedUsage: false });
      const empty = Buffer.alloc(0);
      expect(observer.push(empty)).toBe(empty);
      expect(observer.end()).toHaveLength(0);
      expect({
        usage: observer.usage,
        model: observer.model,
        error: observer.error,
        events: observer.events,
      }).toEqual({
        usage: null,
        model: null,
        error: null,
        events: 0,
      });
    });

    it('hands on its framed events: together they are exactly the output, however the stream is split', () => {
      const bytes = Buffer.from(stream);
      // Ends without a blank line: the unterminated tail still counts, as an unparsed block.
      const unterminated = Buffer.from(`${stream}data: {"tail":`);
      for (const input of [bytes, unterminated]) {
        for (const { label, chunks } of chunkings(input)) {
          for (const strip of [false, true]) {
            const run = runStream(adapter, chunks, strip);
            expect(run.eventBytes.toString('latin1'), `${label}, strip ${strip}`).toBe(
              run.output.toString('latin1'),
            );
          }
        }
      }
    });

    it('is deterministic', () => {
      expect(adapter.parseRequest(minimal())).toEqual(adapter.parseRequest(minimal()));
      const bytes = Buffer.from(stream);
      const first = runStream(adapter, randomChunks(bytes, 7));
      expect(first.usage).not.toBeNull();
      expect(summary(runStream(adapter, randomChunks(bytes, 7)))).toBe(summary(first));
      expect(summary(runStream(adapter, [bytes]))).toBe(summary(first));
      const summarise = () => adapter.summariseJsonResponse({ model: 'm', usage: {} });
      expect(summarise()).toEqual(summarise());
    });

    it('copes with huge inputs', () => {
      expect(adapter.parseRequest(large(1, 20 * 1024 * 1024)).messages).toHaveLength(1);
      expect(adapter.parseRequest(large(100_000, 10)).messages).toHaveLength(100_000);
      const deepSchema = JSON.parse(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`);
      const body = minimal();
      body.tools =
        adapter.provider === 'openai'
          ? [{ type: 'function', function: { name: 'f', parameters: deepSchema } }]
          : [{ name: 'f', input_schema: deepSchema }];
      expect(adapter.parseRequest(body).tools).toHaveLength(1);
      // 10 MiB of SSE in one event (beyond the pending limit when split) and in many small ones.
      const hugeEvent = Buffer.from(`data: {"x":"${'y'.repeat(10 * 1024 * 1024)}"}\n\n`);
      const observer = adapter.createStreamObserver({ stripInjectedUsage: false });
      for (let i = 0; i < hugeEvent.length; i += 1 << 16) observer.push(hugeEvent.subarray(i, i + (1 << 16)));
      expect(observer.end()).toHaveLength(0);
      const many = Buffer.from(stream.repeat(20_000));
      expect(runStream(adapter, randomChunks(many, 3, 4096)).usage).not.toBeNull();
    });
  },
);

it('adapterFor rejects an unknown provider', () => {
  expect(() => adapterFor('mistral' as never)).toThrow(/unknown provider/);
  expect(() => adapterFor('toString' as never)).toThrow(/unknown provider/);
});
