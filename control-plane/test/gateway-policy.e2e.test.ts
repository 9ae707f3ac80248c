// The whole product end to end: control plane (real PostgreSQL, with and without Redis) → policy snapshot →
// extproc → real Envoy → fake upstream, driven by the official OpenAI SDK with a key created through the API.
/// <reference path="./support/provided.d.ts" />
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { renderBootstrap } from '../../envoy/src/bootstrap.js';
import { ensureEnvoy } from '../../envoy/src/install.js';
import { freePort, type RunningEnvoy, startEnvoy } from '../../envoy/src/process.js';
import { loadExtprocConfig, type RunningExtproc, startExtproc } from '../../extproc/src/index.js';
import { type FakeUpstream, startFakeUpstream } from '../../extproc/test/support/fake-upstream.js';
import { loadConfig } from '../src/config.js';
import { type RunningServer, startServer } from '../src/server.js';
import { createDatabase } from './support/services.js';

const MASTER_KEY = randomBytes(32).toString('hex');
const INTERNAL_TOKEN = randomBytes(24).toString('hex');
const ADMIN_TOKEN = `accp_${randomBytes(24).toString('hex')}`;

interface Stack {
  api: (
    method: string,
    path: string,
    body?: unknown,
  ) => Promise<{ status: number; json: Record<string, unknown> }>;
  gatewayUrl: string;
  upstream: FakeUpstream;
  extproc: RunningExtproc;
  stopControlPlane(): Promise<void>;
  close(): Promise<void>;
}

// Each stack gets a Redis database of its own (the snapshot key is a fixed name), none used by other test files.
let nextRedisDb = 10;

async function startStack(mode: 'redis' | 'long-poll'): Promise<Stack> {
  const upstream = await startFakeUpstream({ openaiApiKeys: ['sk-env-default', 'sk-org-own-openai'] });
  const cpPort = await freePort();
  const redisUrl = mode === 'redis' ? `${inject('REDIS_URL')}/${nextRedisDb++}` : undefined;
  const config = loadConfig({
    DATABASE_URL: await createDatabase(inject('DATABASE_ADMIN_URL')),
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    ACC_MASTER_KEY: MASTER_KEY,
    ACC_INTERNAL_TOKEN: INTERNAL_TOKEN,
    ACC_ADMIN_EMAIL: 'admin@example.com',
    ACC_ADMIN_PASSWORD: 'correct horse battery staple',
    ACC_ADMIN_TOKEN: ADMIN_TOKEN,
    ACC_CP_PORT: String(cpPort),
    ACC_LOG_LEVEL: 'silent',
  });
  const controlPlane: RunningServer = await startServer(config, { logger: false });
  const cpUrl = `http://127.0.0.1:${cpPort}`;

  const grpcPort = await freePort();
  const spoolDir = mkdtempSync(join(tmpdir(), 'acc-spool-'));
  const extproc = await startExtproc(
    loadExtprocConfig({
      ACC_EXTPROC_PORT: String(grpcPort),
      ACC_METRICS_PORT: '0',
      OPENAI_API_KEY: 'sk-env-default',
      ACC_MASTER_KEY: MASTER_KEY,
      ACC_LEDGER_SPOOL_DIR: spoolDir,
      ...(redisUrl
        ? { REDIS_URL: redisUrl }
        : { ACC_CONTROL_PLANE_URL: cpUrl, ACC_INTERNAL_TOKEN: INTERNAL_TOKEN }),
    }),
    { logger: pino({ level: 'silent' }), defaultMetrics: false },
  );
  let envoy: RunningEnvoy;
  try {
    envoy = await startEnvoy({
      binPath: await ensureEnvoy(),
      bootstrap: renderBootstrap({
        listen: { host: '127.0.0.1', port: await freePort() },
        admin: { host: '127.0.0.1', port: await freePort() },
        extproc: {
          host: '127.0.0.1',
          port: grpcPort,
          failureModeAllow: false,
          messageTimeoutMs: 2000,
          maxMessageTimeoutMs: 5000,
        },
        upstreams: { openai: upstream.url, anthropic: upstream.url },
      }),
    });
  } catch (error) {
    await extproc.stop(100);
    await controlPlane.close();
    rmSync(spoolDir, { recursive: true, force: true });
    throw error;
  }

  return {
    gatewayUrl: envoy.listenUrl,
    upstream,
    extproc,
    async api(method, path, body) {
      const response = await fetch(`${cpUrl}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : {} };
    },
    stopControlPlane: () => controlPlane.close(),
    async close() {
      await envoy.stop();
      await extproc.stop(100);
      await controlPlane.close();
      await upstream.close();
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` passes or `withinMs` is over; returns how long it took. */
async function within(withinMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > withinMs) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Date.now() - started;
}

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello' }] };

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe.each(['redis', 'long-poll'] as const)('control plane → extproc policy (%s)', (mode) => {
  it('a key created in the API works through Envoy at once, and is refused within 2 s of revocation', async () => {
    stack = await startStack(mode);
    const team = await stack.api('POST', '/teams', { name: 'research' });
    expect(team.status).toBe(201);
    const created = await stack.api('POST', '/keys', { name: 'agent-1', teamId: team.json.id });
    expect(created.status).toBe(201);
    const key = created.json.key as string;
    expect(key).toMatch(/^acc-[A-Za-z0-9]{40}$/);

    const client = new OpenAI({ apiKey: key, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    const live = stack;
    await within(2000, async () => {
      try {
        await client.chat.completions.create(chat);
        return true;
      } catch {
        return false;
      }
    });
    // No org credential yet: the gateway-wide one from the environment is used.
    expect(live.upstream.interactions.at(-1)?.apiKey).toBe('sk-env-default');

    const revoked = await stack.api('POST', `/keys/${created.json.id}/revoke`);
    expect(revoked.status).toBe(200);
    await within(2000, async () => {
      const error = await client.chat.completions.create(chat).then(
        () => null,
        (e: unknown) => e,
      );
      return error instanceof OpenAI.AuthenticationError;
    });
  }, 60_000);

  it("an org's own provider credential and model allow-list apply as soon as they are saved", async () => {
    stack = await startStack(mode);
    const created = await stack.api('POST', '/keys', { name: 'agent-2', allowedModels: ['gpt-4o-mini'] });
    const client = new OpenAI({
      apiKey: created.json.key as string,
      baseURL: `${stack.gatewayUrl}/v1`,
      maxRetries: 0,
    });
    const saved = await stack.api('PUT', '/provider-credentials/openai', { apiKey: 'sk-org-own-openai' });
    expect(saved.status).toBe(201);
    expect(JSON.stringify(saved.json)).not.toContain('sk-org-own-openai');

    const live = stack;
    await within(2000, async () => {
      const ok = await client.chat.completions.create(chat).then(
        () => true,
        () => false,
      );
      return ok && live.upstream.interactions.at(-1)?.apiKey === 'sk-org-own-openai';
    });
    const refused = await client.chat.completions.create({ ...chat, model: 'gpt-4o' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
  }, 60_000);
});

describe.each(['redis', 'long-poll'] as const)('key usage (%s)', (mode) => {
  it('is reported in batches and shows as lastUsedAt, never per request', async () => {
    stack = await startStack(mode);
    const created = await stack.api('POST', '/keys', { name: 'used' });
    expect(created.json.lastUsedAt).toBeNull();
    const client = new OpenAI({
      apiKey: created.json.key as string,
      baseURL: `${stack.gatewayUrl}/v1`,
      maxRetries: 0,
    });
    const before = Date.now();
    await within(2000, () =>
      client.chat.completions.create(chat).then(
        () => true,
        () => false,
      ),
    );
    const live = stack;
    // extproc flushes every 5 s, and the control plane drains Redis every 5 s.
    await within(15_000, async () => {
      const key = await live.api('GET', `/keys/${created.json.id}`);
      return typeof key.json.lastUsedAt === 'string' && Date.parse(key.json.lastUsedAt) >= before - 1000;
    });
  }, 60_000);
});

describe('when the control plane goes away', () => {
  it('extproc keeps serving the last good snapshot and stays ready', async () => {
    stack = await startStack('long-poll');
    const created = await stack.api('POST', '/keys', { name: 'survivor' });
    const client = new OpenAI({
      apiKey: created.json.key as string,
      baseURL: `${stack.gatewayUrl}/v1`,
      maxRetries: 0,
    });
    await within(2000, () =>
      client.chat.completions.create(chat).then(
        () => true,
        () => false,
      ),
    );

    await stack.stopControlPlane();
    // Longer than the long-poll's first retry back-offs: the source has failed several times by now.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const completion = await client.chat.completions.create(chat);
    expect(completion.choices[0]?.message.content).toBeTruthy();
    const ready = await fetch(`http://127.0.0.1:${stack.extproc.metricsPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, policySource: 'control_plane' });
    const metrics = await (await fetch(`http://127.0.0.1:${stack.extproc.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/acc_extproc_policy_errors_total\{reason="control_plane"\} [1-9]/);
  }, 60_000);
});
