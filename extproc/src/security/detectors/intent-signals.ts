// A small engine for "signals of intent": rules keyed by trigger words, tried only where a trigger occurs. All
// triggers of a rule set are found in one pass of an Aho-Corasick automaton (trigger-automaton.ts); each rule is a
// sticky regex tried at its triggers' positions, so a rule costs nothing on text without its trigger and stops being
// tried once it has matched. Rules look back with bounded look-behinds instead of starting on
// common words ("no", "you"), which keeps trigger hits rare on ordinary text. Each live rule is tried on its own:
// one alternation per trigger of all its rules (a "gate", tried first so the usual miss cost one call) was measured
// 1.08-1.2x slower on 16 KB of real text and 1.35-1.8x on a megabyte of code or jailbreak prompts (it kept trying
// the rules already matched, and passed often enough that the rules ran after it anyway), and its machine code took
// 40 MB.
import { hasInvisible, type Span, type TextView } from '../normalise.js';
import { lookbehindLast } from './lookbehind-last.js';
import { isWholeWordTrigger, TriggerAutomaton } from './trigger-automaton.js';

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

/** A rule a trigger starts: its index in the set and its pattern, sticky. */
interface Candidate {
  index: number;
  re: RegExp;
}

/** Every rule set built, so a warm-up can compile all their patterns (`compileAllRulePatterns`). */
const RULE_SETS: RuleSet[] = [];

export class RuleSet {
  private readonly automaton: TriggerAutomaton;
  /** Reusable per-rule "already matched" flags (scanning is synchronous, so one buffer per set is enough). */
  readonly scratch: Uint8Array;
  /** The rules each trigger starts, by the automaton's trigger id. */
  private readonly candidates: Candidate[][];
  /** 1 for a rule whose match must also pass a check of the original text (`requireOriginal`). */
  private readonly checked: Uint8Array;

  /**
   * @param wordStart triggers that begin with a letter must start a word (false for the letters-only reading,
   *   which has no word boundaries left).
   */
  constructor(
    readonly rules: readonly SignalRule[],
    wordStart = true,
  ) {
    this.scratch = new Uint8Array(rules.length);
    this.checked = Uint8Array.from(rules, (rule) => (rule.requireOriginal === undefined ? 0 : 1));
    const triggers = new Set<string>();
    const inWord = new Set<string>();
    const byTrigger = new Map<string, Candidate[]>();
    rules.forEach((rule, index) => {
      const re = new RegExp(lookbehindLast(rule.pattern.source), 'y');
      for (const t of rule.triggers) {
        if (t !== t.toLowerCase() || t.length === 0)
          throw new Error(`rule ${rule.id}: trigger must be lower case`);
        triggers.add(t);
        if (rule.inWord === true) inWord.add(t);
        let list = byTrigger.get(t);
        if (list === undefined) {
          list = [];
          byTrigger.set(t, list);
        }
        list.push({ index, re });
      }
    });
    // Where a trigger is a prefix of a longer one that also matches, the longer one is the hit; fold the shorter
    // one's rules into the longer trigger's list so either spelling reaches them.
    const sorted = [...triggers].sort((a, b) => b.length - a.length);
    for (const long of sorted) {
      for (const short of sorted) {
        if (short.length < long.length && long.startsWith(short) && !isWholeWordTrigger(short)) {
          byTrigger.get(long)?.push(...(byTrigger.get(short) ?? []));
        }
      }
    }
    // Word-start triggers need a word to start where they do; the others (punctuation first, or `inWord`) may start
    // anywhere.
    const atWordStart = sorted.filter((t) => wordStart && !inWord.has(t) && /^[a-z0-9]/.test(t));
    const anywhere = sorted.filter((t) => !atWordStart.includes(t));
    this.automaton = new TriggerAutomaton(atWordStart, anywhere);
    this.candidates = this.automaton.triggers.map((t) => byTrigger.get(t) ?? []);
    RULE_SETS.push(this);
  }

  /** Each rule's sticky pattern. */
  rulePatterns(): Set<RegExp> {
    const all = new Set<RegExp>();
    for (const list of this.candidates) for (const candidate of list) all.add(candidate.re);
    return all;
  }

  /**
   * First match of each rule in `text`, as [ruleIndex, start, end] triples appended to `out`. `done[i]` marks rules
   * already matched (in this or an earlier view) so they are not tried again; `unmatched` is how many are not (counted
   * when not given: callers that have just cleared `done` know it is all of them). A rule with a check of the original
   * text counts only a match `accept` passes; one it rejects (the name "Dan" for the persona DAN) leaves the rule to
   * be tried at its next trigger.
   */
  scan(
    text: string,
    done: Uint8Array,
    out: number[],
    unmatched?: number,
    accept?: (rule: number, start: number, end: number) => boolean,
  ): void {
    let remaining = unmatched ?? countUnmatched(done);
    if (remaining === 0) return;
    const triggerHits = this.automaton.find(text);
    for (let h = 0; h < triggerHits.length; h += 2) {
      const at = triggerHits[h] as number;
      const trigger = triggerHits[h + 1] as number;
      const candidates = this.candidates[trigger] as Candidate[];
      for (let c = 0; c < candidates.length; c++) {
        const { index, re } = candidates[c] as Candidate;
        if (done[index] === 1) continue;
        re.lastIndex = at;
        if (re.test(text)) {
          if (this.checked[index] === 1 && accept !== undefined && !accept(index, at, re.lastIndex)) continue;
          done[index] = 1;
          out.push(index, at, re.lastIndex);
          if (--remaining === 0) return;
        }
      }
    }
  }
}

/**
 * Compiles every rule's pattern to machine code now, rather than on its first test in some request: V8 compiles a
 * regex on its first run and again to native code on its second, and a big pattern (a rule that looks back over up
 * to fourteen words) takes up to 5 ms to compile: a spike in whichever request first meets a rare trigger, long after
 * start. All of them take about 4 MB of code. Returns how many patterns were compiled.
 */
export function compileAllRulePatterns(): number {
  let count = 0;
  for (const set of RULE_SETS) {
    for (const re of set.rulePatterns()) {
      // The first run compiles to bytecode and marks the pattern for tier-up; the second compiles native code.
      for (let run = 0; run < 2; run++) {
        re.lastIndex = 0;
        re.test(' ');
      }
      count++;
    }
  }
  return count;
}

function countUnmatched(done: Uint8Array): number {
  let unmatched = 0;
  for (let i = 0; i < done.length; i++) if (done[i] === 0) unmatched++;
  return unmatched;
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
    const accept = (index: number, start: number, end: number): boolean => {
      if (view.depth !== 0) return false;
      const span = view.span(start, end);
      return (
        (words.rules[index] as SignalRule).requireOriginal?.test(original.slice(span.start, span.end)) ?? true
      );
    };
    words.scan(view.text, done, hits, done.length, accept);
    for (let i = 0; i < hits.length; i += 3) {
      const rule = words.rules[hits[i] as number] as SignalRule;
      found.push({
        rule,
        view,
        span: view.span(hits[i + 1] as number, hits[i + 2] as number),
        compact: false,
      });
    }
  }
  return found;
}

/**
 * Matches in the letters-only reading of `root` that the plain text really disguised: odd spelling in the folded
 * text, or invisible characters in the original (`ignore\u200ball\u200bprevious`: zero-width spaces standing in for
 * spaces fold away and glue the words).
 */
export function compactSignals(
  root: TextView,
  compact: RuleSet,
  original: string,
  /** The reading is letters-only itself (a spelling alphabet decoded): every match counts. */
  lettersOnly = false,
): SignalMatch[] {
  const found: SignalMatch[] = [];
  hits.length = 0;
  const reading = root.compact();
  compact.scratch.fill(0);
  compact.scan(reading.text, compact.scratch, hits, compact.scratch.length);
  for (let i = 0; i < hits.length; i += 3) {
    const rule = compact.rules[hits[i] as number] as SignalRule;
    const range = reading.viewRange(hits[i + 1] as number, hits[i + 2] as number);
    const span = reading.span(hits[i + 1] as number, hits[i + 2] as number);
    // Plain words that merely run together in the letters-only reading are the word rules' business.
    if (
      !lettersOnly &&
      !looksDisguised(root.text.slice(range.start, range.end)) &&
      !hasInvisible(original.slice(span.start, span.end))
    )
      continue;
    found.push({ rule, view: root, span, compact: true });
  }
  return found;
}

/**
 * Symbols or digits inside a word (`pr3v10us`, `ign-ore`, `ig*nore`). Code's own punctuation between identifiers
 * (`"outputs","streaming"`, `system_messages`, `console.log`) is no disguise: it separates words, as a space does.
 */
const SPLIT_INSIDE_WORD = /[a-z][^a-z\s'_."',;:()[\]{}/=<>]+[a-z]/;
/** The words of a stretch for the short-word check: cut at spaces and code punctuation (`ig_no_re`, `i.g.n.o.r.e`). */
const WORD = /[^\s_."',;:()[\]{}/=<>]+/g;
/** Characters around an identifier in code, never around a piece of a word spelled apart. */
const CODE_PUNCTUATION = `"',;:()[]{}/=<>`;
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
  'no',
  'we',
  'if',
  'as',
  'up',
  // Two-letter words of code and its identifiers (`GEN_AI_SYSTEM_INSTRUCTIONS`, `user_id`, `fs.read`).
  'ai',
  'id',
  'io',
  'js',
  'ts',
  'ui',
  'os',
  'db',
  'fs',
]);

/**
 * Whether a stretch of folded text spells its words out of the ordinary: symbols or digits inside words
 * (`pr3v10us`, `ign-ore`), or letters standing alone (`i g n o r e`, `i.g.n.o.r.e`, `ig_no_re`).
 */
export function looksDisguised(text: string): boolean {
  if (SPLIT_INSIDE_WORD.test(text)) return true;
  // An odd short word (`ig`, `re`, not `no` or `the`) between spaces, dots or underscores is a piece of a word spelled
  // apart. One between code's quotes, colons or commas is an identifier (minified code's `"messages":y,"gen`).
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    const word = m[0].replace(/[^a-z]/g, '');
    if (word.length === 0 || word.length > 2 || SHORT_WORDS.has(word)) continue;
    const end = m.index + m[0].length;
    const before = m.index > 0 && CODE_PUNCTUATION.includes(text.charAt(m.index - 1));
    const after = end < text.length && CODE_PUNCTUATION.includes(text.charAt(end));
    if (!before && !after) return true;
  }
  return false;
}

/** Noisy-OR: independent pieces of evidence, each alone worth its weight. */
export function noisyOr(weights: Iterable<number>): number {
  let miss = 1;
  for (const w of weights) miss *= 1 - Math.min(Math.max(w, 0), 1);
  return 1 - miss;
}
