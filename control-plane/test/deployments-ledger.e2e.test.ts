// A fallback chain over two deployments serving different models, from the API to the spend ledger: deployments
// and a rule written through the control plane → snapshot (long-poll) → extproc writes the clusters → real Envoy →
// the first deployment answers 503, the second serves its own model with its own credential → extproc's record →
// POST /internal/v1/ledger → spend_ledger → GET /api/v1/spend. No Redis: the snapshot and the ledger go over HTTP.
/// <reference path="./support/provided.d.ts" />

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { renderBootstrap } from '../../envoy/src/bootstrap.js';
import { ensureEnvoy } from '../../envoy/src/install.js';
import { freePort, type RunningEnvoy, startEnvoy } from '../../envoy/src/process.js';
import { loadExtprocConfig, type RunningExtproc, startExtproc } from '../../extproc/src/index.js';
import { chainClusterName } from '../../extproc/src/routing/upstream-clusters.js';
import { type FakeUpstream, startFakeUpstream } from '../../extproc/test/support/fake-upstream.js';
import { loadConfig } from '../src/config.js';
import { type RunningServer, startServer } from '../src/server.js';
import { createDatabase } from './support/services.js';

const MASTER_KEY = randomBytes(32).toString('hex');
const INTERNAL_TOKEN = randomBytes(24).toString('hex');
const ADMIN_TOKEN = `accp_${randomBytes(24).toString('hex')}`;
const DEPLOYMENT_KEYS = { 'eu-key': 'sk-deployment-eu-ledger', 'us-key': 'sk-deployment-us-ledger' };

type Json = Record<string, unknown>;

let controlPlane: RunningServer;
let extproc: RunningExtproc;
let envoy: RunningEnvoy;
let healthy: FakeUpstream;
let failing: FakeUpstream;
let stateDir: string;
let cpUrl: string;
let openai: OpenAI;
let keyId: string;
let bigId: string;
let miniId: string;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
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

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function created(path: string, body: Json): Promise<string> {
  const response = await api('POST', path, body);
  if (response.status !== 201)
    throw new Error(`${path}: ${response.status} ${JSON.stringify(response.json)}`);
  return response.json.id as string;
}

/** The request's spend_ledger row, through the tenant API. */
async function spendRow(requestId: string): Promise<Json> {
  return until(async () => {
    const page = await api('GET', `/spend?key=${keyId}&limit=50`);
    return (page.json.items as Json[] | undefined)?.find((item) => item.requestId === requestId);
  }, `the ledger row of ${requestId}`);
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'acc-deployments-ledger-'));
  const keys = { openaiApiKeys: ['sk-provider-openai', ...Object.values(DEPLOYMENT_KEYS)] };
  healthy = await startFakeUpstream(keys);
  failing = await startFakeUpstream({ ...keys, defaultControls: { 'x-fake-status': '503' } });
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

  const key = await api('POST', '/keys', { name: 'chain-agent' });
  keyId = key.json.id as string;
  openai = new OpenAI({ apiKey: key.json.key as string, baseURL: 'http://127.0.0.1:1/v1', maxRetries: 0 });
  bigId = await created('/routing/deployments', {
    name: 'big-eu',
    provider: 'openai',
    model: 'gpt-4o',
    baseUrlCluster: 'eu',
    credentialRef: 'eu-key',
  });
  miniId = await created('/routing/deployments', {
    name: 'mini-us',
    provider: 'openai',
    model: 'gpt-4o-mini',
    baseUrlCluster: 'us',
    credentialRef: 'us-key',
  });
  await created('/rules', {
    name: 'Big model, small fallback',
    priority: 1,
    condition: 'true',
    actions: [
      { type: 'route', deployment: 'big-eu' },
      { type: 'fallback', chain: ['mini-us'] },
    ],
  });

  const grpcPort = await freePort();
  const dynamicDir = join(stateDir, 'envoy-dynamic');
  extproc = await startExtproc(
    loadExtprocConfig({
      ACC_EXTPROC_PORT: String(grpcPort),
      ACC_METRICS_PORT: '0',
      OPENAI_API_KEY: 'sk-provider-openai',
      ACC_MASTER_KEY: MASTER_KEY,
      ACC_CONTROL_PLANE_URL: cpUrl,
      ACC_INTERNAL_TOKEN: INTERNAL_TOKEN,
      ACC_LEDGER_SPOOL_DIR: join(stateDir, 'ledger-spool'),
      ACC_ENVOY_DYNAMIC_DIR: dynamicDir,
      ACC_UPSTREAMS: `eu=${failing.url},us=${healthy.url}`,
      ACC_DEPLOYMENT_CREDENTIALS: JSON.stringify(DEPLOYMENT_KEYS),
      ACC_SECURITY_ENABLED: 'false',
    }),
    { logger: pino({ level: 'silent' }), defaultMetrics: false },
  );
  envoy = await startEnvoy({
    binPath: await ensureEnvoy(),
    bootstrap: renderBootstrap({
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      extproc: {
        host: '127.0.0.1',
        port: grpcPort,
        failureModeAllow: false,
        messageTimeoutMs: 5000,
        maxMessageTimeoutMs: 10_000,
      },
      upstreams: { openai: healthy.url, anthropic: healthy.url },
      deploymentClusters: { dir: dynamicDir },
    }),
  });
  openai = new OpenAI({ apiKey: key.json.key as string, baseURL: `${envoy.listenUrl}/v1`, maxRetries: 0 });
  const chain = chainClusterName([bigId, miniId]);
  await until(async () => {
    const clusters = await (await fetch(`${envoy.adminUrl}/clusters`)).text();
    return clusters.includes(`${chain}::`) ? true : undefined;
  }, 'Envoy to load the chain cluster');
}, 120_000);

afterAll(async () => {
  await envoy?.stop();
  await extproc?.stop(100);
  await controlPlane?.close();
  await Promise.all([healthy?.close(), failing?.close()]);
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

beforeEach(() => {
  healthy.reset();
  failing.reset();
});

describe('a mixed-model fallback chain in the spend ledger', () => {
  for (const stream of [false, true]) {
    it(`stores the chain, the answering deployment, its model and the attempts (${stream ? 'stream' : 'JSON'})`, async () => {
      const messages = [{ role: 'user' as const, content: 'Summarise the notes in one line.' }];
      let requestId: string | null;
      let served: string;
      if (stream) {
        const { data, response } = await openai.chat.completions
          .create({ model: 'gpt-4o', stream: true, messages })
          .withResponse();
        const models = new Set<string>();
        for await (const chunk of data) models.add(chunk.model);
        expect(models.size).toBe(1);
        served = [...models][0] as string;
        requestId = response.headers.get('x-acc-request-id');
      } else {
        const { data, response } = await openai.chat.completions
          .create({ model: 'gpt-4o', messages })
          .withResponse();
        served = data.model;
        requestId = response.headers.get('x-acc-request-id');
      }
      expect(served.startsWith('gpt-4o-mini-')).toBe(true);
      expect(failing.interactions.map((i) => [i.model, i.apiKey])).toEqual([
        ['gpt-4o', DEPLOYMENT_KEYS['eu-key']],
      ]);
      expect(healthy.interactions.map((i) => [i.model, i.apiKey, i.stream])).toEqual([
        ['gpt-4o-mini', DEPLOYMENT_KEYS['us-key'], stream],
      ]);

      const row = await spendRow(requestId as string);
      expect(row).toMatchObject({
        requestedModel: 'gpt-4o',
        model: served,
        status: 200,
        outcome: 'complete',
        stream,
        deploymentChain: [bigId, miniId],
        upstreamDeployment: miniId,
        upstreamAttempts: 2,
      });
      // Priced as the model that answered; what the requested model would have cost is the counterfactual.
      const usage = row.usage as { inputTokens: number; outputTokens: number };
      expect(usage.outputTokens).toBeGreaterThan(0);
      expect(row.costUsd as number).toBeGreaterThan(0);
      expect(row.counterfactualCostUsd as number).toBeGreaterThan((row.costUsd as number) * 10);
    });
  }
});
