// The 64-bit SimHash runaway detection compares requests by: word unigrams and bigrams of a request's newest turn,
// with every digit run read as one `0` so counters, timestamps and ids do not make a loop's iterations look
// different. FNV-1a with two offset bases gives the two 32-bit halves of each word's hash.
//
// A bit of the digest is set when more features (unigrams and bigrams) have it set than clear, i.e. when
// 2 × (features with the bit set) exceeds the feature count. The per-bit counts are kept bit-sliced (plane p holds
// bit p of all 32 counts of a half), so a feature is added with a ripple-carry add of its 32 bits at once, about two
// steps, instead of 64 separate votes.
//
// Counts add up, so the votes of a whole segment are kept (segment-memo.ts) with its first and last word: a loop
// resends the same turn, and only the bigram joining it to the segment before has to be added again.
import { SegmentMemo } from './segment-memo.js';
import type { ScanSegment } from './types.js';

// Held as int32 (`| 0`) so the hot loop keeps them in small-integer form; the bits are the same.
const FNV_BASIS_A = 0x811c9dc5 | 0;
const FNV_BASIS_B = 0x050c5d1f;
const FNV_PRIME = 0x01000193;

/** Bit planes of the vote counters: counts up to 2^32 features, far beyond what a request can produce. */
const PLANES = 32;

function mix(a: number, b: number): number {
  return Math.imul((a ^ Math.imul(b, 0x9e3779b1)) >>> 0, 0x85ebca6b) >>> 0;
}

/** Adds one to the bit-sliced count of every bit set in `word`. */
function addWord(planes: Int32Array, word: number): void {
  let carry = word | 0;
  for (let p = 0; carry !== 0; p++) {
    const plane = planes[p] as number;
    planes[p] = plane ^ carry;
    carry = plane & carry;
  }
}

/** `into` += `from`, both bit-sliced counts. */
function addPlanes(into: Int32Array, from: Int32Array): void {
  let carry = 0;
  for (let p = 0; p < PLANES; p++) {
    const x = into[p] as number;
    const y = from[p] as number;
    into[p] = x ^ y ^ carry;
    carry = (x & y) | (carry & (x ^ y));
  }
}

/** What one text adds: the votes of its words and of the bigrams inside it, and its first and last word. */
interface TextVotes {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly features: number;
  /** The text has at least one word (else it changes nothing, not even the word before the next text). */
  readonly words: boolean;
  readonly firstA: number;
  readonly firstB: number;
  readonly lastA: number;
  readonly lastB: number;
}

/** The votes of the first `limit` characters of `text`. */
function textVotes(text: string, limit: number): TextVotes {
  const lo = new Int32Array(PLANES);
  const hi = new Int32Array(PLANES);
  const end = Math.min(text.length, limit);
  let features = 0;
  let words = false;
  let firstA = 0;
  let firstB = 0;
  let lastA = 0;
  let lastB = 0;
  let a = FNV_BASIS_A;
  let b = FNV_BASIS_B;
  let inToken = false;
  let lastWasDigit = false;
  // One more round than characters: position `end` ends the last word.
  for (let i = 0; i <= end; i++) {
    let c = i < end ? text.charCodeAt(i) : 32;
    if (c >= 48 && c <= 57) {
      if (!lastWasDigit) {
        a = Math.imul(a ^ 48, FNV_PRIME);
        b = Math.imul(b ^ 48, FNV_PRIME);
        inToken = true;
      }
      lastWasDigit = true;
      continue;
    }
    lastWasDigit = false;
    if (c >= 65 && c <= 90) c += 32;
    if ((c >= 97 && c <= 122) || c >= 128) {
      a = Math.imul(a ^ c, FNV_PRIME);
      b = Math.imul(b ^ c, FNV_PRIME);
      inToken = true;
      continue;
    }
    if (!inToken) continue;
    const wordA = a >>> 0;
    const wordB = b >>> 0;
    addWord(lo, wordA);
    addWord(hi, wordB);
    features++;
    if (words) {
      addWord(lo, mix(lastA, wordA));
      addWord(hi, mix(lastB, wordB));
      features++;
    } else {
      words = true;
      firstA = wordA;
      firstB = wordB;
    }
    lastA = wordA;
    lastB = wordB;
    a = FNV_BASIS_A;
    b = FNV_BASIS_B;
    inToken = false;
  }
  return { lo, hi, features, words, firstA, firstB, lastA, lastB };
}

/** Votes of whole segments, for turns a loop resends. */
const KEPT = new SegmentMemo<TextVotes>();
const wholeText = (segment: ScanSegment): TextVotes => textVotes(segment.text, segment.text.length);

/** Running totals of one digest; one set serves every request (hashing is synchronous). */
const totalLo = new Int32Array(PLANES);
const totalHi = new Int32Array(PLANES);

/**
 * The SimHash of the segments' text, as one stream of words (a word ends at each segment's end; bigrams join the
 * last word of a segment to the first of the next), limited to the first `maxChars` characters: [hi, lo], unsigned.
 */
export function simHash(segments: readonly ScanSegment[], maxChars: number): [number, number] {
  totalLo.fill(0);
  totalHi.fill(0);
  let features = 0;
  let hasPrev = false;
  let prevA = 0;
  let prevB = 0;
  let budget = maxChars;
  for (const segment of segments) {
    if (budget <= 0) break;
    const votes =
      segment.text.length <= budget ? KEPT.get(segment, wholeText) : textVotes(segment.text, budget);
    budget -= segment.text.length;
    if (!votes.words) continue;
    addPlanes(totalLo, votes.lo);
    addPlanes(totalHi, votes.hi);
    features += votes.features;
    if (hasPrev) {
      addWord(totalLo, mix(prevA, votes.firstA));
      addWord(totalHi, mix(prevB, votes.firstB));
      features++;
    }
    hasPrev = true;
    prevA = votes.lastA;
    prevB = votes.lastB;
  }
  return [majority(totalHi, features), majority(totalLo, features)];
}

/**
 * The 32-bit word whose bit i is set when count i (bit-sliced in `planes`) is more than half of `total`: a
 * bit-sliced comparison against the threshold, from the top plane down, all 32 counts at once.
 */
function majority(planes: Int32Array, total: number): number {
  const threshold = (total >>> 1) + 1;
  let greater = 0;
  let equal = -1;
  for (let p = PLANES - 1; p >= 0; p--) {
    const plane = planes[p] as number;
    if ((threshold >>> p) & 1) equal &= plane;
    else {
      greater |= equal & plane;
      equal &= ~plane;
    }
  }
  return (greater | equal) >>> 0;
}
