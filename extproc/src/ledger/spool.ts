// The local durable spool: ledger entries that could not be delivered are appended (and fsync'd) to JSONL segment
// files, and replayed once delivery works again, by this process or, after a crash, by the next one.
//
// Several extprocs may share a directory (replicas on one host, tests), so every file is named after the instance
// that wrote it: `<instance>.<n>.jsonl`, plus a heartbeat file `<instance>.alive` touched while the instance runs.
// Segments of an instance whose heartbeat went stale (crashed) or was removed (stopped) are claimed by renaming
// them into the claimer's name; rename is atomic, so exactly one live instance replays each.
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, fsyncSync, openSync, readlinkSync } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface SpoolOptions {
  dir: string;
  /** An instance whose heartbeat is older than this is dead and its segments are claimed. */
  staleMs?: number;
}

export interface ReplayResult {
  /** Entries delivered. */
  replayed: number;
  /** Lines that were not JSON (a write cut short by a crash) and were dropped. */
  corrupt: number;
  /** Some entries are still spooled (delivery failed part-way). */
  remaining: boolean;
}

/** Delivers entries; resolves with those NOT delivered (empty when all were). */
export type Deliver = (entries: string[]) => Promise<string[]>;

const SEGMENT = /^([A-Za-z0-9-]+)\.([A-Za-z0-9-]+)\.jsonl$/;
const ALIVE = /^([A-Za-z0-9-]+)\.alive$/;
const TEMP = /^([A-Za-z0-9-]+)\..*\.tmp$/;
const SEGMENT_MAX_BYTES = 8 * 1024 * 1024;

export class LedgerSpool {
  readonly dir: string;
  readonly instance = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  private readonly staleMs: number;
  private heartbeat: NodeJS.Timeout | undefined;
  private active: { name: string; handle: FileHandle; bytes: number } | null = null;
  private segments = 0;
  private claims = 0;
  private lock: Promise<unknown> = Promise.resolve();
  private queued: string[] = [];
  private queuedWrite: Promise<void> | null = null;
  private replaying: Promise<ReplayResult> | null = null;
  private closed = false;

  constructor(options: SpoolOptions) {
    this.dir = options.dir;
    this.staleMs = options.staleMs ?? 60_000;
  }

  private get aliveFile(): string {
    return join(this.dir, `${this.instance}.alive`);
  }

  /** Creates the directory and starts the heartbeat; throws when the directory is not writable. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.aliveFile, ALIVE_CONTENT);
    this.heartbeat = setInterval(() => {
      const now = new Date();
      utimes(this.aliveFile, now, now).catch(() => writeFile(this.aliveFile, ALIVE_CONTENT).catch(() => {}));
    }, this.staleMs / 4);
    this.heartbeat.unref();
  }

  /** Runs `fn` alone: appends, sealing and closing never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  /**
   * Appends entries durably: resolves once they are fsync'd. Appends made while a write is in progress share the
   * next write and its fsync.
   */
  append(entries: string[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    if (this.closed) {
      try {
        this.appendSync(entries);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.queued.push(...entries);
    this.queuedWrite ??= this.exclusive(async () => {
      this.queuedWrite = null;
      const batch = this.queued;
      this.queued = [];
      if (this.closed) this.appendSync(batch);
      else await this.writeActive(batch);
    });
    return this.queuedWrite;
  }

  private async writeActive(entries: string[]): Promise<void> {
    if (!this.active) {
      const name = `${this.instance}.${this.segments++}.jsonl`;
      this.active = { name, handle: await open(join(this.dir, name), 'a', 0o600), bytes: 0 };
      await this.syncDirectory();
    }
    const text = `${entries.join('\n')}\n`;
    try {
      await this.active.handle.write(text);
      await this.active.handle.datasync();
      // Bounded segments: a replay reads one whole segment into memory.
      this.active.bytes += Buffer.byteLength(text);
      if (this.active.bytes >= SEGMENT_MAX_BYTES) await this.sealActive();
    } catch (error) {
      // A write cut short leaves a partial line: later entries go to a fresh segment instead of being glued to it.
      await this.sealActive();
      throw error;
    }
  }

  /** The directory entry of a new file must be durable too, or a crash can lose the whole file. */
  private async syncDirectory(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } catch {
      // Some filesystems cannot fsync a directory; the file's own fsync is the best they offer.
    } finally {
      await handle.close();
    }
  }

  private async sealActive(): Promise<void> {
    const active = this.active;
    this.active = null;
    await active?.handle.close().catch(() => {});
  }

  /** Last resort after close(): a synchronous append to a segment the next start replays. */
  private appendSync(entries: string[]): void {
    const fd = openSync(join(this.dir, `${this.instance}.late.jsonl`), 'a', 0o600);
    try {
      appendFileSync(fd, `${entries.join('\n')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Delivers every spooled entry this instance owns or can claim from dead instances; a segment is deleted once all
   * its entries are delivered, or rewritten with the undelivered ones, and the replay stops at the first failure.
   * Entries whose delivery was in doubt (sent, reply lost) may be delivered twice: the ledger is idempotent.
   */
  replay(deliver: Deliver, batchSize: number): Promise<ReplayResult> {
    this.replaying ??= this.replayOnce(deliver, batchSize).finally(() => {
      this.replaying = null;
    });
    return this.replaying;
  }

  private async replayOnce(deliver: Deliver, batchSize: number): Promise<ReplayResult> {
    const result: ReplayResult = { replayed: 0, corrupt: 0, remaining: false };
    for (const name of await this.ownedSegments()) {
      if (!(await this.replaySegment(name, deliver, batchSize, result))) return result;
    }
    // The active segment last, and only once the others went through: during an outage it keeps growing (up to
    // its size bound) instead of a new segment being cut on every failed attempt.
    const sealed = await this.exclusive(async () => {
      const name = this.active?.name ?? null;
      await this.sealActive();
      return name;
    });
    if (sealed) await this.replaySegment(sealed, deliver, batchSize, result);
    return result;
  }

  /** Delivers one segment; false when some of it could not be delivered (then it holds just those entries). */
  private async replaySegment(
    name: string,
    deliver: Deliver,
    batchSize: number,
    result: ReplayResult,
  ): Promise<boolean> {
    const path = join(this.dir, name);
    const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line.length > 0);
    const entries = lines.filter(isJsonObject);
    result.corrupt += lines.length - entries.length;
    for (let i = 0; i < entries.length; i += batchSize) {
      const batch = entries.slice(i, i + batchSize);
      let failed: string[];
      try {
        failed = await deliver(batch);
      } catch {
        failed = batch;
      }
      result.replayed += batch.length - failed.length;
      if (failed.length > 0) {
        const undelivered = [...failed, ...entries.slice(i + batchSize)];
        const temp = `${path}.tmp`;
        await writeFile(temp, `${undelivered.join('\n')}\n`, { mode: 0o600, flush: true });
        await rename(temp, path);
        result.remaining = true;
        return false;
      }
    }
    await unlink(path);
    return true;
  }

  /**
   * This instance's sealed segments, after claiming those of dead instances. Listed under the lock: a segment being
   * created exists on disk before it is known as the active one, and must not be mistaken for a sealed one.
   */
  private ownedSegments(): Promise<string[]> {
    return this.exclusive(() => this.listOwnedSegments());
  }

  private async listOwnedSegments(): Promise<string[]> {
    const names = await readdir(this.dir);
    const live = new Map<string, boolean>([[this.instance, !this.closed]]);
    const isLive = async (owner: string) => {
      let known = live.get(owner);
      if (known === undefined) {
        known = await this.isAlive(owner);
        live.set(owner, known);
      }
      return known;
    };
    const owned: string[] = [];
    for (const name of names) {
      const segment = SEGMENT.exec(name);
      if (!segment) continue;
      const owner = segment[1] as string;
      if (owner === this.instance) {
        if (name !== this.active?.name) owned.push(name);
        continue;
      }
      if (await isLive(owner)) continue;
      const claimed = `${this.instance}.c${this.claims++}.jsonl`;
      try {
        await rename(join(this.dir, name), join(this.dir, claimed));
        owned.push(claimed);
      } catch (error) {
        // Another instance claimed it first.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    // What dead instances leave besides segments: heartbeats and interrupted rewrites (their original is intact).
    for (const name of names) {
      const owner = ALIVE.exec(name)?.[1] ?? TEMP.exec(name)?.[1];
      if (owner && owner !== this.instance && !(await isLive(owner)))
        await unlink(join(this.dir, name)).catch(() => {});
    }
    return owned.sort();
  }

  /** Whether `owner` (another instance) still runs: see instanceAlive. */
  isAlive(owner: string): Promise<boolean> {
    return instanceAlive(this.dir, owner, this.staleMs);
  }

  /**
   * Finishes pending appends and stops the heartbeat. What is left becomes a dead instance's spool, replayed by the
   * next instance to start on this directory.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.replaying?.catch(() => {});
    await this.exclusive(async () => {
      this.closed = true;
      await this.sealActive();
    });
    clearInterval(this.heartbeat);
    await unlink(this.aliveFile).catch(() => {});
  }
}

/** Pids are only comparable within one pid namespace (containers on one host share hostnames with host networking). */
const PID_NAMESPACE = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
})();
const ALIVE_CONTENT = `${process.pid} ${hostname()} ${PID_NAMESPACE ?? '-'}\n`;

/**
 * An instance is alive while its heartbeat is fresh, unless its heartbeat names a process of this host and pid
 * namespace that no longer exists: a killed extproc restarted at once (same host, same directory) then takes over
 * its spool and journal right away instead of a minute later. Only "no such process" counts; a process we may not
 * signal is alive, and so is one whose pid means nothing here (another host or container).
 */
export async function instanceAlive(dir: string, owner: string, staleMs: number): Promise<boolean> {
  const path = join(dir, `${owner}.alive`);
  try {
    const { mtimeMs } = await stat(path);
    if (Date.now() - mtimeMs >= staleMs) return false;
    const [pid, host, namespace] = (await readFile(path, 'utf8')).trim().split(' ');
    const comparable = PID_NAMESPACE !== null && host === hostname() && namespace === PID_NAMESPACE;
    return !(comparable && pid !== undefined && /^\d+$/.test(pid) && !processExists(Number(pid)));
  } catch {
    return false;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function isJsonObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
