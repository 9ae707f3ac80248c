// Byte-level Server-Sent Events framing for responses that pass through the gateway in chunks split at
// arbitrary bytes, plus the plumbing shared by the provider stream observers.
import type { StreamError, StreamObserver, Usage } from './types.js';

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const DATA = Buffer.from('data');
const EVENT = Buffer.from('event');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/**
 * One block of the stream, i.e. everything up to and including a blank line. Every input byte lands in
 * exactly one block's `raw`, so concatenating the `raw` of all blocks (in order) reproduces the input.
 */
export interface SseEvent {
  /** The `event:` field; null when absent (the SSE default type "message"). */
  readonly event: string | null;
  /** `data:` lines joined by "\n"; null when the block had no data field (SSE would not dispatch it). */
  readonly data: string | null;
  /** The exact bytes of the block, terminating blank line included. */
  readonly raw: Buffer;
  /**
   * True for bytes passed through without being parsed: fragments of an event larger than the pending
   * limit, or an unterminated tail at end of stream. `event` and `data` are null then.
   */
  readonly unparsed: boolean;
}

export interface SseFramerOptions {
  /** Largest incomplete event kept in memory; a bigger one is passed on unparsed. */
  maxPendingBytes?: number;
}

export class SseFramer {
  private readonly maxPending: number;
  // Bytes of the current, incomplete block. They are subarrays of the pushed chunks: nothing is copied
  // until a block that spans chunks completes, and then only that block.
  private parts: Buffer[] = [];
  private partsLength = 0;
  // The current line's bytes from earlier chunks, when a line spans chunks.
  private lineParts: Buffer[] = [];
  private lineCarried = false;
  private eventName: string | null = null;
  private dataLines: string[] | null = null;
  // The last byte seen was a CR ending a line: a LF at the start of the next chunk is part of that
  // line ending (CRLF), not an empty line of its own.
  private afterCR = false;
  // A block ended with a CR blank line at the very end of a chunk. Its `raw` may still gain the LF of a
  // CRLF, so it is released with the next chunk; this keeps `raw` independent of where chunks split.
  private blockDone = false;
  // Inside an event that exceeded the limit: pass bytes on until the next blank line, then resume.
  private skipping = false;
  private firstLine = true;
  private oversizedEvents = 0;

  constructor(options: SseFramerOptions = {}) {
    this.maxPending = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
  }

  /** How many events were too large to parse (their bytes were still returned, unparsed). */
  get oversized(): number {
    return this.oversizedEvents;
  }

  /** Bytes held for an incomplete block. */
  get pendingBytes(): number {
    return this.partsLength;
  }

  /** Feeds one chunk; returns the blocks it completed. Keeps references to (not copies of) `chunk`. */
  push(chunk: Buffer): SseEvent[] {
    const out: SseEvent[] = [];
    const len = chunk.length;
    if (len === 0) return out;
    let pos = 0;
    if (this.afterCR) {
      this.afterCR = false;
      if (chunk[0] === LF) pos = 1;
    }
    let blockStart = 0;
    if (this.blockDone) {
      this.blockDone = false;
      this.finishBlock(chunk, 0, pos, out);
      blockStart = pos;
    }
    let lineStart = pos;
    // Two indexOf scans (one per terminator) beat a per-byte loop; most streams contain no CR at all,
    // so that scan runs once per chunk.
    let nextLF = -2;
    let nextCR = -2;
    while (pos < len) {
      if (nextLF !== -1 && nextLF < pos) nextLF = chunk.indexOf(LF, pos);
      if (nextCR !== -1 && nextCR < pos) nextCR = chunk.indexOf(CR, pos);
      const brk = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : Math.min(nextLF, nextCR);
      if (brk === -1) break;
      let next = brk + 1;
      let crAtEnd = false;
      if (chunk[brk] === CR) {
        if (next < len) {
          if (chunk[next] === LF) next++;
        } else {
          crAtEnd = true;
        }
      }
      const blank = brk === lineStart && !this.lineCarried;
      if (!blank && !this.skipping) this.parseLine(this.lineBytes(chunk, lineStart, brk));
      this.lineParts = [];
      this.lineCarried = false;
      this.firstLine = false;
      pos = next;
      lineStart = next;
      if (crAtEnd) this.afterCR = true;
      if (blank) {
        if (crAtEnd) {
          this.blockDone = true;
          break;
        }
        this.finishBlock(chunk, blockStart, next, out);
        blockStart = next;
      }
    }
    if (lineStart < len) {
      this.lineCarried = true;
      if (!this.skipping) this.lineParts.push(chunk.subarray(lineStart));
    }
    if (blockStart < len) {
      if (this.skipping) {
        out.push(unparsed(chunk.subarray(blockStart)));
      } else {
        this.parts.push(chunk.subarray(blockStart));
        this.partsLength += len - blockStart;
        if (this.partsLength > this.maxPending && !this.blockDone) this.overflow(out);
      }
    }
    return out;
  }

  /**
   * Upstream finished. Returns a block still waiting for a possible LF, then any unterminated tail as an
   * unparsed block: SSE discards an incomplete event, but its bytes still belong to the response.
   */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    this.afterCR = false;
    if (this.blockDone) {
      this.blockDone = false;
      this.finishBlock(EMPTY_BUFFER, 0, 0, out);
    }
    for (const part of this.parts) out.push(unparsed(part));
    this.resetBlock();
    this.lineParts = [];
    this.lineCarried = false;
    this.skipping = false;
    return out;
  }

  private lineBytes(chunk: Buffer, start: number, end: number): Buffer {
    let line = chunk.subarray(start, end);
    if (this.lineParts.length > 0) line = Buffer.concat([...this.lineParts, line]);
    if (this.firstLine && line.subarray(0, 3).equals(BOM)) line = line.subarray(3);
    return line;
  }

  private parseLine(line: Buffer): void {
    if (line[0] === COLON) return; // comment, e.g. a keep-alive
    const colon = line.indexOf(COLON);
    const nameEnd = colon === -1 ? line.length : colon;
    let valueStart = colon === -1 ? line.length : colon + 1;
    if (line[valueStart] === SPACE) valueStart++;
    if (fieldIs(line, nameEnd, DATA)) {
      this.dataLines ??= [];
      this.dataLines.push(line.toString('utf8', valueStart));
    } else if (fieldIs(line, nameEnd, EVENT)) {
      this.eventName = line.toString('utf8', valueStart);
    }
    // `id` and `retry` only matter to reconnecting browsers, not to usage accounting.
  }

  private finishBlock(chunk: Buffer, start: number, end: number, out: SseEvent[]): void {
    if (this.skipping) {
      this.skipping = false;
      if (end > start) out.push(unparsed(chunk.subarray(start, end)));
      this.resetBlock();
      return;
    }
    let raw: Buffer;
    if (this.parts.length === 0) raw = chunk.subarray(start, end);
    else if (end === 0 && this.parts.length === 1) raw = this.parts[0] as Buffer;
    else raw = Buffer.concat([...this.parts, chunk.subarray(0, end)]);
    out.push({ event: this.eventName, data: this.dataLines?.join('\n') ?? null, raw, unparsed: false });
    this.resetBlock();
  }

  private overflow(out: SseEvent[]): void {
    // Handing the held parts on one by one avoids copying up to maxPending bytes into one Buffer.
    for (const part of this.parts) out.push(unparsed(part));
    this.resetBlock();
    this.lineParts = [];
    this.skipping = true;
    this.oversizedEvents++;
  }

  private resetBlock(): void {
    this.parts = [];
    this.partsLength = 0;
    this.eventName = null;
    this.dataLines = null;
  }
}

function unparsed(raw: Buffer): SseEvent {
  return { event: null, data: null, raw, unparsed: true };
}

function fieldIs(line: Buffer, nameEnd: number, name: Buffer): boolean {
  return nameEnd === name.length && line.compare(name, 0, name.length, 0, nameEnd) === 0;
}

/**
 * Shared observer plumbing: frames the stream, hands each data event to `onEvent`, and either passes
 * chunks through untouched or (when rewriting) re-emits every completed block, possibly altered.
 */
export abstract class SseStreamObserver implements StreamObserver {
  protected currentUsage: Usage | null = null;
  protected currentModel: string | null = null;
  protected currentError: StreamError | null = null;
  private eventCount = 0;
  private readonly framer: SseFramer;
  private emitted: readonly SseEvent[] = [];

  constructor(
    private readonly rewriting: boolean,
    options: SseFramerOptions = {},
  ) {
    this.framer = new SseFramer(options);
  }

  get usage(): Usage | null {
    return this.currentUsage;
  }
  get model(): string | null {
    return this.currentModel;
  }
  get error(): StreamError | null {
    return this.currentError;
  }
  get events(): number {
    return this.eventCount;
  }
  /** Events too large to inspect; their bytes passed through unchanged. */
  get overflowed(): number {
    return this.framer.oversized;
  }
  get lastEvents(): readonly SseEvent[] {
    return this.emitted;
  }

  /**
   * Sees one complete event that carries data. Returns replacement bytes for `event.raw`, null to drop
   * the event from the output, or undefined to keep it as is (only honoured when rewriting).
   */
  protected abstract onEvent(event: SseEvent & { data: string }): Buffer | null | undefined;

  push(chunk: Buffer): Buffer {
    const events = this.framer.push(chunk);
    if (!this.rewriting) {
      for (const event of events) this.observe(event);
      this.emitted = events;
      return chunk;
    }
    return this.emit(events);
  }

  end(): Buffer {
    const events = this.framer.end();
    if (!this.rewriting) {
      for (const event of events) this.observe(event);
      this.emitted = events;
      return EMPTY_BUFFER;
    }
    return this.emit(events);
  }

  private emit(events: SseEvent[]): Buffer {
    const kept: SseEvent[] = [];
    for (const event of events) {
      const out = this.observe(event);
      if (out === null) continue;
      kept.push(out === event.raw ? event : { ...event, raw: out });
    }
    this.emitted = kept;
    if (kept.length === 0) return EMPTY_BUFFER;
    return kept.length === 1 ? (kept[0] as SseEvent).raw : Buffer.concat(kept.map((event) => event.raw));
  }

  private observe(event: SseEvent): Buffer | null {
    if (event.data === null) return event.raw;
    this.eventCount++;
    const out = this.onEvent(event as SseEvent & { data: string });
    return out === undefined ? event.raw : out;
  }
}
