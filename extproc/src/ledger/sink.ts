// Where each request's record goes when the request ends. write() only queues: records leave on the next tick in
// one batch per round trip, so a request never waits for the ledger. What the target cannot take is spooled to
// disk and replayed later; the target deduplicates on request id, so replaying a record twice is harmless.
// With a journal (journal.ts), records also survive the process being killed before their batch left.
import type { Logger } from '../log.js';
import type { RequestRecord } from '../pipeline/request-record.js';
import { LEDGER_MAX_BATCH } from './constants.js';
import { ledgerEntry } from './entry.js';
import type { JournalTicket, LedgerJournal } from './journal.js';
import type { LedgerMetrics } from './metrics.js';
import type { LedgerSpool } from './spool.js';

export interface LedgerSink {
  /** The request is being forwarded with this provisional record (see journal.ts). Never throws. */
  begin(record: RequestRecord): void;
  /** Never blocks on the target and never throws. */
  write(record: RequestRecord): void;
  /** Resolves once every record written so far is delivered or spooled. */
  flush(): Promise<void>;
  /** Flushes, then stops; records written afterwards go straight to the spool. */
  close(): Promise<void>;
}

export interface SinkOptions {
  spool: LedgerSpool;
  /** Write-ahead journal in the spool's directory; without it, a crash loses the records not yet sent. */
  journal?: LedgerJournal;
  log: Logger;
  metrics?: LedgerMetrics;
  /** How often the spool is retried and the spools of dead processes are looked for. */
  replayIntervalMs?: number;
  /** Records per delivery. */
  maxBatch?: number;
  /** Records held in memory while even the spool fails; beyond this they are dropped (and counted). */
  maxStranded?: number;
}

export type LedgerTarget = 'redis' | 'control_plane';

/** A serialised record and the journal segments it keeps alive until it is delivered or spooled. */
interface Pending {
  entry: string;
  ticket: JournalTicket | null;
}

export abstract class SpoolingLedgerSink implements LedgerSink {
  protected abstract readonly target: LedgerTarget;
  protected readonly log: Logger;
  private readonly maxBatch: number;
  private buffer: Pending[] = [];
  private stranded: Pending[] = [];
  private scheduled = false;
  private pumping: Promise<void> | null = null;
  private replaying: Promise<void> | null = null;
  private replayQueued: Promise<void> | null = null;
  /** After a failed delivery, new records go straight to the spool until a replay gets through. */
  private down = false;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;

  constructor(protected readonly options: SinkOptions) {
    this.log = options.log;
    this.maxBatch = Math.min(options.maxBatch ?? LEDGER_MAX_BATCH, LEDGER_MAX_BATCH);
  }

  /** Delivers entries (JSON texts); resolves with those NOT delivered. A rejection means none were. */
  protected abstract deliver(entries: string[]): Promise<string[]>;

  protected abstract disconnect(): Promise<void>;

  /** Opens the spool (throws if its directory is unusable) and replays what an earlier process left behind. */
  async start(): Promise<void> {
    await this.options.spool.open();
    this.started = true;
    this.timer = setInterval(() => void this.replay(), this.options.replayIntervalMs ?? 5000);
    this.timer.unref();
    void this.replay();
  }

  begin(record: RequestRecord): void {
    const journal = this.options.journal;
    if (!journal || this.closed) return;
    const entry = this.serialise(record);
    if (entry !== null) journal.begin(record.requestId, entry);
  }

  write(record: RequestRecord): void {
    const entry = this.serialise(record);
    if (entry === null) return;
    // Before the request's last bytes go out: a record the client's answer depends on is on disk from here on.
    const ticket = this.options.journal?.final(record.requestId, entry) ?? null;
    if (this.closed) {
      this.spoolLate({ entry, ticket });
      return;
    }
    this.buffer.push({ entry, ticket });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  flush(): Promise<void> {
    return this.pump();
  }

  /**
   * Retries stranded and spooled records (also on a timer and, for Redis, on every reconnect). Resolves after a
   * pass that started after this call: a pass already under way may have failed against the target that has just
   * come back, so one more is queued behind it (one, however many calls arrive meanwhile).
   */
  replay(): Promise<void> {
    if (!this.started || this.closed) return Promise.resolve();
    if (this.replaying) {
      this.replayQueued ??= this.replaying.then(() => {
        this.replayQueued = null;
        return this.replay();
      });
      return this.replayQueued;
    }
    this.replaying = this.replayOnce().finally(() => {
      this.replaying = null;
    });
    return this.replaying;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    await this.pump();
    await (this.replayQueued ?? this.replaying);
    this.closed = true;
    if (this.stranded.length > 0) await this.toSpool(this.stranded.splice(0));
    await this.options.spool.close();
    this.options.journal?.close();
    await this.disconnect();
  }

  private pump(): Promise<void> {
    this.pumping ??= (async () => {
      while (this.buffer.length > 0) await this.dispatch(this.buffer.splice(0, this.maxBatch));
    })().finally(() => {
      this.pumping = null;
    });
    return this.pumping;
  }

  private serialise(record: RequestRecord): string | null {
    try {
      return ledgerEntry(record);
    } catch (error) {
      this.options.metrics?.dropped.inc({ reason: 'unserialisable' });
      this.log.error({ err: error, requestId: record.requestId }, 'spend record could not be serialised');
      return null;
    }
  }

  private settle(batch: readonly Pending[]): void {
    const journal = this.options.journal;
    if (!journal) return;
    for (const { ticket } of batch) if (ticket) journal.settle(ticket);
  }

  private async dispatch(batch: Pending[]): Promise<void> {
    let undelivered = batch;
    if (!this.down && !this.closed) {
      let failure: unknown = null;
      try {
        const left = new Set(await this.deliver(batch.map(({ entry }) => entry)));
        undelivered = left.size === 0 ? [] : batch.filter(({ entry }) => left.has(entry));
      } catch (error) {
        failure = error;
      }
      const delivered = batch.length - undelivered.length;
      if (delivered > 0) {
        this.options.metrics?.written.inc({ target: this.target }, delivered);
        this.settle(undelivered.length === 0 ? batch : batch.filter((p) => !undelivered.includes(p)));
      }
      if (undelivered.length > 0) this.markDown(failure);
    }
    if (undelivered.length > 0) await this.toSpool(undelivered);
  }

  private async toSpool(batch: Pending[]): Promise<void> {
    try {
      await this.options.spool.append(batch.map(({ entry }) => entry));
      this.options.metrics?.spooled.inc(batch.length);
      this.settle(batch);
    } catch (error) {
      this.options.metrics?.failures.inc({ target: 'spool' });
      const room = Math.max(0, (this.options.maxStranded ?? 100_000) - this.stranded.length);
      this.stranded.push(...batch.slice(0, room));
      // Records dropped here stay in the journal: a later start delivers them from there.
      const lost = batch.length - Math.min(room, batch.length);
      if (lost > 0) this.options.metrics?.dropped.inc({ reason: 'spool_failed' }, lost);
      this.log.error(
        { err: error, dir: this.options.spool.dir, held: this.stranded.length, lost },
        'cannot write the ledger spool: spend records held in memory',
      );
    }
  }

  private spoolLate(pending: Pending): void {
    this.options.spool.append([pending.entry]).then(
      () => this.options.metrics?.spooled.inc(1),
      (error: unknown) => this.lose(error, 1),
    );
  }

  private lose(error: unknown, count: number): void {
    this.options.metrics?.dropped.inc({ reason: 'spool_failed' }, count);
    this.log.error({ err: error, count }, 'spend record written after close could not be spooled');
  }

  private async replayOnce(): Promise<void> {
    await this.recoverJournals();
    if (this.stranded.length > 0) await this.dispatch(this.stranded.splice(0));
    try {
      const result = await this.options.spool.replay(async (entries) => {
        let failed = entries;
        let failure: unknown = null;
        try {
          failed = await this.deliver(entries);
        } catch (error) {
          failure = error;
        }
        if (failed.length > 0) this.markDown(failure);
        this.options.metrics?.replayed.inc({ target: this.target }, entries.length - failed.length);
        return failed;
      }, this.maxBatch);
      if (result.corrupt > 0) {
        this.options.metrics?.dropped.inc({ reason: 'corrupt_spool' }, result.corrupt);
        this.log.warn(
          { lines: result.corrupt },
          'ledger spool had unreadable lines (a write cut short by a crash)',
        );
      }
      if (result.replayed > 0) this.log.info({ records: result.replayed }, 'replayed spooled spend records');
      if (!result.remaining) this.markUp();
    } catch (error) {
      this.options.metrics?.failures.inc({ target: 'spool' });
      this.log.error({ err: error, dir: this.options.spool.dir }, 'ledger spool replay failed');
    }
  }

  /**
   * Dead instances' journals become spooled entries, then the replay below delivers them. The spool's fsync comes
   * before the journal files go, so a crash in between repeats the recovery (the ledger drops the duplicates).
   */
  private async recoverJournals(): Promise<void> {
    const journal = this.options.journal;
    if (!journal) return;
    try {
      const recovered = await journal.recover((owner) => this.options.spool.isAlive(owner));
      if (recovered.files.length === 0) return;
      await this.options.spool.append(recovered.entries);
      await journal.discard(recovered.files);
      const finals = recovered.entries.length - recovered.crashed;
      this.options.metrics?.recovered.inc({ kind: 'final' }, finals);
      this.options.metrics?.recovered.inc({ kind: 'gateway_crashed' }, recovered.crashed);
      if (recovered.entries.length > 0)
        this.log.warn(
          { finals, crashed: recovered.crashed, files: recovered.files.length },
          'recovered spend records from the journal of a process that died',
        );
    } catch (error) {
      this.options.metrics?.failures.inc({ target: 'journal' });
      this.log.error({ err: error, dir: this.options.spool.dir }, 'ledger journal recovery failed');
    }
  }

  private markDown(error: unknown): void {
    this.options.metrics?.failures.inc({ target: this.target });
    if (this.down) return;
    this.down = true;
    this.log.warn({ err: error, target: this.target }, 'ledger target unavailable: spooling spend records');
  }

  private markUp(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info({ target: this.target }, 'ledger target reachable again');
  }
}
