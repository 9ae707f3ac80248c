import { describe, expect, it } from 'vitest';
import { type SseEvent, SseFramer } from '../../src/providers/index.js';
import { bytewise, chunkings, loadOpenAIRecordings, splitAt, toCR, toCRLF } from './helpers.js';

function frame(chunks: Buffer[], maxPendingBytes?: number): { events: SseEvent[]; framer: SseFramer } {
  const framer = new SseFramer(maxPendingBytes === undefined ? {} : { maxPendingBytes });
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...framer.push(chunk));
  events.push(...framer.end());
  return { events, framer };
}

/** A string fingerprint, so thousands of runs compare cheaply. */
function fingerprint(events: SseEvent[]): string {
  return JSON.stringify(events.map((e) => [e.event, e.data, e.raw.toString('base64'), e.unparsed]));
}

const dataOf = (events: SseEvent[]) => events.filter((e) => e.data !== null).map((e) => e.data);

describe('SseFramer basics', () => {
  it('frames data events and keeps their exact bytes', () => {
    const input = Buffer.from('data: {"a":1}\n\ndata: [DONE]\n\n');
    const { events } = frame([input]);
    expect(events.map((e) => e.data)).toEqual(['{"a":1}', '[DONE]']);
    expect(events.map((e) => e.raw.toString())).toEqual(['data: {"a":1}\n\n', 'data: [DONE]\n\n']);
    expect(events.every((e) => e.event === null && !e.unparsed)).toBe(true);
  });

  it('reads event names, joins data lines with \\n and strips only one leading space', () => {
    const input = 'event: message_start\ndata:  two spaces\ndata:none\ndata\ndata:\n\n';
    const [event] = frame([Buffer.from(input)]).events;
    expect(event?.event).toBe('message_start');
    expect(event?.data).toBe(' two spaces\nnone\n\n');
  });

  it('treats LF, CRLF and CR alike', () => {
    const text = 'event: x\ndata: a\ndata: b\n\n: comment\ndata: c\n\n';
    const expected = [
      ['x', 'a\nb'],
      [null, 'c'],
    ];
    for (const input of [text, toCRLF(text), toCR(text)]) {
      const { events } = frame([Buffer.from(input)]);
      expect(events.map((e) => [e.event, e.data])).toEqual(expected);
      expect(Buffer.concat(events.map((e) => e.raw)).toString()).toBe(input);
    }
  });

  it('ignores comments, id and retry, and reports comment-only blocks without data', () => {
    const { events } = frame([Buffer.from(': keep-alive\n\nid: 7\nretry: 10\ndata: x\n\n')]);
    expect(events.map((e) => e.data)).toEqual([null, 'x']);
  });

  it('ignores a byte order mark at the start of the stream', () => {
    const { events } = frame(bytewise(Buffer.from('\uFEFFdata: x\n\n')));
    expect(dataOf(events)).toEqual(['x']);
    expect(events[0]?.raw.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('decodes multi-byte UTF-8 split across chunks', () => {
    const input = Buffer.from('data: héllo 世界 🌍\n\n');
    for (let i = 0; i <= input.length; i++) {
      expect(dataOf(frame(splitAt(input, i)).events)).toEqual(['héllo 世界 🌍']);
    }
  });

  it('keeps the LF of a CRLF in the same event when chunks split between CR and LF', () => {
    const input = Buffer.from('data: a\r\n\r\ndata: b\r\n\r\n');
    const whole = fingerprint(frame([input]).events);
    for (let i = 0; i <= input.length; i++) expect(fingerprint(frame(splitAt(input, i)).events)).toBe(whole);
    expect(frame([input]).events.map((e) => e.raw.toString())).toEqual([
      'data: a\r\n\r\n',
      'data: b\r\n\r\n',
    ]);
  });

  it('returns zero-copy subarrays for events inside one chunk', () => {
    const input = Buffer.from('data: a\n\ndata: b\n\n');
    const { events } = frame([input]);
    expect(events[0]?.raw.buffer).toBe(input.buffer);
  });

  it('returns an unterminated tail from end() as unparsed bytes', () => {
    const framer = new SseFramer();
    expect(framer.push(Buffer.from('data: a\n\ndata: partial'))).toHaveLength(1);
    expect(framer.pendingBytes).toBe('data: partial'.length);
    const tail = framer.end();
    expect(tail.map((e) => [e.raw.toString(), e.unparsed, e.data])).toEqual([['data: partial', true, null]]);
  });

  it('releases a CR-terminated event at end() when no LF can follow any more', () => {
    const framer = new SseFramer();
    expect(framer.push(Buffer.from('data: a\r\r'))).toEqual([]);
    expect(dataOf(framer.end())).toEqual(['a']);
  });

  it('ignores empty chunks', () => {
    const chunks = [Buffer.alloc(0), Buffer.from('data: a\r'), Buffer.alloc(0), Buffer.from('\n\r\n')];
    expect(dataOf(frame(chunks).events)).toEqual(['a']);
  });
});

describe('SseFramer pending limit', () => {
  const big = `data: ${'x'.repeat(300)}\n\n`;
  const input = Buffer.from(`data: first\n\n${big}data: after\n\n`);

  it('passes an oversized event on unparsed, then resumes framing', () => {
    let oversizedRuns = 0;
    for (const { label, chunks } of chunkings(input)) {
      const { events, framer } = frame(chunks, 100);
      expect(Buffer.concat(events.map((e) => e.raw)).equals(input), label).toBe(true);
      // The limit applies to bytes held across chunks: a big event that arrives whole is still parsed.
      const data = dataOf(events);
      if (framer.oversized === 1) {
        oversizedRuns++;
        expect(data, label).toEqual(['first', 'after']);
      } else {
        expect(framer.oversized, label).toBe(0);
        expect(data, label).toEqual(['first', big.slice(6, -2), 'after']);
      }
      expect(framer.pendingBytes, label).toBe(0);
    }
    expect(oversizedRuns).toBeGreaterThan(100);
  });

  it('never holds much more than the limit plus one chunk', () => {
    const framer = new SseFramer({ maxPendingBytes: 1000 });
    let maxHeld = 0;
    const chunk = Buffer.from('y'.repeat(64));
    framer.push(Buffer.from('data: '));
    for (let i = 0; i < 1000; i++) {
      framer.push(chunk);
      maxHeld = Math.max(maxHeld, framer.pendingBytes);
    }
    expect(maxHeld).toBeLessThanOrEqual(1000 + 64);
    expect(framer.oversized).toBe(1);
  });
});

describe('SseFramer on recorded streams at every split point', () => {
  const streams = loadOpenAIRecordings().filter((r) => r.contentType.startsWith('text/event-stream'));

  it('has streams to test', () => {
    expect(streams.map((s) => s.name).sort()).toEqual([
      'chat-streaming',
      'chat-streaming-detailed-usage',
      'chat-streaming-web-search',
    ]);
  });

  for (const stream of streams) {
    for (const [variant, text] of [
      ['LF', stream.responseBody],
      ['CRLF', toCRLF(stream.responseBody)],
      ['CR', toCR(stream.responseBody)],
    ] as const) {
      it(`${stream.name} (${variant})`, () => {
        const input = Buffer.from(text, 'utf8');
        const reference = frame([input]).events;
        expect(Buffer.concat(reference.map((e) => e.raw)).equals(input)).toBe(true);
        const data = dataOf(reference);
        expect(data.at(-1)).toBe('[DONE]');
        for (const chunk of data.slice(0, -1)) expect(() => JSON.parse(chunk as string)).not.toThrow();
        const expected = fingerprint(reference);
        const mismatches: string[] = [];
        for (const { label, chunks } of chunkings(input)) {
          if (fingerprint(frame(chunks).events) !== expected) mismatches.push(label);
        }
        expect(mismatches).toEqual([]);
      });
    }
  }
});
