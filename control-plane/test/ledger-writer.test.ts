// The ledger writer against real Redis and PostgreSQL: every produced record ends up exactly once in spend_ledger,
// across a writer restart, a writer that died holding entries, duplicate entries and poison entries.
/// <reference path="./support/provided.d.ts" />
import {
  LEDGER_CONSUMER_GROUP,
  LEDGER_DEAD_LETTER_STREAM,
  LEDGER_RECORD_FIELD,
  LEDGER_STREAM,
} from '@acc/extproc/ledger';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { ledgerEntry } from '../../extproc/src/ledger/entry.js';
import { RedisStreamLedgerSink } from '../../extproc/src/ledger/redis-sink.js';
import { LedgerSpool } from '../../extproc/src/ledger/spool.js';
import type { RequestRecord } from '../../extproc/src/pipeline/request-record.js';
import { costNanos, makeRecord, tempDir, until } from '../../extproc/test/ledger/support.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { LedgerWriter, type LedgerWriterOptions } from '../src/ledger/writer.js';
import { createDatabase, type RedisServer, startRedis } from './support/services.js';

const log = pino({ level: 'silent' });
let redisServer: RedisServer;
let redis: Redis;
let db: Database;
const writers: Array<{ writer: LedgerWriter; connection: Redis }> = [];

beforeAll(async () => {
  redisServer = await startRedis();
  redis = new Redis(redisServer.url);
  const url = await createDatabase(inject('DATABASE_ADMIN_URL'));
  await migrate(url, 'up');
  db = openDatabase({ url, maxConnections: 5 });
});

afterAll(async () => {
  redis.disconnect();
  await db.close();
  await redisServer.stop();
});

beforeEach(async () => {
  await redis.flushall();
  await db.pool.query('TRUNCATE spend_ledger, security_events');
});

afterEach(async () => {
  for (const { writer, connection } of writers.splice(0)) {
    await writer.stop();
    connection.disconnect();
  }
});

function startWriter(options: Partial<LedgerWriterOptions> = {}): LedgerWriter {
  const connection = new Redis(redisServer.url);
  const writer = new LedgerWriter({ redis: connection, db, log, blockMs: 100, ...options });
  writers.push({ writer, connection });
  writer.start();
  return writer;
}

const rowCount = async () =>
  Number((await db.pool.query('SELECT count(*) AS n FROM spend_ledger')).rows[0]?.n);

const nanosText = (nanos: bigint) =>
  `${nanos / 1_000_000_000n}.${String(nanos % 1_000_000_000n).padStart(9, '0')}`;

async function pendingCount(): Promise<number> {
  const [count] = (await redis.xpending(LEDGER_STREAM, LEDGER_CONSUMER_GROUP)) as [number];
  return Number(count);
}

describe('LedgerWriter', () => {
  it('stores 1000 records from two producers exactly once across a writer restart', async () => {
    const dirs = [tempDir('acc-ledger-p1-'), tempDir('acc-ledger-p2-')];
    const producers = dirs.map(
      ({ dir }) =>
        new RedisStreamLedgerSink(redisServer.url, {
          spool: new LedgerSpool({ dir }),
          log,
          replayIntervalMs: 3_600_000,
        }),
    );
    await Promise.all(producers.map((producer) => producer.start()));
    // Two producers interleaving, one record per tick each, as requests would end.
    const produce = async (from: number, to: number) =>
      Promise.all(
        producers.map(async (producer, p) => {
          for (let i = from + p; i < to; i += 2) {
            producer.write(makeRecord(i));
            if (i % 20 < 2) await new Promise((resolve) => setImmediate(resolve));
          }
          await producer.flush();
        }),
      );

    const first = startWriter({ batchSize: 50 });
    await produce(0, 500);
    await until(async () => (await rowCount()) >= 100, 'the first writer to store some records');
    await first.stop();
    await produce(500, 1000);
    const second = startWriter({ batchSize: 50, claimIdleMs: 100, maintenanceIntervalMs: 100 });
    expect(second.consumer).not.toBe(first.consumer);
    await until(async () => (await rowCount()) === 1000, 'all 1000 records stored');

    const { rows } = await db.pool.query<{ n: number; ids: number; cost: string; input: string }>(
      `SELECT count(*) AS n, count(DISTINCT request_id) AS ids, sum(cost_usd)::text AS cost,
              sum(input_tokens)::text AS input FROM spend_ledger`,
    );
    let cost = 0n;
    let input = 0n;
    for (let i = 0; i < 1000; i++) {
      cost += BigInt(costNanos(i));
      input += BigInt(makeRecord(i).usage?.inputTokens ?? 0);
    }
    expect(rows[0]).toEqual({ n: 1000, ids: 1000, cost: nanosText(cost), input: String(input) });
    const sample = await db.pool.query('SELECT * FROM spend_ledger WHERE request_id = $1', ['req-7']);
    expect(sample.rows[0]).toMatchObject({
      org_id: makeRecord(7).orgId,
      key_id: 'key-a',
      provider: 'openai',
      model: 'gpt-4o-mini',
      status: 200,
      input_tokens: 107,
      cost_usd: costNanos(7) / 1e9,
      started_at: new Date(makeRecord(7).startedAt),
    });
    // Acknowledged entries are deleted: the stream does not grow with the ledger.
    await until(async () => (await redis.xlen(LEDGER_STREAM)) === 0, 'the stream to be emptied');
    expect(await pendingCount()).toBe(0);
    for (const producer of producers) await producer.close();
    for (const dir of dirs) dir.remove();
  });

  it('claims the entries of a consumer that read them and died without acknowledging', async () => {
    await redis.xgroup('CREATE', LEDGER_STREAM, LEDGER_CONSUMER_GROUP, '0', 'MKSTREAM');
    for (let i = 0; i < 20; i++)
      await redis.xadd(LEDGER_STREAM, '*', LEDGER_RECORD_FIELD, ledgerEntry(makeRecord(i)));
    const read = await redis.xreadgroup(
      'GROUP',
      LEDGER_CONSUMER_GROUP,
      'crashed',
      'COUNT',
      20,
      'STREAMS',
      LEDGER_STREAM,
      '>',
    );
    expect(read?.[0]?.[1]).toHaveLength(20);
    expect(await pendingCount()).toBe(20);

    startWriter({ claimIdleMs: 50, maintenanceIntervalMs: 50 });
    await until(async () => (await rowCount()) === 20, 'the claimed records stored');
    await until(async () => (await pendingCount()) === 0, 'the claimed entries acknowledged');
    expect(await redis.xlen(LEDGER_STREAM)).toBe(0);
  });

  it('stores a record added to the stream twice once', async () => {
    startWriter();
    const entry = ledgerEntry(makeRecord(1));
    await redis.xadd(LEDGER_STREAM, '*', LEDGER_RECORD_FIELD, entry);
    await redis.xadd(LEDGER_STREAM, '*', LEDGER_RECORD_FIELD, entry);
    await until(
      async () => (await redis.xlen(LEDGER_STREAM)) === 0 && (await rowCount()) === 1,
      'both processed',
    );
    // Again, after the first copy is already committed.
    await redis.xadd(LEDGER_STREAM, '*', LEDGER_RECORD_FIELD, entry);
    await until(async () => (await redis.xlen(LEDGER_STREAM)) === 0, 'the third copy processed');
    expect(await rowCount()).toBe(1);
    // Skipped as already stored, not refused.
    expect(await redis.xlen(LEDGER_DEAD_LETTER_STREAM)).toBe(0);
    const { rows } = await db.pool.query('SELECT sum(cost_usd) AS cost FROM spend_ledger');
    expect(rows[0]?.cost).toBe(costNanos(1) / 1e9);
  });

  it('stores security findings in the same transaction, and the spend even when the database refuses them', async () => {
    const finding = (messageIndex: number) => ({
      detector: 'secrets',
      rule: 'aws-access-key',
      severity: 'high',
      confidence: 0.9,
      action: 'flag',
      fingerprint: '0123abcd',
      location: { kind: 'message', messageIndex, role: 'user', partIndex: 0, start: 5, spanLength: 10 },
      maskedExcerpt: 'AKIA****',
    });
    const withFinding = (i: number, messageIndex: number) =>
      makeRecord(i, {
        securityFindings: [finding(messageIndex)] as unknown as RequestRecord['securityFindings'],
      });
    startWriter();
    await redis.xadd(LEDGER_STREAM, '*', LEDGER_RECORD_FIELD, ledgerEntry(withFinding(1, 0)));
    // Beyond an int4 column: the events are refused, the request's spend is not.
    await redis.xadd(LEDGER_STREAM, '*', LEDGER_RECORD_FIELD, ledgerEntry(withFinding(2, 2 ** 40)));
    await until(
      async () => (await redis.xlen(LEDGER_STREAM)) === 0 && (await rowCount()) === 2,
      'both stored',
    );
    const { rows } = await db.pool.query('SELECT request_id, detector FROM security_events');
    expect(rows).toEqual([{ request_id: 'req-1', detector: 'secrets' }]);
    expect(await redis.xlen(LEDGER_DEAD_LETTER_STREAM)).toBe(0);
  });

  it('moves poison entries to the dead-letter stream, acknowledged, and stores the rest of the batch', async () => {
    await redis.xadd(LEDGER_STREAM, '*', LEDGER_RECORD_FIELD, '{"requestId": "torn');
    await redis.xadd(
      LEDGER_STREAM,
      '*',
      LEDGER_RECORD_FIELD,
      ledgerEntry(makeRecord(2, { orgId: 'not-a-uuid' })),
    );
    await redis.xadd(LEDGER_STREAM, '*', 'something', 'else');
    await redis.xadd(LEDGER_STREAM, '*', LEDGER_RECORD_FIELD, ledgerEntry(makeRecord(3)));
    startWriter();
    await until(async () => (await redis.xlen(LEDGER_DEAD_LETTER_STREAM)) === 3, 'three dead letters');
    await until(async () => (await redis.xlen(LEDGER_STREAM)) === 0, 'the stream processed');
    expect(await pendingCount()).toBe(0);
    const { rows } = await db.pool.query('SELECT request_id FROM spend_ledger');
    expect(rows).toEqual([{ request_id: 'req-3' }]);
    const dead = await redis.xrange(LEDGER_DEAD_LETTER_STREAM, '-', '+');
    const reasons = dead.map(([, fields]) => fields[fields.indexOf('reason') + 1]);
    expect(reasons[0]).toMatch(/^unparsable JSON/);
    expect(reasons[1]).toMatch(/orgId/);
    expect(reasons[2]).toBe(`no ${LEDGER_RECORD_FIELD} field`);
  });
});
