// Turns a segment's text into views the detectors can match with plain lower-case ASCII rules, each with a way back
// to the span of the original text. Runs on every request, so:
// - ASCII text (the common case) is lower-cased natively and shares an identity offset map;
// - other text is walked once, run by run, and the offset map only records where the offset shift changes, so a
//   mostly-ASCII 1 MB text with a few curly quotes costs a handful of map entries, not 4 MB;
// - decoding of embedded payloads is bounded in depth, count and decoded size.
import { CONFUSABLES } from './confusables.js';
import { findEncodedPayloads, type PayloadBudget, type PayloadEncoding } from './encoded-payloads.js';
import {
  bitPayloads,
  braillePayloads,
  type HiddenPayload,
  MIN_SELECTOR_RUN,
  variationSelectorPayloads,
} from './hidden-scripts.js';
import { segmentState } from './segment-state.js';
import { tokenRunsOf } from './token-runs.js';
import type { ScanSegment } from './types.js';

export type ViewEncoding =
  | 'text'
  | 'rot13'
  | 'reversed'
  | 'fragments'
  | 'variation selectors'
  | 'braille'
  | 'invisible bits'
  | 'atbash'
  | 'nato'
  | 'uuencode'
  | 'ascii85'
  | PayloadEncoding;

export interface Span {
  start: number;
  end: number;
}

/** Counts of tricks seen while folding the plain text: hiding characters is itself a signal of intent. */
export interface ObfuscationHints {
  /** Zero-width characters, bidi controls, variation selectors, soft hyphens. */
  invisible: number;
  /** Unicode tag characters (U+E0020…U+E007E): ASCII that renders as nothing. */
  tags: number;
  /**
   * Letters folded to ASCII from compatibility forms (fullwidth, mathematical, enclosed) or from look-alikes in
   * another script (Cyrillic/Greek) sitting next to ASCII letters, i.e. inside a mixed-script word.
   */
  confusables: number;
  /** Combining marks stripped (diacritics, "zalgo" stacks). */
  marks: number;
  /** Braille cells (U+2800–U+28FF): letters a keyword filter does not read. */
  braille: number;
}

export interface NormaliseOptions {
  /** Also undo JSON string escapes (`\n`, `\"`, `\u003e`): tool-call arguments arrive as JSON text. */
  jsonEscapes?: boolean;
  /** How many layers of encoding to peel (base64 inside hex counts 2). Default 2. */
  maxDepth?: number;
  /** Decoded characters allowed per call, all layers together. Default 64 Ki. */
  maxDecodedChars?: number;
  /** Decoded payloads allowed per call. Default 16. */
  maxPayloads?: number;
  /**
   * The text's long runs of token characters (token-runs.ts), when already known: base64 and hex payloads are only
   * searched inside them.
   */
  tokenRuns?: readonly number[];
}

export interface CompactView {
  /** Letters only, digits and symbols read as leetspeak (`1gn0r3` → `ignore`), everything else dropped. */
  readonly text: string;
  /** Span in the segment's original text. */
  span(start: number, end: number): Span;
  /** The same range in the folded view it was built from. */
  viewRange(start: number, end: number): Span;
}

/** Piecewise-linear map from a view's offsets to the source's: one entry wherever the shift changes. */
class OffsetMap {
  constructor(
    private readonly outAt: readonly number[],
    private readonly srcAt: readonly number[],
  ) {}

  toSource(out: number): number {
    const outAt = this.outAt;
    let lo = 0;
    let hi = outAt.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((outAt[mid] as number) <= out) lo = mid;
      else hi = mid - 1;
    }
    return (this.srcAt[lo] as number) + (out - (outAt[lo] as number));
  }
}

const IDENTITY = new OffsetMap([0], [0]);

/** One way of reading a segment. `text` is lower-case; `span` maps a range of it back to the segment's text. */
export class TextView {
  private compacted: CompactView | undefined;

  constructor(
    readonly text: string,
    readonly encoding: ViewEncoding,
    /** 0 for the segment itself, 1 for a payload decoded from it, 2 for one decoded from that. */
    readonly depth: number,
    private readonly map: OffsetMap,
    /** Decoded views report the whole encoded run: their characters have no position of their own. */
    private readonly origin: Span | null,
    private readonly sourceLength: number,
  ) {}

  span(start: number, end: number): Span {
    if (this.origin !== null) return { start: this.origin.start, end: this.origin.end };
    const s = Math.min(this.map.toSource(start), this.sourceLength);
    if (end <= start) return { start: s, end: s };
    const last = this.map.toSource(end - 1);
    const next = end < this.text.length ? this.map.toSource(end) : this.sourceLength;
    return { start: s, end: Math.min(Math.max(next, last + 1), this.sourceLength) };
  }

  /** The letters-only reading used against spacing and leetspeak games; built on first use. */
  compact(): CompactView {
    this.compacted ??= buildCompact(this);
    return this.compacted;
  }
}

export interface Normalised {
  /** `views[0]` is the folded segment text; decoded payloads and a ROT13 reading (when announced) follow. */
  readonly views: readonly TextView[];
  readonly hints: ObfuscationHints;
  /**
   * The intent rules' matches in these readings, filled in on first use by detectors/intent-index.ts (both intent
   * detectors read them): kept here rather than in a WeakMap, which V8 charges for on every lookup and collection.
   */
  intentSignals: object | undefined;
}

// ---- folding ------------------------------------------------------------------------------------------------

/**
 * `lookalike`: a letter from another script that imitates an ASCII one (counted only inside otherwise-ASCII words,
 * so ordinary Russian or Greek text is not "obfuscated"); `compat`: a compatibility form of a letter (fullwidth,
 * mathematical, enclosed), which ordinary prose does not use.
 */
type Kind = 'keep' | 'plain' | 'invisible' | 'tag' | 'lookalike' | 'compat' | 'mark';

interface FoldEntry {
  kind: Kind;
  text: string;
}

const KEEP: FoldEntry = { kind: 'keep', text: '' };
const bmpCache: (FoldEntry | undefined)[] = new Array<FoldEntry | undefined>(0x10000);
const astralCache = new Map<number, FoldEntry>();

/** Whether `text` holds an invisible character (zero-width, bidi control, soft hyphen and the like). */
export function hasInvisible(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isInvisible(text.charCodeAt(i))) return true;
  return false;
}

function isInvisible(cp: number): boolean {
  return (
    cp === 0x00ad ||
    cp === 0x034f ||
    cp === 0x061c ||
    cp === 0x115f ||
    cp === 0x1160 ||
    cp === 0x17b4 ||
    cp === 0x17b5 ||
    (cp >= 0x180b && cp <= 0x180f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x206f) ||
    cp === 0x3164 ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0xfeff ||
    cp === 0xffa0 ||
    (cp >= 0x1bca0 && cp <= 0x1bca3) ||
    cp === 0xe0001 ||
    cp === 0xe007f ||
    (cp >= 0xe0100 && cp <= 0xe01ef)
  );
}

function isCombiningMark(cp: number): boolean {
  return (
    (cp >= 0x0300 && cp <= 0x036f) ||
    (cp >= 0x1ab0 && cp <= 0x1aff) ||
    (cp >= 0x1dc0 && cp <= 0x1dff) ||
    (cp >= 0x20d0 && cp <= 0x20ff) ||
    (cp >= 0xfe20 && cp <= 0xfe2f)
  );
}

const WHITESPACE = /^\s$/u;
/** Any UTF-16 unit above ASCII (surrogates included). */
const NON_ASCII = /[\u0080-\uffff]/;
const MARKS = /[\u0300-\u036f]/g;
const HAS_LETTER = /[A-Za-z0-9]/;
/**
 * V8's toLowerCase copies the whole string even when no character changes: a text without a capital letter (tool
 * output, JSON, code) is its own lower-case reading. The test stops at the first capital, early in ordinary prose, but
 * crosses a text without one at about a third of a nanosecond per character more than the copy costs; so it is made
 * on texts up to UPPER_TEST_MAX, where the copies of many small segments are what fills the young generation.
 */
const HAS_UPPER = /[A-Z]/;
const UPPER_TEST_MAX = 16 * 1024;

/**
 * Whether every UTF-16 unit of `s` is ASCII: the UTF-8 length equals the unit count exactly then. Node counts UTF-8
 * bytes natively, about five times faster than a regex looking for the first non-ASCII unit in a long ASCII text.
 */
export function isAscii(s: string): boolean {
  return Buffer.byteLength(s, 'utf8') === s.length;
}

function computeFold(cp: number): FoldEntry {
  if (cp >= 0xd800 && cp <= 0xdfff) return { kind: 'plain', text: '\ufffd' };
  if (isInvisible(cp)) return { kind: 'invisible', text: '' };
  if (cp >= 0xe0020 && cp <= 0xe007e)
    return { kind: 'tag', text: String.fromCharCode(cp - 0xe0000).toLowerCase() };
  if (isCombiningMark(cp)) return { kind: 'mark', text: '' };
  const ch = String.fromCodePoint(cp);
  if (WHITESPACE.test(ch))
    return { kind: 'plain', text: cp === 0x2028 || cp === 0x2029 || cp === 0x85 ? '\n' : ' ' };
  const confusable = CONFUSABLES.get(cp);
  if (confusable !== undefined)
    return { kind: HAS_LETTER.test(confusable) ? 'lookalike' : 'plain', text: confusable };
  const nfkd = ch.normalize('NFKD');
  const stripped = nfkd.replace(MARKS, '');
  if (stripped.length > 0 && !NON_ASCII.test(stripped)) {
    const kind = ch.normalize('NFD') === nfkd || !HAS_LETTER.test(stripped) ? 'plain' : 'compat';
    return { kind, text: stripped.toLowerCase() };
  }
  const lowered = ch.normalize('NFKC').toLowerCase();
  return lowered === ch ? KEEP : { kind: 'plain', text: lowered };
}

function foldCodePoint(cp: number): FoldEntry {
  if (cp < 0x10000) {
    let entry = bmpCache[cp];
    if (entry === undefined) {
      entry = computeFold(cp);
      bmpCache[cp] = entry;
    }
    return entry;
  }
  let entry = astralCache.get(cp);
  if (entry === undefined) {
    entry = computeFold(cp);
    astralCache.set(cp, entry);
  }
  return entry;
}

/** Accumulates the folded text and the offset-map breakpoints. */
class FoldBuilder {
  private readonly parts: string[] = [];
  private readonly outAt: number[] = [0];
  private readonly srcAt: number[] = [0];
  private outLen = 0;

  private mark(out: number, src: number): void {
    const last = this.outAt.length - 1;
    if (this.outAt[last] === out) {
      this.srcAt[last] = src;
      return;
    }
    if (src - out === (this.srcAt[last] as number) - (this.outAt[last] as number)) return;
    this.outAt.push(out);
    this.srcAt.push(src);
  }

  /** `text` replaces the source units [src, src + srcLen). */
  emit(text: string, src: number, srcLen: number): void {
    if (text.length === 0) return;
    this.mark(this.outLen, src);
    // Expansions (`ﬁ` → `fi`) point every extra output character back at the one source character.
    if (text.length !== srcLen) {
      for (let j = 1; j < text.length; j++) this.mark(this.outLen + j, src + Math.min(j, srcLen - 1));
    }
    this.parts.push(text);
    this.outLen += text.length;
  }

  finish(): { text: string; map: OffsetMap } {
    return { text: this.parts.join(''), map: new OffsetMap(this.outAt, this.srcAt) };
  }
}

const NON_ASCII_RUN = /[\u0080-\uffff]+/g;
const NON_ASCII_RUN_OR_JSON_ESCAPE = /[\u0080-\uffff]+|\\(?:u[0-9a-fA-F]{4}|["\\/bfnrt])/g;
const JSON_SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: ' ',
  f: ' ',
  n: '\n',
  r: '\n',
  t: ' ',
};

function isAsciiLetter(c: number): boolean {
  const lower = c | 0x20;
  return lower >= 97 && lower <= 122;
}

function foldNonAsciiRun(
  b: FoldBuilder,
  src: string,
  run: string,
  base: number,
  hints: ObfuscationHints,
): void {
  let keepFrom = 0;
  let i = 0;
  while (i < run.length) {
    const c = run.charCodeAt(i);
    let cp = c;
    let len = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < run.length) {
      const d = run.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        len = 2;
      }
    }
    const entry = foldCodePoint(cp);
    if (cp >= 0x2800 && cp <= 0x28ff) hints.braille++;
    if (entry.kind !== 'keep') {
      if (i > keepFrom) b.emit(run.slice(keepFrom, i), base + keepFrom, i - keepFrom);
      b.emit(entry.text, base + i, len);
      keepFrom = i + len;
      if (entry.kind === 'invisible') hints.invisible++;
      else if (entry.kind === 'tag') hints.tags++;
      else if (entry.kind === 'compat') hints.confusables++;
      else if (entry.kind === 'mark') hints.marks++;
      else if (
        entry.kind === 'lookalike' &&
        (isAsciiLetter(src.charCodeAt(base + i - 1)) || isAsciiLetter(src.charCodeAt(base + i + len)))
      ) {
        hints.confusables++;
      }
    }
    i += len;
  }
  if (keepFrom < run.length) b.emit(run.slice(keepFrom), base + keepFrom, run.length - keepFrom);
}

function foldJsonEscape(b: FoldBuilder, seq: string, base: number, hints: ObfuscationHints): void {
  const simple = JSON_SIMPLE_ESCAPES[seq.charAt(1)];
  if (simple !== undefined) {
    b.emit(simple, base, seq.length);
    return;
  }
  const unit = Number.parseInt(seq.slice(2), 16);
  if (unit < 0x80) {
    b.emit(String.fromCharCode(unit).toLowerCase(), base, seq.length);
    return;
  }
  const entry = foldCodePoint(unit);
  if (entry.kind === 'invisible') hints.invisible++;
  else if (entry.kind === 'compat' || entry.kind === 'lookalike') hints.confusables++;
  b.emit(entry.kind === 'keep' ? String.fromCharCode(unit) : entry.text, base, seq.length);
}

function fold(src: string, jsonEscapes: boolean, hints: ObfuscationHints): { text: string; map: OffsetMap } {
  const withEscapes = jsonEscapes && src.includes('\\');
  if (!withEscapes && isAscii(src)) {
    const lower = src.length <= UPPER_TEST_MAX && !HAS_UPPER.test(src);
    return { text: lower ? src : src.toLowerCase(), map: IDENTITY };
  }
  const special = withEscapes ? NON_ASCII_RUN_OR_JSON_ESCAPE : NON_ASCII_RUN;
  const b = new FoldBuilder();
  let last = 0;
  special.lastIndex = 0;
  for (let m = special.exec(src); m !== null; m = special.exec(src)) {
    // Lower-casing ASCII never changes its length, so ASCII stretches keep the current offset shift.
    if (m.index > last) b.emit(src.slice(last, m.index).toLowerCase(), last, m.index - last);
    if (m[0].charCodeAt(0) === 0x5c) foldJsonEscape(b, m[0], m.index, hints);
    else foldNonAsciiRun(b, src, m[0], m.index, hints);
    last = special.lastIndex;
  }
  if (last < src.length) b.emit(src.slice(last).toLowerCase(), last, src.length - last);
  return b.finish();
}

// ---- compact (letters-only) reading ------------------------------------------------------------------------

/** Leetspeak digits and symbols read as the letters they imitate; 0 = drop. */
const LEET = new Uint16Array(128);
for (let c = 97; c <= 122; c++) LEET[c] = c;
for (const [from, to] of [
  ['0', 'o'],
  ['1', 'i'],
  ['3', 'e'],
  ['4', 'a'],
  ['5', 's'],
  ['7', 't'],
  ['8', 'b'],
  ['9', 'g'],
  ['@', 'a'],
  ['$', 's'],
  ['!', 'i'],
  ['|', 'l'],
] as const) {
  LEET[from.charCodeAt(0)] = to.charCodeAt(0);
}

const UTF16 = new TextDecoder('utf-16le');

/** Letters-only reading of `src`: Latin-1 bytes compacted in place for ASCII text, UTF-16 units otherwise. */
function compactLetters(src: string): string {
  if (isAscii(src)) {
    const bytes = Buffer.from(src, 'latin1');
    let n = 0;
    for (let j = 0; j < bytes.length; j++) {
      const mapped = LEET[bytes[j] as number] as number;
      if (mapped !== 0) bytes[n++] = mapped;
    }
    return bytes.toString('latin1', 0, n);
  }
  const out = new Uint16Array(src.length);
  let n = 0;
  for (let j = 0; j < src.length; j++) {
    const c = src.charCodeAt(j);
    const mapped = c < 128 ? (LEET[c] as number) : 0;
    if (mapped !== 0) out[n++] = mapped;
  }
  return UTF16.decode(out.subarray(0, n));
}

function buildCompact(view: TextView): CompactView {
  const src = view.text;
  const text = compactLetters(src);
  // The offset map is only built if a rule actually matches, which is rare.
  let index: Int32Array | undefined;
  const toView = (i: number): number => {
    if (index === undefined) {
      index = new Int32Array(text.length);
      let n = 0;
      for (let j = 0; j < src.length && n < text.length; j++) {
        const c = src.charCodeAt(j);
        if (c < 128 && LEET[c] !== 0) index[n++] = j;
      }
    }
    return index[i] as number;
  };
  const viewRange = (start: number, end: number): Span => {
    if (text.length === 0) return { start: 0, end: 0 };
    const s = toView(Math.min(start, text.length - 1));
    return { start: s, end: end > start ? toView(Math.min(end, text.length) - 1) + 1 : s };
  };
  return {
    text,
    viewRange,
    span(start: number, end: number): Span {
      const r = viewRange(start, end);
      return view.span(r.start, r.end);
    },
  };
}

// ---- views --------------------------------------------------------------------------------------------------

/** A ROT13 reading is only worth building when the text itself talks about ROT13 or a Caesar shift. */
const ROT13_ANNOUNCED = /\brot[\s_-]?13\b|\bcaesar\b/;
/** Reversed text only means something to a model told to read it backwards. */
const REVERSAL_ANNOUNCED =
  /\b(?:read|reads|written|spelled|spelt|write|type|typed)\s+(?:\S+\s+){0,3}?backwards?\b|\bbackwards\s*:/;
/** Reversed payloads are short prompts; a longer text is not searched for the request. */
const REVERSED_TEXT_MAX = 2048;

/** The folded text read from its end, when the text asks for that; it has no positions of its own. */
function reversedView(text: string, folded: string): TextView | null {
  if (folded.length > REVERSED_TEXT_MAX) return null;
  // One substring search is the whole cost for a text that asks nothing of the kind: 'backward' starts with a rare
  // letter and is found at memchr speed, where a search for 'reverse' stops at every r (3% of a 16 KB scan).
  if (!folded.includes('backward') || !REVERSAL_ANNOUNCED.test(folded)) return null;
  const backwards = Array.from(folded).reverse().join('');
  return new TextView(backwards, 'reversed', 1, IDENTITY, { start: 0, end: text.length }, text.length);
}

/** The text a right-to-left override (U+202E) governs: up to its pop (U+202C), the line's end or 2 KB. */
const RTL_OVERRIDE_RUN = /\u202E([^\u202C\n]{8,2048})/g;

/** Each run under a right-to-left override, reversed into the order a reader sees it, as a reading of its own. */
function overriddenRuns(text: string): TextView[] {
  const views: TextView[] = [];
  RTL_OVERRIDE_RUN.lastIndex = 0;
  for (let m = RTL_OVERRIDE_RUN.exec(text); m !== null && views.length < 8; m = RTL_OVERRIDE_RUN.exec(text)) {
    const run = m[1] as string;
    const shown = fold(Array.from(run).reverse().join(''), false, emptyHints()).text;
    const start = m.index + 1;
    views.push(new TextView(shown, 'reversed', 1, IDENTITY, { start, end: start + run.length }, text.length));
  }
  return views;
}

/**
 * A short literal of words assigned to a short name: `a = 'ignore all'`, `x2="prev"`, `let b = "ious"`. Only letters,
 * spaces and apostrophes: URLs, paths and markup attributes (`href="…"`, `alt="downloads:?"`) are not fragments.
 */
const FRAGMENT_ASSIGNMENT = /\b[a-z_$][\w$]{0,11}\s*[:=]\s*(["'\x60])([a-z' ]{1,60})\1/g;
/** A request to put fragments back together in words, with the fragments as the object. */
const WORDS_JOINED =
  /\b(?:concatenat\w*|combin\w*|join\w*|merg\w*|append\w*)\s+(?:them|these|those|all|the\s+(?:strings?|variables?|parts?|pieces?|fragments?|words?)|[a-z_$][\w$]{0,3}\s*(?:,|and|with|\+))/;
const MAX_FRAGMENTS = 32;
/**
 * Split payloads are short prompts. A longer text (a source file full of `x = 'a'` and `a + b`) is not read this
 * way: on 16 KB of code the search for assignments alone took 80 µs, as much as the rest of normalisation.
 */
const FRAGMENTS_TEXT_MAX = 2048;

const isNameChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 36;

/**
 * Whether a `+` stands between two names (`a+b`, `x + y`). A scan from each `+`: a regex with a look-behind in front
 * was tried at every position of the text, 15 µs per KB.
 */
function plusBetweenNames(t: string): boolean {
  for (let at = t.indexOf('+'); at !== -1; at = t.indexOf('+', at + 1)) {
    let before = at - 1;
    while (before >= 0 && t.charCodeAt(before) === 32) before--;
    let after = at + 1;
    while (after < t.length && t.charCodeAt(after) === 32) after++;
    if (
      before >= 0 &&
      after < t.length &&
      isNameChar(t.charCodeAt(before)) &&
      isNameChar(t.charCodeAt(after))
    )
      return true;
  }
  return false;
}

function asksToJoin(t: string): boolean {
  if (plusBetweenNames(t)) return true;
  return (
    (t.includes('concat') ||
      t.includes('combin') ||
      t.includes('join') ||
      t.includes('merg') ||
      t.includes('append')) &&
    WORDS_JOINED.test(t)
  );
}

/**
 * Payload splitting: an instruction cut into string literals held in variables, with a request to join them. The
 * literals are read joined with spaces and joined directly (a cut between words or inside one), as one view that
 * reports the whole stretch of assignments.
 */
function fragmentsView(text: string, folded: string, map: OffsetMap): TextView | null {
  if (folded.length > FRAGMENTS_TEXT_MAX || !folded.includes('=') || !asksToJoin(folded)) return null;
  const parts: string[] = [];
  let first = -1;
  let last = -1;
  FRAGMENT_ASSIGNMENT.lastIndex = 0;
  for (let m = FRAGMENT_ASSIGNMENT.exec(folded); m !== null; m = FRAGMENT_ASSIGNMENT.exec(folded)) {
    parts.push((m[2] as string).trim());
    if (first < 0) first = m.index;
    last = FRAGMENT_ASSIGNMENT.lastIndex;
    if (parts.length === MAX_FRAGMENTS) break;
  }
  if (parts.length < 2) return null;
  const origin = { start: map.toSource(first), end: Math.min(map.toSource(last - 1) + 1, text.length) };
  return new TextView(`${parts.join(' ')}\n${parts.join('')}`, 'fragments', 1, IDENTITY, origin, text.length);
}

/** ROT13 of the lower-case letters of `s` (folded text has no others); everything else unchanged. */
export function rot13(s: string): string {
  const out = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c >= 97 && c <= 122 ? ((c - 97 + 13) % 26) + 97 : c;
  }
  return UTF16.decode(out);
}

function emptyHints(): ObfuscationHints {
  return { invisible: 0, tags: 0, confusables: 0, marks: 0, braille: 0 };
}

interface Walk {
  views: TextView[];
  budget: PayloadBudget;
  maxDepth: number;
}

function addDecodedViews(
  walk: Walk,
  src: string,
  depth: number,
  origin: Span | null,
  tokenRuns?: readonly number[],
): void {
  if (depth >= walk.maxDepth || walk.budget.count <= 0 || walk.budget.chars <= 0) return;
  for (const payload of findEncodedPayloads(src, walk.budget, tokenRuns))
    addDecodedView(walk, src, payload.encoding, payload, depth, origin);
}

/** A decoded text as a reading one layer down, reported at `origin` (the span it was decoded from). */
export function decodedReading(
  decoded: string,
  encoding: ViewEncoding,
  origin: Span,
  sourceLength: number,
): TextView {
  const folded = fold(decoded, false, emptyHints());
  return new TextView(folded.text, encoding, 1, folded.map, origin, sourceLength);
}

/** A decoded payload as a reading one layer down, and what is encoded inside it in turn. */
function addDecodedView(
  walk: Walk,
  src: string,
  encoding: ViewEncoding,
  payload: { start: number; end: number; decoded: string },
  depth: number,
  origin: Span | null,
): void {
  const at = origin ?? { start: payload.start, end: payload.end };
  const folded = fold(payload.decoded, false, emptyHints());
  walk.views.push(new TextView(folded.text, encoding, depth + 1, folded.map, at, src.length));
  addDecodedViews(walk, payload.decoded, depth + 1, at);
}

/**
 * Every reading of `text` the detectors should match: the folded text (NFKC/NFKD compatibility forms and
 * look-alikes to ASCII, invisible characters and combining marks removed, lower case), a ROT13 reading when the
 * text announces one, and readable payloads decoded from base64/hex/percent/escape runs, recursively.
 * Never throws: lone surrogates become U+FFFD.
 */
export function normalise(text: string, options: NormaliseOptions = {}): Normalised {
  const hints = emptyHints();
  const folded = fold(text, options.jsonEscapes ?? false, hints);
  const root = new TextView(folded.text, 'text', 0, folded.map, null, text.length);
  const views: TextView[] = [root];
  const t = folded.text;
  // `13` first: text without digits is passed over at memchr speed, where `rot` stops at every `r`.
  if (((t.includes('13') && t.includes('rot')) || t.includes('caesar')) && ROT13_ANNOUNCED.test(t)) {
    views.push(new TextView(rot13(folded.text), 'rot13', 0, folded.map, null, text.length));
  }
  const backwards = reversedView(text, t);
  if (backwards !== null) views.push(backwards);
  // A right-to-left override shows its text in the opposite order to the one stored: read it both ways.
  if (hints.invisible > 0 && text.includes('\u202E')) views.push(...overriddenRuns(text));
  const fragments = fragmentsView(text, t, folded.map);
  if (fragments !== null) views.push(fragments);
  const walk: Walk = {
    views,
    budget: { chars: options.maxDecodedChars ?? 65_536, count: options.maxPayloads ?? 16 },
    maxDepth: options.maxDepth ?? 2,
  };
  addDecodedViews(walk, text, 0, null, options.tokenRuns);
  // Only a text with enough invisible characters can carry bytes in variation selectors (folding counted them).
  if (hints.invisible >= MIN_SELECTOR_RUN) {
    for (const payload of variationSelectorPayloads(text, walk.budget))
      addDecodedView(walk, text, 'variation selectors', payload, 0, null);
    // Bits written with invisible operators: sixteen of them at least, some of them the operator for 1.
    if (hints.invisible >= 16 && text.includes('\u2064'))
      addHiddenViews(walk, text, 'invisible bits', bitPayloads);
  }
  if (hints.braille >= MIN_BRAILLE_CELLS) addHiddenViews(walk, text, 'braille', braillePayloads);
  return { views, hints, intentSignals: undefined };
}

/** A braille sentence worth reading has a few words; a stray cell or two is decoration. */
const MIN_BRAILLE_CELLS = 8;

/** Readings of text written in a hidden script (hidden-scripts.ts), within the payload budget. */
function addHiddenViews(
  walk: Walk,
  text: string,
  encoding: ViewEncoding,
  find: (text: string, maxChars: number) => HiddenPayload[],
): void {
  if (walk.budget.count <= 0 || walk.budget.chars <= 0) return;
  for (const payload of find(text, walk.budget.chars)) {
    if (walk.budget.count <= 0) break;
    addDecodedView(walk, text, encoding, payload, 0, null);
    walk.budget.chars -= payload.decoded.length;
    walk.budget.count -= 1;
  }
}

/**
 * `normalise` for a scan segment, computed once per segment object and shared by every detector that scans it.
 * Tool-call arguments and tool definitions are JSON text, so their escapes are undone too.
 */
export function normaliseSegment(segment: ScanSegment): Normalised {
  const state = segmentState(segment);
  if (state.normalised !== undefined) return state.normalised;
  const jsonEscapes = segment.kind === 'tool_call_arguments' || segment.kind === 'tool_definition';
  const result = normalise(segment.text, { jsonEscapes, tokenRuns: tokenRunsOf(segment) });
  state.normalised = result;
  return result;
}
