// Finds rule triggers with one Aho-Corasick automaton: one table step per UTF-16 unit, whatever the number of
// triggers, and nothing allocated per hit. Irregexp ran the same search as two trie-shaped regexes (`\b(?:trie)` for
// triggers that must start a word, `(?:trie)` for the rest), entering the alternation at every word start or position,
// about twice the time of this pass. The hits are exactly the regexes' hits: at each position, in text order, the
// longest word-start trigger that starts there (the position starts a word), else the longest anywhere trigger; a
// short whole-word trigger must also end a word. Word characters are those of a non-Unicode `\b`: [A-Za-z0-9_].
import { codeUnitsOf } from '../code-units.js';

/** Short triggers ("sh", "rm", "2") would fire on every word they start; they must be whole words. */
const WHOLE_WORD_MAX = 3;
export const isWholeWordTrigger = (t: string): boolean =>
  t.length <= WHOLE_WORD_MAX && /^[a-z0-9].*[a-z0-9]$|^[a-z0-9]$/.test(t);

const INITIAL_HIT_BUFFER = 1024;
const KEPT_HIT_BUFFER = 1 << 16;

const IS_WORD = new Uint8Array(65536);
for (let c = 0; c < 128; c++) if (/[A-Za-z0-9_]/.test(String.fromCharCode(c))) IS_WORD[c] = 1;

/** A trigger's start condition. */
const WORD_START = 1;
const ANYWHERE = 2;

export class TriggerAutomaton {
  /** The triggers, by id. */
  readonly triggers: readonly string[];
  /** Character class of each UTF-16 unit; 0 for units in no trigger (they lead back to the root). */
  private readonly classOf: Uint16Array;
  private readonly width: number;
  /**
   * The transitions, premultiplied: `rows[state * width + class]` is the next state's row (`state * width`), or
   * `-row - 1` when a trigger ends in that state. The scan's step is then a load and a sign test, with no multiply
   * and no second table on the path from one character to the next (a fifth less time per character).
   */
  private readonly rows: Int32Array;
  /** Trigger id + 1 ending exactly at a state (0: none). */
  private readonly accepts: Int32Array;
  /** The nearest proper suffix state that accepts (0: none): the other triggers ending here. */
  private readonly outputLink: Int32Array;
  /** Length of the text a state stands for: only a trigger starting within that many units back can still match. */
  private readonly depth: Int32Array;
  private readonly length: Int32Array;
  private readonly mode: Uint8Array;
  private readonly wholeWord: Uint8Array;
  /** 1 for a state whose every trigger ending there is whole-word (none counts when a word character follows). */
  private readonly wordEndOnly: Uint8Array;
  /** Pending hits by start position modulo ring size: best trigger id + 1 and its length, per start mode. */
  private readonly ringMask: number;
  private readonly ringWord: Int32Array;
  private readonly ringWordLength: Int32Array;
  private readonly ringAny: Int32Array;
  private readonly ringAnyLength: Int32Array;
  /** The hits of the current `find`, as [start, triggerId] pairs, and how many numbers of it are used. */
  private hits = new Int32Array(INITIAL_HIT_BUFFER);
  private hitCount = 0;

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
        if (classOf[unit] === 0) classOf[unit] = width++;
      }
    }
    this.classOf = classOf;
    this.width = width;

    // The trie, then breadth-first failure links folded into a complete transition table.
    const children: Map<number, number>[] = [new Map()];
    const acceptsList: number[] = [0];
    const depthList: number[] = [0];
    triggers.forEach((t, id) => {
      let state = 0;
      for (let i = 0; i < t.length; i++) {
        const cls = classOf[t.charCodeAt(i)] as number;
        let next = (children[state] as Map<number, number>).get(cls);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          acceptsList.push(0);
          depthList.push(i + 1);
          (children[state] as Map<number, number>).set(cls, next);
        }
        state = next;
      }
      acceptsList[state] = id + 1;
    });
    const states = children.length;
    const delta = new Int32Array(states * width);
    const failure = new Int32Array(states);
    const outputLink = new Int32Array(states);
    const emits = new Uint8Array(states);
    // Rows are state * width: both fit the table's 32 bits with room to spare only below 2^31 entries.
    if (states * width >= 2 ** 31) throw new Error('trigger automaton too large');
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
    const rows = new Int32Array(states * width);
    for (let i = 0; i < rows.length; i++) {
      const next = delta[i] as number;
      rows[i] = emits[next] === 1 ? -(next * width) - 1 : next * width;
    }
    this.rows = rows;
    this.accepts = accepts;
    this.outputLink = outputLink;
    this.depth = Int32Array.from(depthList);
    const wordEndOnly = new Uint8Array(states);
    for (let state = 1; state < states; state++) {
      let all = 1;
      for (
        let o = accepts[state] !== 0 ? state : (outputLink[state] as number);
        o !== 0;
        o = outputLink[o] as number
      )
        if (this.wholeWord[(accepts[o] as number) - 1] !== 1) all = 0;
      wordEndOnly[state] = all;
    }
    this.wordEndOnly = wordEndOnly;

    let ring = 1;
    const longest = Math.max(1, ...this.length);
    while (ring <= longest) ring <<= 1;
    this.ringMask = ring - 1;
    this.ringWord = new Int32Array(ring);
    this.ringWordLength = new Int32Array(ring);
    this.ringAny = new Int32Array(ring);
    this.ringAnyLength = new Int32Array(ring);
    this.warm();
  }

  /**
   * Runs every path of `find` (hits of both kinds, settling, the end of the text) before the first request does:
   * V8 optimises a function with the types it has seen, and a path first met mid-request would throw that code away
   * (deoptimise) and run interpreted until it is optimised again.
   */
  private warm(): void {
    const sample = `${this.triggers.join(' ')} ${this.triggers.join('')}`;
    for (let round = 0; round < 3; round++) this.find(sample);
  }

  /**
   * Every trigger hit in `text`, in order of start, as [start, triggerId] pairs (one per start). The pairs live in a
   * buffer the next call reuses: read them before scanning again.
   * A hit at a start is final once no longer trigger from there can still match, i.e. once the start lies before
   * the text the automaton's state stands for; until then it waits in a ring of pending starts.
   */
  find(text: string): Int32Array {
    this.hitCount = 0;
    const { classOf, rows, width, wordEndOnly } = this;
    const n = text.length;
    const units = codeUnitsOf(text);
    let row = 0;
    // Starts with a pending hit lie in [oldest, i]; none when oldest is n.
    let oldest = n;
    let i = 0;
    while (i < n) {
      // Nothing pending (the usual case): step until a state that ends a trigger, in a loop with nothing else in it.
      if (oldest === n) {
        let next = 0;
        for (; i < n; i++) {
          next = rows[row + (classOf[units[i] as number] as number)] as number;
          if (next < 0) break;
          row = next;
        }
        if (i === n) break;
        row = -next - 1;
        // Most ends on prose are short whole-word triggers inside a longer word ("nc" in "once"): passed over here.
        if (i + 1 < n && IS_WORD[units[i + 1] as number] === 1 && wordEndOnly[row / width] === 1) {
          i++;
          continue;
        }
        oldest = this.collect(units, n, row / width, i + 1, oldest);
      } else {
        const next = rows[row + (classOf[units[i] as number] as number)] as number;
        if (next >= 0) {
          row = next;
        } else {
          row = -next - 1;
          oldest = this.collect(units, n, row / width, i + 1, oldest);
        }
      }
      if (oldest !== n) oldest = this.settleBefore(row / width, oldest, i, n);
      i++;
    }
    this.settleRest(oldest, n);
    const found = this.hits.subarray(0, this.hitCount);
    // A huge text's buffer is not kept for the small ones after it.
    if (this.hits.length > KEPT_HIT_BUFFER) this.hits = new Int32Array(INITIAL_HIT_BUFFER);
    return found;
  }

  /** Settles the pending starts before the text the state stands for (they can begin no longer trigger). */
  private settleBefore(state: number, oldest: number, at: number, none: number): number {
    const limit = at - (this.depth[state] as number);
    return limit >= oldest ? this.settleUpTo(oldest, limit, at, none) : oldest;
  }

  private settleRest(oldest: number, n: number): void {
    for (let start = oldest; start < n; start++) this.settle(start);
  }

  /** Records the valid triggers ending at `end` as pending hits at their starts; returns the oldest pending start. */
  private collect(units: Uint16Array, n: number, state: number, end: number, oldest: number): number {
    const { accepts, outputLink, length, mode, wholeWord, ringMask } = this;
    const endsWord = end === n || IS_WORD[units[end] as number] === 0;
    for (
      let s = accepts[state] !== 0 ? state : (outputLink[state] as number);
      s !== 0;
      s = outputLink[s] as number
    ) {
      const id = (accepts[s] as number) - 1;
      if (wholeWord[id] === 1 && !endsWord) continue;
      const len = length[id] as number;
      const start = end - len;
      const slot = start & ringMask;
      if (mode[id] === WORD_START) {
        if (start > 0 && IS_WORD[units[start - 1] as number] === 1) continue;
        if (len <= (this.ringWordLength[slot] as number)) continue;
        this.ringWord[slot] = id + 1;
        this.ringWordLength[slot] = len;
      } else {
        if (len <= (this.ringAnyLength[slot] as number)) continue;
        this.ringAny[slot] = id + 1;
        this.ringAnyLength[slot] = len;
      }
      if (start < oldest) oldest = start;
    }
    return oldest;
  }

  /** Settles the pending starts in [oldest, limit]; returns the next pending start up to `at` (`none` if none). */
  private settleUpTo(oldest: number, limit: number, at: number, none: number): number {
    for (let start = oldest; start <= limit; start++) this.settle(start);
    for (let start = limit + 1; start <= at; start++) {
      const slot = start & this.ringMask;
      if (this.ringWord[slot] !== 0 || this.ringAny[slot] !== 0) return start;
    }
    return none;
  }

  /** Emits the hit pending at `start`, if any (a word-start trigger before an anywhere one), and clears its slot. */
  private settle(start: number): void {
    const slot = start & this.ringMask;
    const word = this.ringWord[slot] as number;
    const any = this.ringAny[slot] as number;
    if (word === 0 && any === 0) return;
    if (this.hitCount + 2 > this.hits.length) {
      const grown = new Int32Array(this.hits.length * 2);
      grown.set(this.hits);
      this.hits = grown;
    }
    this.hits[this.hitCount++] = start;
    this.hits[this.hitCount++] = (word !== 0 ? word : any) - 1;
    this.ringWord[slot] = 0;
    this.ringWordLength[slot] = 0;
    this.ringAny[slot] = 0;
    this.ringAnyLength[slot] = 0;
  }
}
