// Moves spend records from the Redis stream into spend_ledger. Every control plane with Redis runs one writer; the
// writers share a consumer group, so each entry goes to one of them, and an entry is acknowledged (and deleted)
// only after the transaction holding its row committed. A writer that dies keeps its unacknowledged entries
// pending; the others claim them once they have been pending for `claimIdleMs`. Redelivery is harmless: rows are
// keyed by request id and inserted with ON CONFLICT DO NOTHING.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  LEDGER_CONSUMER_GROUP,
  LEDGER_DEAD_LETTER_STREAM,
  LEDGER_RECORD_FIELD,
  LEDGER_STREAM,
} from '@acc/extproc/ledger';
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.js';
import { type LedgerRecord, parseLedgerEntry } from './record.js';
import { RETIRE_IF_IDLE_SCRIPT, RETIRE_SELF_SCRIPT, TRIM_SCRIPT } from './scripts.js';
import { storeLedgerRecords } from './store.js';

export interface WriterLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface LedgerWriterOptions {
  /** For acknowledgements, claims and trimming; the writer opens its own duplicate for the blocking reads. */
  redis: Redis;
  db: Database;
  log: WriterLog;
  /** Unique per process by default: a restarted process must not inherit a dead one's pending list. */
  consumer?: string;
  batchSize?: number;
  /** How long one read waits for new entries. */
  blockMs?: number;
  /** Entries pending this long belong to a writer presumed dead and are claimed. */
  claimIdleMs?: number;
  /** How often to claim, trim the stream and retire consumers gone for good. */
  maintenanceIntervalMs?: number;
  /** A consumer with nothing pending and idle this long is removed from the group. */
  retireIdleMs?: number;
}

interface Entry {
  id: string;
  /** null when the entry was deleted from the stream while pending. */
  fields: string[] | null;
}

interface DeadLetter {
  id: string;
  reason: string;
  text: string;
}

const DEAD_LETTER_MAX_LENGTH = 100_000;

type StreamReply = Array<[stream: string, entries: Array<[id: string, fields: string[] | null]>]>;

export class LedgerWriter {
  readonly consumer: string;
  private readonly redis: Redis;
  private readonly db: Database;
  private readonly log: WriterLog;
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;
  private readonly maintenanceIntervalMs: number;
  private readonly retireIdleMs: number;
  private reader: Redis | null = null;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  /** Read this consumer's own pending entries (failed or claimed) before new ones. */
  private ownPending = true;
  private groupReady = false;
  private lastMaintenance = 0;

  constructor(options: LedgerWriterOptions) {
    this.redis = options.redis;
    this.db = options.db;
    this.log = options.log;
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.batchSize = options.batchSize ?? 500;
    this.blockMs = options.blockMs ?? 2000;
    this.claimIdleMs = options.claimIdleMs ?? 60_000;
    this.maintenanceIntervalMs = options.maintenanceIntervalMs ?? 15_000;
    this.retireIdleMs = options.retireIdleMs ?? 3_600_000;
  }

  start(): void {
    if (this.running) return;
    // Blocking reads hold their connection: they get one of their own.
    this.reader = this.redis.duplicate({ connectionName: `acc-ledger-${this.consumer}` });
    this.reader.on('error', () => {});
    this.running = this.loop();
  }

  /** Lets the batch in progress commit and be acknowledged, then stops reading. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.wake?.();
    // Ends a read blocked on an empty stream; acknowledgements go through the other connection.
    this.reader?.disconnect();
    await this.running;
    try {
      await this.redis.eval(RETIRE_SELF_SCRIPT, 1, LEDGER_STREAM, LEDGER_CONSUMER_GROUP, this.consumer);
    } catch (error) {
      this.log.warn({ err: error }, 'could not remove this ledger consumer from its group');
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        if (!this.groupReady) await this.ensureGroup();
        if (Date.now() - this.lastMaintenance >= this.maintenanceIntervalMs) await this.maintain();
        const entries = await this.read();
        if (entries.length > 0) await this.process(entries);
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        if (String(error).includes('NOGROUP')) this.groupReady = false;
        // Whatever was read but not acknowledged is in this consumer's pending list: take it up first.
        this.ownPending = true;
        failures++;
        this.log.warn({ err: error, consumer: this.consumer }, 'ledger writer failed; retrying');
        await this.pause(Math.min(100 * 2 ** failures, 5000));
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = null;
    });
  }

  private async ensureGroup(): Promise<void> {
    try {
      // From the start of the stream: records produced before any writer ran are not skipped.
      await this.redis.xgroup('CREATE', LEDGER_STREAM, LEDGER_CONSUMER_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
    this.groupReady = true;
  }

  private async read(): Promise<Entry[]> {
    const reader = this.reader as Redis;
    const own = this.ownPending;
    const { consumer, batchSize } = this;
    // '0' = entries already delivered to this consumer and not acknowledged (never blocks); '>' = new entries.
    const reply = own
      ? await reader.xreadgroup(
          'GROUP',
          LEDGER_CONSUMER_GROUP,
          consumer,
          'COUNT',
          batchSize,
          'STREAMS',
          LEDGER_STREAM,
          '0',
        )
      : await reader.xreadgroup(
          'GROUP',
          LEDGER_CONSUMER_GROUP,
          consumer,
          'COUNT',
          batchSize,
          'BLOCK',
          this.blockMs,
          'STREAMS',
          LEDGER_STREAM,
          '>',
        );
    const entries = ((reply as StreamReply | null)?.[0]?.[1] ?? []).map(([id, fields]) => ({ id, fields }));
    if (own && entries.length === 0) this.ownPending = false;
    return entries;
  }

  private async process(entries: Entry[]): Promise<void> {
    const valid: LedgerRecord[] = [];
    const validIds: string[] = [];
    const dead: DeadLetter[] = [];
    for (const { id, fields } of entries) {
      // Deleted while pending (trimmed by hand, say): nothing to store, only to acknowledge.
      if (fields === null) continue;
      const text = fieldOf(fields, LEDGER_RECORD_FIELD);
      if (text === undefined) {
        dead.push({ id, reason: `no ${LEDGER_RECORD_FIELD} field`, text: JSON.stringify(fields) });
        continue;
      }
      const parsed = parseLedgerEntry(text);
      if ('error' in parsed) dead.push({ id, reason: parsed.error, text });
      else {
        valid.push(parsed.record);
        validIds.push(id);
      }
    }
    const stored = await storeLedgerRecords(this.db, valid);
    if (stored.eventsDropped > 0)
      this.log.warn(
        { records: stored.eventsDropped },
        'spend records stored without their refused security events',
      );
    for (const { index, message } of stored.failed) {
      const record = valid[index] as LedgerRecord;
      dead.push({
        id: validIds[index] as string,
        reason: `database: ${message}`,
        text: JSON.stringify(record),
      });
    }
    if (dead.length > 0) await this.deadLetter(dead);
    const ids = entries.map((entry) => entry.id);
    // Acknowledge and delete together: an acknowledged entry is never needed again.
    const acked = await this.redis
      .multi()
      .xack(LEDGER_STREAM, LEDGER_CONSUMER_GROUP, ...ids)
      .xdel(LEDGER_STREAM, ...ids)
      .exec();
    const failed = acked?.find(([error]) => error !== null);
    if (!acked || failed) throw failed?.[0] ?? new Error('ledger acknowledgement was discarded');
  }

  /** Unusable entries are kept for a human, never retried: a poison entry must not block the stream. */
  private async deadLetter(dead: DeadLetter[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const { id, reason, text } of dead) {
      pipeline.xadd(
        LEDGER_DEAD_LETTER_STREAM,
        'MAXLEN',
        '~',
        DEAD_LETTER_MAX_LENGTH,
        '*',
        'id',
        id,
        'reason',
        reason,
        LEDGER_RECORD_FIELD,
        text,
      );
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error !== null);
    if (!results || failed) throw failed?.[0] ?? new Error('dead-letter write was discarded');
    this.log.error(
      { entries: dead.map(({ id, reason }) => ({ id, reason })) },
      'spend records moved to the dead-letter stream',
    );
  }

  private async maintain(): Promise<void> {
    this.lastMaintenance = Date.now();
    await this.claim();
    await this.redis.eval(TRIM_SCRIPT, 1, LEDGER_STREAM, LEDGER_CONSUMER_GROUP);
    await this.redis.eval(
      RETIRE_IF_IDLE_SCRIPT,
      1,
      LEDGER_STREAM,
      LEDGER_CONSUMER_GROUP,
      this.retireIdleMs,
      this.consumer,
    );
  }

  /** Takes over entries pending too long elsewhere; they are then read as this consumer's own pending entries. */
  private async claim(): Promise<void> {
    let cursor = '0-0';
    let claimed = 0;
    // Bounded per round, so a huge backlog of a dead writer does not starve new entries.
    for (let round = 0; round < 20; round++) {
      const [next, ids] = (await this.redis.xautoclaim(
        LEDGER_STREAM,
        LEDGER_CONSUMER_GROUP,
        this.consumer,
        this.claimIdleMs,
        cursor,
        'COUNT',
        this.batchSize,
        'JUSTID',
      )) as [string, string[]];
      claimed += ids.length;
      cursor = next;
      if (cursor === '0-0') break;
    }
    if (claimed > 0) {
      this.ownPending = true;
      this.log.info({ claimed, consumer: this.consumer }, 'claimed spend records of a stalled ledger writer');
    }
  }
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
