// The gateway turns on include_usage for streaming clients that did not ask for it; these tests check the
// client still receives byte for byte what OpenAI would have sent it without include_usage.
import { describe, expect, it } from 'vitest';
import { openaiAdapter } from '../../src/providers/index.js';
import { chunkings, recording, runStream, usage } from './helpers.js';

const USAGE_CHUNK =
  'data: {"id":"chatcmpl-C4HqHBe4xca0k0EzsCnf1t6V3YFXp","object":"chat.completion.chunk","created":1755137933,' +
  '"model":"gpt-5-nano-2025-08-07","service_tier":"default","system_fingerprint":null,"choices":[],' +
  '"usage":{"prompt_tokens":8,"completion_tokens":602,"total_tokens":610,"prompt_tokens_details":{"cached_tokens":0,' +
  '"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":576,"audio_tokens":0,' +
  '"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"obfuscation":"Xy"}\n\n';

/** Events of a recorded body, each with its blank line. */
function events(body: string): string[] {
  return body.split(/(?<=\n\n)/);
}

/** A stream recorded with include_usage, reduced by plain text operations to what the client expects. */
function withoutInjectedUsage(body: string): string {
  return events(body)
    .filter((event) => !event.includes('"choices":[],"usage":{'))
    .map((event) => event.replace(',"usage":null', ''))
    .join('');
}

/** A stream recorded without include_usage, expanded to what OpenAI sends with it (see the detailed recording). */
function withInjectedUsage(body: string): string {
  return events(body)
    .map((event) =>
      event.startsWith('data: {') ? event.replace(',"obfuscation"', ',"usage":null,"obfuscation"') : event,
    )
    .map((event) => (event === 'data: [DONE]\n\n' ? USAGE_CHUNK + event : event))
    .join('');
}

function checkEverySplit(upstream: Buffer, client: Buffer, want: ReturnType<typeof usage>): void {
  const mismatches: string[] = [];
  for (const { label, chunks } of chunkings(upstream)) {
    const run = runStream(openaiAdapter, chunks, true);
    const ok =
      run.output.equals(client) && JSON.stringify(run.usage) === JSON.stringify(want) && run.error === null;
    if (!ok) mismatches.push(label);
  }
  expect(mismatches).toEqual([]);
}

describe('OpenAI strip mode', () => {
  it('the recordings agree on where OpenAI puts "usage":null', () => {
    const detailed = recording('chat-streaming-detailed-usage').responseBody;
    const nulls = events(detailed).filter((e) => e.includes('"usage":null'));
    expect(nulls).toHaveLength(2);
    for (const event of nulls) expect(event).toContain(',"usage":null,"obfuscation":');
    // And without include_usage the member is simply absent.
    expect(recording('chat-streaming').responseBody).not.toContain('"usage"');
  });

  it('strips the detailed-usage recording at every split point and still reads usage', () => {
    const upstreamText = recording('chat-streaming-detailed-usage').responseBody;
    const clientText = withoutInjectedUsage(upstreamText);
    // The expectation itself: same chunks minus the usage member, usage chunk gone, [DONE] kept.
    const upstreamData = events(upstreamText).map((e) => e.slice(6, -2));
    const clientData = events(clientText).map((e) => e.slice(6, -2));
    expect(clientData).toHaveLength(3);
    expect(clientData.at(-1)).toBe('[DONE]');
    for (let i = 0; i < 2; i++) {
      const { usage: dropped, ...rest } = JSON.parse(upstreamData[i] as string);
      expect(dropped).toBeNull();
      expect(JSON.parse(clientData[i] as string)).toEqual(rest);
    }
    checkEverySplit(Buffer.from(upstreamText), Buffer.from(clientText), usage(12, 0, 0, 100, 100));
  });

  it('gives back the recorded no-usage stream exactly (multi-byte text included)', () => {
    const client = recording('chat-streaming').responseBody;
    const upstream = withInjectedUsage(client);
    expect(upstream.match(/"usage":null/g)).toHaveLength(50);
    expect(client).toContain('’');
    checkEverySplit(Buffer.from(upstream), Buffer.from(client), usage(8, 0, 0, 602, 576));
  });

  it('does the same for the web-search stream', () => {
    const client = recording('chat-streaming-web-search').responseBody;
    const upstream = withInjectedUsage(client);
    checkEverySplit(Buffer.from(upstream), Buffer.from(client), usage(8, 0, 0, 602, 576));
  });

  it('holds back only an incomplete trailing event', () => {
    const upstream = Buffer.from(withInjectedUsage(recording('chat-streaming').responseBody));
    const observer = openaiAdapter.createStreamObserver({ stripInjectedUsage: true });
    const first = upstream.indexOf('\n\n') + 2;
    const out1 = observer.push(upstream.subarray(0, first + 10));
    expect(out1.toString()).toBe(events(recording('chat-streaming').responseBody)[0]);
    expect(observer.events).toBe(1);
    const out2 = observer.push(upstream.subarray(first + 10, upstream.indexOf('\n\n', first) + 2));
    expect(out2.toString()).toBe(events(recording('chat-streaming').responseBody)[1]);
  });

  it('leaves a nested "usage":null alone', () => {
    const nested = 'data: {"id":"x","choices":[{"index":0,"delta":{"content":"a","usage":null}}]}\n\n';
    const topLevel = 'data: {"id":"x","choices":[{"index":0,"delta":{"x":{"usage":null}}}],"usage":null}\n\n';
    const quoted = 'data: {"id":"x","choices":[{"index":0,"delta":{"content":"\\",\\"usage\\":null"}}]}\n\n';
    expect(runStream(openaiAdapter, [Buffer.from(nested)], true).output.toString()).toBe(nested);
    expect(runStream(openaiAdapter, [Buffer.from(quoted)], true).output.toString()).toBe(quoted);
    expect(runStream(openaiAdapter, [Buffer.from(topLevel)], true).output.toString()).toBe(
      'data: {"id":"x","choices":[{"index":0,"delta":{"x":{"usage":null}}}]}\n\n',
    );
  });

  it('returns the very same Buffer when not stripping', () => {
    const upstream = Buffer.from(withInjectedUsage(recording('chat-streaming').responseBody));
    const observer = openaiAdapter.createStreamObserver({ stripInjectedUsage: false });
    for (let i = 0; i < upstream.length; i += 333) {
      const chunk = upstream.subarray(i, i + 333);
      expect(observer.push(chunk)).toBe(chunk);
    }
    expect(observer.end()).toHaveLength(0);
    expect(observer.usage).toEqual(usage(8, 0, 0, 602, 576));
  });

  it('passes an event larger than the pending limit through unchanged and keeps stripping after it', () => {
    const huge = `data: {"id":"x","choices":[{"index":0,"delta":{"content":"${'a'.repeat(9 * 1024 * 1024)}"}}],"usage":null}\n\n`;
    const upstream = Buffer.from(
      `data: {"id":"x","model":"m","choices":[],"usage":null}\n\n${huge}${USAGE_CHUNK}data: [DONE]\n\n`,
    );
    const chunks: Buffer[] = [];
    for (let i = 0; i < upstream.length; i += 65536) chunks.push(upstream.subarray(i, i + 65536));
    const observer = openaiAdapter.createStreamObserver({ stripInjectedUsage: true });
    const out = Buffer.concat([...chunks.map((c) => observer.push(c)), observer.end()]);
    expect(out.toString()).toBe(`data: {"id":"x","model":"m","choices":[]}\n\n${huge}data: [DONE]\n\n`);
    expect(observer.usage).toEqual(usage(8, 0, 0, 602, 576));
    expect((observer as unknown as { overflowed: number }).overflowed).toBe(1);
  });
});
