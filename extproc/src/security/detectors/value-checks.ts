// Small, allocation-light tests on candidate secret values: randomness, character mix, documentation dummies, and
// the checksums some issuers embed in their tokens. Shared by the secrets and exfiltration detectors.

const counts = new Uint32Array(128);

/** Shannon entropy in bits per character; non-ASCII characters all count as one symbol (rare in tokens). */
export function shannonEntropy(text: string, start = 0, end = text.length): number {
  const length = end - start;
  if (length <= 0) return 0;
  counts.fill(0);
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const slot = c < 128 ? c : 127;
    counts[slot] = (counts[slot] as number) + 1;
  }
  let bits = 0;
  for (let c = 0; c < 128; c++) {
    const n = counts[c] as number;
    if (n > 0) {
      const p = n / length;
      bits -= p * Math.log2(p);
    }
  }
  return bits;
}

export const LOWER = 1;
export const UPPER = 2;
export const DIGIT = 4;
/** Anything but letters, digits and the separators tokens are built from (`_ - .`). */
export const SYMBOL = 8;

export function charClasses(text: string): number {
  let mask = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 97 && c <= 122) mask |= LOWER;
    else if (c >= 65 && c <= 90) mask |= UPPER;
    else if (c >= 48 && c <= 57) mask |= DIGIT;
    else if (c !== 95 && c !== 45 && c !== 46) mask |= SYMBOL;
  }
  return mask;
}

/** Words that documentation, templates and tutorials put where a real value would go. */
const DUMMY_MARKERS =
  /example|dummy|placeholder|changeme|change_me|redacted|replace|insert|your[_-]|notreal|not_real|fake|sample|\*{3}|x{4}|\.{3}|<[^>]*>|\$\{|\{\{|\$\(|%\(|%s\b/i;
/** A whole value that is a bare word standing in for a secret (after any `my`/`your`/`the` prefix). */
const DUMMY_WORDS = new Set([
  'password',
  'passwd',
  'passw0rd',
  'pwd',
  'secret',
  'secretkey',
  'token',
  'apikey',
  'key',
  'value',
  'string',
  'test',
  'testing',
  'admin',
  'root',
  'user',
  'username',
  'guest',
  'demo',
  'default',
  'qwerty',
  'letmein',
  'none',
  'null',
  'nil',
  'empty',
  'undefined',
  'true',
  'false',
  'hidden',
  'private',
  'foo',
  'bar',
  'foobar',
  'abc',
  'abc123',
  '123',
  '1234',
  '12345',
  '123456',
  '12345678',
  '123456789',
  'password1',
  'password123',
]);
const DUMMY_PREFIX = /^(?:my|your|the|a|some|new|default|dummy|test)(?=[a-z0-9])/;

/**
 * Domains reserved for documentation and testing (RFC 2606, RFC 6761): `example.com`, `example.org`, `example.net`,
 * `*.example`, `*.test`, `*.invalid`. Nobody has a mailbox or a server there.
 */
const DOCUMENTATION_DOMAIN = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid)$/;

/** Whether `domain` (a host name, any case) is reserved for documentation and tests. */
export function isDocumentationDomain(domain: string): boolean {
  return DOCUMENTATION_DOMAIN.test(domain.toLowerCase());
}

/** True for values that only stand in for a secret: template variables, doc words, repeated characters. */
export function isDummyValue(value: string): boolean {
  if (value.length === 0) return true;
  if (DUMMY_MARKERS.test(value)) return true;
  const first = value.charCodeAt(0);
  // $VAR, %VAR%, {var}, <var>, [var], (expr): a reference to the secret, not the secret.
  if (first === 36 || first === 37 || first === 123 || first === 60 || first === 91 || first === 40)
    return true;
  let distinct = 0;
  const seen = new Set<number>();
  for (let i = 0; i < value.length && distinct <= 3; i++) {
    const c = value.charCodeAt(i);
    if (!seen.has(c)) {
      seen.add(c);
      distinct++;
    }
  }
  if (distinct <= 2 || (distinct <= 3 && value.length >= 6)) return true;
  const core = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  return DUMMY_WORDS.has(core) || DUMMY_WORDS.has(core.replace(DUMMY_PREFIX, ''));
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 (IEEE) of an ASCII string, unsigned. */
export function crc32(text: string): number {
  let crc = -1;
  for (let i = 0; i < text.length; i++) {
    crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ -1) >>> 0;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `value` in base 62, left-padded with `0` to `width` digits. */
export function base62(value: number, width: number): string {
  let out = '';
  let n = value;
  while (n > 0) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out.padStart(width, '0');
}

/** Decodes the first `maxChars` characters of base64 or base64url text (Node accepts both alphabets). */
export function decodeBase64Prefix(text: string, maxChars: number): string {
  const usable = Math.min(text.length, maxChars) & ~3;
  return Buffer.from(text.slice(0, usable), 'base64').toString('latin1');
}

/** The base64url text decodes to a JSON object: the shape of JWT headers and JSON-wrapped tokens. */
export function isBase64Json(text: string): boolean {
  return decodeBase64Prefix(text, 16).startsWith('{"');
}
