// The write-ahead journal: what a SIGKILL, an OOM kill or a crash must not take with it. As a request is forwarded,
// its provisional record (outcome `gateway_crashed`, cost = its budget reservation) is queued, and the provisional
// records of one event-loop turn are appended in one write(); as a request ends, its final record is appended at
// once. These are plain writes to the page cache, which outlives the process: no fsync per request (the file is
// fdatasync'd every second, so a machine crash loses at most about a second of lines).
//
// The final record is journaled before the request's last bytes are released to the client, so every answer a
// client received complete has its record on disk even if extproc dies before the ledger batch leaves. The next
// process on the directory (or a live one, once this one is dead) turns a dead instance's journal into ledger
// entries: each final record, and for a request forwarded but never finished, its provisional record. Final
// records already delivered are delivered again; the ledger is idempotent on request id.
//
// Files are `<instance>.<n>.wal` next to the spool. A segment is deleted once it is sealed and every record it
// holds (and every final record of a request it began) has been delivered to the ledger or fsync'd to the spool.
import { close, closeSync, fdatasync, fsyncSync, openSync, unlink, writeSync } from 'node:fs';
import { readdir, readFile, rename, stat, unlink as unlinkAsync } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { LedgerMetrics } from './metrics.js';

export interface JournalOptions {
  dir: string;
  /** The spool's instance name: the journal lives and dies with it (same heartbeat). */
  instance: string;
  log: Logger;
  metrics?: LedgerMetrics;
  /** A segment is sealed (and becomes deletable) beyond this size. */
  maxSegmentBytes?: number;
  /** How often the open segment is fdatasync'd. */
  syncIntervalMs?: number;
}

/** The segments a final record pins until it is delivered or spooled: its own, and its request's first line. */
export type JournalTicket = readonly number[];

export interface Recovered {
  /** Ledger entries to spool: every final record found, and the provisional record of every unfinished request. */
  entries: string[];
  crashed: number;
  /** The claimed journal files, to delete once `entries` are durable elsewhere. */
  files: string[];
}

interface Segment {
  index: number;
  path: string;
  fd: number | null;
  bytes: number;
  /** Lines whose record is not yet delivered or spooled. */
  outstanding: number;
  sealed: boolean;
}

const WAL = /^([A-Za-z0-9-]+)\.([A-Za-z0-9-]+)\.wal$/;
const BEGIN = 'B ';
const FINAL = 'F ';

export class LedgerJournal {
  private readonly segments = new Map<number, Segment>();
  private current: Segment | null = null;
  private nextIndex = 0;
  private claims = 0;
  /** Request id → segments holding its provisional record (an id can repeat when a client sets it). */
  private readonly begun = new Map<string, number[]>();
  private readonly maxSegmentBytes: number;
  /** Provisional records of this event-loop turn, written together. */
  private queuedBegins: Array<{ requestId: string; entry: string }> = [];
  private flushScheduled = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private broken = false;
  private closed = false;

  constructor(private readonly options: JournalOptions) {
    this.maxSegmentBytes = options.maxSegmentBytes ?? 256 * 1024;
    this.syncTimer = setInterval(() => {
      const fd = this.current?.fd;
      if (fd !== null && fd !== undefined) fdatasync(fd, () => {});
    }, options.syncIntervalMs ?? 1000);
    this.syncTimer.unref();
  }

  /**
   * The request is being forwarded: `entry` is its record as it stands if the gateway dies now. Written at the end
   * of this event-loop turn, before any answer from upstream can arrive.
   */
  begin(requestId: string, entry: string): void {
    if (this.closed || this.broken) return;
    this.queuedBegins.push({ requestId, entry });
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushBegins());
  }

  private flushBegins(): void {
    this.flushScheduled = false;
    if (this.queuedBegins.length === 0) return;
    const queued = this.queuedBegins;
    this.queuedBegins = [];
    const segment = this.append(queued.map(({ entry }) => `${BEGIN}${entry}\n`).join(''));
    if (!segment) return;
    segment.outstanding += queued.length;
    for (const { requestId } of queued) {
      const held = this.begun.get(requestId);
      if (held) held.push(segment.index);
      else this.begun.set(requestId, [segment.index]);
    }
  }

  /**
   * The request ended with `entry`, appended before this returns (so before the answer's last bytes are released).
   * Settle the returned ticket once the entry is delivered or spooled.
   */
  final(requestId: string, entry: string): JournalTicket {
    // Its provisional record first, if it is still queued.
    this.flushBegins();
    const held = this.begun.get(requestId);
    const beganIn = held?.shift();
    if (held?.length === 0) this.begun.delete(requestId);
    const ticket: number[] = beganIn === undefined ? [] : [beganIn];
    if (this.closed) {
      // After close only the record of a request begun before can arrive: next to its first line, so a recovery
      // never mistakes it for unfinished.
      if (beganIn !== undefined) this.appendAfterClose(beganIn, entry);
      return ticket;
    }
    const segment = this.append(`${FINAL}${entry}\n`);
    if (segment) {
      segment.outstanding++;
      ticket.push(segment.index);
    }
    return ticket;
  }

  settle(ticket: JournalTicket): void {
    for (const index of ticket) {
      const segment = this.segments.get(index);
      if (!segment) continue;
      segment.outstanding--;
      if (segment.sealed && segment.outstanding <= 0) this.remove(segment);
    }
  }

  private append(lines: string): Segment | null {
    if (this.closed || this.broken) return null;
    try {
      let segment = this.current;
      if (!segment || segment.bytes >= this.maxSegmentBytes) segment = this.rotate();
      writeSync(segment.fd as number, lines);
      segment.bytes += lines.length;
      return segment;
    } catch (error) {
      // A full or read-only disk: the ledger keeps working without the journal, and says so once.
      this.broken = true;
      this.options.metrics?.failures.inc({ target: 'journal' });
      this.options.log.error(
        { err: error, dir: this.options.dir },
        'cannot write the ledger journal: records of requests in flight at a crash will be lost',
      );
      return null;
    }
  }

  private rotate(): Segment {
    const previous = this.current;
    const index = this.nextIndex++;
    const path = join(this.options.dir, `${this.options.instance}.${index}.wal`);
    const segment: Segment = {
      index,
      path,
      fd: openSync(path, 'a', 0o600),
      bytes: 0,
      outstanding: 0,
      sealed: false,
    };
    this.segments.set(index, segment);
    this.current = segment;
    if (previous) {
      previous.sealed = true;
      if (previous.outstanding <= 0) this.remove(previous);
      else this.closeQuietly(previous);
    }
    return segment;
  }

  private closeQuietly(segment: Segment, then: () => void = () => {}): void {
    const fd = segment.fd;
    segment.fd = null;
    if (fd === null) {
      then();
      return;
    }
    fdatasync(fd, () => close(fd, () => then()));
  }

  private remove(segment: Segment): void {
    this.segments.delete(segment.index);
    if (this.current === segment) this.current = null;
    this.closeQuietly(segment, () => unlink(segment.path, () => {}));
  }

  private appendAfterClose(index: number, entry: string): void {
    const segment = this.segments.get(index);
    if (!segment) return;
    try {
      const fd = openSync(segment.path, 'a', 0o600);
      try {
        writeSync(fd, `${FINAL}${entry}\n`);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      this.options.log.error({ err: error }, 'late spend record could not be journaled');
    }
  }

  /**
   * Takes over the journals of dead instances (rename is atomic: one claimer each) and reads them. The caller
   * spools `entries` durably, then calls discard(files); a crash in between only repeats the recovery.
   */
  async recover(isAlive: (owner: string) => Promise<boolean>): Promise<Recovered> {
    const { dir, instance } = this.options;
    const files: string[] = [];
    const alive = new Map<string, boolean>();
    for (const name of (await readdir(dir)).sort()) {
      const owner = WAL.exec(name)?.[1];
      if (!owner) continue;
      if (owner === instance) {
        // Left by an earlier recovery of this instance that did not finish: claimed already.
        if (name.includes('.claim-')) files.push(join(dir, name));
        continue;
      }
      let live = alive.get(owner);
      if (live === undefined) {
        live = await isAlive(owner);
        alive.set(owner, live);
      }
      if (live) continue;
      const claimed = join(dir, `${instance}.claim-${this.claims++}.wal`);
      try {
        await rename(join(dir, name), claimed);
        files.push(claimed);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    const finals = new Map<string, string>();
    const provisional = new Map<string, { entry: string; lastWrite: number }>();
    for (const file of files) {
      const lastWrite = (await stat(file)).mtimeMs;
      for (const line of (await readFile(file, 'utf8')).split('\n')) {
        const requestId = requestIdOf(line);
        if (requestId === null) continue;
        const entry = line.slice(2);
        if (line.startsWith(FINAL)) finals.set(requestId, entry);
        else provisional.set(requestId, { entry, lastWrite });
      }
    }
    const entries = [...finals.values()];
    let crashed = 0;
    for (const [requestId, { entry, lastWrite }] of provisional) {
      if (finals.has(requestId)) continue;
      entries.push(withDuration(entry, lastWrite));
      crashed++;
    }
    return { entries, crashed, files };
  }

  async discard(files: readonly string[]): Promise<void> {
    for (const file of files) await unlinkAsync(file).catch(() => {});
  }

  /**
   * Stops journaling. Fully settled segments are deleted; a segment still holding an undelivered record stays for
   * the next process to recover.
   */
  close(): void {
    if (this.closed) return;
    this.flushBegins();
    this.closed = true;
    clearInterval(this.syncTimer);
    for (const segment of [...this.segments.values()]) {
      if (segment.outstanding <= 0) {
        this.remove(segment);
        continue;
      }
      segment.sealed = true;
      if (segment.fd === null) continue;
      try {
        fsyncSync(segment.fd);
      } finally {
        closeSync(segment.fd);
        segment.fd = null;
      }
    }
    this.current = null;
  }
}

/** The request id of a journal line, or null for a line cut short by the crash. */
function requestIdOf(line: string): string | null {
  if (!line.startsWith(BEGIN) && !line.startsWith(FINAL)) return null;
  try {
    const value = JSON.parse(line.slice(2)) as { requestId?: unknown };
    return typeof value.requestId === 'string' && value.requestId.length > 0 ? value.requestId : null;
  } catch {
    return null;
  }
}

/** A crashed request lasted at least until its journal was last written. */
function withDuration(entry: string, lastWrite: number): string {
  const record = JSON.parse(entry) as { startedAt: number; durationMs: number };
  record.durationMs = Math.max(0, Math.round(lastWrite - record.startedAt));
  return JSON.stringify(record);
}
