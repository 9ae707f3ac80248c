// Instructions written in a letter cipher or spelling alphabet: ROT13 and Atbash without a word saying so, the NATO
// alphabet, bytes written as spaced hex pairs or binary octets, and ASCII85/base85 or uuencoded text the message
// names. Nothing in such text looks encoded to a scanner
// of runs, and trying every decoding on every text would cost a reading per cipher. Instead the trigger pass the
// intent rules make anyway finds the cipher's own common words ("gur … naq" is "the … and" in ROT13, "gsv … zmw" in
// Atbash; six NATO words in a row; "ascii85" named): only a text holding them is decoded, and only near them.
import { isReadable } from '../encoded-payloads.js';
import { decodedReading, rot13, type TextView } from '../normalise.js';
import type { SignalRule } from './intent-signals.js';
import { rule, rx } from './pattern-kit.js';

const UTF8 = new TextDecoder('utf-8');

/** English words whose ROT13 and Atbash forms are not words of their own (checked on 1 MB of documentation). */
const COMMON_WORDS =
  'the and you your ignore previous instructions this that with print say all for now just stop';
/** Short words that confirm a cipher once a longer one was seen (too common on their own: "gl", "lu"). */
const CONFIRMING_WORDS = 'is of to any are';

const atbash = (word: string): string =>
  word.replace(/[a-z]/g, (c) => String.fromCharCode(122 - (c.charCodeAt(0) - 97)));

function cipherWordsRule(
  id: string,
  cipher: (word: string) => string,
  exclude: readonly string[],
): SignalRule {
  const triggers = COMMON_WORDS.split(' ')
    .map(cipher)
    .filter((w) => !exclude.includes(w));
  const confirming = [...triggers, ...CONFIRMING_WORDS.split(' ').map(cipher)];
  return rule({
    id,
    family: 'reading_hint',
    weight: 0,
    triggers,
    // Two of the cipher's common words within six words of each other.
    pattern: rx(
      String.raw`(?:${triggers.join('|')})\b(?=(?:[^a-z\n]+[a-z]+){0,5}?[^a-z\n]+(?:${confirming.join('|')})\b)`,
    ),
    reason: `text in ${id.replace('_words', '')}`,
  });
}

const NATO_WORDS = [
  'alfa',
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliett',
  'juliet',
  'kilo',
  'lima',
  'mike',
  'november',
  'oscar',
  'papa',
  'quebec',
  'romeo',
  'sierra',
  'tango',
  'uniform',
  'victor',
  'whiskey',
  'whisky',
  'xray',
  'x-ray',
  'yankee',
  'zulu',
];
const NATO = `(?:${NATO_WORDS.join('|')})`;
const NATO_SEPARATOR = String.raw`[\s,;/|.-]+`;

/** Rules whose matches only say where to decode; they carry no weight and are never reported themselves. */
export const READING_HINT_RULES: readonly SignalRule[] = [
  cipherWordsRule('rot13_words', rot13, []),
  // Atbash's "all" is "zoo".
  cipherWordsRule('atbash_words', atbash, ['zoo']),
  rule({
    id: 'nato_words',
    family: 'reading_hint',
    weight: 0,
    triggers: NATO_WORDS,
    pattern: rx(String.raw`${NATO}(?:${NATO_SEPARATOR}${NATO}){5}\b`),
    reason: 'text spelled in the NATO alphabet',
  }),
  rule({
    // Bytes written as hex pairs with spaces between ("49 67 6e 6f 72 65 20 …", CyberChef's default): text has a
    // space, 20, every few bytes.
    id: 'spaced_hex_bytes',
    family: 'reading_hint',
    weight: 0,
    triggers: ['20', '0x20'],
    pattern: rx(
      String.raw`(?<=(?:[0-9a-f]{2}[ ,]{1,2}){2})20(?:[ ,]{1,2}[0-9a-f]{2}){2}\b|(?<=(?:0x[0-9a-f]{2}[ ,]{1,2}){2})0x20(?:[ ,]{1,2}0x[0-9a-f]{2}){2}\b`,
    ),
    reason: 'bytes written as spaced hex',
  }),
  rule({
    id: 'spaced_binary_octets',
    family: 'reading_hint',
    weight: 0,
    triggers: ['00100000'],
    pattern: rx(String.raw`(?<=[01]{8}[ ,]{1,2})00100000[ ,]{1,2}[01]{8}\b`),
    reason: 'bytes written as spaced binary octets',
  }),
  rule({
    id: 'encoding_named',
    family: 'reading_hint',
    weight: 0,
    triggers: [
      'ascii85',
      'ascii-85',
      'base85',
      'base-85',
      'uuencode',
      'uuencoded',
      'uu-encoded',
      'uuencoding',
    ],
    pattern: rx('(?:ascii|base)-?85|uu-?encod(?:e|ed|ing)'),
    reason: 'names ASCII85 or uuencoding',
  }),
];

const HINT_IDS = new Set(READING_HINT_RULES.map((r) => r.id));
export const isReadingHint = (r: SignalRule): boolean => HINT_IDS.has(r.id);

/** Runs of spaced hex pairs (an optional 0x each) and of spaced binary octets, eight bytes at least. */
const SPACED_HEX_RUN = /(?:(?:0x)?[0-9a-f]{2}[ ,]{1,2}){7,}(?:0x)?[0-9a-f]{2}\b/gi;
const SPACED_BINARY_RUN = /(?:[01]{8}[ ,]{1,2}){7,}[01]{8}\b/g;

/** The spaced byte runs in `window` (from `offset` in the text) that decode to readable text. */
function spacedBytePayloads(
  window: string,
  offset: number,
  binary: boolean,
): { start: number; end: number; decoded: string }[] {
  const found: { start: number; end: number; decoded: string }[] = [];
  const run = binary ? SPACED_BINARY_RUN : SPACED_HEX_RUN;
  run.lastIndex = 0;
  for (let m = run.exec(window); m !== null && found.length < 2; m = run.exec(window)) {
    const bytes = m[0]
      .split(/[ ,]+/)
      .map((pair) => Number.parseInt(pair.replace(/^0x/i, ''), binary ? 2 : 16));
    const decoded = UTF8.decode(Uint8Array.from(bytes));
    if (isReadable(decoded))
      found.push({ start: offset + m.index, end: offset + m.index + m[0].length, decoded });
  }
  return found;
}

/** Text decoded around a hint: a window from the hint's line on, bounded. */
const WINDOW_BEFORE = 256;
const WINDOW_CHARS = 4096;
/** Readings made per segment, at most (one per cipher is the usual case). */
const MAX_READINGS = 4;

function windowAround(text: string, at: number): { start: number; end: number } {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  const start = Math.max(lineStart, at - WINDOW_BEFORE);
  return { start, end: Math.min(text.length, start + WINDOW_CHARS) };
}

const NATO_LETTER = new Map<string, string>(NATO_WORDS.map((w) => [w, w === 'x-ray' ? 'x' : w.charAt(0)]));
const NATO_RUN = new RegExp(String.raw`${NATO}(?:${NATO_SEPARATOR}${NATO})*\b`, 'iy');

/** The letters a run of NATO words spells, from `at`. */
function natoLetters(text: string, at: number): { end: number; letters: string } | null {
  NATO_RUN.lastIndex = at;
  const m = NATO_RUN.exec(text);
  if (m === null) return null;
  let letters = '';
  for (const word of m[0].toLowerCase().split(/[\s,;/|.]+/)) letters += NATO_LETTER.get(word) ?? '';
  return { end: at + m[0].length, letters };
}

const B85_DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';
/** Digit values by character: ASCII85 (`!` … `u`, btoa's alphabet) and base85 (RFC 1924, Python's and Git's). */
const A85_VALUE = new Int8Array(128).fill(-1);
for (let c = 33; c <= 117; c++) A85_VALUE[c] = c - 33;
const B85_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B85_DIGITS.length; i++) B85_VALUE[B85_DIGITS.charCodeAt(i)] = i;

/**
 * Groups of five base-85 digits to four bytes; a last short group padded with the highest digit, as both encoders pad
 * it. ASCII85 also writes four zero bytes as `z` and may wrap the run in `<~ ~>`. Null when a character is outside
 * the alphabet.
 */
function decodeBase85(run: string, values: Int8Array, ascii85: boolean): Uint8Array | null {
  const body = ascii85 ? run.replace(/^<~|~>$/g, '') : run;
  const out: number[] = [];
  let group = 0;
  let count = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (ascii85 && c === 122 /* z */ && count === 0) {
      out.push(0, 0, 0, 0);
      continue;
    }
    const digit = c < 128 ? (values[c] as number) : -1;
    if (digit < 0) return null;
    group = group * 85 + digit;
    if (++count === 5) {
      out.push((group >>> 24) & 0xff, (group >>> 16) & 0xff, (group >>> 8) & 0xff, group & 0xff);
      group = 0;
      count = 0;
    }
  }
  if (count > 1) {
    let padded = group;
    for (let k = count; k < 5; k++) padded = padded * 85 + 84;
    const bytes = [(padded >>> 24) & 0xff, (padded >>> 16) & 0xff, (padded >>> 8) & 0xff, padded & 0xff];
    out.push(...bytes.slice(0, count - 1));
  }
  return Uint8Array.from(out);
}

/** One uuencoded line (its first character gives its byte count) to bytes; null when it is not one. */
function decodeUuLine(line: string): number[] | null {
  const n = (line.charCodeAt(0) - 32) & 63;
  if (n === 0 || line.length < 1 + Math.ceil(n / 3) * 4) return null;
  const bytes: number[] = [];
  for (let i = 1; bytes.length < n; i += 4) {
    const v = [0, 1, 2, 3].map((k) => (line.charCodeAt(i + k) - 32) & 63);
    bytes.push(
      (((v[0] as number) << 2) | ((v[1] as number) >> 4)) & 0xff,
      (((v[1] as number) << 4) | ((v[2] as number) >> 2)) & 0xff,
      (((v[2] as number) << 6) | (v[3] as number)) & 0xff,
    );
  }
  return bytes.slice(0, n);
}

/** Runs after a named encoding that may be ASCII85/base85 (no spaces) or uuencoded lines (spaces allowed). */
const BASE85_RUN = /[!-~]{20,}/g;
const UU_LINE = /(?<=^|\n|: |\? |\. )[!-M][ -`]{3,}(?=\r?\n|$)/g;

/** What the runs after a named encoding decode to (readable ones only); `source` is the original text from the name. */
function namedPayloads(source: string, uu: boolean): string[] {
  const window = source.slice(0, WINDOW_CHARS);
  if (uu) {
    const bytes: number[] = [];
    UU_LINE.lastIndex = 0;
    for (let m = UU_LINE.exec(window); m !== null; m = UU_LINE.exec(window)) {
      const line = decodeUuLine(m[0]);
      if (line !== null) bytes.push(...line);
      else if (bytes.length > 0) break;
    }
    const decoded = UTF8.decode(Uint8Array.from(bytes));
    return isReadable(decoded) ? [decoded] : [];
  }
  const found: string[] = [];
  BASE85_RUN.lastIndex = 0;
  for (let m = BASE85_RUN.exec(window); m !== null && found.length < 2; m = BASE85_RUN.exec(window)) {
    for (const ascii85 of [true, false]) {
      const bytes = decodeBase85(m[0], ascii85 ? A85_VALUE : B85_VALUE, ascii85);
      const decoded = bytes === null ? '' : UTF8.decode(bytes);
      if (isReadable(decoded)) {
        found.push(decoded);
        break;
      }
    }
  }
  return found;
}

/**
 * Readings decoded where the hints point (`at`: where each hint's match starts in the segment's text): ROT13 or
 * Atbash from the hint's line on, the letters a NATO run spells (a letters-only text: the caller reads it as a compact
 * view), and payloads after a named ASCII85/uuencode. Each is reported at the span it was decoded from.
 */
export function cipherReadings(
  original: string,
  hints: readonly { rule: SignalRule; at: number }[],
): { view: TextView; lettersOnly: boolean }[] {
  const readings: { view: TextView; lettersOnly: boolean }[] = [];
  for (const { rule: hint, at } of hints) {
    if (readings.length >= MAX_READINGS) break;
    if (hint.id === 'rot13_words' || hint.id === 'atbash_words') {
      const span = windowAround(original, at);
      const decode = hint.id === 'rot13_words' ? rot13 : atbash;
      const decoded = decode(original.slice(span.start, span.end).toLowerCase());
      const encoding = hint.id === 'rot13_words' ? 'rot13' : 'atbash';
      readings.push({ view: decodedReading(decoded, encoding, span, original.length), lettersOnly: false });
    } else if (hint.id === 'spaced_hex_bytes' || hint.id === 'spaced_binary_octets') {
      const { start, end } = windowAround(original, at);
      const binary = hint.id === 'spaced_binary_octets';
      for (const p of spacedBytePayloads(original.slice(start, end), start, binary)) {
        const span = { start: p.start, end: p.end };
        readings.push({
          view: decodedReading(p.decoded, binary ? 'binary' : 'hex', span, original.length),
          lettersOnly: false,
        });
      }
    } else if (hint.id === 'nato_words') {
      // A spelled sentence is short: the run is read within the window, not to the end of a megabyte of it.
      const run = natoLetters(original.slice(0, at + WINDOW_CHARS * 4), at);
      if (run === null || run.letters.length < 6) continue;
      const span = { start: at, end: run.end };
      readings.push({ view: decodedReading(run.letters, 'nato', span, original.length), lettersOnly: true });
    } else {
      const uu = /^uu/i.test(original.slice(at, at + 2));
      const span = { start: at, end: Math.min(original.length, at + WINDOW_CHARS) };
      for (const decoded of namedPayloads(original.slice(at), uu)) {
        const encoding = uu ? 'uuencode' : 'ascii85';
        readings.push({ view: decodedReading(decoded, encoding, span, original.length), lettersOnly: false });
      }
    }
  }
  return readings;
}
