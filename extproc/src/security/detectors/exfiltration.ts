// Data leaving through the model's output or the agent's tools. Two families:
// - URLs that carry data: markdown images and HTML img/src (fetched by the client with no click: the classic
//   zero-click leak) and links whose path or query holds encoded readable text, free text, or a template slot
//   (`{data}`, `$SECRET`) an injected instruction asks the model to fill; raw URLs doing the same inside a tool call
//   (the agent acting); and any URL next to an instruction to send private data.
// - Bulk personal data: one e-mail address is ordinary, a request with many distinct addresses, phone numbers or ids
//   is a dump. Payment cards and national ids are reported one by one, so each can be masked.
// Spans are exact: the URL, or the personal data item.
import { findEncodedPayloads } from '../encoded-payloads.js';
import { findingAt } from '../findings.js';
import { relocateFinding, SegmentMemo } from '../segment-memo.js';
import type { Detector, Finding, ScanInput, ScanSegment, Severity } from '../types.js';
import { findPersonalData, type PersonalDataItem, type PersonalDataKind } from './personal-data.js';

const DETECTOR = 'exfiltration' as const;

/** Distinct personal data items in one request from which e-mail addresses and phone numbers are reported. */
export const BULK_THRESHOLD = 5;
/** Above this many distinct items the request is a dump: severity goes up one step. */
const DUMP_THRESHOLD = 50;
/** Personal data findings per request; beyond it the request is plainly bulk and more findings add nothing. */
const MAX_PERSONAL_FINDINGS = 1000;
const MAX_URL = 8192;

type UrlContext = 'image' | 'link' | 'raw';

const URL_STOP = new Set([...' \t\r\n"\'`<>\\'].map((ch) => ch.charCodeAt(0)));
/** A template slot in a URL: `{data}`, `{{secret}}`, `$API_KEY`, `${TOKEN}`, `[DATA]`, `%s`, or their %-encodings. */
const TEMPLATE_SLOT =
  /\{\{?[^{}\s/?&=]{1,40}\}\}?|%7B[^%\s/?&=]{1,40}%7D|\$\{?[A-Z][A-Z0-9_]{2,40}\}?|\[[A-Z][A-Z_]{2,40}\]|%s(?![0-9A-Fa-f])/;
/** Slot names that ask for private data rather than an id in an API reference (`/users/{id}`). */
const SENSITIVE_SLOT =
  /data|secret|api_?key|token|passw|pwd|cred|conversation|chat|history|message|context|env|summary|memory|prompt|e-?mail|ssn|phone|cookie|session/i;
/**
 * What the model is told to send: private things, not "your API key" as API documentation phrases it, nor "memory"
 * as a changelog does ("report ArrayBuffer memory in memoryUsage()").
 */
const PRIVATE_THINGS = String.raw`(?:conversation|chat history|previous messages|message history|system prompt|(?:all|any|every)(?: of)? (?:the |your )?(?:api[ _-]?keys?|tokens?|credentials?|secrets?|passwords?)|(?:the )?user'?s? (?:data|info|information|details|api[ _-]?keys?|tokens?|credentials?|passwords?|secrets?|files?|e-?mails?|messages?)|secrets|passwords|env(?:ironment)? variables?|\.env\b|ssh keys?|private keys?|cookies|session tokens?|personal (?:data|information|info|details)|memories|(?:your|my|the user'?s|their|saved|stored|chat|long-term) memory)`;
const SEND_INSTRUCTION = new RegExp(
  String.raw`\b(?:send|post|upload|transmit|forward|exfiltrate|leak|submit|report|deliver)\b[^.!?\n]{0,80}?\b${PRIVATE_THINGS}`,
  'gi',
);
const EMBED_INSTRUCTION = new RegExp(
  String.raw`\b(?:append|add|attach|include|embed|encode|insert|put)\b[^.!?\n]{0,80}?\b${PRIVATE_THINGS}[^.!?\n]{0,60}?\b(?:url|link|image|query|parameter|param|path|endpoint|address)\b`,
  'gi',
);
/** How far before and after a URL an instruction is taken to be about it. */
const INSTRUCTION_BEFORE = 300;
const INSTRUCTION_AFTER = 100;

type Carried = 'slot' | 'free_text' | 'encoded';
const CARRIED_NAMES: Readonly<Record<Carried, string>> = {
  slot: 'a template slot for data',
  free_text: 'free text in its query',
  encoded: 'encoded readable text',
};

interface UrlSpan {
  start: number;
  end: number;
  context: UrlContext;
}

function lastIndexWithin(text: string, char: string, from: number, limit: number): number {
  const code = char.charCodeAt(0);
  for (let i = from; i >= 0 && from - i < limit; i--) if (text.charCodeAt(i) === code) return i;
  return -1;
}

/** The `[` that opens the label whose `]` is at `close`, searching back at most `limit` characters; -1 if none. */
function labelOpenBefore(text: string, close: number, limit: number): number {
  let depth = 0;
  for (let i = close; i >= 0 && close - i < limit; i--) {
    const c = text.charCodeAt(i);
    if (c === 93 /* ] */) depth++;
    else if (c === 91 /* [ */ && --depth === 0) return i;
  }
  return -1;
}

function urlContext(text: string, start: number): UrlContext {
  const before = text.slice(Math.max(0, start - 6), start).toLowerCase();
  if (before.endsWith('](')) {
    // The label's `[` within the last 1 KiB (never an unbounded search: the text may hold thousands of links),
    // matched past any brackets nested in the label: `[![badge](img)](link)` is a link whose label is an image.
    const open = labelOpenBefore(text, start - 2, 1024);
    if (open > 0 && text.charCodeAt(open - 1) === 33 /* ! */) return 'image';
    return 'link';
  }
  // HTML src/background and CSS url() are fetched as the content renders, like a markdown image.
  if (/(?:src=["']?|url\(["']?|background=["']?)$/.test(before)) return 'image';
  return 'raw';
}

function urlAt(text: string, schemeEnd: number): UrlSpan | null {
  const scheme = text.slice(Math.max(0, schemeEnd - 5), schemeEnd).toLowerCase();
  const start = scheme.endsWith('https') ? schemeEnd - 5 : scheme.endsWith('http') ? schemeEnd - 4 : -1;
  if (start < 0) return null;
  let end = schemeEnd + 3;
  let depth = 0;
  while (end < text.length && end - start < MAX_URL) {
    const c = text.charCodeAt(end);
    if (URL_STOP.has(c)) break;
    if (c === 40) depth++;
    else if (c === 41) {
      if (depth === 0) break;
      depth--;
    }
    end++;
  }
  // Trailing punctuation ends the sentence, not the URL; a `]` closing a `[DATA]` slot is the URL's own.
  while (end > schemeEnd + 3 && '.,;:!?]'.includes(text.charAt(end - 1))) {
    if (
      text.charCodeAt(end - 1) === 93 /* ] */ &&
      lastIndexWithin(text, '[', end - 2, end - 2 - schemeEnd) > schemeEnd
    )
      break;
    end--;
  }
  return end > schemeEnd + 3 ? { start, end, context: urlContext(text, start) } : null;
}

/** An empty last parameter named for data (a badge's empty `label=` is only styling). */
const EMPTY_LAST_PARAMETER =
  /[?&](?:d|q|c|m|p|x|data|msg|message|text|content|chat|log|info|payload|input|query|secret|token|key|body|note|prompt|history|conversation|summary)=$/;

/** Words joined by `+` or `%20` in a query: a sentence, not a parameter. */
function hasFreeText(query: string): boolean {
  if (query.length < 32) return false;
  let joins = 0;
  for (let i = query.indexOf('+'); i !== -1 && joins < 4; i = query.indexOf('+', i + 1)) joins++;
  for (let i = query.indexOf('%20'); i !== -1 && joins < 4; i = query.indexOf('%20', i + 3)) joins++;
  return joins >= 4;
}

/**
 * Services that draw a README's status badges from their own URL: a repository name, an emoji or a logo encoded in
 * the path or query is what the badge shows, and what such a service logs is not the page author's to read. Unless the
 * badge is told to fetch another URL (`/endpoint?url=`, dynamic badges), which is a way out.
 */
const BADGE_HOSTS = new Set([
  'img.shields.io',
  'badgen.net',
  'badge.fury.io',
  'app.fossa.io',
  'app.fossa.com',
  'codecov.io',
  'coveralls.io',
  'api.travis-ci.com',
  'travis-ci.org',
  'travis-ci.com',
  'circleci.com',
  'ci.appveyor.com',
  'api.codeclimate.com',
  'snyk.io',
  'packagephobia.com',
  'bestpractices.coreinfrastructure.org',
  'www.bestpractices.dev',
  'api.securityscorecards.dev',
]);
const FETCHES_ANOTHER_URL = /[?&](?:url|endpoint|uri|src)=|\/endpoint\b|\/dynamic\//i;

function isBadge(url: string, hostStart: number, pathStart: number): boolean {
  return BADGE_HOSTS.has(url.slice(hostStart, pathStart).toLowerCase()) && !FETCHES_ANOTHER_URL.test(url);
}

/** What in the URL after its host carries data, or null. Raw URLs are held to a higher bar than embeds. */
function dataInUrl(url: string, context: UrlContext): Carried | null {
  const hostStart = url.indexOf('://') + 3;
  const pathStart = url.indexOf('/', hostStart);
  if (pathStart === -1) return null;
  const rest = url.slice(pathStart);
  const slot = TEMPLATE_SLOT.exec(rest);
  if (slot !== null && (context !== 'raw' || SENSITIVE_SLOT.test(slot[0]))) return 'slot';
  if (isBadge(url, hostStart, pathStart)) return null;
  // An auto-loaded image whose URL ends in an empty parameter (`…/p.png?d=`) is a slot left for the model to fill.
  if (context === 'image' && EMPTY_LAST_PARAMETER.test(rest)) return 'slot';
  const query = rest.indexOf('?');
  if (context !== 'raw' && query !== -1 && hasFreeText(rest.slice(query + 1))) return 'free_text';
  const minDecoded = context === 'raw' ? 48 : 16;
  const payloads = findEncodedPayloads(rest, { chars: 4096, count: 4 });
  return payloads.some((p) => carriedLength(p.decoded) >= minDecoded) ? 'encoded' : null;
}

/** A data URI's head (`data:image/png;base64,`) and a URL's scheme and host. */
const DATA_URI_HEAD = /^data:[\w.+-]+\/[\w.+-]+(?:;[\w.+=-]+)*,/i;
const URL_HEAD = /^[a-z][\w+.-]*:\/\/[^/?#\s]*/i;

/**
 * How much of a decoded parameter could be data taken from the conversation. A data URI is content the page ships
 * (a badge's logo), and a URL's scheme and host are an address (a badge's `domain=`, a redirect's target): only
 * what a URL carries after its host counts.
 */
function carriedLength(decoded: string): number {
  if (DATA_URI_HEAD.test(decoded)) return 0;
  const head = URL_HEAD.exec(decoded);
  return head === null ? decoded.length : decoded.length - head[0].length;
}

function isIndirect(segment: ScanSegment): boolean {
  return segment.kind === 'tool_result' || segment.kind === 'system' || segment.kind === 'response';
}

interface UrlVerdict {
  rule: string;
  severity: Severity;
  confidence: number;
  reason: string;
}

function judgeUrl(
  segment: ScanSegment,
  context: UrlContext,
  carried: Carried | null,
  instructed: boolean,
): UrlVerdict | null {
  const what = carried === null ? '' : CARRIED_NAMES[carried];
  if (carried !== null && context === 'image') {
    return {
      rule: 'markdown_image_exfiltration',
      severity: 'high',
      confidence: 0.85,
      reason: `auto-loaded image URL carrying ${what}`,
    };
  }
  if (carried !== null && context === 'link') {
    const severity: Severity = instructed ? 'high' : carried === 'free_text' ? 'low' : 'medium';
    return {
      rule: 'markdown_link_exfiltration',
      severity,
      confidence: 0.7,
      reason: `link URL carrying ${what}`,
    };
  }
  if (instructed) {
    return {
      rule: 'exfiltration_instruction',
      severity: isIndirect(segment) || carried !== null ? 'high' : 'medium',
      confidence: carried !== null ? 0.85 : 0.65,
      reason: `instruction to send private data to a URL${carried !== null ? ` carrying ${what}` : ''}`,
    };
  }
  // A tool call is the agent acting: encoded text or an expanded `$SECRET` headed for a URL is the leak itself.
  // Elsewhere a bare URL with such a slot is mostly code that builds a request, not a leak.
  if (carried !== null && segment.kind === 'tool_call_arguments') {
    return {
      rule: 'data_in_url',
      severity: 'medium',
      confidence: 0.7,
      reason: `tool call sends a URL carrying ${what}`,
    };
  }
  return null;
}

/**
 * Ends of instructions to send private data near any of `urls`: the instruction regexes run only over the windows
 * around URLs (merged where they overlap), never over a text with no URL in it.
 */
function instructionEnds(text: string, urls: readonly UrlSpan[]): number[] {
  const ends: number[] = [];
  let i = 0;
  while (i < urls.length) {
    const from = Math.max(0, (urls[i] as UrlSpan).start - INSTRUCTION_BEFORE);
    let to = Math.min(text.length, (urls[i] as UrlSpan).end + INSTRUCTION_AFTER);
    i++;
    while (i < urls.length && (urls[i] as UrlSpan).start - INSTRUCTION_BEFORE <= to) {
      to = Math.min(text.length, (urls[i] as UrlSpan).end + INSTRUCTION_AFTER);
      i++;
    }
    const window = text.slice(from, to);
    for (const re of [SEND_INSTRUCTION, EMBED_INSTRUCTION]) {
      re.lastIndex = 0;
      for (let m = re.exec(window); m !== null; m = re.exec(window)) ends.push(from + m.index + m[0].length);
    }
  }
  return ends;
}

/** Whether sorted `values` has one in (low, high]. */
function anyWithin(values: readonly number[], low: number, high: number): boolean {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] as number) <= low) lo = mid + 1;
    else hi = mid;
  }
  return lo < values.length && (values[lo] as number) <= high;
}

function scanUrls(segment: ScanSegment, out: Finding[]): void {
  const text = segment.text;
  const urls: UrlSpan[] = [];
  for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 3)) {
    const url = urlAt(text, at);
    if (url === null) continue;
    urls.push(url);
    at = url.end - 3;
  }
  if (urls.length === 0) return;
  const instructions = instructionEnds(text, urls).sort((a, b) => a - b);
  for (const url of urls) {
    const instructed = anyWithin(instructions, url.start - INSTRUCTION_BEFORE, url.end + INSTRUCTION_AFTER);
    const carried = dataInUrl(text.slice(url.start, url.end), url.context);
    const verdict = judgeUrl(segment, url.context, carried, instructed);
    if (verdict !== null) {
      out.push(findingAt(segment, url.start, url.end, { detector: DETECTOR, ...verdict, redactable: true }));
    }
  }
}

interface Located {
  segment: ScanSegment;
  item: PersonalDataItem;
}

const ALWAYS_REPORTED: Readonly<Record<PersonalDataKind, { rule: string; severity: Severity } | null>> = {
  card: { rule: 'payment_card', severity: 'high' },
  ssn: { rule: 'us_ssn', severity: 'high' },
  nino: { rule: 'uk_nino', severity: 'medium' },
  iban: { rule: 'iban', severity: 'medium' },
  email: null,
  phone: null,
};
const BULK_RULES: Readonly<Record<PersonalDataKind, string>> = {
  card: 'payment_card',
  ssn: 'us_ssn',
  nino: 'uk_nino',
  iban: 'iban',
  email: 'email_address',
  phone: 'phone_number',
};
const KIND_NAMES: Readonly<Record<PersonalDataKind, string>> = {
  card: 'payment card number',
  ssn: 'US social security number',
  nino: 'UK national insurance number',
  iban: 'IBAN',
  email: 'e-mail address',
  phone: 'phone number',
};

function raise(severity: Severity): Severity {
  return severity === 'low' ? 'medium' : severity === 'medium' ? 'high' : 'critical';
}

function personalDataFindings(located: readonly Located[], out: Finding[]): void {
  const distinct = new Set(located.map(({ item }) => `${item.kind}:${item.key}`)).size;
  const bulk = distinct >= BULK_THRESHOLD;
  let reported = 0;
  for (const { segment, item } of located) {
    if (reported >= MAX_PERSONAL_FINDINGS) break;
    const always = ALWAYS_REPORTED[item.kind];
    if (always === null && !bulk) continue;
    let severity: Severity = always?.severity ?? 'medium';
    if (distinct >= DUMP_THRESHOLD) severity = raise(severity);
    const reason = bulk
      ? `${KIND_NAMES[item.kind]}, one of ${distinct} distinct personal data items in the request`
      : `${KIND_NAMES[item.kind]} in request`;
    out.push(
      findingAt(segment, item.start, item.end, {
        detector: DETECTOR,
        rule: BULK_RULES[item.kind],
        severity,
        confidence: item.kind === 'card' || item.kind === 'iban' ? 0.9 : 0.75,
        reason,
        redactable: true,
      }),
    );
    reported++;
  }
}

/** What one segment holds, before personal data is judged across the whole request. */
interface SegmentScan {
  urls: readonly Finding[];
  personal: readonly PersonalDataItem[];
}

/** What most segments hold: kept for each of them, so shared rather than one object apiece. */
const NOTHING: SegmentScan = Object.freeze({ urls: Object.freeze([]), personal: Object.freeze([]) });

function scanSegment(segment: ScanSegment): SegmentScan {
  const urls: Finding[] = [];
  scanUrls(segment, urls);
  const personal = findPersonalData(segment.text);
  return urls.length === 0 && personal.length === 0 ? NOTHING : { urls, personal };
}

/** Per-segment results for texts resent turn after turn (system prompt, history, tool results). */
const MEMO = new SegmentMemo<SegmentScan>();

export const exfiltrationDetector: Detector = {
  id: DETECTOR,
  scan(input: ScanInput): Finding[] {
    const findings: Finding[] = [];
    const located: Located[] = [];
    for (const segment of input.segments) {
      if (segment.text.length === 0) continue;
      const { urls, personal } = MEMO.get(segment, scanSegment);
      for (const finding of urls) findings.push(relocateFinding(finding, segment));
      for (const item of personal) located.push({ segment, item });
    }
    personalDataFindings(located, findings);
    return findings;
  },
};
