// The spend ledger under real crashes. The control plane (which runs the ledger writer) and extproc run as child
// processes exactly as the launcher starts them (`node <package>/dist/...`; `npm test` builds them first), behind
// a real Envoy, over real PostgreSQL and Redis, in front of the fake upstream. While the official OpenAI SDK keeps
// ten clients busy (streaming and not), the control plane is SIGKILLed while its writer holds a batch it has not
// acknowledged, and extproc is SIGKILLed with requests in flight; each comes back on the same port and directory.
// Then every request a client received complete has exactly one ledger row with the upstream's exact usage, and
// every request cut by the crash has at most one row: `gateway_crashed`, costed at its budget reservation.
/// <reference path="./support/provided.d.ts" />
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LEDGER_CONSUMER_GROUP, LEDGER_DEAD_LETTER_STREAM, LEDGER_STREAM } from '@acc/extproc/ledger';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { renderBootstrap } from '../../envoy/src/bootstrap.js';
import { ensureEnvoy } from '../../envoy/src/install.js';
import { freePort, type RunningEnvoy, startEnvoy } from '../../envoy/src/process.js';
import { type FakeUpstream, startFakeUpstream } from '../../extproc/test/support/fake-upstream.js';
import { createDatabase, type RedisServer, startRedis } from './support/services.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MASTER_KEY = randomBytes(32).toString('hex');
const INTERNAL_TOKEN = randomBytes(24).toString('hex');
const ADMIN_TOKEN = `accp_${randomBytes(24).toString('hex')}`;
const PROVIDER_KEY = 'sk-provider-openai-ledger-restart';
const CLIENTS = 10;

interface Child {
  process: ChildProcess;
  output: string[];
  exited: Promise<void>;
}

function spawnNode(script: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, [join(ROOT, script)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { process: child, output, exited };
}

async function sigkill(child: Child | undefined): Promise<void> {
  if (!child) return;
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await child.exited;
}

async function untilReady(child: Child, url: string, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null || child.process.signalCode !== null)
      throw new Error(`${what} exited before it was ready:\n${child.output.join('')}`);
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`${what} not ready within ${timeoutMs} ms:\n${child.output.join('')}`);
    await sleep(50);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

type Outcome =
  | { ok: true; requestId: string; stream: boolean }
  | { ok: false; stream: boolean; error: string };

/** One client: requests back to back until told to stop, alternating streaming and not, of varying sizes. */
async function client(openai: OpenAI, index: number, running: () => boolean, outcomes: Outcome[]) {
  for (let n = 0; running(); n++) {
    const stream = (index + n) % 2 === 0;
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'count the words '.repeat(1 + ((index * 5 + n) % 11)) }],
    };
    // Slow enough that every kill finds requests in every phase.
    const headers = { 'x-fake-pieces': String(3 + ((index * 7 + n) % 10)), 'x-fake-delay-ms': '8' };
    try {
      if (stream) {
        const { data, response } = await openai.chat.completions
          .create({ ...body, stream: true }, { headers })
          .withResponse();
        let finished = false;
        for await (const chunk of data) if (chunk.choices[0]?.finish_reason) finished = true;
        if (!finished) throw new Error('stream ended without a finish reason');
        outcomes.push({ ok: true, requestId: response.headers.get('x-acc-request-id') ?? '', stream });
      } else {
        const { data, response } = await openai.chat.completions.create(body, { headers }).withResponse();
        if (!data.usage) throw new Error('no usage in a complete answer');
        outcomes.push({ ok: true, requestId: response.headers.get('x-acc-request-id') ?? '', stream });
      }
    } catch (error) {
      outcomes.push({ ok: false, stream, error: error instanceof Error ? error.message : String(error) });
      await sleep(20);
    }
  }
}

let redisServer: RedisServer | undefined;
let redis: Redis | undefined;
let db: pg.Pool | undefined;
let upstream: FakeUpstream | undefined;
let envoy: RunningEnvoy | undefined;
const children: Child[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const child of children) await sigkill(child);
  await envoy?.stop();
  await upstream?.close();
  redis?.disconnect();
  await db?.end();
  await redisServer?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

describe('spend ledger across crashes', () => {
  it('SIGKILLed writer and extproc under load: every complete request is in the ledger once, exactly', async () => {
    redisServer = await startRedis();
    redis = new Redis(redisServer.url);
    const databaseUrl = await createDatabase(inject('DATABASE_ADMIN_URL'));
    db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    upstream = await startFakeUpstream({ openaiApiKeys: [PROVIDER_KEY] });
    const fake = upstream;

    const cpPort = await freePort();
    const cpUrl = `http://127.0.0.1:${cpPort}`;
    const controlPlaneEnv = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisServer.url,
      ACC_MASTER_KEY: MASTER_KEY,
      ACC_INTERNAL_TOKEN: INTERNAL_TOKEN,
      ACC_ADMIN_EMAIL: 'admin@example.com',
      ACC_ADMIN_PASSWORD: 'correct horse battery staple',
      ACC_ADMIN_TOKEN: ADMIN_TOKEN,
      ACC_CP_PORT: String(cpPort),
      ACC_STATE_DIR: tempDir('acc-cp-state-'),
      ACC_LOG_LEVEL: 'warn',
      // A restarted control plane is a new consumer: the killed writer's batch waits this long to be claimed.
      ACC_LEDGER_CLAIM_IDLE_MS: '3000',
    };
    const startControlPlane = async () => {
      const child = spawnNode('control-plane/dist/server.js', controlPlaneEnv);
      children.push(child);
      await untilReady(child, `${cpUrl}/readyz`, 'control plane');
      return child;
    };
    let controlPlane = await startControlPlane();
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${cpUrl}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status, await response.clone().text()).toBeLessThan(300);
      return (await response.json()) as Record<string, unknown>;
    };
    const key = (await api('POST', '/keys', { name: 'crash-test-agent' })).key as string;
    // A budget makes extproc reserve before forwarding: a request cut by a crash is then costed at its reservation.
    await api('POST', '/budgets', {
      name: 'Crash test',
      scope: 'org',
      window: { kind: 'calendar', period: 'month', timeZone: 'UTC' },
      limitUsd: 1000,
    });

    const grpcPort = await freePort();
    const metricsPort = await freePort();
    const spoolDir = tempDir('acc-ledger-spool-');
    const startExtproc = async () => {
      const child = spawnNode('extproc/dist/main.js', {
        ACC_EXTPROC_PORT: String(grpcPort),
        ACC_METRICS_PORT: String(metricsPort),
        REDIS_URL: redisServer?.url ?? '',
        ACC_MASTER_KEY: MASTER_KEY,
        OPENAI_API_KEY: PROVIDER_KEY,
        ACC_LEDGER_SPOOL_DIR: spoolDir,
        ACC_LOG_LEVEL: 'warn',
        // Ten clients repeating near-identical prompts are what the runaway-agent detector exists to stop.
        ACC_SECURITY_ENABLED: 'false',
      });
      children.push(child);
      await untilReady(child, `http://127.0.0.1:${metricsPort}/readyz`, 'extproc');
      return child;
    };
    let extproc = await startExtproc();
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
        upstreams: { openai: fake.url, anthropic: fake.url },
      }),
    });
    const openai = new OpenAI({ apiKey: key, baseURL: `${envoy.listenUrl}/v1`, maxRetries: 0 });
    // The key reaches extproc through the policy snapshot in Redis.
    await until('the new key to work through the gateway', 10_000, async () =>
      (await openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
        .then(
          () => true,
          () => false,
        ))
        ? true
        : null,
    );

    const outcomes: Outcome[] = [];
    let loadRunning = true;
    const load = Array.from({ length: CLIENTS }, (_, index) =>
      client(openai, index, () => loadRunning, outcomes),
    );

    // 1. The writer, killed while it holds entries it read and has not acknowledged: watched in a tight loop, and
    // checked again after its death (it may have acknowledged in between; then the next control plane is tried).
    await sleep(1500);
    let pendingIds: string[] = [];
    let pendingRequestIds: string[] = [];
    for (let attempt = 0; attempt < 10 && pendingIds.length === 0; attempt++) {
      if (attempt > 0) controlPlane = await startControlPlane();
      const watchUntil = Date.now() + 5000;
      while (Date.now() < watchUntil) {
        const [count] = (await redis.xpending(LEDGER_STREAM, LEDGER_CONSUMER_GROUP)) as [number];
        if (count > 0) break;
      }
      await sigkill(controlPlane);
      const pending = (await redis.xpending(LEDGER_STREAM, LEDGER_CONSUMER_GROUP, '-', '+', 1000)) as Array<
        [string, string, number, number]
      >;
      pendingIds = pending.map(([id]) => id);
      const entries = await redis.xrange(LEDGER_STREAM, '-', '+');
      pendingRequestIds = entries
        .filter(([id]) => pendingIds.includes(id))
        .map(([, fields]) => (JSON.parse(fields[1] as string) as { requestId: string }).requestId);
    }
    expect(pendingRequestIds.length).toBeGreaterThan(0);
    const writerKilledAt = Date.now();
    controlPlane = await startControlPlane();

    // 2. extproc, killed with requests in flight, restarted on the same port and spool directory.
    await sleep(1000);
    const okBeforeExtprocKill = outcomes.filter((outcome) => outcome.ok).length;
    await sigkill(extproc);
    extproc = await startExtproc();
    await sleep(1500);
    loadRunning = false;
    await Promise.all(load);

    const completed = outcomes.filter((outcome): outcome is Extract<Outcome, { ok: true }> => outcome.ok);
    const failed = outcomes.filter((outcome) => !outcome.ok);
    const okIds = completed.map((outcome) => outcome.requestId);
    expect(okIds.every((id) => id.length > 0)).toBe(true);
    expect(new Set(okIds).size).toBe(okIds.length);
    expect(completed.length).toBeGreaterThan(okBeforeExtprocKill);
    expect(failed.length).toBeGreaterThan(0);

    // The killed writer's batch comes back only once another writer claims it (ACC_LEDGER_CLAIM_IDLE_MS).
    await until('a ledger row for every complete request', 60_000, async () => {
      const { rows } = await (db as pg.Pool).query(
        'SELECT count(*)::int AS n FROM spend_ledger WHERE request_id = ANY($1)',
        [okIds],
      );
      return rows[0]?.n === okIds.length ? true : null;
    });
    const convergedAfterWriterKillMs = Date.now() - writerKilledAt;
    // Nothing left anywhere on the way: stream, pending lists, spool, dead instances' journals.
    await until('the stream, the spool and the journals to drain', 30_000, async () => {
      const [length, [pending]] = await Promise.all([
        redis?.xlen(LEDGER_STREAM),
        redis?.xpending(LEDGER_STREAM, LEDGER_CONSUMER_GROUP) as Promise<[number]>,
      ]);
      const leftovers = readdirSync(spoolDir).filter((name) => name.endsWith('.jsonl'));
      return length === 0 && pending === 0 && leftovers.length === 0 ? true : null;
    });
    expect(await redis.xlen(LEDGER_DEAD_LETTER_STREAM)).toBe(0);

    const { rows } = await db.query<{
      request_id: string;
      status: number;
      outcome: string;
      input_tokens: string | null;
      cache_read_tokens: string | null;
      output_tokens: string | null;
      reasoning_tokens: string | null;
      cost_usd: string | null;
      reserved_cost_usd: string | null;
    }>(
      `SELECT request_id, status, outcome, input_tokens, cache_read_tokens, output_tokens, reasoning_tokens,
              cost_usd, reserved_cost_usd FROM spend_ledger`,
    );
    const byId = new Map(rows.map((row) => [row.request_id, row]));
    expect(byId.size).toBe(rows.length);
    const interactions = new Map(
      fake.interactions.map((interaction) => [String(interaction.headers['x-request-id']), interaction]),
    );

    // Exactly the upstream's usage for every complete request, row by row and in total.
    const totals = { ledgerInput: 0, ledgerOutput: 0, upstreamInput: 0, upstreamOutput: 0 };
    for (const id of okIds) {
      const row = byId.get(id);
      const reported = interactions.get(id)?.usage as
        | {
            prompt_tokens: number;
            completion_tokens: number;
            prompt_tokens_details?: { cached_tokens?: number };
          }
        | undefined;
      expect(row, id).toBeDefined();
      expect(reported, id).toBeDefined();
      expect(row).toMatchObject({ status: 200, outcome: 'complete' });
      expect(Number(row?.input_tokens)).toBe(reported?.prompt_tokens);
      expect(Number(row?.output_tokens)).toBe(reported?.completion_tokens);
      expect(Number(row?.cache_read_tokens)).toBe(reported?.prompt_tokens_details?.cached_tokens ?? 0);
      totals.ledgerInput += Number(row?.input_tokens);
      totals.ledgerOutput += Number(row?.output_tokens);
      totals.upstreamInput += reported?.prompt_tokens ?? 0;
      totals.upstreamOutput += reported?.completion_tokens ?? 0;
    }
    expect(totals.ledgerInput).toBe(totals.upstreamInput);
    expect(totals.ledgerOutput).toBe(totals.upstreamOutput);
    // The batch the killed writer held was stored once all the same.
    for (const id of pendingRequestIds) expect(byId.has(id), id).toBe(true);

    // No phantom rows: each is a request the upstream saw, or one the gateway answered itself (with its own id).
    const okSet = new Set(okIds);
    const cut = rows.filter((row) => !okSet.has(row.request_id));
    for (const row of cut) {
      if (row.status === 0 || row.status === 200)
        expect(interactions.has(row.request_id), row.request_id).toBe(true);
    }
    // Requests forwarded by the killed extproc and never finished: one provisional row each, at its reservation.
    const crashed = rows.filter((row) => row.outcome === 'gateway_crashed');
    expect(crashed.length).toBeGreaterThan(0);
    for (const row of crashed) {
      expect(okSet.has(row.request_id)).toBe(false);
      expect(row.status).toBe(0);
      expect(row.input_tokens).toBeNull();
      expect(row.cost_usd).toBe(row.reserved_cost_usd);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const recoveredCrashed = Number(
      /acc_ledger_records_recovered_total\{kind="gateway_crashed"\} (\d+)/.exec(metrics)?.[1] ?? 0,
    );
    expect(recoveredCrashed).toBe(crashed.length);

    const errorKinds: Record<string, number> = {};
    for (const outcome of failed) {
      const kind = outcome.ok ? '' : outcome.error.slice(0, 60);
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    }
    const cutByCrash = [...interactions.keys()].filter((id) => !okSet.has(id));
    console.info(
      JSON.stringify({
        requests: outcomes.length,
        complete: completed.length,
        clientErrors: errorKinds,
        upstreamSawNotComplete: cutByCrash.length,
        rowsForThose: cutByCrash.filter((id) => byId.has(id)).length,
        gatewayCrashedRows: crashed.length,
        crashedWithReservation: crashed.filter((row) => row.reserved_cost_usd !== null).length,
        otherOutcomes: [...new Set(cut.map((row) => `${row.status}:${row.outcome}`))],
        writerPendingAtKill: pendingIds.length,
        convergedAfterWriterKillMs,
      }),
    );
  }, 240_000);
});
