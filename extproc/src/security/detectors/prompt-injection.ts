// Prompt injection and jailbreak detector. Every segment is read through all its normalised views; matched
// signals of intent are combined by noisy-OR into a score, and one finding per segment reports the strongest
// signal's span. Instructions arriving inside tool results or retrieved documents (indirect injection) weigh more
// than the same words typed by the user, and are reported one severity higher: the user did not write them.
import { findingAt } from '../findings.js';
import { normaliseSegment, type TextView } from '../normalise.js';
import { relocateFinding, SegmentMemo } from '../segment-memo.js';
import type { Detector, Finding, ScanSegment, Severity } from '../types.js';
import { cipherReadings } from './cipher-readings.js';
import { INJECTION_COMPACT_RULES } from './injection-rules.js';
import { taskDriftSignals } from './injection-task-drift.js';
import { injectionSignals, injectionSignalsIn, readingHints } from './intent-index.js';
import { compactSignals, noisyOr, RuleSet, type SignalMatch } from './intent-signals.js';
import { STRUCTURE_COMPACT_RULES } from './jailbreak-structure-rules.js';

const COMPACT = new RuleSet([...INJECTION_COMPACT_RULES, ...STRUCTURE_COMPACT_RULES], false);

/** Score from which a segment is reported. */
export const REPORT_THRESHOLD = 0.5;

/**
 * The letters-only reading is checked for segments up to this size. Spacing and leetspeak games target short
 * prompts; a long document is read through its words, its encodings and its folded characters.
 */
const COMPACT_MAX = 16 * 1024;
/**
 * Letters standing alone (`i g n o r e`), short words joined by symbols (`ign-ore`), symbols or digits inside words
 * (`pr3v10us`): the only texts a letters-only reading can help. The two patterns that begin at a word's first letter
 * share that start, so the text is tried once per word start for both (a quarter less time on a 16 KB request).
 */
const MAYBE_DISGUISED =
  /\b[a-z](?:\b[^a-z\n]{1,3}\b[a-z]\b[^a-z\n]{1,3}\b[a-z]\b|[a-z]{0,3}[-_.*|~+]{1,2}[a-z]{1,4}\b)|[a-z][0-9@$|!]+[a-z]/;

/** Text per extra register word a long document may use without it counting: long texts touch more topics. */
const LEXICON_CHARS_PER_FREE_WORD = 2500;

/**
 * Distinct jailbreak-register words → evidence: one is normal, a prompt saturated with them is negotiating. A long
 * document (a skill file, a style guide) meets more of them by sheer length, so its allowance grows with it.
 */
function lexiconWeight(distinct: number, length: number): number {
  const counted = distinct - Math.floor(length / LEXICON_CHARS_PER_FREE_WORD);
  return counted < 2 ? 0 : Math.min(0.45, 0.1 * (counted - 1));
}

/** Verbs of working on a text handed over with the request; the verb starts the regex, so the engine skips to it. */
const PROCESS_VERB = String.raw`(?:summari[sz]e|translate|assess|evaluate|review|analy[sz]e|proofread|(?:bring|pick|point)\s+out\s+(?:the\s+)?(?:salient|key|main)\s+points\s+(?:from|of|in)|give\s+(?:me\s+)?(?:the\s+|some\s+)?(?:\S+\s+)?highlights\s+(?:on|of|from|for))`;
/**
 * Markers of quoted or retrieved content pasted into a message (tags, a forwarded message, an email's own From and
 * Subject headers, a page's markup, a document handed over to be summarised): instructions after them are not the
 * user's. Each has literals its text must hold: a marker's regex runs only on a text holding them, and each starts
 * with a literal so the engine skips to it. (One alternation of all four first markers was tried at every position
 * of any text holding a `<`: 2.4 ms per MB of source code.) A search for a literal stops at every occurrence of its
 * first character, so each is one that starts with a rare character: `ject:` for `subject:`, and for `begin`/`start`
 * (`s` is everywhere) the name of what begins.
 */
interface ContentMarker {
  mayHold: (text: string) => boolean;
  re: RegExp;
  /** Searched in the message's first this many characters only. */
  within?: number;
}

const EMBEDDED_CONTENT_MARKERS: readonly ContentMarker[] = [
  {
    mayHold: (text) => text.includes('<'),
    re: /<(?:document|documents|search_results?|webpage|web_page|email|retrieved|tool_result|function_results?|html|body|article)\b/,
  },
  {
    mayHold: (text) => text.includes('ject:'),
    re: /(?:^|\n)[ \t]*from:[^\n]*\n(?:[^\n]*\n){0,3}?[ \t]*subject:/,
  },
  {
    mayHold: (text) =>
      (text.includes('document') ||
        text.includes('mail') ||
        text.includes('web') ||
        text.includes('ch results')) &&
      (text.includes('begin') || text.includes('start')),
    re: /\b(?:begin|start)\s+(?:of\s+)?(?:the\s+)?(?:document|email|web\s?page|search results)\b/,
  },
  {
    mayHold: (text) => text.includes('---'),
    re: /-{3,}\s*(?:forwarded message|original message)/,
  },
  {
    // A document pasted below a request to process it ("Summarize the following:\n", "Assess this profile:\n",
    // "Translate the following text from English to French.\n"): the lines after it are the document's, not the
    // user's. Only the verbs of working on a text, as the sentence's first word: "Do the following:\n1. …" stays the
    // user's own list, and "perform a review of the sections below" a system prompt's. The request comes first, so
    // only the message's head is searched: the verbs are common words, and a search of the whole of a long message
    // cost 5 ms per MB.
    within: 600,
    mayHold: (text) =>
      text.includes('\n') &&
      (text.includes('following') ||
        text.includes('this') ||
        text.includes('these') ||
        text.includes('below')) &&
      (text.includes('summar') ||
        text.includes('translat') ||
        text.includes('assess') ||
        text.includes('evaluat') ||
        text.includes('review') ||
        text.includes('analy') ||
        text.includes('proofread') ||
        text.includes('highlights') ||
        text.includes('points from')),
    re: new RegExp(
      String.raw`${PROCESS_VERB}(?<=(?:^|\n|[.!?:]\s)\s*(?:please\s+|now\s+|(?:can|could)\s+you\s+)?${PROCESS_VERB})\s+(?:\S+\s+){0,6}?(?:the\s+following|this|these|below)\b[^\n]{0,400}\n`,
    ),
  },
];

const QUOTABLE = new Set(['override', 'prompt_leak']);
const QUOTES = new Set(['"', "'", '`', '\u201c', '\u2018', '\u00ab', '\u300c']);
const CLOSING_QUOTES = new Set(['\u201d', '\u2019', '\u00bb', '\u300d']);

/** The match is wrapped in quotes on both sides: a phrase being named, not an instruction being given. */
function quotedAt(text: string, start: number, end: number): boolean {
  let i = start - 1;
  if (text.charAt(i) === ' ') i--;
  if (!QUOTES.has(text.charAt(i))) return false;
  let j = end;
  while (j < text.length && j < end + 2 && /[\s.,!?]/.test(text.charAt(j))) j++;
  return QUOTES.has(text.charAt(j)) || CLOSING_QUOTES.has(text.charAt(j));
}

function isIndirectSegment(segment: ScanSegment): boolean {
  return segment.kind === 'tool_result' || segment.role === 'tool' || segment.role === 'function';
}

/** Where quoted or retrieved content begins in a message's folded text (-1: none): after the first marker. */
function embeddedContentAt(segment: ScanSegment, root: TextView): number {
  if (segment.kind !== 'message') return -1;
  const text = root.text;
  let first: RegExpExecArray | null = null;
  for (const marker of EMBEDDED_CONTENT_MARKERS) {
    const searched =
      marker.within !== undefined && text.length > marker.within ? text.slice(0, marker.within) : text;
    if (!marker.mayHold(searched)) continue;
    const m = marker.re.exec(searched);
    // At one position the earlier marker in the list wins, as it did in the single alternation.
    if (m !== null && (first === null || m.index < first.index)) first = m;
  }
  return first === null ? -1 : first.index + first[0].length;
}

/** The end of the content a message embeds: its closing tag, else the end of the message. */
const EMBEDDED_CONTENT_END =
  /<\/(?:document|documents|search_results?|webpage|web_page|email|retrieved|tool_result|function_results?|html|body|article)>/g;

/** Requests for an unrelated task planted in a tool result or in the content a message embeds. */
function plantedTasks(root: TextView, indirect: boolean, embeddedAt: number): SignalMatch[] {
  if (indirect) return taskDriftSignals(root, 0, root.text.length);
  if (embeddedAt < 0) return [];
  EMBEDDED_CONTENT_END.lastIndex = embeddedAt;
  const end = EMBEDDED_CONTENT_END.exec(root.text);
  return taskDriftSignals(root, embeddedAt, end === null ? root.text.length : end.index);
}

interface Scored {
  signal: SignalMatch;
  weight: number;
}

/**
 * Strongest first, dropping a signal whose text another, stronger signal of the same reading already claimed:
 * two rules firing on one phrase are one piece of evidence, not two.
 */
function overlapFree(scored: Scored[]): Scored[] {
  scored.sort((a, b) => b.weight - a.weight || a.signal.span.start - b.signal.span.start);
  const kept: Scored[] = [];
  for (const s of scored) {
    const { view, span } = s.signal;
    const claimed = kept.some(
      (k) => k.signal.view === view && k.signal.span.start < span.end && span.start < k.signal.span.end,
    );
    if (!claimed) kept.push(s);
  }
  return kept;
}

const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

function severityFor(score: number, indirect: boolean): Severity {
  const base = score >= 0.9 ? 2 : score >= 0.7 ? 1 : 0;
  return SEVERITIES[Math.min(base + (indirect ? 1 : 0), 3)] as Severity;
}

function describe(best: SignalMatch, indirect: boolean, count: number): string {
  const where =
    best.view.encoding !== 'text'
      ? ` (hidden in ${best.view.encoding})`
      : best.compact
        ? ' (disguised spelling)'
        : '';
  const source = indirect ? '; found in tool output or retrieved content' : '';
  const more = count > 1 ? `; ${count} signals` : '';
  return `${best.rule.reason}${where}${source}${more}`;
}

export interface InjectionAssessment {
  /** 0..1, noisy-OR of the distinct signals (plus lexicon and obfuscation evidence). */
  score: number;
  /** True when the signals came from a tool result or from content embedded in the message. */
  indirect: boolean;
  /** Strongest first. */
  signals: { signal: SignalMatch; weight: number }[];
}

/** What the readings decoded where a cipher's words were seen say (a NATO spelling is read letters-only). */
function cipherSignals(original: string, hints: readonly SignalMatch[]): SignalMatch[] {
  const readings = cipherReadings(
    original,
    hints.map((h) => ({ rule: h.rule, at: h.span.start })),
  );
  const found = injectionSignalsIn(
    readings.filter((r) => !r.lettersOnly).map((r) => r.view),
    original,
  );
  for (const r of readings) if (r.lettersOnly) found.push(...compactSignals(r.view, COMPACT, original, true));
  return found;
}

/** The evidence behind a segment's verdict, reported or not; `null` when nothing matched at all. */
export function assessPromptInjection(segment: ScanSegment): InjectionAssessment | null {
  if (segment.text.length === 0) return null;
  const normalised = normaliseSegment(segment);
  const root = normalised.views[0];
  if (root === undefined) return null;
  const useCompact =
    segment.text.length <= COMPACT_MAX && (MAYBE_DISGUISED.test(root.text) || normalised.hints.invisible > 0);
  const signals = injectionSignals(normalised, segment.text);
  if (useCompact) signals.push(...compactSignals(root, COMPACT, segment.text));
  const hints = readingHints(normalised, segment.text);
  if (hints.length > 0) signals.push(...cipherSignals(segment.text, hints));
  const segmentIndirect = isIndirectSegment(segment);
  const embeddedAt = segmentIndirect ? -1 : embeddedContentAt(segment, root);
  signals.push(...plantedTasks(root, segmentIndirect, embeddedAt));
  if (signals.length === 0) return null;

  const embeddedFrom = segmentIndirect
    ? 0
    : embeddedAt < 0
      ? Number.POSITIVE_INFINITY
      : root.span(embeddedAt, embeddedAt).start;
  const best = new Map<string, Scored>();
  let hidden = false;
  let indirect = false;
  let lexicon = 0;
  for (const signal of signals) {
    if (signal.rule.family === 'lexicon') {
      if (signal.view.depth === 0) lexicon++;
      continue;
    }
    const fromContent = segmentIndirect || signal.span.start >= embeddedFrom;
    let weight = fromContent ? (signal.rule.indirectWeight ?? signal.rule.weight) : signal.rule.weight;
    // A quoted override is usually being talked about ("flag prompts like 'ignore previous instructions'").
    if (
      QUOTABLE.has(signal.rule.family) &&
      signal.view.depth === 0 &&
      quotedAt(segment.text, signal.span.start, signal.span.end)
    ) {
      weight *= 0.5;
    }
    if (fromContent) indirect = true;
    if (signal.view.encoding !== 'text' || signal.compact) hidden = true;
    const seen = best.get(signal.rule.id);
    if (seen === undefined || weight > seen.weight) best.set(signal.rule.id, { signal, weight });
  }
  const scored = overlapFree([...best.values()]);
  if (scored.length === 0) return null;
  const weights = scored.map((s) => s.weight);
  weights.push(lexiconWeight(lexicon, segment.text.length));
  // Hiding instructions (encoded payloads, spaced-out letters, invisible or look-alike characters) is itself
  // evidence, but only next to something that reads as an instruction.
  const { invisible, tags, confusables } = normalised.hints;
  if (hidden || tags > 0 || invisible > 2 || confusables > 2) weights.push(0.3);
  const score = noisyOr(weights);
  return { score, indirect, signals: scored };
}

function scanSegment(segment: ScanSegment): Finding | null {
  const assessment = assessPromptInjection(segment);
  if (assessment === null || assessment.score < REPORT_THRESHOLD) return null;
  const { score, indirect, signals } = assessment;
  const top = signals[0] as Scored;
  return findingAt(segment, top.signal.span.start, top.signal.span.end, {
    detector: 'prompt_injection',
    rule: top.signal.rule.id,
    severity: severityFor(score, indirect),
    confidence: Math.round(score * 100) / 100,
    reason: describe(top.signal, indirect, signals.length),
    redactable: false,
  });
}

/** Verdicts on texts resent turn after turn (system prompt, history, tool results). */
const MEMO = new SegmentMemo<Finding | null>();

/** Direct and indirect prompt injection and jailbreak attempts: at most one finding per segment. */
export const promptInjectionDetector: Detector = {
  id: 'prompt_injection',
  scan(input) {
    const findings: Finding[] = [];
    for (const segment of input.segments) {
      const finding = MEMO.get(segment, scanSegment);
      if (finding !== null) findings.push(relocateFinding(finding, segment));
    }
    return findings;
  },
};
