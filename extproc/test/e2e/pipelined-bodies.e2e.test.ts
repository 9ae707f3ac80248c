// Pipelined bodies (the fail-closed default): what only that mode has to get right. Everything else is covered by
// the other end-to-end suites, which run pipelined (and again buffered, in sequential-bodies.e2e.test.ts). Envoy's
// buffer filter normally hands extproc an endpoint's body whole; these suites turn it off to see extproc itself
// cope with a body arriving in pieces, as it does on any route without that filter.
import { type IncomingMessage, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_KEY, metricSample, startGateway } from './gateway-harness.js';

describe('pipelined bodies: an upload slower than the message timeout', () => {
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  beforeAll(async () => {
    gateway = await startGateway({
      pipelinedBodies: true,
      wholeRequestBodies: false,
      messageTimeoutMs: 1000,
    });
  });
  afterAll(() => gateway?.close());

  it("is forwarded: extproc extends Envoy's timer for the held headers once (chunked, so of unknown length)", async () => {
    const body = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Slowly now.' }],
    });
    const pieces = [body.slice(0, 20), body.slice(20, 40), body.slice(40)];
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${gateway.url}/v1/chat/completions`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
        },
        (res) => readAnswer(res, resolve),
      );
      req.on('error', reject);
      // A 1.4 s pause mid-upload: past the 1 s message timeout (Envoy restarts its timer with each chunk it sends,
      // so only a pause trips it; without the extension this is a 504 policy_engine_timeout).
      req.write(pieces[0]);
      setTimeout(() => req.write(pieces[1]), 1400);
      setTimeout(() => req.end(pieces[2]), 1500);
    });
    expect(status, text).toBe(200);
    expect(JSON.parse(text).usage.prompt_tokens).toBeGreaterThan(0);
    const [record] = await gateway.waitForRecords(1);
    expect(record).toMatchObject({ status: 200, outcome: 'complete' });
  });
});

/** Collects an answer's status and text. */
function readAnswer(res: IncomingMessage, resolve: (answer: { status: number; text: string }) => void): void {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (d: string) => {
    text += d;
  });
  res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
}

/** Sends `body` in 64 KiB pieces, one per event-loop turn, without content-length (chunked). */
function sendChunked(url: string, headers: Record<string, string>, body: Buffer) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => readAnswer(res, resolve));
    req.on('error', reject);
    let at = 0;
    const next = () => {
      const piece = body.subarray(at, at + 64 * 1024);
      at += piece.length;
      if (at >= body.length) req.end(piece);
      else req.write(piece, () => setImmediate(next));
    };
    next();
  });
}

describe('pipelined bodies: a large body arriving in many chunks', () => {
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  beforeAll(async () => {
    gateway = await startGateway({ pipelinedBodies: true, wholeRequestBodies: false });
  });
  afterAll(() => gateway?.close());

  const prose = 'The quarterly figures were reconciled and the follow-up is scheduled for Tuesday. '.repeat(
    10_000,
  );

  it('is judged whole and reaches the provider byte for byte when nothing is changed', async () => {
    const body = Buffer.from(
      JSON.stringify({
        model: 'claude-haiku-4-5',
        max_tokens: 64,
        messages: [{ role: 'user', content: prose }],
      }),
    );
    const { status, text } = await sendChunked(
      `${gateway.url}/v1/messages`,
      { 'x-api-key': GATEWAY_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body,
    );
    expect(status, text.slice(0, 300)).toBe(200);
    const interaction = gateway.upstream.interactions.at(-1);
    expect(interaction?.body.equals(body)).toBe(true);
    const [record] = await gateway.waitForRecords(1);
    expect(record).toMatchObject({ status: 200, outcome: 'complete', securityStatus: 'clean' });
  });

  it('is forwarded rewritten whole when extproc changes it (include_usage asked for a stream)', async () => {
    const body = Buffer.from(
      JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: prose }] }),
    );
    const { status, text } = await sendChunked(
      `${gateway.url}/v1/chat/completions`,
      { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
      body,
    );
    expect(status, text.slice(0, 300)).toBe(200);
    expect(text).toContain('[DONE]');
    const interaction = gateway.upstream.interactions.at(-1);
    const sent = interaction?.json as {
      stream_options?: { include_usage?: boolean };
      messages: { content: string }[];
    };
    expect(sent.stream_options?.include_usage).toBe(true);
    expect(sent.messages[0]?.content).toBe(prose);
    const [, record] = await gateway.waitForRecords(2);
    expect(record?.usage?.inputTokens).toBeGreaterThan(0);
  });
});

describe('whole request bodies (the default with pipelined bodies): Envoy holds an endpoint body until its end', () => {
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  beforeAll(async () => {
    gateway = await startGateway({
      pipelinedBodies: true,
      messageTimeoutMs: 1000,
      maxRequestBytes: 256 * 1024,
    });
  });
  afterAll(() => gateway?.close());

  async function extprocMessages(phase: 'request_headers' | 'request_body'): Promise<number> {
    const text = await gateway.metricsText();
    return metricSample(text, 'acc_extproc_phase_seconds_count', { phase }) ?? 0;
  }

  it('gives extproc one body message per request, however the upload arrives, with no timer to extend', async () => {
    const before = await extprocMessages('request_body');
    const body = Buffer.from(
      JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Reconcile the ledger. '.repeat(8_000) }],
      }),
    );
    // Three 64 KiB pieces, chunked (so of unknown length): without the filter each would be a message of its own.
    const chunked = await sendChunked(
      `${gateway.url}/v1/chat/completions`,
      { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
      body,
    );
    expect(chunked.status, chunked.text.slice(0, 300)).toBe(200);
    expect(gateway.upstream.interactions.at(-1)?.body.equals(body)).toBe(true);
    // HTTP/1.1 with content-length: without the filter, the body and then an empty end-of-stream chunk.
    const declared = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': GATEWAY_KEY,
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'claude-haiku-4-5',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(declared.status).toBe(200);
    await declared.text();
    await gateway.waitForRecords(2);
    expect((await extprocMessages('request_body')) - before).toBe(2);
  });

  it('answers a client that waits for 100 Continue before it uploads (curl does for large bodies)', async () => {
    const body = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Sent once the gateway said to go on.' }],
    });
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${gateway.url}/v1/chat/completions`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${GATEWAY_KEY}`,
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
            expect: '100-continue',
          },
        },
        (res) => readAnswer(res, resolve),
      );
      req.on('continue', () => req.end(body));
      req.on('error', reject);
    });
    expect(status, text).toBe(200);
    expect(JSON.parse(text).usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('does not hold other paths: a body past the endpoint limit streams through to the provider', async () => {
    const upload = Buffer.alloc(512 * 1024, 'a');
    const response = await fetch(`${gateway.url}/v1/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/octet-stream' },
      body: upload,
    });
    await response.text();
    expect(response.status).not.toBe(413);
    expect(gateway.upstream.interactions.at(-1)?.body.length).toBe(upload.length);
  });

  it('answers an endpoint body past the limit with 413 in the caller shape, before extproc sees it', async () => {
    const before = await extprocMessages('request_headers');
    const huge = JSON.stringify({ model: 'gpt-4o-mini', messages: [], padding: 'x'.repeat(300 * 1024) });
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
      body: huge,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'request_too_large' } });
    // extproc never sees it, so Envoy counts it (exported to Prometheus like every Envoy stat).
    const stats = await fetch(`${gateway.envoy.adminUrl}/stats?filter=downstream_rq_too_large$`);
    expect(await stats.text()).toContain('http.acc_ingress.downstream_rq_too_large: 1');
    expect((await extprocMessages('request_headers')) - before).toBe(0);
  });
});
