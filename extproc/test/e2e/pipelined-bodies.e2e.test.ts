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
