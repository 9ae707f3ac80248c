// Finds rule triggers with one Aho-Corasick automaton: one table step per UTF-16 unit, whatever the number of
// triggers, and nothing allocated per hit. Irregexp ran the same search as two trie-shaped regexes (`\b(?:trie)` for
// triggers that must start a word, `(?:trie)` for the rest), entering the alternation at every word start or position,
// about twice the time of this pass. The hits are exactly the regexes' hits: at each position, in text order, the
// longest word-start trigger that starts there (the position starts a word), else the longest anywhere trigger; a
// short whole-word trigger must also end a word. Word characters are those of a non-Unicode `\b`: [A-Za-z0-9_].
// Each character of a trigger has a class of its own, except the control characters of white space (tab, line feed,
// vertical tab, form feed, return), which share one: the triggers that hold them come in sets (a bracket and each kind of
// space), and sharing keeps the classes to 64, so a state's row has 64 entries and not 128 and the table half the
// size. Giving digits or punctuation shared classes too (rows of 32) made scans 1.1-2.4x slower: common characters
// then walked into states that only a comparison with the text could rule out. A trigger holding a shared-class
// character is compared with the text where it ends.
import { codeUnitsOf } from '../code-units.js';

/** Short triggers ("sh", "rm", "2") would fire on every word they start; they must be whole words. */
const WHOLE_WORD_MAX = 3;
export const isWholeWordTrigger = (t: string): boolean =>
  t.length <= WHOLE_WORD_MAX && /^[a-z0-9].*[a-z0-9]$|^[a-z0-9]$/.test(t);

/** Tab, line feed, vertical tab, form feed, carriage return: one character class. */
const CONTROL_SPACE = [9, 10, 11, 12, 13];

const INITIAL_HIT_BUFFER = 1024;
/** Texts from this long are walked as two interleaved halves. */
const SPLIT_MIN = 2048;
/**
 * Pending hits sit in a ring of this many start positions, one bit each in a 32-bit mask: a trigger ending at `end`
 * starts at most `longest` before it, so with triggers of at most this length the pending starts always fit.
 */
const RING = 32;
const KEPT_HIT_BUFFER = 1 << 16;
/** A table entry is a state number below 2^15, plus this bit when a trigger ends in that state. */
const EMITS = 0x8000;
const STATE_MASK = 0x7fff;

const IS_WORD = new Uint8Array(65536);
for (let c = 0; c < 128; c++) if (/[A-Za-z0-9_]/.test(String.fromCharCode(c))) IS_WORD[c] = 1;

/** A trigger's start condition. */
const WORD_START = 1;
const ANYWHERE = 2;

/** A copy of `buffer` with room for at least `needed` numbers (doubling). */
function grown(buffer: Int32Array, needed: number): Int32Array {
  let size = buffer.length * 2;
  while (size < needed) size *= 2;
  const copy = new Int32Array(size);
  copy.set(buffer);
  return copy;
}

export class TriggerAutomaton {
  /** The triggers, by id. */
  readonly triggers: readonly string[];
  /** Character class of each UTF-16 unit; 0 for units in no trigger (they lead back to the root). */
  private readonly classOf: Uint16Array;
  /** log2 of a state's row length: `rows[(state << shift) + class]`. */
  private readonly shift: number;
  /**
   * The transitions: `rows[(state << shift) + class]` is the next state, plus EMITS when a trigger ends in it. Two
   * bytes an entry: on real text the walk's loads miss the cache, and a table half the size misses less (the shift
   * costs less than the misses it saves).
   */
  private readonly rows: Uint16Array;
  /**
   * The first trigger id + 1 ending exactly at a state (0: none); `acceptNext[id]` chains the others with the same
   * classes (`[\t` and `[\n`).
   */
  private readonly accepts: Int32Array;
  private readonly acceptNext: Int32Array;
  /** 1 for a trigger with a character of a shared class: its hits are compared with the text. */
  private readonly compared: Uint8Array;
  /** Each trigger's UTF-16 units, for that comparison. */
  private readonly units: readonly Uint16Array[];
  /** The nearest proper suffix state that accepts (0: none): the other triggers ending here. */
  private readonly outputLink: Int32Array;
  private readonly length: Int32Array;
  private readonly mode: Uint8Array;
  private readonly wholeWord: Uint8Array;
  /** 1 for a state whose every trigger ending there is whole-word (none counts when a word character follows). */
  private readonly wordEndOnly: Uint8Array;
  /** Pending hits by start position modulo RING: best trigger id + 1 and its length, per start mode. */
  private readonly ringWord = new Int32Array(RING);
  private readonly ringWordLength = new Int32Array(RING);
  private readonly ringAny = new Int32Array(RING);
  private readonly ringAnyLength = new Int32Array(RING);
  /** The hits of the current `find`, as [start, triggerId] pairs, and how many numbers of it are used. */
  private hits: Int32Array = new Int32Array(INITIAL_HIT_BUFFER);
  private hitCount = 0;
  /** Where the current `find` entered a state that ends a trigger, as [end, state] pairs in text order. */
  private ends: Int32Array = new Int32Array(INITIAL_HIT_BUFFER);
  private endCount = 0;
  /** The second half's ends while both halves are walked. */
  private secondEnds: Int32Array = new Int32Array(INITIAL_HIT_BUFFER);
  /** Bit `start % RING` is set for each pending start; all lie in [base, base + RING). */
  private pending = 0;
  private base = 0;
  /** The longest trigger's length: no trigger ending at `end` starts before `end - longest`. */
  private readonly longest: number;

  constructor(wordStart: readonly string[], anywhere: readonly string[]) {
    for (const t of wordStart) {
      // The start test is "no word character before", which is `\b` only when the trigger's own first is one.
      if (!/^[a-z0-9]/.test(t))
        throw new Error(`word-start trigger ${JSON.stringify(t)} must begin with a letter or digit`);
    }
    const triggers = [...wordStart, ...anywhere];
    this.triggers = triggers;
    this.length = Int32Array.from(triggers, (t) => t.length);
    this.mode = Uint8Array.from(triggers, (_, i) => (i < wordStart.length ? WORD_START : ANYWHERE));
    this.wholeWord = Uint8Array.from(triggers, (t) => (isWholeWordTrigger(t) ? 1 : 0));

    const classOf = new Uint16Array(65536);
    let width = 1;
    for (const t of triggers) {
      for (let i = 0; i < t.length; i++) {
        const unit = t.charCodeAt(i);
        if (classOf[unit] !== 0) continue;
        classOf[unit] = width++;
        // Tab, line feed, vertical tab, form feed and return share the class the first of them gets.
        if (CONTROL_SPACE.includes(unit))
          for (const sibling of CONTROL_SPACE) classOf[sibling] = classOf[unit] as number;
      }
    }
    this.compared = Uint8Array.from(triggers, (t) =>
      [...t].some((c) => CONTROL_SPACE.includes(c.charCodeAt(0))) ? 1 : 0,
    );
    this.units = triggers.map((t) => Uint16Array.from(t, (c) => c.charCodeAt(0)));
    this.classOf = classOf;
    let shift = 0;
    while (1 << shift < width) shift++;
    this.shift = shift;

    // The trie, then breadth-first failure links folded into a complete transition table.
    const children: Map<number, number>[] = [new Map()];
    const acceptsList: number[] = [0];
    const acceptNext = new Int32Array(triggers.length);
    triggers.forEach((t, id) => {
      let state = 0;
      for (let i = 0; i < t.length; i++) {
        const cls = classOf[t.charCodeAt(i)] as number;
        let next = (children[state] as Map<number, number>).get(cls);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          acceptsList.push(0);
          (children[state] as Map<number, number>).set(cls, next);
        }
        state = next;
      }
      // Triggers with the same classes share a state: chain them, first in trigger order.
      if (acceptsList[state] === 0) acceptsList[state] = id + 1;
      else {
        let last = (acceptsList[state] as number) - 1;
        while (acceptNext[last] !== 0) last = (acceptNext[last] as number) - 1;
        acceptNext[last] = id + 1;
      }
    });
    this.acceptNext = acceptNext;
    const states = children.length;
    if (states > STATE_MASK + 1) throw new Error(`trigger automaton too large: ${states} states`);
    const delta = new Int32Array(states * width);
    const failure = new Int32Array(states);
    const outputLink = new Int32Array(states);
    const emits = new Uint8Array(states);
    const accepts = Int32Array.from(acceptsList);
    const queue: number[] = [];
    for (const [cls, next] of children[0] as Map<number, number>) {
      delta[cls] = next;
      queue.push(next);
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      const fail = failure[state] as number;
      outputLink[state] = accepts[fail] !== 0 ? fail : (outputLink[fail] as number);
      emits[state] = accepts[state] !== 0 || outputLink[state] !== 0 ? 1 : 0;
      const own = children[state] as Map<number, number>;
      for (let cls = 1; cls < width; cls++) {
        const next = own.get(cls);
        if (next === undefined) {
          delta[state * width + cls] = delta[fail * width + cls] as number;
        } else {
          failure[next] = delta[fail * width + cls] as number;
          delta[state * width + cls] = next;
          queue.push(next);
        }
      }
    }
    const rows = new Uint16Array(states << shift);
    for (let state = 0; state < states; state++) {
      for (let cls = 0; cls < width; cls++) {
        const next = delta[state * width + cls] as number;
        rows[(state << shift) + cls] = emits[next] === 1 ? next | EMITS : next;
      }
    }
    this.rows = rows;
    this.accepts = accepts;
    this.outputLink = outputLink;
    const wordEndOnly = new Uint8Array(states);
    for (let state = 1; state < states; state++) {
      let all = 1;
      for (
        let o = accepts[state] !== 0 ? state : (outputLink[state] as number);
        o !== 0;
        o = outputLink[o] as number
      ) {
        for (let id1 = accepts[o] as number; id1 !== 0; id1 = acceptNext[id1 - 1] as number)
          if (this.wholeWord[id1 - 1] !== 1) all = 0;
      }
      wordEndOnly[state] = all;
    }
    this.wordEndOnly = wordEndOnly;

    const longest = Math.max(1, ...this.length);
    if (longest > RING) {
      const long = triggers.find((t) => t.length > RING);
      throw new Error(`trigger ${JSON.stringify(long)} is longer than ${RING} characters`);
    }
    this.longest = longest;
    this.warm();
  }

  /**
   * Runs every path of `find` (hits of both kinds, settling, the end of the text) before the first request does:
   * V8 optimises a function with the types it has seen, and a path first met mid-request would throw that code away
   * (deoptimise) and run interpreted until it is optimised again.
   */
  private warm(): void {
    // Long enough to be walked in halves, and a short one walked whole.
    const sample = `${this.triggers.join(' ')} ${this.triggers.join('')}`.padEnd(SPLIT_MIN, ' ');
    for (let round = 0; round < 3; round++) {
      this.find(sample);
      this.find(sample.slice(0, SPLIT_MIN >> 1));
    }
  }

  /**
   * Every trigger hit in `text`, in order of start, as [start, triggerId] pairs (one per start). The pairs live in a
   * buffer the next call reuses: read them before scanning again.
   * First the automaton runs over the text and notes where it enters a state that ends a trigger (`walk`); then each
   * such end records its valid triggers as pending hits at their starts, and a start is final once the ends being read
   * lie more than the longest trigger past it (`resolve`).
   */
  find(text: string): Int32Array {
    this.hitCount = 0;
    this.endCount = 0;
    const n = text.length;
    const units = codeUnitsOf(text);
    if (n >= SPLIT_MIN) this.walkHalves(units, n);
    else this.walk(units, 0, n, 0);
    this.resolve(units, n);
    const found = this.hits.subarray(0, this.hitCount);
    // A huge text's buffers are not kept for the small ones after it.
    if (this.hits.length > KEPT_HIT_BUFFER) this.hits = new Int32Array(INITIAL_HIT_BUFFER);
    if (this.ends.length > KEPT_HIT_BUFFER) this.ends = new Int32Array(INITIAL_HIT_BUFFER);
    return found;
  }

  /** Runs the automaton over [from, to) from `state`, noting each end; returns the state reached. */
  private walk(units: Uint16Array, from: number, to: number, state: number): number {
    const { classOf, rows, shift } = this;
    for (let i = from; i < to; i++) {
      const next = rows[(state << shift) + (classOf[units[i] as number] as number)] as number;
      state = next & STATE_MASK;
      if (next >= EMITS) this.noteEnd(i + 1, state);
    }
    return state;
  }

  /**
   * `walk` over both halves of the text at once. A step is a table load that depends on the one before, so a single
   * walk waits on memory at every character; two independent walks interleaved keep two loads in flight. The state at
   * the second half's start depends only on the longest trigger's length of text before it (a state stands for at
   * most that much), so that much is read first, with its ends ignored (they are the first half's). The second
   * half's ends are noted apart and appended after the first's, keeping them in text order.
   */
  private walkHalves(units: Uint16Array, n: number): void {
    const { classOf, rows, shift } = this;
    const m = n >> 1;
    let b = Math.max(0, m - this.longest);
    let rb = 0;
    for (; b < m; b++) {
      rb = (rows[(rb << shift) + (classOf[units[b] as number] as number)] as number) & STATE_MASK;
    }
    let ra = 0;
    let a = 0;
    // Both walks note their ends in local arrays (a call and two field updates per end cost a tenth of the walk).
    let first: Int32Array = this.ends;
    let firstCount = this.endCount;
    let second: Int32Array = this.secondEnds;
    let secondCount = 0;
    while (a < m) {
      const na = rows[(ra << shift) + (classOf[units[a] as number] as number)] as number;
      const nb = rows[(rb << shift) + (classOf[units[b] as number] as number)] as number;
      a++;
      b++;
      ra = na & STATE_MASK;
      rb = nb & STATE_MASK;
      if ((na | nb) < EMITS) continue;
      if (na >= EMITS) {
        if (firstCount + 2 > first.length) first = grown(first, firstCount + 2);
        first[firstCount++] = a;
        first[firstCount++] = ra;
      }
      if (nb >= EMITS) {
        if (secondCount + 2 > second.length) second = grown(second, secondCount + 2);
        second[secondCount++] = b;
        second[secondCount++] = rb;
      }
    }
    if (firstCount + secondCount > first.length) first = grown(first, firstCount + secondCount);
    first.set(second.subarray(0, secondCount), firstCount);
    this.ends = first;
    this.endCount = firstCount + secondCount;
    this.secondEnds = second.length > KEPT_HIT_BUFFER ? new Int32Array(INITIAL_HIT_BUFFER) : second;
    this.walk(units, b, n, rb);
  }

  private noteEnd(end: number, state: number): void {
    if (this.endCount + 2 > this.ends.length) this.ends = grown(this.ends, this.endCount + 2);
    this.ends[this.endCount++] = end;
    this.ends[this.endCount++] = state;
  }

  /** The hits of the noted ends, settled in order of start. */
  private resolve(units: Uint16Array, n: number): void {
    const { ends, endCount, wordEndOnly, longest } = this;
    this.pending = 0;
    this.base = 0;
    for (let k = 0; k < endCount; k += 2) {
      const end = ends[k] as number;
      const state = ends[k + 1] as number;
      // Most ends on prose are short whole-word triggers inside a longer word ("nc" in "once"): passed over here.
      if (end < n && IS_WORD[units[end] as number] === 1 && wordEndOnly[state] === 1) continue;
      // No trigger ending here or later can start before end - longest.
      if (end - longest > this.base) this.settleBefore(end - longest);
      this.collect(units, n, state, end);
    }
    this.settleBefore(n);
  }

  /** Records the valid triggers ending at `end` as pending hits at their starts. */
  private collect(units: Uint16Array, n: number, state: number, end: number): void {
    const { accepts, acceptNext, outputLink, length, mode, wholeWord, compared } = this;
    const endsWord = end === n || IS_WORD[units[end] as number] === 0;
    let pending = this.pending;
    for (
      let s = accepts[state] !== 0 ? state : (outputLink[state] as number);
      s !== 0;
      s = outputLink[s] as number
    ) {
      for (let id1 = accepts[s] as number; id1 !== 0; id1 = acceptNext[id1 - 1] as number) {
        const id = id1 - 1;
        if (wholeWord[id] === 1 && !endsWord) continue;
        const len = length[id] as number;
        const start = end - len;
        if (compared[id] === 1 && !this.spells(units, start, id)) continue;
        const slot = start & (RING - 1);
        if (mode[id] === WORD_START) {
          if (start > 0 && IS_WORD[units[start - 1] as number] === 1) continue;
          if (len <= (this.ringWordLength[slot] as number)) continue;
          this.ringWord[slot] = id1;
          this.ringWordLength[slot] = len;
        } else {
          if (len <= (this.ringAnyLength[slot] as number)) continue;
          this.ringAny[slot] = id1;
          this.ringAnyLength[slot] = len;
        }
        pending |= 1 << slot;
      }
    }
    this.pending = pending;
  }

  /** Whether the text at `start` holds trigger `id` itself, not another string of the same classes. */
  private spells(units: Uint16Array, start: number, id: number): boolean {
    const own = this.units[id] as Uint16Array;
    for (let i = 0; i < own.length; i++) if (units[start + i] !== own[i]) return false;
    return true;
  }

  /**
   * Emits the pending starts before `limit` in order (for each, a word-start trigger before an anywhere one) and
   * clears their slots; `limit` becomes the base. Visits only the pending starts, lowest bit first.
   */
  private settleBefore(limit: number): void {
    const base = this.base;
    this.base = limit;
    let pending = this.pending;
    if (pending === 0) return;
    const shift = base & (RING - 1);
    // Bit k of `ordered` is start base + k.
    let ordered = (pending >>> shift) | (pending << (RING - shift));
    const span = limit - base;
    if (span < RING) ordered &= (1 << span) - 1;
    while (ordered !== 0) {
      const k = 31 - Math.clz32(ordered & -ordered);
      ordered &= ordered - 1;
      const slot = (base + k) & (RING - 1);
      const word = this.ringWord[slot] as number;
      if (this.hitCount + 2 > this.hits.length) this.hits = grown(this.hits, this.hitCount + 2);
      this.hits[this.hitCount++] = base + k;
      this.hits[this.hitCount++] = (word !== 0 ? word : (this.ringAny[slot] as number)) - 1;
      this.ringWord[slot] = 0;
      this.ringWordLength[slot] = 0;
      this.ringAny[slot] = 0;
      this.ringAnyLength[slot] = 0;
      pending &= ~(1 << slot);
    }
    this.pending = pending;
  }
}
