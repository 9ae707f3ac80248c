// Credentials recognised by where they stand rather than by their shape: the password in a URL's userinfo (database
// and broker URLs named as such), chat webhook URLs, and high-entropy values assigned to secret-named fields
// (`password=`, `"client_secret":`, `TOKEN ?= …`, `setProperty("API_TOKEN", "…")`, `<apiKey>…</apiKey>`,
// `Authorization: Bearer …`). Anchored on `://`, `=`, `:`, `("` and `</` found with indexOf;
// every scan from an anchor is bounded, so a text made of anchors still costs one pass.
import { codeUnitsOf } from '../code-units.js';
import { ALNUM, type Hit, type Hits } from './secret-hits.js';
import {
  charClasses,
  DIGIT,
  isDocumentationDomain,
  isDummyValue,
  LOWER,
  SYMBOL,
  shannonEntropy,
  UPPER,
} from './value-checks.js';

// ---- credentials in URLs --------------------------------------------------------------------------------------------

const DATABASE_SCHEMES = new Set([
  'postgres',
  'postgresql',
  'mysql',
  'mariadb',
  'mongodb',
  'mongodb+srv',
  'redis',
  'rediss',
  'amqp',
  'amqps',
  'mssql',
  'sqlserver',
  'oracle',
  'cockroachdb',
  'clickhouse',
  'couchdb',
  'neo4j',
  'neo4j+s',
  'cassandra',
  'memcached',
  'nats',
  'kafka',
]);
const LOCAL_HOSTS = /^(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|host\.docker\.internal)(?:[:/]|$)/;
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;
/** Characters that end the userinfo part of a URL as written in text, code or markdown. */
const USERINFO_STOP = new Set([...' \t\r\n/?#"\'`<>()[]{},;\\'].map((ch) => ch.charCodeAt(0)));
const WEBHOOKS =
  /(?:hooks\.slack\.com\/(?:services|workflows|triggers)\/(?:[A-Za-z0-9_]{6,24}\/[A-Za-z0-9_]{6,24}\/[A-Za-z0-9_]{6,64}|[A-Za-z0-9+/_]{43,120})|(?:discord|discordapp)\.com\/api\/webhooks\/\d{8,24}\/[A-Za-z0-9_-]{40,100}|(?:[a-z0-9-]+\.)?webhook\.office\.com\/webhookb2\/[A-Za-z0-9@/_-]{60,300})/y;

export function scanUrlCredentials(text: string, hits: Hits): void {
  for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 3)) {
    let schemeStart = at;
    while (schemeStart > 0 && at - schemeStart < 32 && SCHEME_CHAR.test(text.charAt(schemeStart - 1)))
      schemeStart--;
    if (schemeStart === at) continue;
    const scheme = text.slice(schemeStart, at).toLowerCase();
    const authority = at + 3;

    WEBHOOKS.lastIndex = authority;
    if (WEBHOOKS.test(text) && !hits.overlaps(schemeStart, WEBHOOKS.lastIndex)) {
      hits.add({
        start: schemeStart,
        end: WEBHOOKS.lastIndex,
        rule: 'webhook_url',
        severity: 'high',
        confidence: 0.9,
        reason: 'chat webhook URL (anyone holding it can post) in request',
      });
      continue;
    }

    let colon = -1;
    let lastAt = -1;
    for (let i = authority; i < text.length && i - authority < 256; i++) {
      const c = text.charCodeAt(i);
      if (USERINFO_STOP.has(c) || c > 0x7e) break;
      if (c === 64) lastAt = i;
      else if (c === 58 && colon === -1) colon = i;
    }
    if (lastAt === -1 || colon === -1 || colon > lastAt) continue;
    const user = text.slice(authority, colon);
    const password = text.slice(colon + 1, lastAt);
    const host = text.slice(lastAt + 1, lastAt + 40);
    if (password.length < 4 || password === user || isDummyValue(password)) continue;
    if (!/^[A-Za-z0-9[]/.test(host)) continue;
    if (LOCAL_HOSTS.test(host) && password.length < 8) continue;
    if (hits.overlaps(colon + 1, lastAt)) continue;
    const database = DATABASE_SCHEMES.has(scheme);
    // A password for a host reserved for documentation (`user:pass@example.com` in a URL parser's tests or a
    // tutorial) opens nothing: still reported, but low, which the default policy flags rather than masks.
    const documentation = isDocumentationDomain(/^[^:/?#\s"'\x60)\]]*/.exec(host)?.[0] ?? '');
    hits.add({
      start: colon + 1,
      end: lastAt,
      rule: database ? 'database_url' : 'url_credentials',
      severity: documentation ? 'low' : 'high',
      confidence: documentation ? 0.5 : database ? 0.9 : 0.85,
      reason: `password in a ${scheme}${database ? ' connection' : ''} URL${documentation ? ' to a documentation host' : ''}`,
    });
  }
}

// ---- secret-sounding assignments ------------------------------------------------------------------------------------

/** Names whose value is the secret itself: the name ends in the secret's noun. */
const SECRET_NAME =
  /(?:passw(?:or)?d|pwd|passphrase|(?:^|[_.-])pass|secret|token|api[_.-]?key|access[_.-]?key|secret[_.-]?key|private[_.-]?key|signing[_.-]?key|encryption[_.-]?key|master[_.-]?key|auth[_.-]?key|account[_.-]?key|credentials?|authorization)$/;
/** Secret-sounding names that hold no secret: pagination cursors, counters, lookups. */
const NOT_SECRET_NAME =
  /(?:page|next|continuation|cursor|sync|pagination|idempotency|max|num|count)[_.-]?tokens?$/;
const AWS_SECRET_NAME = /aws.*secret|secret[_.-]?access[_.-]?key/;
const AZURE_KEY_NAME = /(?:account|shared[_.-]?access)[_.-]?key$/;
const BASE64_40 = /^[A-Za-z0-9/+]{40}$/;
const BASE64_KEY = /^[A-Za-z0-9/+]{40,100}={0,2}$/;
const CODE_REFERENCE =
  /^(?:process\.env|os\.environ|os\.getenv|env\.|ENV\[|secrets\.|vars\.|self\.|this\.)|^[A-Za-z_][\w.]*\(/;

/** Last three letters of every SECRET_NAME ending, as lower-case char codes: a cheap test before slicing the name. */
const NAME_TAILS = new Set(
  ['ord', 'swd', 'pwd', 'ase', 'ass', 'ret', 'ken', 'key', 'ial', 'als', 'ion'].map((t) =>
    tailCode(
      Uint16Array.from(t, (c) => c.charCodeAt(0)),
      3,
    ),
  ),
);
/**
 * A bit per hash of each NAME_TAILS code: one multiply and one load rule out almost every other name before the Set
 * is asked (JSON text has a colon every few words, and almost none of them follows a secret-sounding name).
 */
const tailBucket = (code: number): number => Math.imul(code, 0x9e3779b1) >>> 20;
const MAYBE_TAIL = new Uint8Array(1 << 12);
for (const code of NAME_TAILS) MAYBE_TAIL[tailBucket(code)] = 1;
const NAME_CHAR = new Uint8Array(65536);
NAME_CHAR.set(ALNUM);
for (const ch of '_.-') NAME_CHAR[ch.charCodeAt(0)] = 1;
const MAX_VALUE = 256;
/** An HTTP auth scheme word: the credential is the word after it. */
const AUTH_SCHEME = /(?:bearer|basic|token|bot) /iy;

/** The three characters before `end`, letters folded to lower case (`| 32` maps only A-Z onto a-z). */
function tailCode(units: Uint16Array, end: number): number {
  return (
    (((units[end - 3] as number) | 32) << 16) |
    (((units[end - 2] as number) | 32) << 8) |
    ((units[end - 1] as number) | 32)
  );
}

/** End of the name assigned at `op`: skips spaces and a closing quote (JSON-escaped or not). */
function nameEndBefore(units: Uint16Array, op: number): number {
  let q = op - 1;
  while (q >= 0 && op - q <= 4 && (units[q] === 32 || units[q] === 9)) q--;
  const quote = units[q];
  if (quote === 34 || quote === 39) {
    q--;
    if (units[q] === 92) q--;
  }
  return q + 1;
}

function nameStartBefore(text: string, end: number): number {
  let start = end;
  while (start > 0 && end - start < 64 && NAME_CHAR[text.charCodeAt(start - 1)] === 1) start--;
  return start;
}

function bareValueEnd(text: string, start: number): number {
  let end = start;
  while (end < text.length && end - start <= MAX_VALUE) {
    const c = text.charCodeAt(end);
    if (
      c <= 32 ||
      c === 34 ||
      c === 39 ||
      c === 96 ||
      c === 44 ||
      c === 59 ||
      c === 41 ||
      c === 125 ||
      c === 93
    )
      break;
    end++;
  }
  return end;
}

/** The value assigned after `valueFrom`, quoted or bare, or null when there is none on this line. */
function valueAfter(text: string, valueFrom: number): { start: number; end: number } | null {
  let p = valueFrom;
  while (p < text.length && p - valueFrom < 4 && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
  let escaped = false;
  if (text.charCodeAt(p) === 92 && (text.charCodeAt(p + 1) === 34 || text.charCodeAt(p + 1) === 39)) {
    escaped = true;
    p++;
  }
  const quote = text.charCodeAt(p);
  let start: number;
  let end: number;
  if (quote === 34 || quote === 39 || quote === 96) {
    start = p + 1;
    end = start;
    while (end < text.length && end - start <= MAX_VALUE) {
      const c = text.charCodeAt(end);
      if (c === 10 || c === 13) return null;
      if (c === quote && (!escaped || text.charCodeAt(end - 1) === 92)) break;
      end++;
    }
    if (escaped) end--;
  } else {
    start = p;
    end = bareValueEnd(text, start);
  }
  // `Authorization: Bearer <credential>`: the scheme word is not the secret, the next word is.
  AUTH_SCHEME.lastIndex = start;
  if (AUTH_SCHEME.test(text) && AUTH_SCHEME.lastIndex <= end + 1) {
    start = AUTH_SCHEME.lastIndex;
    if (quote !== 34 && quote !== 39 && quote !== 96) end = bareValueEnd(text, start);
  }
  return end > start && end - start <= MAX_VALUE ? { start, end } : null;
}

/** Hex digits only, one case. */
const HEX_VALUE = /^(?:[0-9a-f]+|[0-9A-F]+)$/;
/** Names of machine credentials rather than of passwords. */
const TOKEN_LIKE_NAME =
  /(?:token|secret|api_?key|apikey|access_?key|client_?secret|auth_?key|private_?key)(?!.*pass)/;

/**
 * Words of prose: a UI string or a description under a token-named key (`token: "Manage org auth tokens"`,
 * `"expired_token": "Authentication timed out. Please try again."`). Words of letters (short acronyms too), one space
 * and at most a punctuation mark between them.
 */
const PROSE = /^(?:[A-Z]{2,5}|[A-Za-z][a-z]*)(?:[.,;:!?]?\s(?:[A-Z]{2,5}|[A-Za-z][a-z]*))+[.!?]?$/;

function classifyAssignment(name: string, value: string): Omit<Hit, 'start' | 'end'> | null {
  if (isDummyValue(value) || CODE_REFERENCE.test(value) || value.includes('://')) return null;
  // A re-export or an alias (`exports.AuthenticationMD5Password = AuthenticationMD5Password`), or prose.
  if (name.endsWith(value.toLowerCase()) || PROSE.test(value)) return null;
  const first = value.charCodeAt(0);
  if (first === 47 || first === 126 || value.startsWith('./')) return null;
  if (AWS_SECRET_NAME.test(name) && BASE64_40.test(value) && shannonEntropy(value) >= 4) {
    return {
      rule: 'aws_secret_access_key',
      severity: 'critical',
      confidence: 0.9,
      reason: 'AWS secret access key assigned in request',
    };
  }
  if (AZURE_KEY_NAME.test(name) && BASE64_KEY.test(value) && shannonEntropy(value) >= 4) {
    return {
      rule: 'azure_storage_key',
      severity: 'critical',
      confidence: 0.9,
      reason: 'Azure account key in request',
    };
  }
  const classes = charClasses(value);
  const letters = (classes & (LOWER | UPPER)) !== 0;
  const entropy = shannonEntropy(value);
  // Machine-made: long, random, letters and digits. Human-made: shorter but with punctuation and mixed classes.
  // (Down to 14 characters, gitleaks' shorter sample tokens were caught, and so were base64 passwords in the data of
  // Kubernetes manifests that secretlint's fixtures count as clean: left at 20.)
  //
  // A value of hex digits only measures less (at most 4 bits a character; 32 random hex digits measure 3.4–3.8), so
  // hex is held to 3.0. A name that says token, key or secret (not password: a person's password, or a Kubernetes
  // manifest's base64 one, is the other branch's business) may carry a shorter machine value, down to 14 characters.
  const hexOnly = HEX_VALUE.test(value);
  const machineLength = TOKEN_LIKE_NAME.test(name) ? 14 : 20;
  const machine =
    value.length >= machineLength &&
    letters &&
    (classes & DIGIT) !== 0 &&
    entropy >= (hexOnly && value.length >= 32 ? 3.0 : 3.5);
  const human =
    value.length >= 8 &&
    value.length <= 64 &&
    letters &&
    (classes & SYMBOL) !== 0 &&
    (classes & (DIGIT | UPPER)) !== 0 &&
    entropy >= 2.5;
  if (!machine && !human) return null;
  return {
    rule: 'generic_secret',
    severity: 'medium',
    confidence: machine ? 0.7 : 0.6,
    reason: 'high-entropy value assigned to a secret-named field',
  };
}

/** Characters that make `=` another assignment: Make's `?=`, `::=` and `:::=`, PHP's `.=`, `+=`. */
const ASSIGN_MODIFIER = new Uint8Array(128);
for (const ch of ':?.+') ASSIGN_MODIFIER[ch.charCodeAt(0)] = 1;

/** `units` are the text's (codeUnitsOf), read only before `op`: most operators are ruled out from them alone. */
function scanAssignmentsAt(text: string, units: Uint16Array, op: number, hits: Hits): void {
  const next = text.charCodeAt(op + 1);
  const isColon = units[op] === 58;
  if (isColon ? next === 47 || next === 58 : next === 61) return;
  let nameOp = op;
  if (!isColon) while (op - nameOp < 3 && ASSIGN_MODIFIER[units[nameOp - 1] as number] === 1) nameOp--;
  let nameEnd = nameEndBefore(units, nameOp);
  // Go's `var apiToken string = "…"`: the word before `=` is the type; the name is the word before it.
  if (nameEnd >= 7 && text.startsWith('string', nameEnd - 6) && units[nameEnd - 7] === 32) nameEnd -= 7;
  const name = secretNameBefore(text, units, nameEnd);
  if (name === null) return;
  // `=>` (PHP, Ruby) and `:=` (Go) assign too.
  addIfSecret(
    text,
    name,
    valueAfter(text, (isColon && next === 61) || (!isColon && next === 62) ? op + 2 : op + 1),
    hits,
  );
}

/** A secret-named name ending at `nameEnd`, lower-cased, or null (the tail test first: it rules out most names). */
function secretNameBefore(text: string, units: Uint16Array, nameEnd: number): string | null {
  if (nameEnd < 3) return null;
  const tail = tailCode(units, nameEnd);
  if (MAYBE_TAIL[tailBucket(tail)] === 0 || !NAME_TAILS.has(tail)) return null;
  const name = text.slice(nameStartBefore(text, nameEnd), nameEnd).toLowerCase();
  return SECRET_NAME.test(name) && !NOT_SECRET_NAME.test(name) ? name : null;
}

/**
 * An expression a program computes the value from, written without quotes: `opts?.token`, `tokens[1]`,
 * `Map<Key, Token>`, `match![0]`, a type (`typing.Optional[bytes]`). No credential is written that way.
 */
const BARE_EXPRESSION = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*(?:\?\.|!?\[|<|!\.)/;

function addIfSecret(
  text: string,
  name: string,
  value: { start: number; end: number } | null,
  hits: Hits,
): void {
  if (value === null || hits.overlaps(value.start, value.end)) return;
  const literal = text.slice(value.start, value.end);
  const quote = text.charCodeAt(value.start - 1);
  if (quote !== 34 && quote !== 39 && quote !== 96 && BARE_EXPRESSION.test(literal)) return;
  const verdict = classifyAssignment(name, literal);
  if (verdict !== null) hits.add({ ...verdict, start: value.start, end: value.end });
}

/**
 * `("API_TOKEN", "…")`: a quoted name and a quoted value as a call's first two arguments (`System.setProperty`,
 * `put`, `headers.set`). Found from the `("` or `('` that opens the call, rarer than the commas of every JSON list.
 */
function scanQuotedPairAt(text: string, units: Uint16Array, paren: number, hits: Hits): void {
  const quote = units[paren + 1];
  let end = paren + 2;
  while (end < text.length && end - paren <= 66 && NAME_CHAR[units[end] as number] === 1) end++;
  if (units[end] !== quote || units[end + 1] !== 44 /* , */ || end === paren + 2) return;
  const name = secretNameBefore(text, units, end);
  if (name === null || end - name.length !== paren + 2) return;
  const value = valueAfter(text, end + 2);
  if (value === null) return;
  const open = units[value.start - 1];
  if (open !== 34 && open !== 39) return;
  addIfSecret(text, name, value, hits);
}

/**
 * `<apiToken>…</apiToken>`: an element named for a secret, its text the value (spaces and line breaks around it).
 * Found from the closing `</`, rarer than the `>` of every arrow and comparison in code.
 */
function scanElementAt(text: string, units: Uint16Array, close: number, hits: Hits): void {
  let end = close + 2;
  while (end < text.length && end - close <= 66 && NAME_CHAR[units[end] as number] === 1) end++;
  if (units[end] !== 62 /* > */ || end === close + 2) return;
  const name = secretNameBefore(text, units, end);
  if (name === null || end - name.length !== close + 2) return;
  let valueEnd = close;
  while (valueEnd > 0 && close - valueEnd <= 64 && (units[valueEnd - 1] as number) <= 32) valueEnd--;
  let valueStart = valueEnd;
  while (
    valueStart > 0 &&
    valueEnd - valueStart <= MAX_VALUE &&
    units[valueStart - 1] !== 62 &&
    (units[valueStart - 1] as number) > 32
  )
    valueStart--;
  let tagEnd = valueStart;
  while (tagEnd > 0 && valueStart - tagEnd <= 64 && (units[tagEnd - 1] as number) <= 32) tagEnd--;
  const tagStart = tagEnd - 2 - name.length;
  if (valueStart === valueEnd || units[tagEnd - 1] !== 62 || units[tagStart] !== 60) return;
  if (text.slice(tagStart + 1, tagEnd - 1).toLowerCase() !== name) return;
  addIfSecret(text, name, { start: valueStart, end: valueEnd }, hits);
}

/** Names of fields whose value is a password typed by a person (looser checks than for machine tokens). */
const PASSWORD_NAME = /(?:passw(?:or)?d|pwd|passphrase)$/;
/** The `key="…"` (or `name="…"`) attribute of the element a `value=` belongs to. */
const KEY_ATTRIBUTE = /\s(?:key|name)\s*=\s*(["'])([^"'<>]{1,64})\1/;

/**
 * `<add key="ClearTextPassword" value="…" />`: a key and its value as attributes of one element (.NET appSettings,
 * NuGet and MSBuild config). A password field takes a person's password, which need not look random.
 */
function scanKeyValueAttributeAt(text: string, units: Uint16Array, valueAttr: number, hits: Hits): void {
  let tagStart = valueAttr - 1;
  while (tagStart >= 0 && valueAttr - tagStart <= 200 && units[tagStart] !== 60 && units[tagStart] !== 62)
    tagStart--;
  if (units[tagStart] !== 60 /* < */) return;
  const key = KEY_ATTRIBUTE.exec(text.slice(tagStart, valueAttr));
  const name = key?.[2]?.toLowerCase();
  if (name === undefined || !SECRET_NAME.test(name) || NOT_SECRET_NAME.test(name)) return;
  const value = valueAfter(text, valueAttr + 6);
  if (value === null || hits.overlaps(value.start, value.end)) return;
  const literal = text.slice(value.start, value.end);
  const verdict =
    classifyAssignment(name, literal) ??
    (PASSWORD_NAME.test(name) && isPersonsPassword(literal)
      ? {
          rule: 'generic_secret',
          severity: 'medium' as const,
          confidence: 0.55,
          reason: 'password in a config key-value entry',
        }
      : null);
  if (verdict !== null) hits.add({ ...verdict, start: value.start, end: value.end });
}

/** A password a person chose: not a dummy or a reference, eight characters or more, two kinds of character. */
function isPersonsPassword(value: string): boolean {
  if (value.length < 8 || isDummyValue(value) || CODE_REFERENCE.test(value)) return false;
  const classes = charClasses(value);
  let kinds = 0;
  for (const kind of [LOWER, UPPER, DIGIT, SYMBOL]) if ((classes & kind) !== 0) kinds++;
  return kinds >= 2 && shannonEntropy(value) >= 2.5;
}

const CURL_USER_FLAGS = ['-u ', '--user '];

/** The credentials of `curl -u user:password` / `--user`: the password (or the user, when the password is empty). */
function scanCurlUserAt(text: string, user: number, flagLength: number, hits: Hits): void {
  // The command's start: back over lines continued with a backslash.
  let lineStart = text.lastIndexOf('\n', user) + 1;
  while (lineStart >= 2 && user - lineStart < 400 && text.charCodeAt(lineStart - 2) === 92)
    lineStart = text.lastIndexOf('\n', lineStart - 2) + 1;
  if (user - lineStart > 400 || !/\bcurl\b/.test(text.slice(Math.max(lineStart, user - 400), user))) return;
  let start = user + flagLength;
  while (text.charCodeAt(start) === 32) start++;
  const quote = text.charCodeAt(start);
  const quoted = quote === 34 || quote === 39;
  if (quoted) start++;
  let end = start;
  while (end < text.length && end - start <= MAX_VALUE) {
    const c = text.charCodeAt(end);
    if (quoted ? c === quote : c <= 32 || c === 34 || c === 39) break;
    end++;
  }
  const credential = text.slice(start, end);
  const colon = credential.indexOf(':');
  if (colon === -1) return;
  const secretStart = colon === credential.length - 1 ? start : start + colon + 1;
  const secretEnd = colon === credential.length - 1 ? start + colon : end;
  const secret = text.slice(secretStart, secretEnd).replace(/^["'{]+|["'}]+$/g, '');
  if (secret.length < 6 || isDummyValue(secret) || CODE_REFERENCE.test(secret)) return;
  if ((charClasses(secret) & (DIGIT | SYMBOL)) === 0 || hits.overlaps(secretStart, secretEnd)) return;
  hits.add({
    start: secretStart,
    end: secretEnd,
    rule: 'cli_credentials',
    severity: 'high',
    confidence: 0.8,
    reason: 'password on a curl command line',
  });
}

export function scanAssignments(text: string, hits: Hits): void {
  // Nothing below asks for another text's units (the module uses no other code-units reader).
  const units = codeUnitsOf(text);
  for (let op = text.indexOf('='); op !== -1; op = text.indexOf('=', op + 1))
    scanAssignmentsAt(text, units, op, hits);
  hits.endPass();
  for (let op = text.indexOf(':'); op !== -1; op = text.indexOf(':', op + 1))
    scanAssignmentsAt(text, units, op, hits);
  hits.endPass();
  for (const open of ['("', "('"]) {
    hits.endPass();
    for (let op = text.indexOf(open); op !== -1; op = text.indexOf(open, op + 2))
      scanQuotedPairAt(text, units, op, hits);
  }
  hits.endPass();
  for (let op = text.indexOf('</'); op !== -1; op = text.indexOf('</', op + 2))
    scanElementAt(text, units, op, hits);
  hits.endPass();
  // Anchors that start with a rarer character than a space: each full-text search costs about 1 ms per MB.
  for (let op = text.indexOf('value='); op !== -1; op = text.indexOf('value=', op + 6))
    if (op > 0 && (units[op - 1] as number) <= 32) scanKeyValueAttributeAt(text, units, op, hits);
  hits.endPass();
  if (text.indexOf('curl') === -1) return;
  for (const flag of CURL_USER_FLAGS) {
    for (let op = text.indexOf(flag); op !== -1; op = text.indexOf(flag, op + flag.length))
      if (op > 0 && (units[op - 1] as number) <= 32) scanCurlUserAt(text, op, flag.length, hits);
    hits.endPass();
  }
}
