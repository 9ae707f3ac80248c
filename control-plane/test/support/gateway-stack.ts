// The whole product for the end-to-end suites: control plane (real PostgreSQL + Redis, which publishes the
// snapshot and writes the ledger), a fake upstream, and any number of gateways (extproc + real Envoy) sharing
// that Redis. Keys, budgets and rules are created through the API, as an operator would.
/// <reference path="./provided.d.ts" />
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { inject } from 'vitest';
import { renderBootstrap } from '../../../envoy/src/bootstrap.js';
import { ensureEnvoy } from '../../../envoy/src/install.js';
import { freePort, type RunningEnvoy, startEnvoy } from '../../../envoy/src/process.js';
import {
  loadExtprocConfig,
  type RequestRecord,
  type RunningExtproc,
  startExtproc,
} from '../../../extproc/src/index.js';
import { type FakeUpstream, startFakeUpstream } from '../../../extproc/test/support/fake-upstream.js';
import { loadConfig } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { createDatabase } from './services.js';

const MASTER_KEY = randomBytes(32).toString('hex');
const INTERNAL_TOKEN = randomBytes(24).toString('hex');
const ADMIN_TOKEN = `accp_${randomBytes(24).toString('hex')}`;

export type Api = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; json: Record<string, unknown> }>;

export interface Gateway {
  url: string;
  extproc: RunningExtproc;
  records: RequestRecord[];
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Extra extproc environment (ACC_BUDGET_FAILURE_MODE, …); the security scanner is off unless this enables it. */
  env?: Record<string, string>;
  /** Where extproc reaches Redis, when not directly (e.g. through a proxy the test cuts). */
  redisUrl?: string;
  budgetClock?: () => number;
}

/** A published snapshot, as far as the suites look into it. */
export interface SnapshotView {
  version: number;
  budgets?: { id: string }[];
  routing?: { rules: { id: string }[] };
}

export interface GatewayStack {
  api: Api;
  /** A direct client on the stack's Redis database, to read budget counters (the Redis stack only). */
  redis: Redis;
  upstream: FakeUpstream;
  startGateway(options?: GatewayOptions): Promise<Gateway>;
  /** Waits until the control plane publishes a snapshot that `contains` says yes to, and every gateway applies it. */
  waitForSnapshot(contains: (snapshot: SnapshotView) => boolean): Promise<void>;
  /** waitForSnapshot for a snapshot carrying budget `budgetId`. */
  waitForBudget(budgetId: string): Promise<void>;
  close(): Promise<void>;
}

export async function until(check: () => Promise<boolean>, attempts = 400, pauseMs = 25): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error('condition not met');
}

/**
 * `redisDb` must be a database no other test file uses (the snapshot key has a fixed name); null runs without Redis:
 * extproc long-polls the control plane, posts its ledger there and counts budgets in memory.
 */
export async function startGatewayStack(
  redisDb: number | null,
  upstreamDefaults: Record<string, string> = {},
): Promise<GatewayStack> {
  const redisUrl = redisDb === null ? null : `${inject('REDIS_URL')}/${redisDb}`;
  const redis = redisUrl === null ? null : new Redis(redisUrl);
  await redis?.flushdb();
  const upstream = await startFakeUpstream({ defaultControls: upstreamDefaults });
  const cpPort = await freePort();
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
  const gateways: Gateway[] = [];

  const api: Api = async (method, path, body) => {
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
  };

  async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
    const grpcPort = await freePort();
    const records: RequestRecord[] = [];
    const spoolDir = mkdtempSync(join(tmpdir(), 'acc-budget-spool-'));
    const extproc = await startExtproc(
      loadExtprocConfig({
        ACC_EXTPROC_PORT: String(grpcPort),
        ACC_METRICS_PORT: '0',
        OPENAI_API_KEY: 'sk-provider-openai',
        ANTHROPIC_API_KEY: 'sk-ant-provider',
        ACC_MASTER_KEY: MASTER_KEY,
        ACC_LEDGER_SPOOL_DIR: spoolDir,
        ACC_SECURITY_ENABLED: 'false',
        ...(redisUrl
          ? { REDIS_URL: options.redisUrl ?? redisUrl }
          : { ACC_CONTROL_PLANE_URL: cpUrl, ACC_INTERNAL_TOKEN: INTERNAL_TOKEN }),
        ...options.env,
      }),
      {
        logger: pino({ level: 'silent' }),
        defaultMetrics: false,
        onRecord: (record) => records.push(record),
        ...(options.budgetClock ? { budgetClock: options.budgetClock } : {}),
      },
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
            // Generous: 200 concurrent requests on a shared 2-CPU machine must not time out in the gateway.
            messageTimeoutMs: 15000,
            maxMessageTimeoutMs: 20000,
            // ACC_TEST_PIPELINED_BODIES=0 runs these suites with Envoy buffering request bodies instead.
            pipelinedBodies: process.env.ACC_TEST_PIPELINED_BODIES === '0' ? false : undefined,
          },
          upstreams: { openai: upstream.url, anthropic: upstream.url },
        }),
      });
    } catch (error) {
      await extproc.stop(100);
      rmSync(spoolDir, { recursive: true, force: true });
      throw error;
    }
    const gateway: Gateway = {
      url: envoy.listenUrl,
      extproc,
      records,
      async close() {
        gateways.splice(gateways.indexOf(gateway), 1);
        await envoy.stop();
        await extproc.stop(100);
        rmSync(spoolDir, { recursive: true, force: true });
      },
    };
    gateways.push(gateway);
    return gateway;
  }

  async function waitForSnapshot(contains: (snapshot: SnapshotView) => boolean): Promise<void> {
    let version = 0;
    await until(async () => {
      const response = await fetch(`${cpUrl}/internal/v1/policy/snapshot?after=0&waitMs=0`, {
        headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
      });
      if (response.status !== 200) return false;
      const snapshot = (await response.json()) as SnapshotView;
      version = snapshot.version;
      return contains(snapshot);
    });
    for (const gateway of gateways) {
      await until(async () => {
        const ready = await fetch(`http://127.0.0.1:${gateway.extproc.metricsPort}/readyz`);
        const body = (await ready.json()) as { policyVersion?: number };
        return (body.policyVersion ?? 0) >= version;
      });
    }
  }

  const waitForBudget = (budgetId: string) =>
    waitForSnapshot((snapshot) => (snapshot.budgets ?? []).some((budget) => budget.id === budgetId));

  const stack: GatewayStack = {
    api,
    get redis(): Redis {
      if (redis === null) throw new Error('this stack runs without Redis');
      return redis;
    },
    upstream,
    startGateway,
    waitForSnapshot,
    waitForBudget,
    async close() {
      for (const gateway of [...gateways]) await gateway.close();
      await controlPlane.close();
      await upstream.close();
      redis?.disconnect();
    },
  };
  return stack;
}

/** A key created through the API, and a budget on it alone (so tests in one org never share a budget). */
export async function keyWithBudget(
  api: Api,
  name: string,
  budget: Record<string, unknown>,
): Promise<{ key: string; keyId: string; budgetId: string; budget: Record<string, unknown> }> {
  const created = await api('POST', '/keys', { name });
  if (created.status !== 201) throw new Error(`key: ${created.status} ${JSON.stringify(created.json)}`);
  const keyId = created.json.id as string;
  const made = await api('POST', '/budgets', { name, scope: 'key', subject: keyId, ...budget });
  if (made.status !== 201) throw new Error(`budget: ${made.status} ${JSON.stringify(made.json)}`);
  return { key: created.json.key as string, keyId, budgetId: made.json.id as string, budget: made.json };
}
