// The no-Redis ledger sink against a tiny local HTTP server standing in for the control plane's internal endpoint.
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LEDGER_MAX_BATCH, LEDGER_PATH } from '../../src/ledger/constants.js';
import { ControlPlaneLedgerSink } from '../../src/ledger/control-plane-sink.js';
import { LedgerMetrics } from '../../src/ledger/metrics.js';
import { LedgerSpool } from '../../src/ledger/spool.js';
import { makeRecord, tempDir } from './support.js';

const TOKEN = 'internal-token-for-the-ledger-tests-0123456789';

interface Received {
  path: string;
  authorization: string | undefined;
  requestIds: string[];
}

let server: Server;
let baseUrl: string;
let received: Received[];
let mode: 'ok' | 'unavailable' | 'reject-first';
let spoolDir: ReturnType<typeof tempDir>;
let sink: ControlPlaneLedgerSink;
let metrics: LedgerMetrics;

beforeEach(async () => {
  received = [];
  mode = 'ok';
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (mode === 'unavailable') {
        response.writeHead(503).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        records: Array<{ requestId: string }>;
      };
      received.push({
        path: request.url ?? '',
        authorization: request.headers.authorization,
        requestIds: body.records.map((record) => record.requestId),
      });
      const rejected =
        mode === 'reject-first' ? [{ index: 0, message: '/orgId must match format "uuid"' }] : [];
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ inserted: body.records.length - rejected.length, rejected }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  spoolDir = tempDir('acc-ledger-http-');
  metrics = new LedgerMetrics(new Registry());
  sink = new ControlPlaneLedgerSink({
    baseUrl,
    token: TOKEN,
    spool: new LedgerSpool({ dir: spoolDir.dir }),
    log: pino({ level: 'silent' }),
    metrics,
    replayIntervalMs: 3_600_000,
  });
  await sink.start();
});

afterEach(async () => {
  await sink.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  spoolDir.remove();
});

const count = async (counter: { get(): Promise<{ values: Array<{ value: number }> }> }) =>
  (await counter.get()).values.reduce((sum, { value }) => sum + value, 0);
const allIds = () => received.flatMap((batch) => batch.requestIds);

describe('ControlPlaneLedgerSink', () => {
  it('posts batches of at most LEDGER_MAX_BATCH records with the internal token', async () => {
    for (let i = 0; i < 1200; i++) sink.write(makeRecord(i));
    await sink.flush();
    expect(received.length).toBeGreaterThanOrEqual(3);
    for (const batch of received) {
      expect(batch.path).toBe(LEDGER_PATH);
      expect(batch.authorization).toBe(`Bearer ${TOKEN}`);
      expect(batch.requestIds.length).toBeLessThanOrEqual(LEDGER_MAX_BATCH);
    }
    expect(allIds()).toEqual(Array.from({ length: 1200 }, (_, i) => `req-${i}`));
    expect(await count(metrics.written)).toBe(1200);
  });

  it('spools what the control plane cannot take and replays it once it answers again', async () => {
    mode = 'unavailable';
    for (let i = 0; i < 5; i++) sink.write(makeRecord(i));
    await sink.flush();
    expect(received).toEqual([]);
    expect(await count(metrics.spooled)).toBe(5);
    // Marked down: later records go straight to the spool without another attempt.
    for (let i = 5; i < 8; i++) sink.write(makeRecord(i));
    await sink.flush();
    expect(await count(metrics.spooled)).toBe(8);

    mode = 'ok';
    await sink.replay();
    expect(allIds().sort()).toEqual(Array.from({ length: 8 }, (_, i) => `req-${i}`).sort());
    expect(await count(metrics.replayed)).toBe(8);
    expect(readdirSync(spoolDir.dir).filter((name) => name.endsWith('.jsonl'))).toEqual([]);

    // Back up: new records are posted directly again.
    sink.write(makeRecord(8));
    await sink.flush();
    expect(allIds()).toContain('req-8');
    expect(await count(metrics.written)).toBe(1);
  });

  it('counts records the control plane refuses as invalid instead of retrying them', async () => {
    mode = 'reject-first';
    sink.write(makeRecord(0));
    sink.write(makeRecord(1));
    await sink.flush();
    expect(await count(metrics.dropped)).toBe(1);
    expect(await count(metrics.spooled)).toBe(0);
    await sink.replay();
    expect(received).toHaveLength(1);
  });
});
