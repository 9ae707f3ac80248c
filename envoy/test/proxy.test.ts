/** Envoy alone (extproc: null, the benchmark baseline) in front of local fake providers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBootstrap } from '../src/bootstrap.js';
import { ensureEnvoy } from '../src/install.js';
import { freePort, type RunningEnvoy, startEnvoy } from '../src/process.js';
import { header, headerValues, send, sendH2, startUpstream, type Upstream, UUID_RE } from './helpers/http.js';

// biome-ignore lint/suspicious/noExplicitAny: parsing echo JSON
type Json = any;

describe('Envoy without ext_proc', () => {
  let openai: Upstream;
  let anthropic: Upstream;
  let envoy: RunningEnvoy;
  let deadUpstream: RunningEnvoy;

  beforeAll(async () => {
    await ensureEnvoy(); // may download the wheel on a fresh checkout
    openai = await startUpstream('openai');
    anthropic = await startUpstream('anthropic');
    envoy = await startEnvoy({
      bootstrap: renderBootstrap({
        listen: { port: await freePort() },
        admin: { port: await freePort() },
        extproc: null,
        upstreams: { openai: `${openai.url}/proxy`, anthropic: `http://localhost:${anthropic.port}` },
        maxRequestBytes: 64 * 1024,
      }),
    });
    // Upstreams on a closed port: connect failure → 503.
    const closed = await freePort();
    deadUpstream = await startEnvoy({
      bootstrap: renderBootstrap({
        listen: { port: 0 },
        admin: { port: 0 },
        extproc: null,
        upstreams: { openai: `http://127.0.0.1:${closed}`, anthropic: `http://127.0.0.1:${closed}/v` },
      }),
    });
  }, 300_000);

  afterAll(async () => {
    await envoy?.stop();
    await deadUpstream?.stop();
    await openai?.close();
    await anthropic?.close();
  });

  it('sends OpenAI-style requests to openai with path prefix and host rewrite', async () => {
    const r = await send(envoy.listenUrl, '/v1/chat/completions?x=1', {
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
      body: '{"model":"gpt-4o-mini"}',
    });
    expect(r.status).toBe(200);
    const echo: Json = JSON.parse(r.body);
    expect(echo.upstream).toBe('openai');
    expect(echo.url).toBe('/proxy/v1/chat/completions?x=1');
    expect(echo.headers.host).toBe('127.0.0.1');
    expect(echo.headers.authorization).toBe('Bearer sk-test');
    expect(echo.bodyLength).toBe(23);
    // Proxy bookkeeping is not leaked to providers.
    for (const h of [
      'x-forwarded-for',
      'x-envoy-external-address',
      'x-envoy-original-path',
      'x-envoy-original-host',
    ]) {
      expect(echo.headers[h]).toBeUndefined();
    }
    expect(echo.headers['x-request-id']).toMatch(UUID_RE);
  });

  it('sends requests with x-api-key or anthropic-version to anthropic', async () => {
    for (const headers of [{ 'x-api-key': 'sk-ant-test' }, { 'anthropic-version': '2023-06-01' }] as Record<
      string,
      string
    >[]) {
      const r = await send(envoy.listenUrl, '/v1/messages', { headers, body: '{}' });
      expect(r.status).toBe(200);
      const echo: Json = JSON.parse(r.body);
      expect(echo.upstream).toBe('anthropic');
      expect(echo.url).toBe('/v1/messages');
      expect(echo.headers.host).toBe('localhost');
    }
  });

  it('stamps exactly one x-acc-request-id = x-request-id on upstream responses (overwriting the upstream one)', async () => {
    const r = await send(envoy.listenUrl, '/v1/models');
    expect(r.status).toBe(200);
    const ids = headerValues(r, 'x-acc-request-id');
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(UUID_RE);
    expect(JSON.parse(r.body).headers['x-request-id']).toBe(ids[0]);
    expect(header(r, 'x-envoy-upstream-service-time')).toBeUndefined();
  });

  it('ignores a client-sent x-acc-upstream-cluster without ext_proc and never forwards it', async () => {
    const r = await send(envoy.listenUrl, '/v1/chat/completions', {
      headers: { 'x-acc-upstream-cluster': 'anthropic' },
      body: '{}',
    });
    const echo: Json = JSON.parse(r.body);
    expect(echo.upstream).toBe('openai');
    expect(echo.headers['x-acc-upstream-cluster']).toBeUndefined();
  });

  it('streams SSE through (no route timeout)', async () => {
    const r = await send(envoy.listenUrl, '/v1/sse', { body: '{}' });
    expect(r.status).toBe(200);
    expect(header(r, 'content-type')).toBe('text/event-stream');
    expect(r.body).toContain('data: [DONE]');
  });

  it('accepts HTTP/2 cleartext clients (codec AUTO)', async () => {
    const r = await sendH2(envoy.listenUrl, '/v1/messages', { 'x-api-key': 'k' }, '{}');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).upstream).toBe('anthropic');
    expect(headerValues(r, 'x-acc-request-id')).toHaveLength(1);
  });

  it('streams bodies larger than maxRequestBytes when nothing buffers them (no ext_proc → no 413)', async () => {
    const r = await send(envoy.listenUrl, '/v1/chat/completions', { body: 'x'.repeat(200_000) });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).bodyLength).toBe(200_000);
  });

  it('answers an unreachable upstream with 503 JSON in the caller API shape', async () => {
    const o = await send(deadUpstream.listenUrl, '/v1/chat/completions', { body: '{}' });
    expect(o.status).toBe(503);
    expect(header(o, 'content-type')).toBe('application/json');
    expect(headerValues(o, 'x-acc-request-id')).toHaveLength(1);
    expect(JSON.parse(o.body)).toEqual({
      error: {
        message: 'AgentCostControl gateway: upstream provider unreachable',
        type: 'server_error',
        param: null,
        code: 'upstream_unavailable',
      },
    });
    const a = await send(deadUpstream.listenUrl, '/v1/messages', {
      headers: { 'anthropic-version': '2023-06-01' },
      body: '{}',
    });
    expect(a.status).toBe(503);
    expect(header(a, 'content-type')).toBe('application/json');
    expect(JSON.parse(a.body)).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'AgentCostControl gateway: upstream provider unreachable' },
    });
  });
});
