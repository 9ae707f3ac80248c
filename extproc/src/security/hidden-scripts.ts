// Writing systems that carry ASCII text in characters a keyword filter never reads: braille cells (U+2800–U+28FF),
// bytes in variation selectors ("emoji smuggling") and "sneaky bits", a sentence written in binary with two invisible operators (U+2062 for 0, U+2064 for 1) and a
// zero-width space between words. Both are found only in texts whose folding counted the characters they need, so
// ordinary text pays nothing for them.
import { isReadable, type PayloadBudget } from './encoded-payloads.js';

export interface HiddenPayload {
  start: number;
  end: number;
  decoded: string;
}

/** Braille cells (dot 1 = bit 0 … dot 6 = bit 5, from U+2800) to the letters of English grade-1 braille. */
const BRAILLE_LETTERS = new Map<number, string>();
const BRAILLE_CELLS: readonly [string, readonly number[]][] = [
  ['a', [1]],
  ['b', [1, 2]],
  ['c', [1, 4]],
  ['d', [1, 4, 5]],
  ['e', [1, 5]],
  ['f', [1, 2, 4]],
  ['g', [1, 2, 4, 5]],
  ['h', [1, 2, 5]],
  ['i', [2, 4]],
  ['j', [2, 4, 5]],
  ['k', [1, 3]],
  ['l', [1, 2, 3]],
  ['m', [1, 3, 4]],
  ['n', [1, 3, 4, 5]],
  ['o', [1, 3, 5]],
  ['p', [1, 2, 3, 4]],
  ['q', [1, 2, 3, 4, 5]],
  ['r', [1, 2, 3, 5]],
  ['s', [2, 3, 4]],
  ['t', [2, 3, 4, 5]],
  ['u', [1, 3, 6]],
  ['v', [1, 2, 3, 6]],
  ['w', [2, 4, 5, 6]],
  ['x', [1, 3, 4, 6]],
  ['y', [1, 3, 4, 5, 6]],
  ['z', [1, 3, 5, 6]],
  [',', [2]],
  [';', [2, 3]],
  [':', [2, 5]],
  ['.', [2, 5, 6]],
  ['!', [2, 3, 5]],
  ['?', [2, 3, 6]],
  ["'", [3]],
  ['-', [3, 6]],
  ['/', [3, 4]],
  ['"', [3, 5, 6]],
];
const cell = (dots: readonly number[]): number => dots.reduce((unit, dot) => unit | (1 << (dot - 1)), 0x2800);
for (const [letter, dots] of BRAILLE_CELLS) BRAILLE_LETTERS.set(cell(dots), letter);
const CAPITAL_SIGN = cell([6]);
const NUMBER_SIGN = cell([3, 4, 5, 6]);
/** After the number sign, the cells of a–j are the digits 1–9 and 0. */
const DIGIT_OF = new Map<string, string>(
  [...'abcdefghij'].map((letter, i) => [letter, String((i + 1) % 10)]),
);

/** Runs of braille cells with the spaces between their words; eight cells at least. */
const BRAILLE_RUN = /[\u2800-\u28ff][\u2800-\u28ff \n]{6,}[\u2800-\u28ff]/g;

function decodeBraille(run: string): string {
  let out = '';
  let digits = false;
  for (let i = 0; i < run.length; i++) {
    const unit = run.charCodeAt(i);
    if (unit === CAPITAL_SIGN) continue;
    if (unit === NUMBER_SIGN) {
      digits = true;
      continue;
    }
    const letter = BRAILLE_LETTERS.get(unit);
    if (letter === undefined) {
      digits = false;
      out += unit === 0x20 || unit === 0x0a ? run.charAt(i) : unit === 0x2800 ? ' ' : '?';
      continue;
    }
    const digit = digits ? DIGIT_OF.get(letter) : undefined;
    if (digit === undefined) digits = false;
    out += digit ?? letter;
  }
  return out;
}

/**
 * The runs of global `re` in `text` that `decode` reads as text, within `maxChars` decoded characters all together.
 * `decode` gets the run and the budget left, and returns what it read and how much of the run that covers, or null.
 */
function readableRuns(
  text: string,
  re: RegExp,
  maxChars: number,
  decode: (run: string, budget: number) => { decoded: string; length: number } | null,
): HiddenPayload[] {
  const found: HiddenPayload[] = [];
  let budget = maxChars;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null && budget > 0; m = re.exec(text)) {
    const read = decode(m[0], budget);
    if (read === null || !isReadable(read.decoded)) continue;
    found.push({ start: m.index, end: m.index + read.length, decoded: read.decoded });
    budget -= read.decoded.length;
  }
  return found;
}

/** Braille runs of `text` that read as text. */
export function braillePayloads(text: string, maxChars: number): HiddenPayload[] {
  return readableRuns(text, BRAILLE_RUN, maxChars, (run, budget) => ({
    decoded: decodeBraille(run.slice(0, budget)),
    length: run.length,
  }));
}

const ZERO = 0x2062;
const ONE = 0x2064;
const WORD_BREAK = 0x200b;
/** Sixteen bits at least: two characters. */
const BITS_RUN = /[\u2062\u2064][\u2062\u2064\u200b]{15,}/g;
/** A word is at most 48 characters of 8 bits: a longer stretch without a word break is not a sentence. */
const MAX_WORD_BITS = 48 * 8;

/**
 * One word's bits as characters. Eight bits a character when every octet starts with 0 (bytes written whole);
 * otherwise each character is written without its leading zeros, so letters take seven bits and digits and
 * punctuation six: the word is split into such pieces, preferring seven, each piece a printable character.
 */
function decodeBitWord(bits: string): string | null {
  if (bits.length % 8 === 0 && /^(?:0[01]{7})+$/.test(bits)) {
    let out = '';
    for (let i = 0; i < bits.length; i += 8)
      out += String.fromCharCode(Number.parseInt(bits.slice(i, i + 8), 2));
    return out;
  }
  // reachable[i]: the first i bits split into pieces; how[i]: the length of the last piece.
  const how = new Int8Array(bits.length + 1);
  how[0] = -1;
  for (let i = 0; i < bits.length; i++) {
    if (how[i] === 0) continue;
    for (const width of [7, 6]) {
      const end = i + width;
      if (end > bits.length || how[end] !== 0) continue;
      const code = Number.parseInt(bits.slice(i, end), 2);
      if (width === 7 ? code >= 0x40 && code <= 0x7e : code >= 0x21 && code <= 0x3f) how[end] = width;
    }
  }
  if (how[bits.length] === 0) return null;
  let out = '';
  for (let end = bits.length; end > 0; end -= how[end] as number)
    out = String.fromCharCode(Number.parseInt(bits.slice(end - (how[end] as number), end), 2)) + out;
  return out;
}

/** Sentences written in invisible-operator bits, read back; runs that do not read as text are dropped. */
export function bitPayloads(text: string, maxChars: number): HiddenPayload[] {
  return readableRuns(text, BITS_RUN, maxChars, (whole, budget) => {
    // Eight bits and a break a character at most: what the budget can hold is all that is read.
    const run = whole.slice(0, budget * 9);
    const words: string[] = [];
    let bits = '';
    for (let i = 0; i <= run.length; i++) {
      const unit = i < run.length ? run.charCodeAt(i) : WORD_BREAK;
      if (unit === ZERO || unit === ONE) {
        bits += unit === ONE ? '1' : '0';
        if (bits.length > MAX_WORD_BITS) return null;
        continue;
      }
      if (bits.length > 0) {
        const word = decodeBitWord(bits);
        if (word === null) return null;
        words.push(word);
      }
      bits = '';
    }
    return { decoded: words.join(' ').slice(0, budget), length: run.length };
  });
}

/** Bytes to hide a sentence in start at eight selectors; emoji sequences use one or two. */
export const MIN_SELECTOR_RUN = 8;
/** Runs of variation selectors: U+FE00–FE0F carry bytes 0–15, U+E0100–E01EF (one surrogate pair each) 16–255. */
const SELECTOR_RUN = /(?:[\uFE00-\uFE0F]|\uDB40[\uDD00-\uDDEF]){8,}/g;

/**
 * Text hidden one byte per variation selector after a visible character ("emoji smuggling"): a run of selectors
 * renders as nothing, yet a model reading the raw text can be told how to decode it. Runs that decode to readable
 * UTF-8 become a reading of their own.
 */
export function variationSelectorPayloads(
  text: string,
  budget: PayloadBudget,
): { start: number; end: number; decoded: string }[] {
  const found: { start: number; end: number; decoded: string }[] = [];
  SELECTOR_RUN.lastIndex = 0;
  for (
    let m = SELECTOR_RUN.exec(text);
    m !== null && budget.count > 0 && budget.chars > 0;
    m = SELECTOR_RUN.exec(text)
  ) {
    const run = m[0];
    const bytes: number[] = [];
    let supplementaryOnly = true;
    for (let i = 0; i < run.length && bytes.length < budget.chars; i++) {
      const c = run.charCodeAt(i);
      if (c >= 0xfe00 && c <= 0xfe0f) {
        bytes.push(c - 0xfe00);
        supplementaryOnly = false;
      } else {
        bytes.push(run.charCodeAt(i + 1) - 0xdd00 + 16);
        i++;
      }
    }
    let decoded = Buffer.from(bytes).toString('utf8');
    // Some tools write a character as the supplementary selector at its own code (U+E0100 + code), not code − 16:
    // of the two readings, the one with more letters and spaces is the text.
    if (supplementaryOnly) {
      const unshifted = Buffer.from(bytes.map((b) => b - 16)).toString('utf8');
      if (lettersAndSpaces(unshifted) > lettersAndSpaces(decoded)) decoded = unshifted;
    }
    if (!isReadable(decoded)) continue;
    found.push({ start: m.index, end: m.index + run.length, decoded });
    budget.chars -= decoded.length;
    budget.count -= 1;
  }
  return found;
}

function lettersAndSpaces(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const lower = c | 0x20;
    if ((lower >= 97 && lower <= 122) || c === 0x20) n++;
  }
  return n;
}
