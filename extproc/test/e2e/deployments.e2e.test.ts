// Routing to deployments through a real Envoy: extproc writes the deployment and fallback-chain clusters for the
// snapshot in force, Envoy loads them from the watched file, and the routing rules pick them per request. The fake
// upstreams stand for a healthy provider endpoint, one answering 503, one answering 429 and one that breaks a stream
// after its first event. The snapshot comes from a tiny long-poll server standing in for the control plane, which
// also keeps the ledger entries extproc posts to it.

import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { type Logger, pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderBootstrap } from '../../../envoy/src/bootstrap.js';
import { ensureEnvoy } from '../../../envoy/src/install.js';
import { freePort, type RunningEnvoy, startEnvoy } from '../../../envoy/src/process.js';
import { loadExtprocConfig, type RequestRecord, type RunningExtproc, startExtproc } from '../../src/index.js';
import { digestKey } from '../../src/pipeline/auth.js';
import type { PolicySnapshot } from '../../src/policy/snapshot.js';
import { DYNAMIC_CLUSTERS_FILE } from '../../src/routing/deployment-writer.js';
import type { SnapshotDeployment, SnapshotRoutingRule } from '../../src/routing/types.js';
import { chainClusterName, deploymentClusterName } from '../../src/routing/upstream-clusters.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';

const GATEWAY_KEY = 'acc-e2e-deployments-key-000000000000000000';
const GATEWAY_PROVIDER_KEY = 'sk-gateway-openai-e2e';
const DEPLOYMENT_KEYS = { 'key-a': 'sk-deployment-a-e2e', 'key-b': 'sk-deployment-b-e2e' };
const INTERNAL_TOKEN = 'internal-token-deployments-e2e';
const ORG = '00000000-0000-4000-8000-00000000d001';
const MODEL = 'gpt-4o-mini';
/** The model of the first deployment of the mixed-model chain; the fallback serves MODEL. */
const PRICIER_MODEL = 'gpt-4o';
const COOLDOWN_MS = 700;
const FAILURES_BEFORE_COOLDOWN = 3;

function deployment(
  id: string,
  name: string,
  upstream: string,
  credentialRef: string | null,
): SnapshotDeployment {
  return {
    id,
    orgId: ORG,
    name,
    provider: 'openai',
    model: MODEL,
    baseUrlCluster: upstream,
    weight: 1,
    credentialRef,
  };
}

const DEPLOYMENTS = {
  primary: deployment('d-primary', 'primary', 'failing', 'key-a'),
  secondary: deployment('d-secondary', 'secondary', 'healthy', 'key-b'),
  limited: deployment('d-limited', 'limited', 'limited', null),
  flaky: deployment('d-flaky', 'flaky', 'failing', null),
  breaker: deployment('d-breaker', 'breaker', 'breaker', null),
  limitedAlone: deployment('d-limited-alone', 'limited-alone', 'limited', null),
  mixedFirst: { ...deployment('d-mixed-first', 'mixed-first', 'failing', 'key-a'), model: PRICIER_MODEL },
  mixedSecond: deployment('d-mixed-second', 'mixed-second', 'healthy', 'key-b'),
};

function rule(priority: number, agent: string, deployment: string, fallback?: string[]): SnapshotRoutingRule {
  return {
    id: `rule-${agent}`,
    orgId: ORG,
    name: agent,
    priority,
    condition: `request.agent == "${agent}"`,
    actions: [
      { type: 'route', deployment },
      ...(fallback ? [{ type: 'fallback' as const, chain: fallback }] : []),
    ],
    enabled: true,
  };
}

const SNAPSHOT: PolicySnapshot = {
  schema: 1,
  version: 1,
  publishedAt: new Date(0).toISOString(),
  orgs: [{ id: ORG, slug: 'deployments', name: 'Deployments' }],
  teams: [],
  keys: [
    {
      digest: digestKey(GATEWAY_KEY),
      id: 'key-deployments',
      prefix: 'acc-e2e',
      orgId: ORG,
      teamId: null,
      ownerId: null,
      ownerKind: null,
      allowAgentHeader: true,
      allowedModels: null,
      expiresAt: null,
    },
  ],
  providerCredentials: [],
  pricing: [],
  routing: {
    rules: [
      rule(1, 'switch', 'secondary'),
      rule(2, 'fallback', 'primary', ['secondary']),
      rule(3, 'ratelimit', 'limited', ['secondary']),
      rule(4, 'cooldown', 'flaky', ['secondary']),
      rule(5, 'breaker', 'breaker', ['secondary']),
      rule(6, 'ratelimit-only', 'limited-alone'),
      rule(7, 'mixed', 'mixed-first', ['mixed-second']),
    ],
    deployments: Object.values(DEPLOYMENTS),
    modelOverrides: [],
  },
};

const chainOf = (...deployments: SnapshotDeployment[]) => chainClusterName(deployments.map((d) => d.id));

/** The ledger entries extproc posted, as the control plane's internal endpoint would receive them. */
const ledgerEntries: Record<string, unknown>[] = [];

/** Answers the long-poll with the one snapshot, and accepts what extproc reports back (ledger, key usage). */
async function startSnapshotServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/internal/v1/ledger' && req.headers.authorization === `Bearer ${INTERNAL_TOKEN}`) {
      const parts: Buffer[] = [];
      req.on('data', (part: Buffer) => parts.push(part));
      req.on('end', () => {
        const batch = JSON.parse(Buffer.concat(parts).toString('utf8')) as {
          records: Record<string, unknown>[];
        };
        ledgerEntries.push(...batch.records);
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ inserted: batch.records.length, rejected: [] }));
      });
      return;
    }
    req.resume();
    if (req.headers.authorization !== `Bearer ${INTERNAL_TOKEN}`) {
      res.writeHead(401).end();
    } else if (url.pathname === '/internal/v1/policy/snapshot') {
      if (Number(url.searchParams.get('after') ?? 0) < SNAPSHOT.version) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(SNAPSHOT));
      } else {
        // Nothing newer will come: hold the poll like the control plane does, briefly.
        setTimeout(() => res.writeHead(204).end(), 200);
      }
    } else if (url.pathname === '/internal/v1/budgets/spend') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ budgets: [] }));
    } else {
      res.writeHead(204).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends the response head and one SSE event, then drops the connection: a stream that fails after it started. */
async function startBreakingUpstream(): Promise<{ url: string; hits(): number; close(): Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits += 1;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = {
        id: 'chatcmpl-break',
        object: 'chat.completion.chunk',
        created: 1,
        model: MODEL,
        choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }],
      };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`, () => setTimeout(() => res.socket?.destroy(), 50));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let healthy: FakeUpstream;
let failing: FakeUpstream;
let limited: FakeUpstream;
let breaker: Awaited<ReturnType<typeof startBreakingUpstream>>;
let snapshots: Awaited<ReturnType<typeof startSnapshotServer>>;
let extproc: RunningExtproc;
let envoy: RunningEnvoy;
let stateDir: string;
const records: RequestRecord[] = [];

async function waitForClusters(names: string[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = await (await fetch(`${envoy.adminUrl}/clusters`)).text();
    if (names.every((name) => text.includes(`${name}::`))) return;
    if (Date.now() > deadline)
      throw new Error(`Envoy did not load the deployment clusters ${names.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  const binPath = await ensureEnvoy();
  stateDir = await mkdtemp(join(tmpdir(), 'acc-deployments-e2e-'));
  const keys = { openaiApiKeys: [GATEWAY_PROVIDER_KEY, ...Object.values(DEPLOYMENT_KEYS)] };
  healthy = await startFakeUpstream(keys);
  failing = await startFakeUpstream({ ...keys, defaultControls: { 'x-fake-status': '503' } });
  limited = await startFakeUpstream({ ...keys, defaultControls: { 'x-fake-status': '429' } });
  breaker = await startBreakingUpstream();
  snapshots = await startSnapshotServer();
  const grpcPort = await freePort();
  const dynamicDir = join(stateDir, 'envoy-dynamic');
  const logger: Logger = pino({ level: 'silent' });
  extproc = await startExtproc(
    loadExtprocConfig({
      ACC_EXTPROC_PORT: String(grpcPort),
      ACC_METRICS_PORT: '0',
      OPENAI_API_KEY: GATEWAY_PROVIDER_KEY,
      ACC_OPENAI_BASE_URL: healthy.url,
      ACC_ANTHROPIC_BASE_URL: healthy.url,
      ACC_CONTROL_PLANE_URL: snapshots.url,
      ACC_INTERNAL_TOKEN: INTERNAL_TOKEN,
      ACC_LEDGER_SPOOL_DIR: join(stateDir, 'ledger-spool'),
      ACC_ENVOY_DYNAMIC_DIR: dynamicDir,
      ACC_UPSTREAMS: `healthy=${healthy.url},failing=${failing.url},limited=${limited.url},breaker=${breaker.url}`,
      ACC_DEPLOYMENT_CREDENTIALS: JSON.stringify(DEPLOYMENT_KEYS),
      ACC_DEPLOYMENT_COOLDOWN_MS: String(COOLDOWN_MS),
      ACC_DEPLOYMENT_COOLDOWN_FAILURES: String(FAILURES_BEFORE_COOLDOWN),
      ACC_SECURITY_ENABLED: 'false',
    }),
    { onRecord: (record) => records.push(record), logger, defaultMetrics: false },
  );
  envoy = await startEnvoy({
    binPath,
    bootstrap: renderBootstrap({
      // Port 0: Envoy binds what is free, and startEnvoy reads the ports back (no race with other test files).
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      extproc: {
        host: '127.0.0.1',
        port: grpcPort,
        failureModeAllow: false,
        messageTimeoutMs: 2000,
        maxMessageTimeoutMs: 10_000,
      },
      upstreams: { openai: healthy.url, anthropic: healthy.url },
      deploymentClusters: { dir: dynamicDir, maxFallbackRetries: 2 },
    }),
  });
  const { primary, secondary, flaky, mixedFirst, mixedSecond } = DEPLOYMENTS;
  await waitForClusters([
    ...Object.values(DEPLOYMENTS).map((d) => deploymentClusterName(d.id)),
    chainOf(primary, secondary),
    chainOf(flaky, secondary),
    chainOf(mixedFirst, mixedSecond),
  ]);
}, 120_000);

afterAll(async () => {
  await envoy?.stop();
  await extproc?.stop(1000);
  await Promise.all([
    healthy?.close(),
    failing?.close(),
    limited?.close(),
    breaker?.close(),
    snapshots?.close(),
  ]);
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

beforeEach(() => {
  for (const upstream of [healthy, failing, limited]) upstream.reset();
  records.length = 0;
  ledgerEntries.length = 0;
});

function client(agent: string): OpenAI {
  return new OpenAI({
    apiKey: GATEWAY_KEY,
    baseURL: `${envoy.listenUrl}/v1`,
    maxRetries: 0,
    defaultHeaders: { 'x-acc-agent': agent },
  });
}

async function ask(agent: string) {
  return client(agent)
    .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Say hello.' }] })
    .withResponse();
}

/** The ledger entry of a request, once extproc has posted it (batches go out on the next tick). */
async function waitForLedgerEntry(requestId: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = ledgerEntries.find((entry) => entry.requestId === requestId);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ledger entry for ${requestId}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Records are written just after the client saw the end of the response. */
async function waitForRecord(
  matches: (record: RequestRecord) => boolean = () => true,
): Promise<RequestRecord> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = records.find(matches);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('no matching spend record');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the cluster file', () => {
  it('is owner-only and lists the deployment clusters for the snapshot in force', async () => {
    const path = join(stateDir, 'envoy-dynamic', DYNAMIC_CLUSTERS_FILE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(stateDir, 'envoy-dynamic'))).mode & 0o777).toBe(0o700);
    const document = JSON.parse(await readFile(path, 'utf8')) as {
      version_info: string;
      resources: { name: string }[];
    };
    expect(document.version_info).toBe('1');
    expect(document.resources.map((r) => r.name)).toContain(deploymentClusterName('d-secondary'));
  });
});

describe('routing to a deployment', () => {
  it('switches upstream and credential: the second upstream gets the request with its own key', async () => {
    const { data, response } = await ask('switch');
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(healthy.interactions).toHaveLength(1);
    expect(healthy.interactions[0]?.apiKey).toBe(DEPLOYMENT_KEYS['key-b']);
    expect(response.headers.get('x-acc-upstream-deployment')).toBe('d-secondary');
    expect(response.headers.get('x-acc-upstream-attempts')).toBe('1');
    expect(failing.interactions).toHaveLength(0);
  });
});

describe('fallback', () => {
  it('a 503 from the first deployment is answered by the next one, each with its own credential', async () => {
    const { data, response } = await ask('fallback');
    expect(response.status).toBe(200);
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(failing.interactions.map((i) => i.apiKey)).toEqual([DEPLOYMENT_KEYS['key-a']]);
    expect(healthy.interactions.map((i) => i.apiKey)).toEqual([DEPLOYMENT_KEYS['key-b']]);
    expect(response.headers.get('x-acc-upstream-deployment')).toBe('d-secondary');
    expect(response.headers.get('x-acc-upstream-attempts')).toBe('2');
    const record = await waitForRecord();
    const routed = {
      deploymentChain: ['d-primary', 'd-secondary'],
      upstreamDeployment: 'd-secondary',
      upstreamAttempts: 2,
    };
    expect(record).toMatchObject({ status: 200, requestedModel: MODEL, route: 'rule-fallback', ...routed });
    expect(await waitForLedgerEntry(record.requestId)).toMatchObject({ status: 200, ...routed });
  });

  it('a stream falls back before its first byte and arrives whole', async () => {
    const { data: stream, response } = await client('fallback')
      .chat.completions.create({
        model: MODEL,
        stream: true,
        messages: [{ role: 'user', content: 'Count.' }],
      })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(response.headers.get('x-acc-upstream-attempts')).toBe('2');
    expect(failing.interactions).toHaveLength(1);
    expect(healthy.interactions).toHaveLength(1);
    expect(healthy.interactions[0]?.stream).toBe(true);
  });

  it('a 429 moves to the next deployment and counts towards its cooldown; the client never sees a 503', async () => {
    for (let i = 1; i <= FAILURES_BEFORE_COOLDOWN; i++) {
      const { response } = await ask('ratelimit');
      expect(response.status).toBe(200);
      expect(response.headers.get('x-acc-upstream-attempts')).toBe('2');
      expect(limited.interactions).toHaveLength(i);
      expect(healthy.interactions).toHaveLength(i);
    }
    const cooling = await ask('ratelimit');
    expect(cooling.response.headers.get('x-acc-upstream-attempts')).toBe('1');
    expect(limited.interactions).toHaveLength(FAILURES_BEFORE_COOLDOWN);

    // Routed to the rate-limited deployment alone, the client gets its 429 as sent, in OpenAI's shape.
    const error = await client('ratelimit-only')
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi.' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const limitedError = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(limitedError.headers?.get('x-acc-upstream-status')).toBeNull();
    expect(limitedError.headers?.get('retry-after')).toBe('1');
    const record = await waitForRecord((r) => r.route === 'rule-ratelimit-only');
    expect(record).toMatchObject({ status: 429, upstreamDeployment: 'd-limited-alone', upstreamAttempts: 1 });
  });

  it('a stream that already started is not retried on the next deployment', async () => {
    const response = await fetch(`${envoy.listenUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${GATEWAY_KEY}`,
        'content-type': 'application/json',
        'x-acc-agent': 'breaker',
      },
      body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'Go.' }] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-acc-upstream-deployment')).toBe('d-breaker');
    let received = '';
    const failed = await (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          received += decoder.decode(chunk, { stream: true });
        }
        return false;
      } catch {
        return true;
      }
    })();
    expect(failed).toBe(true);
    expect(received).toContain('"content":"Hel"');
    expect(received).not.toContain('[DONE]');
    expect(breaker.hits()).toBe(1);
    expect(healthy.interactions).toHaveLength(0);
  });
});

describe('cooldown', () => {
  it(`after ${FAILURES_BEFORE_COOLDOWN} failures a deployment is skipped until its cooldown has passed`, async () => {
    for (let i = 1; i <= FAILURES_BEFORE_COOLDOWN; i++) {
      const { response } = await ask('cooldown');
      expect(response.headers.get('x-acc-upstream-attempts')).toBe('2');
      expect(failing.interactions).toHaveLength(i);
    }
    // Cooling down: the chain starts at the next deployment, the failing one sees nothing.
    const cooling = await ask('cooldown');
    expect(cooling.response.headers.get('x-acc-upstream-attempts')).toBe('1');
    expect(cooling.response.headers.get('x-acc-upstream-deployment')).toBe('d-secondary');
    expect(failing.interactions).toHaveLength(FAILURES_BEFORE_COOLDOWN);

    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 300));
    const after = await ask('cooldown');
    expect(after.response.headers.get('x-acc-upstream-attempts')).toBe('2');
    expect(failing.interactions).toHaveLength(FAILURES_BEFORE_COOLDOWN + 1);
  });
});

describe('a fallback chain whose deployments serve different models', () => {
  const mixedChain = {
    deploymentChain: ['d-mixed-first', 'd-mixed-second'],
    upstreamDeployment: 'd-mixed-second',
    upstreamAttempts: 2,
  };

  /** The fallback got its own model and key, the rest of the body byte for byte as the first attempt had it. */
  function expectModelPerAttempt(stream: boolean) {
    expect(failing.interactions).toHaveLength(1);
    expect(healthy.interactions).toHaveLength(1);
    const [first, fallback] = [failing.interactions[0], healthy.interactions[0]];
    expect(first).toMatchObject({ model: PRICIER_MODEL, apiKey: DEPLOYMENT_KEYS['key-a'], stream });
    expect(fallback).toMatchObject({ model: MODEL, apiKey: DEPLOYMENT_KEYS['key-b'], stream, status: 200 });
    const firstBody = first?.body.toString('utf8') ?? '';
    expect(firstBody.startsWith(`{"model":"${PRICIER_MODEL}",`)).toBe(true);
    expect(fallback?.body.toString('utf8')).toBe(firstBody.replace(PRICIER_MODEL, MODEL));
    expect(fallback?.headers['content-length']).toBe(String(fallback?.body.length));
    for (const interaction of [first, fallback]) {
      expect(interaction?.headers['x-acc-attempt-model']).toBeUndefined();
    }
  }

  it('sends each attempt its deployment model: the 503 on the first, the answer from the second', async () => {
    // The client asks for the cheaper model; the rule sends the first attempt to the pricier deployment.
    const { data, response } = await ask('mixed');
    expect(response.status).toBe(200);
    // The upstream names the dated snapshot of the model it was sent.
    expect(data.model.startsWith(`${MODEL}-`)).toBe(true);
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(response.headers.get('x-acc-deployment')).toBe('mixed-first,mixed-second');
    expect(response.headers.get('x-acc-model')).toBe(PRICIER_MODEL);
    expectModelPerAttempt(false);
    const record = await waitForRecord();
    expect(record).toMatchObject({ status: 200, requestedModel: MODEL, model: data.model, ...mixedChain });
    expect(record.usage?.outputTokens).toBeGreaterThan(0);
    expect(await waitForLedgerEntry(record.requestId)).toMatchObject({ model: data.model, ...mixedChain });
  });

  it('does the same for a stream, which falls back before its first byte', async () => {
    const { data: stream, response } = await client('mixed')
      .chat.completions.create({
        model: PRICIER_MODEL,
        stream: true,
        messages: [{ role: 'user', content: 'Count.' }],
      })
      .withResponse();
    let text = '';
    const models = new Set<string>();
    for await (const chunk of stream) {
      models.add(chunk.model);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text.length).toBeGreaterThan(0);
    expect(models.size).toBe(1);
    const served = [...models][0] as string;
    expect(served.startsWith(`${MODEL}-`)).toBe(true);
    expect(response.headers.get('x-acc-upstream-attempts')).toBe('2');
    expectModelPerAttempt(true);
    const record = await waitForRecord();
    expect(record).toMatchObject({
      stream: true,
      outcome: 'complete',
      requestedModel: PRICIER_MODEL,
      model: served,
      ...mixedChain,
    });
    expect(record.usage?.outputTokens).toBeGreaterThan(0);
    expect(await waitForLedgerEntry(record.requestId)).toMatchObject({ model: served, ...mixedChain });
  });
});
