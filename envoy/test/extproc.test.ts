/** Envoy with the ext_proc filter: fail-closed/open, local replies, body limits, mutations, routing. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ExtProcOptions, renderBootstrap } from '../src/bootstrap.js';
import { ensureEnvoy } from '../src/install.js';
import { freePort, type RunningEnvoy, startEnvoy } from '../src/process.js';
import {
  continueResponse,
  type FakeExtProc,
  immediateResponse,
  startFakeExtProc,
} from './helpers/fake-extproc.js';
import { header, headerValues, send, startUpstream, type Upstream, UUID_RE } from './helpers/http.js';

// biome-ignore lint/suspicious/noExplicitAny: parsing echo JSON
type Json = any;

const MAX = 64 * 1024;
const ANTHROPIC = { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' };

function extproc(port: number, over: Partial<ExtProcOptions> = {}): ExtProcOptions {
  return {
    host: '127.0.0.1',
    port,
    failureModeAllow: false,
    messageTimeoutMs: 300,
    maxMessageTimeoutMs: 2000,
    // The scripted processor answers message by message, as Envoy expects with BUFFERED request bodies; pipelined
    // bodies are exercised with the real extproc (extproc/test/e2e) and by bench/probe-pipelined-bodies.mjs.
    pipelinedBodies: false,
    ...over,
  };
}

function openaiError(message: string, type: string, code: string) {
  return { error: { message, type, param: null, code } };
}
function anthropicError(message: string, type: string) {
  return { type: 'error', error: { type, message } };
}

let openai: Upstream;
let anthropic: Upstream;

beforeAll(async () => {
  await ensureEnvoy(); // may download the wheel on a fresh checkout
  openai = await startUpstream('openai');
  anthropic = await startUpstream('anthropic');
}, 300_000);

afterAll(async () => {
  await openai?.close();
  await anthropic?.close();
});

async function gateway(ep: ExtProcOptions): Promise<RunningEnvoy> {
  return startEnvoy({
    bootstrap: renderBootstrap({
      listen: { port: await freePort() },
      admin: { port: await freePort() },
      extproc: ep,
      upstreams: { openai: `${openai.url}/proxy`, anthropic: anthropic.url },
      maxRequestBytes: MAX,
    }),
  });
}

describe('policy engine unreachable', () => {
  let closed: RunningEnvoy;
  let open: RunningEnvoy;
  beforeAll(async () => {
    const port = await freePort(); // nothing listens here
    closed = await gateway(extproc(port));
    open = await gateway(extproc(port, { failureModeAllow: true }));
  });
  afterAll(async () => {
    await closed?.stop();
    await open?.stop();
  });

  it('fail-closed: 503 in OpenAI shape for an OpenAI request, upstream not reached', async () => {
    const before = openai.seen.length;
    const r = await send(closed.listenUrl, '/v1/chat/completions', { body: '{"model":"gpt-4o"}' });
    expect(r.status).toBe(503);
    expect(header(r, 'content-type')).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual(
      openaiError(
        'AgentCostControl gateway: policy engine unavailable',
        'server_error',
        'policy_engine_unavailable',
      ),
    );
    const ids = headerValues(r, 'x-acc-request-id');
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(UUID_RE);
    expect(openai.seen.length).toBe(before);
  });

  it('fail-closed: 503 in Anthropic shape for an Anthropic request', async () => {
    for (const headers of [{ 'x-api-key': 'k' }, { 'anthropic-version': '2023-06-01' }] as Record<
      string,
      string
    >[]) {
      const r = await send(closed.listenUrl, '/v1/messages', { headers, body: '{}' });
      expect(r.status).toBe(503);
      expect(header(r, 'content-type')).toBe('application/json');
      expect(JSON.parse(r.body)).toEqual(
        anthropicError('AgentCostControl gateway: policy engine unavailable', 'api_error'),
      );
      expect(headerValues(r, 'x-acc-request-id')).toHaveLength(1);
    }
  });

  it('fail-open: the request reaches the upstream unchanged', async () => {
    const r = await send(open.listenUrl, '/v1/chat/completions', { body: '{"model":"gpt-4o"}' });
    expect(r.status).toBe(200);
    const echo: Json = JSON.parse(r.body);
    expect(echo.upstream).toBe('openai');
    expect(echo.url).toBe('/proxy/v1/chat/completions');
    expect(headerValues(r, 'x-acc-request-id')).toHaveLength(1);
    const a = await send(open.listenUrl, '/v1/messages', { headers: ANTHROPIC, body: '{}' });
    expect(JSON.parse(a.body).upstream).toBe('anthropic');
  });
});

describe('with a policy engine', () => {
  let xp: FakeExtProc;
  let gw: RunningEnvoy;
  beforeAll(async () => {
    xp = await startFakeExtProc();
    gw = await gateway(extproc(xp.port));
  });
  afterAll(async () => {
    await gw?.stop();
    await xp?.close();
  });
  beforeEach(() => {
    xp.setHandler(() => 'default');
    xp.seen.length = 0;
  });

  it('passes requests and streamed responses through the processor', async () => {
    const r = await send(gw.listenUrl, '/v1/chat/completions', { body: '{"model":"gpt-4o"}' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).url).toBe('/proxy/v1/chat/completions');
    expect(xp.seen.map((m) => m.kind)).toEqual([
      'request_headers',
      'request_body',
      'response_headers',
      'response_body',
    ]);
    expect(xp.seen[0]?.headers?.[':path']).toBe('/v1/chat/completions');
    expect(xp.seen[1]?.body?.toString()).toBe('{"model":"gpt-4o"}');
    expect(xp.seen[1]?.endOfStream).toBe(true);

    const s = await send(gw.listenUrl, '/v1/sse', { body: '{}' });
    expect(s.status).toBe(200);
    expect(s.body).toContain('data: [DONE]');
  });

  it('413 in the caller API shape when the body exceeds maxRequestBytes (BUFFERED)', async () => {
    const big = 'x'.repeat(MAX + 1);
    const o = await send(gw.listenUrl, '/v1/chat/completions', { body: big });
    expect(o.status).toBe(413);
    expect(header(o, 'content-type')).toBe('application/json');
    expect(JSON.parse(o.body)).toEqual(
      openaiError(
        'AgentCostControl gateway: request body exceeds the configured size limit',
        'invalid_request_error',
        'request_too_large',
      ),
    );
    expect(headerValues(o, 'x-acc-request-id')).toHaveLength(1);
    const a = await send(gw.listenUrl, '/v1/messages', { headers: ANTHROPIC, body: big });
    expect(a.status).toBe(413);
    expect(JSON.parse(a.body)).toEqual(
      anthropicError(
        'AgentCostControl gateway: request body exceeds the configured size limit',
        'request_too_large',
      ),
    );
    // Exactly at the limit is accepted.
    const ok = await send(gw.listenUrl, '/v1/chat/completions', { body: 'x'.repeat(MAX) });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).bodyLength).toBe(MAX);
  });

  it('504 in the caller API shape when the processor does not answer in time', async () => {
    xp.setHandler((m) => (m.kind === 'request_headers' ? 'hang' : 'default'));
    const o = await send(gw.listenUrl, '/v1/chat/completions', { body: '{}' });
    expect(o.status).toBe(504);
    expect(JSON.parse(o.body)).toEqual(
      openaiError(
        'AgentCostControl gateway: policy engine timed out',
        'server_error',
        'policy_engine_timeout',
      ),
    );
    expect(headerValues(o, 'x-acc-request-id')).toHaveLength(1);
    const a = await send(gw.listenUrl, '/v1/messages', { headers: ANTHROPIC, body: '{}' });
    expect(a.status).toBe(504);
    expect(JSON.parse(a.body)).toEqual(
      anthropicError('AgentCostControl gateway: policy engine timed out', 'api_error'),
    );
  });

  it("leaves the processor's own ImmediateResponses alone (even 503), adding only x-acc-request-id", async () => {
    const own = JSON.stringify({ error: { message: 'budget exhausted', type: 'insufficient_quota' } });
    xp.setHandler((m) =>
      m.kind === 'request_headers'
        ? immediateResponse(503, own, { 'content-type': 'application/json' })
        : 'default',
    );
    const r = await send(gw.listenUrl, '/v1/chat/completions', { body: '{}' });
    expect(r.status).toBe(503);
    expect(r.body).toBe(own);
    expect(headerValues(r, 'x-acc-request-id')).toHaveLength(1);

    xp.setHandler((m) =>
      m.kind === 'request_body' ? immediateResponse(429, 'slow down', {}, 'acc_rate') : 'default',
    );
    const t = await send(gw.listenUrl, '/v1/messages', { headers: ANTHROPIC, body: '{}' });
    expect(t.status).toBe(429);
    expect(t.body).toBe('slow down');
    expect(header(t, 'content-type')).toBe('text/plain');
    expect(headerValues(t, 'x-acc-request-id')).toHaveLength(1);
  });

  it('applies a buffered body rewrite with a matching content-length and header mutations', async () => {
    const newBody = '{"model":"gpt-4o-mini","max_tokens":16}';
    xp.setHandler((m) =>
      m.kind === 'request_body'
        ? continueResponse('request_body', {
            body: newBody,
            headers: {
              set: {
                'content-length': String(Buffer.byteLength(newBody)),
                authorization: 'Bearer sk-real',
                'x-acc-budget': 'team-a',
                host: 'evil.example', // not allowed by mutation rules: ignored
              },
            },
          })
        : 'default',
    );
    const r = await send(gw.listenUrl, '/v1/chat/completions', {
      headers: { authorization: 'Bearer acc-virtual-key' },
      body: '{"model":"gpt-4o"}',
    });
    expect(r.status).toBe(200);
    const seen = openai.seen.at(-1);
    expect(seen?.body).toBe(newBody);
    expect(seen?.headers['content-length']).toBe(String(Buffer.byteLength(newBody)));
    expect(seen?.headers.authorization).toBe('Bearer sk-real');
    expect(seen?.headers['x-acc-budget']).toBe('team-a');
    expect(seen?.headers.host).toBe('127.0.0.1');
  });

  it('fails closed with JSON when a body rewrite leaves a stale content-length', async () => {
    xp.setHandler((m) =>
      m.kind === 'request_body'
        ? continueResponse('request_body', { body: '{"model":"a-much-longer-name"}' })
        : 'default',
    );
    const r = await send(gw.listenUrl, '/v1/chat/completions', { body: '{"model":"x"}' });
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toEqual(
      openaiError(
        'AgentCostControl gateway: policy engine returned an invalid request mutation',
        'server_error',
        'policy_engine_error',
      ),
    );
  });

  it('routes by x-acc-upstream-cluster set by the processor (with clear_route_cache)', async () => {
    const route = (cluster: string) =>
      xp.setHandler((m) =>
        m.kind === 'request_body'
          ? continueResponse('request_body', {
              headers: { set: { 'x-acc-upstream-cluster': cluster } },
              clearRouteCache: true,
            })
          : 'default',
      );
    route('anthropic');
    const a = await send(gw.listenUrl, '/v1/chat/completions', { body: '{}' });
    expect(a.status).toBe(200);
    const ea: Json = JSON.parse(a.body);
    expect(ea.upstream).toBe('anthropic');
    expect(ea.url).toBe('/v1/chat/completions');
    expect(ea.headers['x-acc-upstream-cluster']).toBeUndefined();

    route('openai');
    const o = await send(gw.listenUrl, '/v1/messages', { headers: ANTHROPIC, body: '{}' });
    const eo: Json = JSON.parse(o.body);
    expect(eo.upstream).toBe('openai');
    expect(eo.url).toBe('/proxy/v1/messages'); // the openai path prefix applies

    route('no_such_cluster');
    const n = await send(gw.listenUrl, '/v1/chat/completions', { body: '{}' });
    expect(n.status).toBe(503);
    expect(JSON.parse(n.body)).toEqual(
      openaiError(
        'AgentCostControl gateway: unknown upstream cluster',
        'server_error',
        'unknown_upstream_cluster',
      ),
    );
    expect(headerValues(n, 'x-acc-request-id')).toHaveLength(1);
  });

  it('opens a new connection to the processor after streamsPerConnection streams', async () => {
    const recycling = await gateway(extproc(xp.port, { streamsPerConnection: 2 }));
    try {
      for (let i = 0; i < 5; i++) {
        const r = await send(recycling.listenUrl, '/v1/chat/completions', { body: '{"model":"gpt-4o"}' });
        expect(r.status).toBe(200);
      }
      const stats = await send(
        recycling.adminUrl,
        '/stats?filter=^cluster\\.acc_extproc\\.upstream_cx_total$',
      );
      expect(stats.body.trim()).toBe('cluster.acc_extproc.upstream_cx_total: 3');
    } finally {
      await recycling.stop();
    }
  });

  it('exposes Prometheus stats on the admin listener', async () => {
    const r = await send(gw.adminUrl, '/stats/prometheus');
    expect(r.status).toBe(200);
    expect(r.body).toContain('envoy_http_downstream_rq_total');
    expect(r.body).toMatch(/envoy_cluster_upstream_rq_total\{envoy_cluster_name="acc_extproc"\}/);
  });
});
