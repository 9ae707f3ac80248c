// Credentials in requests: issuer-prefixed tokens (validated where the issuer embeds a check), PEM private keys,
// passwords inside connection URLs, and high-entropy values assigned to secret-sounding names. Every finding spans
// the secret value alone, so masking it leaves the surrounding sentence, assignment or URL intact.
//
// Cost: nothing here runs a regex across the whole text. Token candidates come from the long runs of token characters
// (token-runs.ts, one skip-scan shared with the payload decoder; most prose has none), keys and URLs from indexOf
// anchors (`-----BEGIN`, `://`, `=`, `:`); patterns then run sticky at those positions with bounded repetition.
import { findingAt } from '../findings.js';
import { relocateFinding, SegmentMemo } from '../segment-memo.js';
import { INVISIBLE as INVISIBLE_KIND, TOKEN_CHAR, tokenRunsOf } from '../token-runs.js';
import type { Detector, Finding, ScanInput, ScanSegment } from '../types.js';
import { scanAssignments, scanUrlCredentials } from './secret-context.js';
import { ALNUM as ALNUM_TABLE, type Hit, Hits } from './secret-hits.js';
import { TOKEN_RULES, type TokenRule } from './secret-rules.js';
import { shannonEntropy } from './value-checks.js';

const DETECTOR = 'secrets' as const;

/**
 * Module-local binding of the shared table: transpiled runs (vitest, tsx) turn every read of an imported binding
 * into a getter call, which the per-character loops below cannot afford.
 */
const ALNUM = ALNUM_TABLE;
const RUN_CHAR = TOKEN_CHAR;
const INVISIBLE = INVISIBLE_KIND;

/** Rules by their prefix's first two characters (ASCII), and a flag per pair so most positions cost one load. */
const RULES_BY_START = new Map<number, TokenRule[]>();
const STARTS = new Uint8Array(128 * 128);
for (const rule of TOKEN_RULES) {
  for (const prefix of rule.prefixes) {
    const key = prefix.charCodeAt(0) * 128 + prefix.charCodeAt(1);
    STARTS[key] = 1;
    const list = RULES_BY_START.get(key) ?? [];
    if (!list.includes(rule)) list.push(rule);
    RULES_BY_START.set(key, list);
  }
}

function isAlnum(text: string, at: number): boolean {
  return at >= 0 && at < text.length && ALNUM[text.charCodeAt(at)] === 1;
}

// ---- issuer-prefixed tokens ---------------------------------------------------------------------------------------

const B64URL_CHAR = new Uint8Array(128);
B64URL_CHAR.set(ALNUM.subarray(0, 128));
B64URL_CHAR[45] = 1;
B64URL_CHAR[95] = 1;

/**
 * End of the base64url stretch from a position, remembered: every candidate inside a stretch already measured gets
 * its end without reading it again. One per JWT part, since a candidate's header, payload and signature are three
 * different stretches.
 */
class Stretch {
  private start = -1;
  private end = -1;

  endFrom(text: string, i: number): number {
    if (i >= this.start && i < this.end) return this.end;
    let end = i;
    while (end < text.length) {
      const c = text.charCodeAt(end);
      if (c >= 128 || B64URL_CHAR[c] !== 1) break;
      end++;
    }
    this.start = i;
    this.end = end;
    return end;
  }
}

class JwtScanner {
  private readonly header = new Stretch();
  private readonly payload = new Stretch();
  private readonly signature = new Stretch();

  /** End of the header.payload.signature starting at `at` (which holds `eyJ`), or -1. */
  endAt(text: string, at: number): number {
    if (!text.startsWith('eyJ', at)) return -1;
    const h = this.header.endFrom(text, at);
    if (h - at < 11 || h - at > 2051 || text.charCodeAt(h) !== 46) return -1;
    const p = this.payload.endFrom(text, h + 1);
    if (p - h - 1 < 2 || p - h - 1 > 8192 || text.charCodeAt(p) !== 46) return -1;
    const s = this.signature.endFrom(text, p + 1);
    return s - p - 1 > 2048 ? -1 : s;
  }
}

function matchTokenAt(text: string, at: number, jwts: JwtScanner): Hit | null {
  const c0 = text.charCodeAt(at);
  const c1 = text.charCodeAt(at + 1);
  if (c0 >= 128 || c1 >= 128 || STARTS[c0 * 128 + c1] !== 1) return null;
  const rules = RULES_BY_START.get(c0 * 128 + c1);
  if (rules === undefined) return null;
  for (const rule of rules) {
    if (!rule.prefixes.some((prefix) => text.startsWith(prefix, at))) continue;
    rule.pattern.lastIndex = at;
    if (!rule.pattern.test(text)) continue;
    const end = rule.jwt ? jwts.endAt(text, rule.pattern.lastIndex) : rule.pattern.lastIndex;
    if (end === -1 || isAlnum(text, end)) continue;
    const verdict = rule.check ? rule.check(text.slice(at, end)) : 'valid';
    if (verdict === 'invalid') continue;
    return verdict === 'valid'
      ? {
          start: at,
          end,
          rule: rule.rule,
          severity: rule.severity,
          confidence: rule.confidence,
          reason: `${rule.label} in request`,
        }
      : {
          start: at,
          end,
          rule: rule.rule,
          severity: 'medium',
          confidence: rule.confidence * 0.5,
          reason: `${rule.label} shape whose built-in checksum does not verify (fake or mistyped)`,
        };
  }
  return null;
}

/** Tokens inside one run of token characters: they start at the run or right after a non-alphanumeric. */
function tokensInRun(
  text: string,
  runStart: number,
  runEnd: number,
  hits: { add(hit: Hit): void },
  jwts: JwtScanner,
): void {
  let previousAlnum = runStart > 0 && ALNUM[text.charCodeAt(runStart - 1)] === 1;
  for (let i = runStart; i < runEnd - 1; i++) {
    const alnum = ALNUM[text.charCodeAt(i)] === 1;
    const startsHere = alnum && !previousAlnum;
    previousAlnum = alnum;
    if (!startsHere) continue;
    const hit = matchTokenAt(text, i, jwts);
    if (hit !== null) {
      hits.add(hit);
      i = hit.end - 1;
      previousAlnum = true;
    }
  }
}

/** A run with invisible characters in it: scanned with them removed, spans mapped back onto the original. */
function tokensInHiddenRun(text: string, runStart: number, runEnd: number, hits: Hits): void {
  const kept = new Int32Array(runEnd - runStart);
  const parts: string[] = [];
  let length = 0;
  let from = runStart;
  for (let i = runStart; i <= runEnd; i++) {
    if (i < runEnd && RUN_CHAR[text.charCodeAt(i)] !== INVISIBLE) {
      kept[length++] = i;
      continue;
    }
    if (i > from) parts.push(text.slice(from, i));
    from = i + 1;
  }
  const joined = parts.join('');
  const found: Hit[] = [];
  tokensInRun(joined, 0, joined.length, { add: (hit) => found.push(hit) }, new JwtScanner());
  for (const hit of found) {
    const start = kept[hit.start] as number;
    const end = (kept[hit.end - 1] as number) + 1;
    hits.add({ ...hit, start, end, reason: `${hit.reason} (split by invisible characters)` });
  }
}

/**
 * Microsoft Entra ID (Azure AD) client secrets: three characters, a digit, `Q~`, then 31–34 more. No prefix starts
 * them, so they are looked for where a run holds `Q~`.
 */
const ENTRA_CLIENT_SECRET = /[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/y;

function entraSecretsInRun(text: string, start: number, end: number, hits: Hits): void {
  for (let i = start + 5; i < end; i++) {
    if (text.charCodeAt(i) !== 126 /* ~ */ || text.charCodeAt(i - 1) !== 81 /* Q */) continue;
    const at = i - 5;
    if (at > start && ALNUM[text.charCodeAt(at - 1)] === 1) continue;
    ENTRA_CLIENT_SECRET.lastIndex = at;
    if (!ENTRA_CLIENT_SECRET.test(text) || hits.overlaps(at, ENTRA_CLIENT_SECRET.lastIndex)) continue;
    hits.add({
      start: at,
      end: ENTRA_CLIENT_SECRET.lastIndex,
      rule: 'azure_ad_client_secret',
      severity: 'critical',
      confidence: 0.85,
      reason: 'Microsoft Entra ID (Azure AD) client secret in request',
    });
    i = ENTRA_CLIENT_SECRET.lastIndex;
  }
}

/** Tokens in every long run of token characters (`runs`: flat [start, end) pairs from token-runs.ts). */
function scanTokens(text: string, runs: readonly number[], hits: Hits): void {
  const jwts = new JwtScanner();
  for (let r = 0; r < runs.length; r += 2) {
    const start = runs[r] as number;
    const end = runs[r + 1] as number;
    let hidden = false;
    for (let i = start; i < end && !hidden; i++) hidden = RUN_CHAR[text.charCodeAt(i)] === INVISIBLE;
    if (hidden) tokensInHiddenRun(text, start, end, hits);
    else tokensInRun(text, start, end, hits, jwts);
    if (end - start >= 37) entraSecretsInRun(text, start, end, hits);
  }
}

// ---- PEM private keys -----------------------------------------------------------------------------------------------

const PEM_BEGIN = '-----BEGIN ';
const PEM_LABEL = /[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/y;
/** The end line, tolerating a missing dash (hand-edited keys). */
const PEM_END = /-----END[A-Z0-9 ]{0,40}-{1,5}/y;
/** Base64 body, line breaks (real or JSON-escaped `\n`), and armour headers. */
const PEM_BODY = new Uint8Array(65536);
PEM_BODY.set(ALNUM);
for (const ch of '+/=\\:,- \t\r\n') PEM_BODY[ch.charCodeAt(0)] = 1;
const PEM_MAX_BODY = 64 * 1024;

/**
 * A block ends at its END line, or, pasted truncated, where the base64 stops; never past the next BEGIN. Both
 * markers are searched forward only (the END position is reused until passed), so a text made of nothing but
 * headers costs one pass, not one pass per header.
 */
function scanPrivateKeys(text: string, hits: Hits): void {
  let nextEnd = -2;
  let begin = text.indexOf(PEM_BEGIN);
  while (begin !== -1) {
    const at = begin;
    begin = text.indexOf(PEM_BEGIN, at + PEM_BEGIN.length);
    PEM_LABEL.lastIndex = at + PEM_BEGIN.length;
    if (!PEM_LABEL.test(text)) continue;
    const bodyStart = PEM_LABEL.lastIndex;
    if (nextEnd !== -1 && nextEnd < bodyStart) nextEnd = text.indexOf('-----END', bodyStart);
    const limit = Math.min(begin === -1 ? text.length : begin, bodyStart + PEM_MAX_BODY);
    let bodyEnd: number;
    let spanEnd: number;
    if (nextEnd !== -1 && nextEnd < limit) {
      bodyEnd = nextEnd;
      PEM_END.lastIndex = nextEnd;
      spanEnd = PEM_END.test(text) ? PEM_END.lastIndex : nextEnd + 8;
    } else {
      // Truncated paste: the key material still leaks up to where the base64 stops.
      bodyEnd = bodyStart;
      while (bodyEnd < limit && PEM_BODY[text.charCodeAt(bodyEnd)] === 1) bodyEnd++;
      spanEnd = bodyEnd;
    }
    let base64Chars = 0;
    for (let i = bodyStart; i < bodyEnd; i++) {
      const c = text.charCodeAt(i);
      if (ALNUM[c] === 1 || c === 43 || c === 47) base64Chars++;
    }
    if (base64Chars < 64 || shannonEntropy(text, bodyStart, bodyEnd) < 4) continue;
    if (hits.overlaps(at, spanEnd)) continue;
    hits.add({
      start: at,
      end: spanEnd,
      rule: 'private_key',
      severity: 'critical',
      confidence: 0.97,
      reason: 'PEM private key block in request',
    });
  }
}

// ---- detector -------------------------------------------------------------------------------------------------------

/** After the token pass, most specific first. */
const PASSES = [scanPrivateKeys, scanUrlCredentials, scanAssignments] as const;
/** What most segments hold: kept for each of them, so shared rather than one array apiece. */
const NO_FINDINGS: readonly Finding[] = Object.freeze([]);

function scanSegment(segment: ScanSegment): readonly Finding[] {
  const text = segment.text;
  if (text.length < 8) return NO_FINDINGS;
  const hits = new Hits();
  scanTokens(text, tokenRunsOf(segment), hits);
  hits.endPass();
  for (const pass of PASSES) {
    pass(text, hits);
    hits.endPass();
  }
  const all = hits.all();
  if (all.length === 0) return NO_FINDINGS;
  const out: Finding[] = [];
  for (const hit of all) {
    out.push(
      findingAt(segment, hit.start, hit.end, {
        detector: DETECTOR,
        rule: hit.rule,
        severity: hit.severity,
        confidence: hit.confidence,
        reason: hit.reason,
        redactable: true,
      }),
    );
  }
  return out;
}

/** Findings in texts resent turn after turn (system prompt, history, tool results). */
const MEMO = new SegmentMemo<readonly Finding[]>();

export const secretsDetector: Detector = {
  id: DETECTOR,
  scan(input: ScanInput): Finding[] {
    const findings: Finding[] = [];
    for (const segment of input.segments) {
      for (const finding of MEMO.get(segment, scanSegment)) findings.push(relocateFinding(finding, segment));
    }
    return findings;
  },
};
