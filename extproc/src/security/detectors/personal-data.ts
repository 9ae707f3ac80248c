// Personal data that can be counted and masked: e-mail addresses, phone numbers, payment cards (Luhn and issuer
// range), US social security numbers (issued ranges), UK national insurance numbers, IBANs (length and mod-97).
// Every regex has a bounded length and starts with a plain character class (so the engine can skip ahead fast);
// what may precede a match is checked in code, and a match rejected there resumes one character on (the card regex
// also checks it itself, see CARD).
import { isDocumentationDomain } from './value-checks.js';

export type PersonalDataKind = 'email' | 'phone' | 'card' | 'ssn' | 'nino' | 'iban';

export interface PersonalDataItem {
  kind: PersonalDataKind;
  start: number;
  end: number;
  /** Normalised value: the same person's data written two ways counts once. */
  key: string;
}

/**
 * The look-behind repeats the check findCards' matchesAfter makes (no word character or dash before): inside the regex
 * it lets the engine pass over the digits of a long number instead of trying a card at every one of them. A digit run
 * inside a word is no card: a git commit hash (40 hex digits, often a run of 13 or more decimal ones) passes the Luhn
 * check one time in ten, so a pasted `git log` of a hundred commits held about one "card".
 */
const CARD = /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g;
const SSN = /(\d{3})-(\d{2})-(\d{4})(?![\d-])/g;
const NANP_PHONE = /(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w-])/g;
const INTL_PHONE = /\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?![\w-])/g;
const NINO = /[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/g;
/** Prefixes never issued as national insurance numbers. */
const NINO_UNUSED = new Set(['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ']);
const IBAN = /[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])/g;

const DIGIT_OR_DASH = /[\d-]/;
const WORD_OR_DASH = /[\w-]/;
const WORD_PLUS_PAREN_DASH = /[\w+(-]/;
const WORD_OR_PLUS = /[\w+]/;
const ALNUM = /[A-Za-z0-9]/;

/**
 * The next match of a global regex (from its lastIndex) whose previous character is not in `before`; a rejected match
 * resumes one on. Callers set lastIndex to a position no match can start before (where the pattern's required start
 * first occurs), so the search skips there. A plain function, not a generator: most texts have no match, and a
 * generator costs an object per call and another per match.
 */
function nextMatchAfter(re: RegExp, text: string, before: RegExp): RegExpExecArray | null {
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > 0 && before.test(text.charAt(m.index - 1))) {
      re.lastIndex = m.index + 1;
      continue;
    }
    return m;
  }
  return null;
}

/** IBAN length per country (ISO 13616 registry). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.fromEntries(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20 EG29 ES24 FI18 ' +
    'FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 ' +
    'LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SC31 SE24 SI19 ' +
    'SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20'
  )
    .split(' ')
    .map((entry) => [entry.slice(0, 2), Number(entry.slice(2))]),
);

/** Extensions that follow `@2x`-style image names and would otherwise read as a top-level domain. */
const FILE_TLDS = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'svg',
  'webp',
  'ico',
  'js',
  'ts',
  'css',
  'json',
  'md',
  'txt',
  'py',
]);
const EMAIL_LOCAL = new Uint8Array(128);
const DOMAIN = new Uint8Array(128);
for (let c = 48; c <= 57; c++) EMAIL_LOCAL[c] = DOMAIN[c] = 1;
for (let c = 65; c <= 90; c++) EMAIL_LOCAL[c] = DOMAIN[c] = 1;
for (let c = 97; c <= 122; c++) EMAIL_LOCAL[c] = DOMAIN[c] = 1;
for (const ch of '._%+-') EMAIL_LOCAL[ch.charCodeAt(0)] = 1;
for (const ch of '.-') DOMAIN[ch.charCodeAt(0)] = 1;

function inTable(table: Uint8Array, c: number): boolean {
  return c < 128 && table[c] === 1;
}

function findEmails(text: string, out: PersonalDataItem[]): void {
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && at - start < 64 && inTable(EMAIL_LOCAL, text.charCodeAt(start - 1))) start--;
    if (start === at || inTable(EMAIL_LOCAL, text.charCodeAt(start - 1))) continue;
    // `user:password@host` and `//user@host` are URL credentials, not addresses.
    const before = text.charCodeAt(start - 1);
    if (before === 58 || before === 47) continue;
    let end = at + 1;
    while (end < text.length && end - at < 254 && inTable(DOMAIN, text.charCodeAt(end))) end++;
    while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
    const domain = text.slice(at + 1, end);
    const dot = domain.lastIndexOf('.');
    if (dot <= 0) continue;
    const tld = domain.slice(dot + 1).toLowerCase();
    if (tld.length < 2 || !/^[a-z]+$/.test(tld) || FILE_TLDS.has(tld)) continue;
    // A URL parser's tests or a seed script's fake users (`bob@example.com`, `a@b.test`) are no personal data.
    if (isDocumentationDomain(domain)) continue;
    out.push({ kind: 'email', start, end, key: text.slice(start, end).toLowerCase() });
    at = end - 1;
  }
}

function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer ranges and lengths of the major card networks (an IIN is the leading digits). */
export function isCardIssuer(digits: string): boolean {
  const n = digits.length;
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  if (digits[0] === '4') return n === 13 || n === 16 || n === 19;
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return n === 16;
  if (two === 34 || two === 37) return n === 15;
  if (four === 6011 || two === 65 || (four >= 6440 && four <= 6499)) return n >= 16 && n <= 19;
  if (four >= 3528 && four <= 3589) return n >= 16 && n <= 19;
  if (two === 36 || two === 38 || two === 39 || (four >= 3000 && four <= 3059)) return n >= 14 && n <= 19;
  if (two === 62) return n >= 16 && n <= 19;
  return false;
}

/**
 * Card numbers that payment providers publish for their test modes (Stripe, Braintree, Adyen and the networks' own
 * documentation). Developers paste them daily while wiring up checkouts; they belong to nobody.
 */
export const PUBLISHED_TEST_CARDS: ReadonlySet<string> = new Set([
  '4242424242424242',
  '4000056655665556',
  '4111111111111111',
  '4012888888881881',
  '4222222222222',
  '4000002500003155',
  '4000000000009995',
  '4000000000000002',
  '4000000000003220',
  '5555555555554444',
  '2223003122003222',
  '5200828282828210',
  '5105105105105100',
  '5500000000000004',
  '2222400070000005',
  '378282246310005',
  '371449635398431',
  '340000000000009',
  '378734493671000',
  '6011111111111117',
  '6011000990139424',
  '6011981111111113',
  '3056930009020004',
  '36227206271667',
  '30569309025904',
  '38520000023237',
  '3566002020360505',
  '3530111333300000',
  '6200000000000005',
]);

function findCards(text: string, out: PersonalDataItem[]): void {
  CARD.lastIndex = 0;
  for (
    let m = nextMatchAfter(CARD, text, WORD_OR_DASH);
    m !== null;
    m = nextMatchAfter(CARD, text, WORD_OR_DASH)
  ) {
    const written = m[0];
    // One separator style throughout: `4111 1111-1111` is two numbers, not a card.
    if (written.includes(' ') && written.includes('-')) continue;
    const digits = digitsOf(written);
    if (isCardIssuer(digits) && luhnValid(digits) && !PUBLISHED_TEST_CARDS.has(digits)) {
      out.push({ kind: 'card', start: m.index, end: m.index + written.length, key: digits });
    }
  }
}

/** Numbers the SSA voided after they were printed in advertising. */
const VOIDED_SSNS = new Set(['078051120', '219099999']);

function findSsns(text: string, out: PersonalDataItem[]): void {
  SSN.lastIndex = 0;
  for (
    let m = nextMatchAfter(SSN, text, DIGIT_OR_DASH);
    m !== null;
    m = nextMatchAfter(SSN, text, DIGIT_OR_DASH)
  ) {
    const [written, area = '', group = '', serial = ''] = m;
    const areaNumber = Number(area);
    if (areaNumber === 0 || areaNumber === 666 || areaNumber >= 900 || group === '00' || serial === '0000')
      continue;
    const key = area + group + serial;
    if (VOIDED_SSNS.has(key)) continue;
    out.push({ kind: 'ssn', start: m.index, end: m.index + written.length, key });
  }
}

function findPhones(text: string, out: PersonalDataItem[]): void {
  phonesAfter(NANP_PHONE, WORD_PLUS_PAREN_DASH, 0, text, out);
  // International numbers start with `+`: most texts have none, and a search for it is much cheaper than the regex's.
  const firstPlus = text.indexOf('+');
  if (firstPlus !== -1) phonesAfter(INTL_PHONE, WORD_OR_PLUS, firstPlus, text, out);
}

function phonesAfter(re: RegExp, before: RegExp, from: number, text: string, out: PersonalDataItem[]): void {
  re.lastIndex = from;
  for (let m = nextMatchAfter(re, text, before); m !== null; m = nextMatchAfter(re, text, before)) {
    const digits = digitsOf(m[0]);
    if (digits.length < 10 || digits.length > 15) continue;
    out.push({
      kind: 'phone',
      start: m.index,
      end: m.index + m[0].length,
      key: digits.length === 10 ? `1${digits}` : digits,
    });
  }
}

function findNinos(text: string, out: PersonalDataItem[]): void {
  NINO.lastIndex = 0;
  for (let m = nextMatchAfter(NINO, text, ALNUM); m !== null; m = nextMatchAfter(NINO, text, ALNUM)) {
    if (NINO_UNUSED.has(m[0].slice(0, 2))) continue;
    out.push({ kind: 'nino', start: m.index, end: m.index + m[0].length, key: m[0].replace(/ /g, '') });
  }
}

export function ibanValid(compact: string): boolean {
  if (IBAN_LENGTHS[compact.slice(0, 2)] !== compact.length) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    const value = c >= 65 ? c - 55 : c - 48;
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

function findIbans(text: string, out: PersonalDataItem[]): void {
  IBAN.lastIndex = 0;
  for (let m = nextMatchAfter(IBAN, text, ALNUM); m !== null; m = nextMatchAfter(IBAN, text, ALNUM)) {
    const compact = m[0].replace(/ /g, '');
    if (ibanValid(compact))
      out.push({ kind: 'iban', start: m.index, end: m.index + m[0].length, key: compact });
  }
}

function hasDigit(text: string): boolean {
  return /\d/.test(text);
}

const NO_ITEMS: readonly PersonalDataItem[] = Object.freeze([]);
/** Scratch for the items of one call before overlaps are dropped (scanning is synchronous and not re-entrant). */
const candidates: PersonalDataItem[] = [];
const byStartThenLongest = (a: PersonalDataItem, b: PersonalDataItem): number =>
  a.start - b.start || b.end - a.end;

/**
 * All personal data items in `text`, in order, none overlapping: where two readings claim the same characters (an
 * IBAN's digit groups read as a card, `+1 (555) …` read as two phone formats) the one starting first wins.
 */
export function findPersonalData(text: string): readonly PersonalDataItem[] {
  const found = candidates;
  found.length = 0;
  findEmails(text, found);
  if (hasDigit(text)) {
    findCards(text, found);
    findSsns(text, found);
    findIbans(text, found);
    findNinos(text, found);
    findPhones(text, found);
  }
  if (found.length === 0) return NO_ITEMS;
  found.sort(byStartThenLongest);
  const out: PersonalDataItem[] = [];
  let taken = -1;
  for (const item of found) {
    if (item.start < taken) continue;
    out.push(item);
    taken = item.end;
  }
  found.length = 0;
  return out;
}
