// Pipelined bodies (the fail-closed default): what only that mode has to get right. Everything else is covered by
// the other end-to-end suites, which run pipelined (and again buffered, in sequential-bodies.e2e.test.ts).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_KEY, startGateway } from './gateway-harness.js';

describe('pipelined bodies: an upload slower than the message timeout', () => {
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  beforeAll(async () => {
    gateway = await startGateway({ pipelinedBodies: true, messageTimeoutMs: 1000 });
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
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
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

/** Sends `body` in 64 KiB pieces, one per event-loop turn, without content-length (chunked). */
function sendChunked(url: string, headers: Record<string, string>, body: Buffer) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
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
    gateway = await startGateway({ pipelinedBodies: true });
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
