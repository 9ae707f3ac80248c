// Model output scanning: complete JSON answers are masked or withheld; streams are scanned across event and chunk
// boundaries and cut with an error event in the stream's own format.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RecordAnnotations } from '../../src/pipeline/stages.js';
import { anthropicAdapter, openaiAdapter } from '../../src/providers/index.js';
import { SseFramer } from '../../src/providers/sse.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { secretsDetector } from '../../src/security/detectors/secrets.js';
import { SecurityMetrics } from '../../src/security/metrics.js';
import { applyOverrides, DEFAULT_SECURITY_POLICY, type SecurityAction } from '../../src/security/policy.js';
import { SecurityResponseInspector } from '../../src/security/response-inspector.js';
import { StreamTextScanner, scanJsonResponse } from '../../src/security/response-scanner.js';
import { fakeOpenAiKey } from './support.js';

function actions(secrets: SecurityAction) {
  return applyOverrides(DEFAULT_SECURITY_POLICY, {
    actions: { secrets: { low: secrets, medium: secrets, high: secrets, critical: secrets } },
  }).actions;
}

function openaiStream(pieces: string[]): string {
  const events = pieces.map(
    (content, i) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content } : { content } }] })}\n\n`,
  );
  return `${events.join('')}data: [DONE]\n\n`;
}

function anthropicStream(pieces: string[]): string {
  const event = (name: string, payload: unknown) => `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
  return [
    event('message_start', {
      type: 'message_start',
      message: { model: 'claude', usage: { input_tokens: 3 } },
    }),
    event('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    }),
    ...pieces.map((text) =>
      event('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text },
      }),
    ),
    event('content_block_stop', { type: 'content_block_stop', index: 0 }),
    event('message_stop', { type: 'message_stop' }),
  ].join('');
}

/** Splits `text` into chunks of `size` bytes: SSE events and JSON strings are cut anywhere. */
function chunks(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function inspector(adapter: ProviderAdapter, secrets: SecurityAction, blockStreaming: boolean) {
  const annotations: RecordAnnotations = {
    reservedCostUsd: null,
    route: null,
    routedModel: null,
    securityStatus: 'clean',
    securityFindings: [],
  };
  const metrics = new SecurityMetrics(new Registry());
  const inspect = new SecurityResponseInspector({
    adapter,
    scan: { provider: adapter.provider, detectors: [secretsDetector], actions: actions(secrets) },
    blockStreaming,
    failMode: 'open',
    annotations,
    requestThreat: 'none',
    metrics,
    log: pino({ level: 'silent' }),
    requestId: 'req-1',
  });
  return { inspect, annotations, metrics };
}

function runStream(
  adapter: ProviderAdapter,
  stream: string,
  size: number,
  secrets: SecurityAction,
  cut: boolean,
) {
  const { inspect, annotations } = inspector(adapter, secrets, cut);
  // As the pipeline runs it: the provider's observer frames the stream, the inspector sees its events.
  const observer = adapter.createStreamObserver({ stripInjectedUsage: false });
  const streamInspector = inspect.inspectStream();
  const out: Buffer[] = [];
  for (const chunk of chunks(stream, size)) {
    out.push(streamInspector.push(observer.push(chunk), observer.lastEvents));
  }
  out.push(streamInspector.push(observer.end(), observer.lastEvents));
  out.push(streamInspector.end());
  return { text: Buffer.concat(out).toString('utf8'), annotations };
}

describe('streamed answers', () => {
  // Reported as soon as the text so far is recognisably a key (a blocking policy must cut before the rest is
  // released), so the span may cover only the part of the key that had arrived.
  it('find a key split across events and chunks, and report it once, at its offset in the text', () => {
    const key = fakeOpenAiKey();
    const text = `Here you go: ${key} — keep it safe.`;
    const pieces = text.match(/.{1,7}/gsu) as string[];
    const scanner = new StreamTextScanner({
      provider: 'openai',
      detectors: [secretsDetector],
      actions: actions('flag'),
    });
    const framer = new SseFramer();
    const found = [];
    for (const chunk of chunks(openaiStream(pieces), 11))
      found.push(...scanner.scan(framer.push(chunk)).decided);
    found.push(...scanner.scan(framer.end()).decided);
    const keyFindings = found.filter((d) => d.finding.rule === 'openai_api_key');
    expect(keyFindings.length).toBeGreaterThanOrEqual(1);
    const location = keyFindings[0]?.finding.location;
    expect(keyFindings).toHaveLength(1);
    expect(location?.start).toBe(text.indexOf(key));
    expect(location?.end).toBeGreaterThan(text.indexOf(key) + 20);
    expect(location?.end).toBeLessThanOrEqual(text.indexOf(key) + key.length);
  });

  it('pass through byte for byte when nothing is found, whatever the chunking', () => {
    const complete = openaiStream(['Hello', ' there', ', nothing ', 'secret here.']);
    // An upstream that stops mid-event: its last bytes still reach the client.
    for (const stream of [complete, `${complete}data: {"choices":[{"delta":{"content":"cut`])
      for (const size of [1, 5, 64, 4096]) {
        const { text, annotations } = runStream(openaiAdapter, stream, size, 'block', true);
        expect(text).toBe(stream);
        expect(annotations.securityFindings).toEqual([]);
      }
  });

  it('are flagged, not cut, when the policy does not block streams', () => {
    const key = fakeOpenAiKey();
    const stream = openaiStream(['The key: ', key.slice(0, 30), key.slice(30), ' done']);
    const { text, annotations } = runStream(openaiAdapter, stream, 9, 'block', false);
    expect(text).toBe(stream);
    expect(annotations.securityStatus).toBe('flagged');
    expect(annotations.securityFindings.some((f) => f.rule === 'openai_api_key' && f.action === 'flag')).toBe(
      true,
    );
  });

  it('OpenAI: a blocking policy ends the stream with a data: {"error":…} event and drops the rest', () => {
    const key = fakeOpenAiKey();
    const stream = openaiStream(['Sure. ', key.slice(0, 25), key.slice(25), ' and more text', ' after it']);
    const { text, annotations } = runStream(openaiAdapter, stream, 13, 'block', true);
    const events = text.split('\n\n').filter(Boolean);
    const last = events.at(-1) as string;
    expect(last.startsWith('data: ')).toBe(true);
    const error = JSON.parse(last.slice('data: '.length)).error;
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'security_response_blocked' });
    expect(error.message).toMatch(/Finding ids: [0-9a-f]{16}/);
    expect(text).not.toContain(key.slice(25));
    expect(text).not.toContain('after it');
    expect(text).not.toContain('[DONE]');
    // Everything before the cut is whole events the client's parser accepts.
    for (const event of events.slice(0, -1))
      expect(() => JSON.parse(event.slice('data: '.length))).not.toThrow();
    expect(annotations.securityStatus).toBe('blocked');
    expect(annotations.securityFindings.find((f) => f.rule === 'openai_api_key')?.action).toBe('block');
    expect(JSON.stringify(annotations)).not.toContain(key);
  });

  it('Anthropic: a blocking policy ends the stream with event: error', () => {
    const key = fakeOpenAiKey();
    const stream = anthropicStream([
      'Your key is ',
      key.slice(0, 12),
      key.slice(12, 50),
      key.slice(50),
      ' bye',
    ]);
    const { text } = runStream(anthropicAdapter, stream, 17, 'redact', true);
    const events = text.split('\n\n').filter(Boolean);
    const last = events.at(-1) as string;
    const [eventLine, dataLine] = last.split('\n');
    expect(eventLine).toBe('event: error');
    expect(JSON.parse((dataLine as string).slice('data: '.length))).toMatchObject({
      type: 'error',
      error: { type: 'permission_error' },
    });
    expect(text).not.toContain('message_stop');
    expect(text).not.toContain(' bye');
  });
});

describe('complete JSON answers', () => {
  it('are masked under redact, keeping the rest of the body', () => {
    const key = fakeOpenAiKey();
    const body = {
      id: 'chatcmpl-1',
      model: 'gpt-4o-mini',
      choices: [
        { index: 0, message: { role: 'assistant', content: `use ${key} now` }, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
    };
    const result = scanJsonResponse(
      { provider: 'openai', detectors: [secretsDetector], actions: actions('redact') },
      JSON.parse(JSON.stringify(body)),
    );
    expect(result.action).toBe('redact');
    const masked = JSON.parse((result.body as Buffer).toString('utf8'));
    expect(masked.choices[0].message.content).toBe('use [REDACTED:openai_api_key] now');
    expect(masked.usage).toEqual(body.usage);
  });

  it('Anthropic tool_use input is masked and stays an object', () => {
    const key = fakeOpenAiKey();
    const body = {
      type: 'message',
      content: [
        { type: 'text', text: 'calling' },
        { type: 'tool_use', id: 't', name: 'http', input: { headers: { authorization: `Bearer ${key}` } } },
      ],
    };
    const result = scanJsonResponse(
      { provider: 'anthropic', detectors: [secretsDetector], actions: actions('redact') },
      JSON.parse(JSON.stringify(body)),
    );
    expect(result.action).toBe('redact');
    const masked = JSON.parse((result.body as Buffer).toString('utf8'));
    expect(masked.content[1].input.headers.authorization).toBe('Bearer [REDACTED:openai_api_key]');
  });

  it('are refused under block, in the provider error shape, without the secret', () => {
    const key = fakeOpenAiKey();
    const { inspect, annotations } = inspector(anthropicAdapter, 'block', false);
    const answer = { type: 'message', content: [{ type: 'text', text: `key ${key}` }] };
    const verdict = inspect.inspectJson(answer);
    expect(verdict.kind).toBe('reject');
    if (verdict.kind !== 'reject') return;
    expect(verdict.rejection.status).toBe(403);
    expect(JSON.parse(verdict.rejection.body)).toMatchObject({
      type: 'error',
      error: { type: 'permission_error' },
    });
    expect(verdict.rejection.body).not.toContain(key);
    expect(Object.fromEntries(verdict.rejection.headers ?? [])).toMatchObject({
      'x-acc-security-status': 'blocked',
      'x-acc-threat-level': 'critical',
    });
    expect(annotations.securityStatus).toBe('blocked');
  });
});
