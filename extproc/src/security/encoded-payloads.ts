// Finds text hidden inside base64, base32, hex, binary (octets written without separators), percent-encoding and
// escape sequences so the detectors can read it too.
// Only payloads that decode to readable text are kept: hashes, keys, images and compressed blobs decode to bytes,
// fail the readability test and cost one bounded probe each. Every regex here is anchored by a look-behind so a
// long run is tried once, not once per character.

import { MIN_TOKEN_RUN, TOKEN_CHAR } from './token-runs.js';

export type PayloadEncoding = 'base64' | 'base32' | 'hex' | 'binary' | 'percent' | 'escapes' | 'morse';

export interface EncodedPayload {
  encoding: PayloadEncoding;
  /** Span of the encoded run in the text that was searched. */
  start: number;
  end: number;
  decoded: string;
}

export interface PayloadBudget {
  /** Decoded characters still allowed; decoding stops when it runs out. */
  chars: number;
  /** Payloads still allowed. */
  count: number;
}

/** Shortest base64 or hex run worth decoding (15 bytes of base64, 10 bytes of hex). */
const MIN_RUN = 20;
/** 1 = base64 alphabet (standard and URL-safe), 2 = also a hex digit. */
const RUN_CLASS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-')
  RUN_CLASS[c.charCodeAt(0)] = 1;
for (const c of '0123456789abcdefABCDEF') RUN_CLASS[c.charCodeAt(0)] = 2;
// Searching only inside long token runs finds every base64/hex run while such runs are no shorter than token runs
// and made of token characters only.
if (MIN_RUN < MIN_TOKEN_RUN || RUN_CLASS.some((kind, c) => kind !== 0 && TOKEN_CHAR[c] === 0))
  throw new Error('base64/hex runs must lie inside the token runs searched for them');
/** A percent-encoded run: URL characters around at least three encoded bytes, tried where its stretch starts. */
const PERCENT_RUN = /(?<![\w%.~+-])[\w.~+-]*(?:%[0-9A-Fa-f]{2}[\w.~+-]*){3,}/y;
const PERCENT_BYTE = /%[0-9A-Fa-f]{2}/g;
/** The characters a percent run holds besides its encoded bytes: [\w.~+-]. */
const URL_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~+-')
  URL_CHAR[c.charCodeAt(0)] = 1;
const ESCAPE_RUN =
  /(?:\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|&#[xX][0-9A-Fa-f]{1,6};?|&#[0-9]{1,7};?|\\[0-7]{3}){4,}/g;
const ESCAPE_ONE =
  /\\x([0-9A-Fa-f]{2})|\\u([0-9A-Fa-f]{4})|&#[xX]([0-9A-Fa-f]{1,6});?|&#([0-9]{1,7});?|\\([0-7]{3})/g;

// Letters separated by one space, words by two or more spaces or a slash.
const MORSE_RUN = /(?<![.\-\w])[.-]{1,7}(?:(?: {1,3}| ?\/ ?)[.-]{1,7}){7,}(?![.\-\w])/g;

const UTF8 = new TextDecoder('utf-8');
/** Probe size for base64: enough to tell text from bytes before decoding a large run. */
const PROBE_CHARS = 64;

/**
 * Readable text: almost no control or replacement characters, and letters in at least a fifth of it (shell
 * commands are punctuation-heavy; random bytes decode to control characters and invalid UTF-8).
 */
export function isReadable(s: string): boolean {
  if (s.length < 4) return false;
  let bad = 0;
  let letters = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f || c === 0xfffd) bad++;
    else if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c >= 0xc0) letters++;
  }
  return bad * 20 <= s.length && letters * 5 >= s.length && letters >= 4;
}

function hasMixedCase(s: string): boolean {
  let upper = false;
  let lower = false;
  for (let i = 0; i < s.length && !(upper && lower); i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) upper = true;
    else if (c >= 97 && c <= 122) lower = true;
  }
  return upper && lower;
}

function decodeBase64(run: string, maxChars: number): string | null {
  const body = run.replace(/=+$/, '');
  if (body.length % 4 === 1 || !hasMixedCase(body)) return null;
  const probeLen = Math.min(body.length, PROBE_CHARS) & ~3;
  if (probeLen < body.length && !isReadable(UTF8.decode(Buffer.from(body.slice(0, probeLen), 'base64')))) {
    return null;
  }
  // 4 base64 characters carry 3 bytes; cap the input so a huge run never decodes past the budget.
  const maxInput = Math.ceil((maxChars * 4) / 3 / 4) * 4;
  const text = UTF8.decode(Buffer.from(body.length > maxInput ? body.slice(0, maxInput) : body, 'base64'));
  return isReadable(text) ? text : null;
}

/** 0–31 for a base32 digit (RFC 4648, either case), -1 otherwise. */
const BASE32_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) {
  const digit = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.charCodeAt(i);
  BASE32_VALUE[digit] = i;
  if (i < 26) BASE32_VALUE[digit + 32] = i;
}

/**
 * Base32 (RFC 4648): a run in one case only, of A–Z and 2–7, padded with up to six `=`. Base64 of text mixes cases,
 * so a single-case run that is not base64 is tried as base32.
 */
function decodeBase32(run: string, maxChars: number): string | null {
  const body = run.replace(/=+$/, '');
  if (hasMixedCase(body)) return null;
  const length = Math.min(body.length, Math.ceil((maxChars * 8) / 5));
  const bytes = new Uint8Array((length * 5) >> 3);
  let bits = 0;
  let value = 0;
  let n = 0;
  for (let i = 0; i < length; i++) {
    const c = body.charCodeAt(i);
    const digit = c < 128 ? (BASE32_VALUE[c] as number) : -1;
    if (digit < 0) return null;
    value = ((value << 5) | digit) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[n++] = (value >> bits) & 0xff;
    }
  }
  const text = UTF8.decode(bytes.subarray(0, n));
  return isReadable(text) ? text : null;
}

function decodeHex(run: string, maxChars: number): string | null {
  if (run.length % 2 === 1) return null;
  const bytes = Buffer.from(run.slice(0, Math.min(run.length, maxChars * 2)), 'hex');
  const text = UTF8.decode(bytes);
  return isReadable(text) ? text : null;
}

function decodeBinary(run: string, maxChars: number): string | null {
  const bytes = new Uint8Array(Math.min(run.length >> 3, maxChars));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(run.slice(i * 8, i * 8 + 8), 2);
  const text = UTF8.decode(bytes);
  return isReadable(text) ? text : null;
}

/** 0–15 for a hex digit's char code, -1 otherwise (NaN for out-of-range reads included). */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

function decodePercent(run: string, maxChars: number): string | null {
  const limited = run.length > maxChars * 3 ? run.slice(0, maxChars * 3) : run;
  const bytes: number[] = [];
  for (let i = 0; i < limited.length; i++) {
    const c = limited.charCodeAt(i);
    if (c === 37 /* % */) {
      const hi = hexValue(limited.charCodeAt(i + 1));
      const lo = hexValue(limited.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes.push(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    // The run only holds ASCII word characters and `.~+-%`, so every other unit is one byte.
    bytes.push(c === 43 /* + */ ? 32 : c & 0x7f);
  }
  const text = UTF8.decode(Uint8Array.from(bytes));
  return isReadable(text) ? text : null;
}

function decodeEscapes(run: string, maxChars: number): string | null {
  let out = '';
  let pendingBytes: number[] = [];
  const flush = () => {
    if (pendingBytes.length > 0) out += UTF8.decode(Uint8Array.from(pendingBytes));
    pendingBytes = [];
  };
  ESCAPE_ONE.lastIndex = 0;
  for (let m = ESCAPE_ONE.exec(run); m !== null && out.length < maxChars; m = ESCAPE_ONE.exec(run)) {
    const [, hexByte, unit, entityHex, entityDec, octal] = m;
    if (hexByte !== undefined || octal !== undefined) {
      pendingBytes.push(
        hexByte !== undefined ? Number.parseInt(hexByte, 16) : Number.parseInt(octal ?? '0', 8) & 0xff,
      );
      continue;
    }
    flush();
    const cp =
      unit !== undefined
        ? Number.parseInt(unit, 16)
        : entityHex !== undefined
          ? Number.parseInt(entityHex, 16)
          : Number.parseInt(entityDec ?? '0', 10);
    // Lone surrogates and out-of-range values are kept as U+FFFD rather than thrown on.
    out += cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
  }
  flush();
  return isReadable(out) ? out : null;
}

const MORSE: Readonly<Record<string, string>> = {
  '.-': 'a',
  '-...': 'b',
  '-.-.': 'c',
  '-..': 'd',
  '.': 'e',
  '..-.': 'f',
  '--.': 'g',
  '....': 'h',
  '..': 'i',
  '.---': 'j',
  '-.-': 'k',
  '.-..': 'l',
  '--': 'm',
  '-.': 'n',
  '---': 'o',
  '.--.': 'p',
  '--.-': 'q',
  '.-.': 'r',
  '...': 's',
  '-': 't',
  '..-': 'u',
  '...-': 'v',
  '.--': 'w',
  '-..-': 'x',
  '-.--': 'y',
  '--..': 'z',
  '-----': '0',
  '.----': '1',
  '..---': '2',
  '...--': '3',
  '....-': '4',
  '.....': '5',
  '-....': '6',
  '--...': '7',
  '---..': '8',
  '----.': '9',
  '.-.-.-': '.',
  '--..--': ',',
  '..--..': '?',
  '.----.': "'",
  '-.-.--': '!',
  '-..-.': '/',
  '---...': ':',
  '-.-.-.': ';',
  '-...-': '=',
  '.-.-.': '+',
  '-....-': '-',
  '.-..-.': '"',
};

function decodeMorse(run: string, maxChars: number): string | null {
  let out = '';
  for (const word of run.split(/ {2,}| ?\/ ?/)) {
    if (out.length >= maxChars) break;
    if (out.length > 0) out += ' ';
    for (const code of word.split(' ')) {
      if (code !== '') out += MORSE[code] ?? '?';
    }
  }
  return isReadable(out) ? out : null;
}

/**
 * The next match of PERCENT_RUN as a global regex would find it from `from`, without trying the regex at every
 * position (it starts with `[\w.~+-]*`, so it was entered at every word: 4 ms per MB of documentation). A run's
 * first encoded byte is the first `%XX` at or after its start, and the run starts where the URL characters before
 * that byte start; so the regex need only be tried, sticky, there, for each `%XX` in turn.
 */
export function nextPercentRun(text: string, from: number): RegExpExecArray | null {
  PERCENT_BYTE.lastIndex = from;
  for (let byte = PERCENT_BYTE.exec(text); byte !== null; byte = PERCENT_BYTE.exec(text)) {
    let start = byte.index;
    // Not before `from`: the global regex would not look there (nor match at `from` after a URL character).
    while (start > from) {
      const c = text.charCodeAt(start - 1);
      if (c >= 128 || URL_CHAR[c] === 0) break;
      start--;
    }
    PERCENT_RUN.lastIndex = start;
    const run = PERCENT_RUN.exec(text);
    if (run !== null) return run;
  }
  return null;
}

interface Family {
  encoding: PayloadEncoding;
  /** The next candidate run at or after `from` (its `index` and `[0]`), or null. */
  next(text: string, from: number): RegExpExecArray | null;
  minLength: number;
  decode(run: string, maxChars: number): string | null;
}

/** The next match of a global regex from `from`. */
const searchWith =
  (re: RegExp) =>
  (text: string, from: number): RegExpExecArray | null => {
    re.lastIndex = from;
    return re.exec(text);
  };

const FAMILIES: readonly Family[] = [
  { encoding: 'percent', next: nextPercentRun, minLength: 9, decode: decodePercent },
  { encoding: 'escapes', next: searchWith(ESCAPE_RUN), minLength: 12, decode: decodeEscapes },
  { encoding: 'morse', next: searchWith(MORSE_RUN), minLength: 16, decode: decodeMorse },
];

/** Cheap tests that rule a family out without running its regex over the whole text. */
function mayContain(text: string, family: Family): boolean {
  switch (family.encoding) {
    case 'percent':
      // A `%` alone is everywhere in code (modulo, `%s`); an encoded byte is a `%` and two hex digits.
      return text.includes('%');
    case 'escapes':
      return text.includes('\\x') || text.includes('\\u') || text.includes('&#') || text.includes('\\0');
    case 'morse':
      return text.includes('.-') || text.includes('-.');
    default:
      return true;
  }
}

const inRun = (text: string, i: number): number => {
  const c = text.charCodeAt(i);
  return c < 128 ? (RUN_CLASS[c] as number) : 0;
};

/**
 * Base64 and hex runs of at least MIN_RUN characters inside [from, to), found by a skip-scan: a window of MIN_RUN
 * characters is tested from its last character backwards, and the first character outside the alphabet moves the
 * window past itself, so prose is crossed a word at a time with a few character tests per word. A window that is all
 * alphabet is widened to its whole run (windows start right after a character outside the alphabet, or at `from`,
 * which must itself start the text or follow such a character; the character at `to`, if any, must be one).
 */
function scanRuns(
  text: string,
  from: number,
  to: number,
  budget: PayloadBudget,
  found: EncodedPayload[],
): void {
  let j = from;
  while (j + MIN_RUN <= to && budget.count > 0 && budget.chars > 0) {
    let k = j + MIN_RUN - 1;
    while (k >= j && inRun(text, k) !== 0) k--;
    if (k >= j) {
      j = k + 1;
      continue;
    }
    const start = j;
    let end = j + MIN_RUN;
    while (end < to && inRun(text, end) !== 0) end++;
    let hexOnly = true;
    for (let i = start; hexOnly && i < end; i++) if (inRun(text, i) !== 2) hexOnly = false;
    let padded = end;
    // Base64 pads with up to two `=`, base32 with up to six.
    while (padded < text.length && padded - end < 6 && text.charCodeAt(padded) === 61 /* = */) padded++;
    const padded64 = Math.min(padded, end + 2);
    const run = text.slice(start, padded64);
    // A hex run of 0s and 1s only, whole octets: bytes written in binary (hex of text is never all 0/1 digits).
    const binary = hexOnly && (end - start) % 8 === 0 && /^[01]+$/.test(run);
    let encoding: PayloadEncoding = binary ? 'binary' : hexOnly ? 'hex' : 'base64';
    let decoded = binary
      ? decodeBinary(run, budget.chars)
      : hexOnly
        ? decodeHex(run, budget.chars)
        : decodeBase64(run, budget.chars);
    if (decoded === null && !hexOnly) {
      decoded = decodeBase32(text.slice(start, padded), budget.chars);
      if (decoded !== null) encoding = 'base32';
    }
    if (encoding !== 'base32') padded = padded64;
    if (decoded !== null) {
      found.push({ encoding, start, end: padded, decoded });
      budget.chars -= decoded.length;
      budget.count -= 1;
    }
    j = end + 1;
  }
}

/**
 * Encoded runs in `text` that decode to readable text: base64/hex first, then percent, escapes and Morse. Consumes
 * `budget`; returns early once it is spent, so the work per request stays bounded whatever the input. `tokenRuns`,
 * when given, are the text's long runs of token characters (token-runs.ts): every base64 or hex run of MIN_RUN
 * characters lies inside one, so only they are searched.
 */
export function findEncodedPayloads(
  text: string,
  budget: PayloadBudget,
  tokenRuns?: readonly number[],
): EncodedPayload[] {
  const found: EncodedPayload[] = [];
  if (text.length < 9) return found;
  if (tokenRuns === undefined) scanRuns(text, 0, text.length, budget, found);
  else {
    for (let r = 0; r < tokenRuns.length; r += 2)
      scanRuns(text, tokenRuns[r] as number, tokenRuns[r + 1] as number, budget, found);
  }
  for (const family of FAMILIES) {
    if (budget.count <= 0 || budget.chars <= 0) break;
    if (text.length < family.minLength || !mayContain(text, family)) continue;
    for (let m = family.next(text, 0); m !== null; m = family.next(text, m.index + m[0].length)) {
      if (m[0].length < family.minLength) continue;
      const decoded = family.decode(m[0], budget.chars);
      if (decoded === null || decoded === m[0]) continue;
      found.push({ encoding: family.encoding, start: m.index, end: m.index + m[0].length, decoded });
      budget.chars -= decoded.length;
      budget.count -= 1;
      if (budget.count <= 0 || budget.chars <= 0) break;
    }
  }
  return found;
}
