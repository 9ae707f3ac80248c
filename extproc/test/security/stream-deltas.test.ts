// The stream scan's fast delta readers (JsonCursor) must read exactly what parsing each event whole reads.
import { describe, expect, it } from 'vitest';
import { SseFramer } from '../../src/providers/sse.js';
import { JsonCursor, JsonShapeError } from '../../src/security/json-cursor.js';
import {
  anthropicDeltas,
  type Delta,
  openaiDeltas,
  parsedAnthropicDeltas,
  parsedOpenaiDeltas,
} from '../../src/security/stream-deltas.js';
import { loadOpenAIRecordings, seededRandom } from '../providers/helpers.js';

function fast(provider: 'openai' | 'anthropic', data: string, event: string | null = null): Delta[] {
  const out: Delta[] = [['earlier', 'kept']];
  if (provider === 'openai') openaiDeltas(data, out);
  else anthropicDeltas({ event, data, raw: Buffer.alloc(0), unparsed: false }, out);
  return out;
}

function reference(provider: 'openai' | 'anthropic', data: string, event: string | null = null): Delta[] {
  const out: Delta[] = [['earlier', 'kept']];
  const relevant =
    provider === 'openai'
      ? data.includes('"delta"')
      : event === 'content_block_delta' || data.includes('"content_block_delta"');
  if (!relevant) return out;
  if (provider === 'openai') parsedOpenaiDeltas(data, out);
  else parsedAnthropicDeltas(data, out);
  return out;
}

function expectSame(provider: 'openai' | 'anthropic', data: string, event: string | null = null): void {
  expect(fast(provider, data, event), data).toEqual(reference(provider, data, event));
}

/** Values of every JSON kind, including strings that look like structure or need escapes. */
function generator(seed: number) {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const text = () =>
    pick([
      '',
      'Hello',
      ' world',
      'quote " and backslash \\ inside',
      'braces { } [ ] , : in text',
      'line\nbreak\ttab',
      'unicode ☃ 😀 é',
      'escaped \u0001 control',
      'sk-proj-abc"}]}',
      '\\"',
    ]);
  const scalar = (): unknown => pick([0, 1, -2.5, 1e21, true, false, null, text()]);
  const value = (depth: number): unknown => {
    if (depth <= 0 || random() < 0.5) return scalar();
    return random() < 0.5
      ? Array.from({ length: Math.floor(random() * 3) }, () => value(depth - 1))
      : Object.fromEntries(
          Array.from({ length: Math.floor(random() * 3) }, (_, i) => [`k${i}`, value(depth - 1)]),
        );
  };
  const index = () => pick<unknown>([0, 1, 2, 7, null, undefined, 'x', true, 1.5]);
  return { random, pick, text, value, index };
}

function openaiChunk(seed: number): string {
  const g = generator(seed);
  const toolCall = () => {
    const call: Record<string, unknown> = { id: 'call_1', type: 'function' };
    const i = g.index();
    if (i !== undefined) call.index = i;
    if (g.random() < 0.9) call.function = g.random() < 0.9 ? { name: 'f', arguments: g.text() } : g.value(1);
    return g.random() < 0.9 ? call : g.value(1);
  };
  const delta = () => {
    const d: Record<string, unknown> = {};
    if (g.random() < 0.3) d.role = 'assistant';
    if (g.random() < 0.7) d.content = g.random() < 0.9 ? g.text() : g.value(1);
    if (g.random() < 0.2) d.refusal = g.text();
    if (g.random() < 0.3)
      d.tool_calls =
        g.random() < 0.9 ? Array.from({ length: 1 + Math.floor(g.random() * 3) }, toolCall) : g.value(1);
    if (g.random() < 0.2) d.extra = g.value(3);
    return g.random() < 0.95 ? d : g.value(1);
  };
  const choice = () => {
    const c: Record<string, unknown> = {};
    const i = g.index();
    if (i !== undefined) c.index = i;
    if (g.random() < 0.95) c.delta = delta();
    c.logprobs = null;
    c.finish_reason = g.pick([null, 'stop']);
    return g.random() < 0.95 ? c : g.value(1);
  };
  const chunk: Record<string, unknown> = {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    model: 'gpt-x',
  };
  chunk.choices = g.random() < 0.95 ? Array.from({ length: Math.floor(g.random() * 3) }, choice) : g.value(2);
  if (g.random() < 0.3) chunk.usage = null;
  const json = JSON.stringify(chunk, null, g.pick([undefined, 0, 1, '\t']));
  // Some events repeat a member; JSON.parse keeps the last one.
  if (g.random() < 0.1) return json.replace(/^\{/, '{"choices":[{"delta":{"content":"dropped"}}],');
  return json;
}

function anthropicEvent(seed: number): string {
  const g = generator(seed);
  const event: Record<string, unknown> = { type: 'content_block_delta' };
  const i = g.index();
  if (i !== undefined) event.index = i;
  if (g.random() < 0.95) {
    event.delta =
      g.random() < 0.95
        ? g.pick([
            { type: 'text_delta', text: g.random() < 0.9 ? g.text() : g.value(1) },
            { type: 'input_json_delta', partial_json: g.random() < 0.9 ? g.text() : g.value(1) },
            { type: 'thinking_delta', thinking: g.text() },
            { text: g.text() },
          ])
        : g.value(1);
  }
  if (g.random() < 0.2) event.extra = g.value(3);
  const json = JSON.stringify(event, null, g.pick([undefined, 0, 2]));
  if (g.random() < 0.1) return json.replace(/^\{/, '{"delta":{"type":"text_delta","text":"dropped"},');
  return json;
}

describe('stream delta readers', () => {
  it('read every event of the recorded OpenAI streams as parsing them whole does', () => {
    let events = 0;
    for (const recording of loadOpenAIRecordings()) {
      if (!recording.contentType.startsWith('text/event-stream')) continue;
      const framer = new SseFramer();
      for (const event of [...framer.push(Buffer.from(recording.responseBody)), ...framer.end()]) {
        if (event.data === null) continue;
        expectSame('openai', event.data);
        events++;
      }
    }
    expect(events).toBeGreaterThan(50);
  });

  it('read generated OpenAI chunks and Anthropic events as parsing them whole does', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      expectSame('openai', openaiChunk(seed));
      expectSame('anthropic', anthropicEvent(seed), 'content_block_delta');
    }
  });

  it('find what the generated events carry, so the comparison above is not between two empty readings', () => {
    let found = 0;
    for (let seed = 1; seed <= 300; seed++) found += fast('openai', openaiChunk(seed)).length - 1;
    expect(found).toBeGreaterThan(100);
  });

  it('give nothing for a truncated or malformed event, as JSON.parse does', () => {
    const chunk =
      '{"choices":[{"index":0,"delta":{"content":"Hi \\"there\\"","tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]}';
    const event = '{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hi"}}';
    for (let cut = 0; cut < chunk.length; cut++) expectSame('openai', chunk.slice(0, cut));
    for (let cut = 0; cut < event.length; cut++)
      expectSame('anthropic', event.slice(0, cut), 'content_block_delta');
    for (const broken of [`${chunk}}`, `${chunk} x`, chunk.replace('"index":0', '"index" 0'), `[${chunk}]`]) {
      expectSame('openai', broken);
    }
  });
});

describe('JsonCursor', () => {
  it('steps over nested values and strings that contain structure characters', () => {
    const json = new JsonCursor(' { "skip" : [ {"a":"}]\\"" } , 1 ] , "want" : "yes" , "n": -1.5e3 } ');
    expect(json.enterObject()).toBe(true);
    expect(json.nextKey()).toBe('skip');
    json.skip();
    expect(json.nextKey()).toBe('want');
    expect(json.stringOrSkip()).toBe('yes');
    expect(json.nextKey()).toBe('n');
    expect(json.numberOrSkip()).toBe(-1500);
    expect(json.nextKey()).toBeNull();
    json.end();
  });

  it('rejects broken structure', () => {
    for (const text of ['{"a" 1}', '{"a":1,}', '{"a":1 "b":2}', '{"a":"unterminated}', '{"a":[1,2}']) {
      const json = new JsonCursor(text);
      const walk = () => {
        json.enterObject();
        for (let key = json.nextKey(); key !== null; key = json.nextKey()) json.skip();
        json.end();
      };
      expect(walk, text).toThrow(JsonShapeError);
    }
  });
});
