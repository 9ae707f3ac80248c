// ClawShield through the whole product: a security policy saved in the control plane reaches extproc in the next
// snapshot and changes what Envoy lets through, and the findings come back as security events via the ledger.
/// <reference path="./support/provided.d.ts" />
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { renderBootstrap } from '../../envoy/src/bootstrap.js';
import { ensureEnvoy } from '../../envoy/src/install.js';
import { freePort, type RunningEnvoy, startEnvoy } from '../../envoy/src/process.js';
import { loadExtprocConfig, type RunningExtproc, startExtproc } from '../../extproc/src/index.js';
import { fakeOpenAiKey } from '../../extproc/test/security/support.js';
import { type FakeUpstream, startFakeUpstream } from '../../extproc/test/support/fake-upstream.js';
import { loadConfig } from '../src/config.js';
import { type RunningServer, startServer } from '../src/server.js';
import { createDatabase } from './support/services.js';

const MASTER_KEY = randomBytes(32).toString('hex');
const INTERNAL_TOKEN = randomBytes(24).toString('hex');
const ADMIN_TOKEN = `accp_${randomBytes(24).toString('hex')}`;

let controlPlane: RunningServer;
let extproc: RunningExtproc;
let envoy: RunningEnvoy;
let upstream: FakeUpstream;
let spoolDir: string;
let cpUrl: string;
let gatewayUrl: string;

async function api(method: string, path: string, body?: unknown) {
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
}

/** Waits for a condition that depends on propagation (snapshot publication, ledger delivery). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  upstream = await startFakeUpstream({ openaiApiKeys: ['sk-env-default'] });
  const cpPort = await freePort();
  cpUrl = `http://127.0.0.1:${cpPort}`;
  controlPlane = await startServer(
    loadConfig({
      DATABASE_URL: await createDatabase(inject('DATABASE_ADMIN_URL')),
      ACC_MASTER_KEY: MASTER_KEY,
      ACC_INTERNAL_TOKEN: INTERNAL_TOKEN,
      ACC_ADMIN_EMAIL: 'admin@example.com',
      ACC_ADMIN_PASSWORD: 'correct horse battery staple',
      ACC_ADMIN_TOKEN: ADMIN_TOKEN,
      ACC_CP_PORT: String(cpPort),
      ACC_LOG_LEVEL: 'silent',
    }),
    { logger: false },
  );
  spoolDir = await mkdtemp(join(tmpdir(), 'acc-security-e2e-'));
  const grpcPort = await freePort();
  extproc = await startExtproc(
    loadExtprocConfig({
      ACC_EXTPROC_PORT: String(grpcPort),
      ACC_METRICS_PORT: '0',
      OPENAI_API_KEY: 'sk-env-default',
      ACC_MASTER_KEY: MASTER_KEY,
      ACC_CONTROL_PLANE_URL: cpUrl,
      ACC_INTERNAL_TOKEN: INTERNAL_TOKEN,
      ACC_LEDGER_SPOOL_DIR: spoolDir,
    }),
    { logger: pino({ level: 'silent' }), defaultMetrics: false },
  );
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
  gatewayUrl = envoy.listenUrl;
}, 120_000);

afterAll(async () => {
  await envoy?.stop();
  await extproc?.stop(100);
  await controlPlane?.close();
  await upstream?.close();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
});

describe('security policy from the control plane', () => {
  it('redacts by default, blocks once an admin saves a blocking policy, and records the findings as events', async () => {
    const created = await api('POST', '/keys', { name: 'agent-sec' });
    expect(created.status).toBe(201);
    const client = new OpenAI({
      apiKey: created.json.key as string,
      baseURL: `${gatewayUrl}/v1`,
      maxRetries: 0,
    });
    const leaky = () => ({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: `use this: ${fakeOpenAiKey()}` }],
    });

    // The key works as soon as its snapshot is in force; the default policy masks the secret on the way.
    let redactedRequestId: string | null = null;
    await eventually(async () => {
      const result = await client.chat.completions
        .create(leaky())
        .withResponse()
        .catch(() => null);
      redactedRequestId = result?.response.headers.get('x-acc-request-id') ?? null;
      return result?.response.headers.get('x-acc-security-status') === 'redacted';
    });
    const received = upstream.interactions.at(-1)?.json as { messages: Array<{ content: string }> };
    expect(received.messages[0]?.content).toBe('use this: [REDACTED:openai_api_key]');

    const saved = await api('PUT', '/security/policy', { actions: { secrets: { critical: 'block' } } });
    expect(saved.status).toBe(200);
    expect(saved.json.effective.actions.secrets.critical).toBe('block');
    const forwardedBefore = upstream.interactions.length;
    let blocked: InstanceType<typeof OpenAI.PermissionDeniedError> | null = null;
    await eventually(async () => {
      const error = await client.chat.completions.create(leaky()).then(
        () => null,
        (e: unknown) => e,
      );
      if (error instanceof OpenAI.PermissionDeniedError) blocked = error;
      return blocked !== null;
    });
    expect((blocked as InstanceType<typeof OpenAI.PermissionDeniedError> | null)?.code).toBe(
      'security_blocked',
    );
    // Requests still redacted while the snapshot propagated were forwarded; the blocked one was not.
    expect(upstream.interactions.length).toBeGreaterThanOrEqual(forwardedBefore);
    expect(upstream.interactions.every((i) => !i.body.toString('utf8').includes('T3BlbkFJ'))).toBe(true);

    await eventually(async () => {
      const events = await api('GET', '/security/events?detector=secrets');
      const items = events.json.items as Array<{ action: string; requestId: string }>;
      return items.some((e) => e.action === 'block') && items.some((e) => e.requestId === redactedRequestId);
    });
    const events = await api('GET', `/security/events?requestId=${redactedRequestId}`);
    expect(events.json.items).toEqual([
      expect.objectContaining({
        detector: 'secrets',
        rule: 'openai_api_key',
        action: 'redact',
        keyId: created.json.id,
        location: expect.objectContaining({ kind: 'message', messageIndex: 0, role: 'user' }),
      }),
    ]);
    expect(JSON.stringify(events.json)).not.toContain('T3BlbkFJ');
  }, 90_000);
});
