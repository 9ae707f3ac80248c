// Agents resend their whole conversation on every turn: the system prompt, tool definitions, earlier messages and
// tool results of one request come back in the next. A detector's verdict on a segment depends only on its text,
// its kind and its role (where it sits in the request only locates the findings), so what each detector found in a
// text is kept, bounded, and handed back relocated to where the text sits now. Model output is never kept: each
// scan of a stream sees a different window.
//
// One table serves every detector, so a segment's text is looked up once per request; the detectors after the first
// find the entry through the segment object itself. Texts are not Map keys themselves: V8 hashes every character of a
// string up to 16383 characters (several milliseconds per megabyte) and longer ones by their length alone (so long
// texts of one length share a bucket and are compared against each other). A long text is keyed by its length and a
// fixed sample of its characters instead, and confirmed by comparing the texts.
import { segmentState } from './segment-state.js';
import type { Finding, ScanSegment, SegmentKind } from './types.js';

export interface SegmentMemoLimits {
  /** Distinct texts kept (least recently used evicted). */
  maxEntries: number;
  /** Characters of all kept texts together. */
  maxChars: number;
  /** Longer texts are scanned every time: one would evict everything else for a single reuse. */
  maxTextChars: number;
}

export const DEFAULT_MEMO_LIMITS: Readonly<SegmentMemoLimits> = Object.freeze({
  maxEntries: 2048,
  maxChars: 1 << 20,
  maxTextChars: 64 * 1024,
});

/** The same text under more kinds or roles than this is computed afresh for the others. */
const MAX_VARIANTS = 4;

/** Texts up to this length are their own key (hashing them costs less than sampling). */
const SHORT_TEXT = 128;
/** Characters sampled for a long text's key, spread evenly, plus the first and last SAMPLE_EDGE. */
const SAMPLES = 32;
const SAMPLE_EDGE = 16;

/** Length and a sample of the characters, mixed (FNV-1a style): the same text always gets the same key. */
function sampledKey(text: string): number {
  const length = text.length;
  let h = Math.imul(0x811c9dc5 ^ length, 0x01000193);
  for (let i = 0; i < SAMPLE_EDGE; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  for (let i = length - SAMPLE_EDGE; i < length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  const step = Math.floor(length / SAMPLES);
  for (let i = step >> 1; i < length; i += step) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

function keyOf(text: string): string | number {
  return text.length <= SHORT_TEXT ? text : sampledKey(text);
}

const UNSET: unique symbol = Symbol('unset');

/** The variants kept for one text. */
interface Kept {
  readonly text: string;
  readonly variants: Entry[];
}

interface Entry {
  readonly kind: SegmentKind;
  readonly role: string;
  /** One slot per SegmentMemo of the table. */
  readonly values: unknown[];
}

export class SegmentMemoTable {
  /** By keyOf(text), least recently used first. */
  private byKey = new Map<string | number, Kept>();
  /** Bumped by `clear`: entries segments resolved to before are no longer this table's. */
  private generation = 0;
  private chars = 0;
  private slots = 0;

  constructor(readonly limits: Readonly<SegmentMemoLimits> = DEFAULT_MEMO_LIMITS) {}

  get size(): number {
    return this.byKey.size;
  }

  /** Forgets every kept text (the next scan of each is a first scan). */
  clear(): void {
    // A new Map, not Map#clear: V8 links a cleared table to its successor, so a table that reached the old
    // generation keeps what it held alive through young collections until the next full one.
    this.byKey = new Map();
    this.generation++;
    this.chars = 0;
  }

  allocateSlot(): number {
    return this.slots++;
  }

  /** The entry for the segment's text, kind and role, created when missing; null for what is never kept. */
  entry(segment: ScanSegment): Entry | null {
    if (segment.kind === 'response' || segment.text.length > this.limits.maxTextChars) return null;
    // The entry a segment object resolved to is remembered on the segment's state (one table at a time: a segment
    // scanned against another table meanwhile is looked up again).
    const state = segmentState(segment);
    if (state.memoTable === this && state.memoGeneration === this.generation)
      return state.memoEntry as Entry | null;
    const entry = this.lookup(segment);
    state.memoTable = this;
    state.memoGeneration = this.generation;
    state.memoEntry = entry;
    return entry;
  }

  private lookup(segment: ScanSegment): Entry | null {
    const { text, kind, role } = segment;
    const key = keyOf(text);
    const kept = this.byKey.get(key);
    if (kept === undefined) {
      const created: Entry = { kind, role, values: [] };
      this.byKey.set(key, { text, variants: [created] });
      this.chars += text.length;
      this.evict();
      return created;
    }
    // Another text with the same sampled key (rare): it is computed afresh each time rather than kept.
    if (kept.text !== text) return null;
    // Re-inserting moves the text to the back of the Map's order: the front is the least recently used.
    this.byKey.delete(key);
    this.byKey.set(key, kept);
    const variants = kept.variants;
    for (const variant of variants) if (variant.kind === kind && variant.role === role) return variant;
    if (variants.length >= MAX_VARIANTS) return null;
    const created: Entry = { kind, role, values: [] };
    variants.push(created);
    return created;
  }

  private evict(): void {
    const { maxEntries, maxChars } = this.limits;
    while (this.byKey.size > maxEntries || this.chars > maxChars) {
      const oldest = this.byKey.entries().next();
      if (oldest.done) return;
      const [key, kept] = oldest.value;
      this.byKey.delete(key);
      this.chars -= kept.text.length;
    }
  }
}

/** Shared by the request detectors. */
const SHARED_TABLE = new SegmentMemoTable();

/** Makes the next scan of every text a first scan: for measuring what an unseen request costs. */
export function forgetKeptScanResults(): void {
  SHARED_TABLE.clear();
}

/** One detector's kept results, in a table shared with the other detectors. */
export class SegmentMemo<T> {
  private readonly slot: number;

  constructor(private readonly table: SegmentMemoTable = SHARED_TABLE) {
    this.slot = table.allocateSlot();
  }

  /**
   * What `compute` returns for `segment`, or what it returned for the same text under the same kind and role. The
   * value is shared: callers copy before handing any of it on (relocateFinding).
   */
  get(segment: ScanSegment, compute: (segment: ScanSegment) => T): T {
    const entry = this.table.entry(segment);
    if (entry === null) return compute(segment);
    const values = entry.values;
    while (values.length <= this.slot) values.push(UNSET);
    const kept = values[this.slot];
    if (kept !== UNSET) return kept as T;
    const value = compute(segment);
    values[this.slot] = value;
    return value;
  }
}

/** A copy of `finding` (made in a segment of the same text, kind and role) located in `segment`. */
export function relocateFinding(finding: Finding, segment: ScanSegment): Finding {
  return {
    ...finding,
    location: { ...finding.location, messageIndex: segment.messageIndex, partIndex: segment.partIndex },
  };
}
