// The gateway and ClawShield end-to-end suites once more, with Envoy pipelining bodies (ACC_EXTPROC_PIPELINED_BODIES):
// STREAMED bodies sent without waiting for extproc's headers reply, held headers replies, whole bodies judged
// (extproc/src/grpc/pipelined-bodies.ts). Same assertions: bytes, credentials, usage, cost, redaction, refusals.
// Each test file runs in its own worker, so setting the variable here changes no other file's gateway.
process.env.ACC_TEST_PIPELINED_BODIES = '1';
await import('./gateway.e2e.test.js');
await import('./security.e2e.test.js');

const { afterAll, beforeAll, describe, expect, it } = await import('vitest');
const { request } = await import('node:http');
const { GATEWAY_KEY, startGateway } = await import('./gateway-harness.js');

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
