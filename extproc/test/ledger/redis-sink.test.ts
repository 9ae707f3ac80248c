// The Redis ledger sink against a real (private) redis-server: records reach the stream; while Redis is unreachable
// they are spooled and replayed once it is back; a spool left behind by a crashed process is replayed on start.
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../../control-plane/test/support/services.js';
import { LEDGER_RECORD_FIELD, LEDGER_STREAM } from '../../src/ledger/constants.js';
import { ledgerEntry } from '../../src/ledger/entry.js';
import { LedgerMetrics } from '../../src/ledger/metrics.js';
import { RedisStreamLedgerSink } from '../../src/ledger/redis-sink.js';
import { LedgerSpool } from '../../src/ledger/spool.js';
import { makeRecord, redisTarget, SwitchableProxy, tempDir, until } from './support.js';

const log = pino({ level: 'silent' });
let server: RedisServer;
let redis: Redis;
let spoolDir: ReturnType<typeof tempDir>;
const sinks: RedisStreamLedgerSink[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});

afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

beforeEach(async () => {
  await redis.flushall();
  spoolDir = tempDir('acc-ledger-spool-');
});

afterEach(async () => {
  for (const sink of sinks.splice(0)) await sink.close();
  spoolDir.remove();
});

async function startSink(url: string, dir = spoolDir.dir) {
  const metrics = new LedgerMetrics(new Registry());
  const sink = new RedisStreamLedgerSink(url, {
    spool: new LedgerSpool({ dir }),
    log,
    metrics,
    // Replays are triggered by the test and by reconnects, not by the clock.
    replayIntervalMs: 3_600_000,
  });
  sinks.push(sink);
  await sink.start();
  return { sink, metrics };
}

async function streamIds(): Promise<string[]> {
  const entries = await redis.xrange(LEDGER_STREAM, '-', '+');
  return entries.map(([, fields]) => {
    expect(fields[0]).toBe(LEDGER_RECORD_FIELD);
    return (JSON.parse(fields[1] as string) as { requestId: string }).requestId;
  });
}

const count = async (counter: { get(): Promise<{ values: Array<{ value: number }> }> }) =>
  (await counter.get()).values.reduce((sum, { value }) => sum + value, 0);

const segments = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.jsonl'));

describe('RedisStreamLedgerSink', () => {
  it('appends one stream entry per record', async () => {
    const { sink, metrics } = await startSink(server.url);
    for (let i = 0; i < 50; i++) sink.write(makeRecord(i));
    await sink.flush();
    const entries = await redis.xrange(LEDGER_STREAM, '-', '+');
    expect(entries.map(([, fields]) => fields[1])).toEqual(
      Array.from({ length: 50 }, (_, i) => ledgerEntry(makeRecord(i))),
    );
    expect(await count(metrics.written)).toBe(50);
    expect(await count(metrics.spooled)).toBe(0);
    expect(segments(spoolDir.dir)).toEqual([]);
  });

  it('spools while Redis is unreachable and replays each record exactly once when it is back', async () => {
    const proxy = new SwitchableProxy(redisTarget(server.url));
    await proxy.up();
    const { sink, metrics } = await startSink(proxy.url);
    for (let i = 0; i < 10; i++) sink.write(makeRecord(i));
    await sink.flush();
    expect(await redis.xlen(LEDGER_STREAM)).toBe(10);

    await proxy.down();
    for (let i = 10; i < 30; i++) sink.write(makeRecord(i));
    await sink.flush();
    expect(await redis.xlen(LEDGER_STREAM)).toBe(10);
    expect(await count(metrics.spooled)).toBe(20);
    expect(await count(metrics.failures)).toBeGreaterThan(0);
    expect(segments(spoolDir.dir)).toHaveLength(1);

    // The reconnect itself triggers the replay.
    await proxy.up();
    await until(async () => (await redis.xlen(LEDGER_STREAM)) >= 30, 'the spooled records in the stream');
    await sink.replay();
    for (let i = 30; i < 35; i++) sink.write(makeRecord(i));
    await sink.flush();

    const ids = await streamIds();
    expect(ids).toHaveLength(35);
    expect(new Set(ids).size).toBe(35);
    expect(ids.sort()).toEqual(Array.from({ length: 35 }, (_, i) => `req-${i}`).sort());
    expect(await count(metrics.replayed)).toBe(20);
    expect(segments(spoolDir.dir)).toEqual([]);
    await proxy.down();
  });

  it('keeps records spooled across a restart while Redis is down, and the next process replays them', async () => {
    const proxy = new SwitchableProxy(redisTarget(server.url));
    await proxy.up();
    await proxy.down();
    const first = await startSink(proxy.url);
    for (let i = 0; i < 5; i++) first.sink.write(makeRecord(i));
    await first.sink.close();
    // A record of a request that ended after the sink closed still lands in the spool.
    first.sink.write(makeRecord(5));
    expect(segments(spoolDir.dir).length).toBeGreaterThan(0);

    await proxy.up();
    const second = await startSink(proxy.url);
    await second.sink.replay();
    expect((await streamIds()).sort()).toEqual(['req-0', 'req-1', 'req-2', 'req-3', 'req-4', 'req-5']);
    expect(await count(second.metrics.replayed)).toBe(6);
    expect(segments(spoolDir.dir)).toEqual([]);
    await proxy.down();
  });

  it("replays on start a crashed process's spool, skipping its torn last line, but never a live one's", async () => {
    const dir = spoolDir.dir;
    const crashed = [makeRecord(100), makeRecord(101), makeRecord(102)].map(ledgerEntry);
    writeFileSync(join(dir, 'crashed-0001.0.jsonl'), `${crashed.join('\n')}\n{"requestId":"req-10`);
    writeFileSync(join(dir, 'crashed-0001.alive'), '1\n');
    const longAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(dir, 'crashed-0001.alive'), longAgo, longAgo);
    writeFileSync(join(dir, 'live-0002.0.jsonl'), `${ledgerEntry(makeRecord(200))}\n`);
    writeFileSync(join(dir, 'live-0002.alive'), '2\n');

    const { sink, metrics } = await startSink(server.url, dir);
    await sink.replay();
    expect((await streamIds()).sort()).toEqual(['req-100', 'req-101', 'req-102']);
    expect(await count(metrics.replayed)).toBe(3);
    expect(await count(metrics.dropped)).toBe(1);
    const left = readdirSync(dir);
    expect(left.filter((name) => name.startsWith('crashed-'))).toEqual([]);
    expect(left).toContain('live-0002.0.jsonl');
  });
});
