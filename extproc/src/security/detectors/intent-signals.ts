// A small engine for "signals of intent": rules keyed by trigger words, tried only where a trigger occurs. All
// triggers of a rule set are compiled into two trie-shaped regexes, one for triggers at a word start and one for the
// few that may start anywhere, which together visit each position once (about the cost of just finding the word
// starts); each rule is a sticky regex tried at its triggers' positions, so a rule costs nothing on text without its
// trigger and stops being tried once it has matched. Rules look back with bounded look-behinds instead of starting on
// common words ("no", "you"), which keeps trigger hits rare on ordinary text.
import type { Span, TextView } from '../normalise.js';

export interface SignalRule {
  /** Stable rule name, reported as Finding.rule. */
  readonly id: string;
  /** Rules of one family measure the same intent; the detector decides how families combine. */
  readonly family: string;
  /** 0..1: how much this signal alone says about intent. */
  readonly weight: number;
  /** Weight when the text came from a tool result or retrieved document rather than the user (default: weight). */
  readonly indirectWeight?: number;
  /** Weight when the text is a tool call's arguments, i.e. about to be acted on (default: weight). */
  readonly toolCallWeight?: number;
  /** Lower-case literals the pattern starts with (the pattern is tried only where one of them occurs). */
  readonly triggers: readonly string[];
  /** Triggers may start inside a word (default: only at a word start). */
  readonly inWord?: boolean;
  /** Matched sticky at each trigger position; may look behind the trigger, must start matching at it. */
  readonly pattern: RegExp;
  /**
   * Case-sensitive check of the matched span in the original text, for the rare rule whose meaning depends on
   * case (an all-caps acronym versus a first name). Only applied to matches in the plain text.
   */
  readonly requireOriginal?: RegExp;
  /** Short reason shown with a finding. */
  readonly reason: string;
}

export interface SignalMatch {
  readonly rule: SignalRule;
  readonly view: TextView;
  /** Where the match lies in the segment's original text. */
  readonly span: Span;
  /** The match was found only in the letters-only reading (spacing or leetspeak games). */
  readonly compact: boolean;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

interface TrieNode {
  next: Map<string, TrieNode>;
  end: boolean;
  /** The trigger ending here must end a word too. */
  wholeWord: boolean;
}

/** Short triggers ("sh", "rm", "2") would fire on every word they start; they must be whole words. */
const WHOLE_WORD_MAX = 3;
const isWholeWordTrigger = (t: string): boolean =>
  t.length <= WHOLE_WORD_MAX && /^[a-z0-9].*[a-z0-9]$|^[a-z0-9]$/.test(t);

/** A regex source matching any of `words`, longest first, shaped as a trie so matching never backtracks across words. */
function trieSource(words: readonly string[]): string {
  const root: TrieNode = { next: new Map(), end: false, wholeWord: false };
  for (const w of words) {
    let node = root;
    for (const ch of w) {
      let child = node.next.get(ch);
      if (child === undefined) {
        child = { next: new Map(), end: false, wholeWord: false };
        node.next.set(ch, child);
      }
      node = child;
    }
    node.end = true;
    node.wholeWord = isWholeWordTrigger(w);
  }
  const emit = (node: TrieNode): string => {
    const alts = [...node.next].map(([ch, child]) => escapeRegExp(ch) + emit(child));
    if (node.end && node.wholeWord) alts.push('\\b');
    if (alts.length === 0) return '';
    const body = alts.length === 1 ? (alts[0] as string) : `(?:${alts.join('|')})`;
    return node.end && !node.wholeWord ? `(?:${body})?` : body;
  };
  return `(?:${emit(root)})`;
}

export class RuleSet {
  /** Triggers that start a word: `\b` and a trie. */
  private readonly wordStartRe: RegExp | null;
  /** Triggers that may start anywhere (punctuation first, or `inWord`). */
  private readonly anywhereRe: RegExp | null;
  /** Reusable per-rule "already matched" flags (scanning is synchronous, so one buffer per set is enough). */
  readonly scratch: Uint8Array;
  private readonly byTrigger = new Map<string, { index: number; re: RegExp }[]>();

  /**
   * @param wordStart triggers that begin with a letter must start a word (false for the letters-only reading,
   *   which has no word boundaries left).
   */
  constructor(
    readonly rules: readonly SignalRule[],
    wordStart = true,
  ) {
    this.scratch = new Uint8Array(rules.length);
    const triggers = new Set<string>();
    const inWord = new Set<string>();
    rules.forEach((rule, index) => {
      const re = new RegExp(rule.pattern.source, 'y');
      for (const t of rule.triggers) {
        if (t !== t.toLowerCase() || t.length === 0)
          throw new Error(`rule ${rule.id}: trigger must be lower case`);
        triggers.add(t);
        if (rule.inWord === true) inWord.add(t);
        let list = this.byTrigger.get(t);
        if (list === undefined) {
          list = [];
          this.byTrigger.set(t, list);
        }
        list.push({ index, re });
      }
    });
    // A trigger that is a prefix of a longer one would be shadowed by the alternation; fold its rules into the
    // longer trigger's list so either spelling reaches them.
    const sorted = [...triggers].sort((a, b) => b.length - a.length);
    for (const long of sorted) {
      for (const short of sorted) {
        if (short.length < long.length && long.startsWith(short) && !isWholeWordTrigger(short)) {
          this.byTrigger.get(long)?.push(...(this.byTrigger.get(short) ?? []));
        }
      }
    }
    // One trie-shaped alternation ("ign(?:or(?:e)?)?|dis(?:…)") instead of a flat list: irregexp then follows one
    // branch per character instead of trying every trigger at every word start (4 ms/MB instead of 80). The word-start
    // and anywhere tries are two regexes merged by position rather than one alternation: each start position then
    // costs one `\b` test instead of the `\b` test plus a failed dispatch into the anywhere trie (a quarter less).
    const atWordStart = sorted.filter((t) => wordStart && !inWord.has(t) && /^[a-z0-9]/.test(t));
    const anywhere = sorted.filter((t) => !atWordStart.includes(t));
    this.wordStartRe = atWordStart.length > 0 ? new RegExp(`\\b${trieSource(atWordStart)}`, 'g') : null;
    this.anywhereRe = anywhere.length > 0 ? new RegExp(trieSource(anywhere), 'g') : null;
    this.warm();
  }

  /**
   * Irregexp compiles a regex lazily, separately for one-byte and two-byte subjects, and only to machine code on its
   * second run. For the trigger trie that costs milliseconds, which would land in the middle of some later request:
   * it is paid at start-up instead. The rule patterns are left to compile when first triggered (tens of
   * microseconds each, a few milliseconds for the largest, once): compiling all of them up front held about 8 MB of
   * machine code for rules most traffic never triggers.
   */
  private warm(): void {
    const samples = ['warm up text', 'warm up text \u2014 two-byte'];
    for (const trigger of [this.wordStartRe, this.anywhereRe]) {
      if (trigger === null) continue;
      for (const sample of samples) {
        for (let i = 0; i < 2; i++) {
          trigger.lastIndex = 0;
          trigger.test(sample);
        }
      }
      trigger.lastIndex = 0;
    }
  }

  /**
   * First match of each rule in `text`, as [ruleIndex, start, end] triples appended to `out`. `done[i]` marks rules
   * already matched (in this or an earlier view) so they are not tried again; `unmatched` is how many are not (counted
   * when not given: callers that have just cleared `done` know it is all of them).
   */
  scan(text: string, done: Uint8Array, out: number[], unmatched?: number): void {
    let remaining = unmatched ?? countUnmatched(done);
    if (remaining === 0) return;
    const wordStartRe = this.wordStartRe;
    const anywhereRe = this.anywhereRe;
    let atWord = nextMatch(wordStartRe, text, 0);
    let anywhere = nextMatch(anywhereRe, text, 0);
    while (atWord !== null || anywhere !== null) {
      // Where both match, the word-start trigger is the one taken, as the single alternation `\b(…)|(…)` did.
      const m = (
        atWord !== null && (anywhere === null || atWord.index <= anywhere.index) ? atWord : anywhere
      ) as RegExpExecArray;
      // Triggers may overlap ("system prompt" holds "prompt"): resume right after this one's start.
      const resume = m.index + 1;
      if (atWord !== null && atWord.index < resume) atWord = nextMatch(wordStartRe, text, resume);
      if (anywhere !== null && anywhere.index < resume) anywhere = nextMatch(anywhereRe, text, resume);
      const candidates = this.byTrigger.get(m[0]);
      if (candidates === undefined) continue;
      for (const { index, re } of candidates) {
        if (done[index] === 1) continue;
        re.lastIndex = m.index;
        if (re.test(text)) {
          done[index] = 1;
          out.push(index, m.index, re.lastIndex);
          if (--remaining === 0) return;
        }
      }
    }
  }
}

function countUnmatched(done: Uint8Array): number {
  let unmatched = 0;
  for (let i = 0; i < done.length; i++) if (done[i] === 0) unmatched++;
  return unmatched;
}

/** The first match of a global regex at or after `from` (null when there is none, or no regex). */
function nextMatch(re: RegExp | null, text: string, from: number): RegExpExecArray | null {
  if (re === null) return null;
  re.lastIndex = from;
  return re.exec(text);
}

/** Scratch list of [rule, start, end] triples, reused: scanning is synchronous and not re-entrant. */
const hits: number[] = [];

/**
 * First match of each rule in every reading of a segment. `original` is the segment's own text, for rules that check
 * case there.
 */
export function wordSignals(views: readonly TextView[], words: RuleSet, original: string): SignalMatch[] {
  const found: SignalMatch[] = [];
  const done = words.scratch;
  for (const view of views) {
    // Each view starts afresh: a signal inside a decoded payload is reported even when the same rule matched the
    // plain text, because hiding it is part of what makes it suspicious.
    done.fill(0);
    hits.length = 0;
    words.scan(view.text, done, hits, done.length);
    for (let i = 0; i < hits.length; i += 3) {
      const rule = words.rules[hits[i] as number] as SignalRule;
      const span = view.span(hits[i + 1] as number, hits[i + 2] as number);
      if (rule.requireOriginal !== undefined) {
        if (view.depth !== 0 || !rule.requireOriginal.test(original.slice(span.start, span.end))) continue;
      }
      found.push({ rule, view, span, compact: false });
    }
  }
  return found;
}

/** Matches in the letters-only reading of `root` that the plain text really disguised. */
export function compactSignals(root: TextView, compact: RuleSet): SignalMatch[] {
  const found: SignalMatch[] = [];
  hits.length = 0;
  const reading = root.compact();
  compact.scratch.fill(0);
  compact.scan(reading.text, compact.scratch, hits, compact.scratch.length);
  for (let i = 0; i < hits.length; i += 3) {
    const rule = compact.rules[hits[i] as number] as SignalRule;
    const range = reading.viewRange(hits[i + 1] as number, hits[i + 2] as number);
    // Plain words that merely run together in the letters-only reading are the word rules' business.
    if (!looksDisguised(root.text.slice(range.start, range.end))) continue;
    found.push({
      rule,
      view: root,
      span: reading.span(hits[i + 1] as number, hits[i + 2] as number),
      compact: true,
    });
  }
  return found;
}

const SPLIT_INSIDE_WORD = /[a-z][^a-z\s']+[a-z]/;
const SHORT_WORDS = new Set([
  'a',
  'an',
  'the',
  'all',
  'of',
  'to',
  'and',
  'or',
  'any',
  'my',
  'me',
  'you',
  'us',
  'it',
  'its',
  'is',
  'are',
  'be',
  'so',
  'in',
  'on',
  'at',
  'by',
  'for',
  'now',
  'not',
  'do',
  'how',
  'was',
]);

/**
 * Whether a stretch of folded text spells its words out of the ordinary: symbols or digits inside words
 * (`pr3v10us`, `ign-ore`), or letters standing alone (`i g n o r e`).
 */
export function looksDisguised(text: string): boolean {
  if (SPLIT_INSIDE_WORD.test(text)) return true;
  for (const token of text.split(/\s+/)) {
    const word = token.replace(/[^a-z]/g, '');
    if (word.length > 0 && word.length <= 2 && !SHORT_WORDS.has(word)) return true;
  }
  return false;
}

/** Noisy-OR: independent pieces of evidence, each alone worth its weight. */
export function noisyOr(weights: Iterable<number>): number {
  let miss = 1;
  for (const w of weights) miss *= 1 - Math.min(Math.max(w, 0), 1);
  return 1 - miss;
}
