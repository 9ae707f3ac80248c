// Operator-written patterns run against attacker-influenced text (tool-call arguments), so they must not be able to
// backtrack: V8's engine can spend exponential time on `(a+)+$`, and even `a.*b` costs O(n²) on a long run of `a`.
// This is a small Thompson-NFA matcher (a Pike VM, the design RE2 uses): it advances every live thread one character
// at a time, so a search costs O(text length × program size) whatever the pattern and input.
//
// Supported: JavaScript syntax (as with the `u` flag) for literals, escapes (\d \w \s \b and their negations, \n \t
// \xHH \uHHHH \u{H…}), `.`, classes with ranges, groups (capturing, non-capturing, named: all just group),
// alternation, greedy or lazy quantifiers, `^` `$` (whole input). Rejected: backreferences, lookaround, Unicode
// property escapes, repetition counts above MAX_COUNT, patterns whose expanded program exceeds MAX_PROGRAM, and
// patterns that match the empty string (they would match every input). Case-insensitive matching folds both sides
// to lower case per UTF-16 unit, which is what `i` does for all but a few special cases (e.g. the Kelvin sign).
import {
  type AssertKind,
  type CharSet,
  fold,
  MAX_COUNT,
  type Node,
  Parser,
  UnsafePatternError,
} from './safe-regex-syntax.js';

export { MAX_COUNT, UnsafePatternError };

/** Instructions after expansion; the per-character cost of a search grows with it. */
export const MAX_PROGRAM = 2000;

const OP_SET = 0;
const OP_ANY = 1;
const OP_SPLIT = 2;
const OP_JMP = 3;
const OP_MATCH = 4;
const OP_BOL = 5;
const OP_EOL = 6;
const OP_WORDB = 7;
const OP_NWORDB = 8;
const ASSERT_OPS: Readonly<Record<AssertKind, number>> = {
  bol: OP_BOL,
  eol: OP_EOL,
  wordb: OP_WORDB,
  nwordb: OP_NWORDB,
};

/** Lower-case of one UTF-16 unit; ASCII inline, the rest through the shared cache. */
function foldUnit(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c + 32 : c;
  return fold(c);
}
class Program {
  op: number[] = [];
  x: number[] = [];
  y: number[] = [];

  emit(op: number, x = 0, y = 0): number {
    if (this.op.length >= MAX_PROGRAM) {
      throw new UnsafePatternError(`pattern expands to more than ${MAX_PROGRAM} instructions`);
    }
    this.op.push(op);
    this.x.push(x);
    this.y.push(y);
    return this.op.length - 1;
  }

  compile(node: Node): void {
    switch (node.t) {
      case 'set':
        this.emit(OP_SET, node.set);
        return;
      case 'any':
        this.emit(OP_ANY);
        return;
      case 'assert':
        this.emit(ASSERT_OPS[node.kind]);
        return;
      case 'cat':
        for (const item of node.items) this.compile(item);
        return;
      case 'alt': {
        const jumps: number[] = [];
        node.alts.forEach((alt, i) => {
          if (i < node.alts.length - 1) {
            const split = this.emit(OP_SPLIT);
            this.x[split] = split + 1;
            this.compile(alt);
            jumps.push(this.emit(OP_JMP));
            this.y[split] = this.op.length;
          } else this.compile(alt);
        });
        for (const jump of jumps) this.x[jump] = this.op.length;
        return;
      }
      case 'rep': {
        for (let i = 0; i < node.min; i++) this.compile(node.node);
        if (node.max === Number.POSITIVE_INFINITY) {
          const split = this.emit(OP_SPLIT);
          this.x[split] = split + 1;
          this.compile(node.node);
          this.emit(OP_JMP, split);
          this.y[split] = this.op.length;
          return;
        }
        const splits: number[] = [];
        for (let i = node.min; i < node.max; i++) {
          const split = this.emit(OP_SPLIT);
          this.x[split] = split + 1;
          splits.push(split);
          this.compile(node.node);
        }
        for (const split of splits) this.y[split] = this.op.length;
      }
    }
  }
}

function isWordUnit(text: string, at: number): boolean {
  if (at < 0 || at >= text.length) return false;
  const c = text.charCodeAt(at);
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isLineTerminator(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

export interface SafeMatch {
  start: number;
  end: number;
}

/**
 * Work allowed across searches, in thread steps (one live NFA thread advanced by one character). A search costs
 * at most text length × live threads, which a pattern like `[a-z]{0,100}x` can keep at 100 over a long input.
 */
export interface SearchBudget {
  steps: number;
}

/** The search stopped because its budget ran out: the text is unchecked past `checkedTo`. */
export interface BudgetExhausted {
  exhausted: true;
  checkedTo: number;
}

/** A compiled pattern. Not re-entrant: one search at a time per instance (the thread lists are reused). */
export class SafeRegex {
  private readonly op: Uint8Array;
  private readonly x: Int32Array;
  private readonly y: Int32Array;
  private readonly sets: CharSet[];
  private readonly mark: Int32Array;
  private generation = 0;
  private readonly lists: [Int32Array, Int32Array, Int32Array, Int32Array];
  private readonly stack: Int32Array;
  /** Folded ASCII units that can begin a match, or null when anything can (a leading `.`, a negated class). */
  private readonly firstAscii: Uint8Array | null;
  private readonly firstHigh: boolean;
  /** Literal ASCII text every match starts with (lower case when case is folded): found with indexOf. */
  private readonly prefix: string;

  constructor(
    readonly source: string,
    readonly ignoreCase = true,
  ) {
    const parser = new Parser(source, ignoreCase);
    const program = new Program();
    program.compile(parser.parse());
    program.emit(OP_MATCH);
    this.op = Uint8Array.from(program.op);
    this.x = Int32Array.from(program.x);
    this.y = Int32Array.from(program.y);
    this.sets = parser.sets;
    const size = this.op.length;
    this.mark = new Int32Array(size);
    this.lists = [new Int32Array(size), new Int32Array(size), new Int32Array(size), new Int32Array(size)];
    this.stack = new Int32Array(size * 2 + 2);
    const first = this.firstInstructions();
    if (first.some((pc) => this.op[pc] === OP_MATCH)) {
      throw new UnsafePatternError('pattern matches the empty string, so it would match every input');
    }
    if (first.some((pc) => this.op[pc] === OP_ANY)) {
      this.firstAscii = null;
      this.firstHigh = true;
    } else {
      const ascii = new Uint8Array(128);
      let high = false;
      for (const pc of first) {
        const set = this.sets[this.x[pc] as number] as CharSet;
        for (let c = 0; c < 128; c++) if (set.ascii[c] === 1) ascii[c] = 1;
        high ||= set.hasHigh;
      }
      this.firstAscii = ascii;
      this.firstHigh = high;
    }
    this.prefix = this.literalPrefix();
  }

  private literalPrefix(): string {
    let prefix = '';
    let pc = 0;
    while (this.op[pc] === OP_BOL || this.op[pc] === OP_WORDB || this.op[pc] === OP_NWORDB) pc++;
    for (; this.op[pc] === OP_SET; pc++) {
      const c = (this.sets[this.x[pc] as number] as CharSet).single(this.ignoreCase);
      if (c === -1) break;
      prefix += String.fromCharCode(c);
    }
    return prefix;
  }

  /** Instructions that consume or match first, assertions taken as passable. */
  private firstInstructions(): number[] {
    const seen = new Set<number>();
    const out: number[] = [];
    const pending = [0];
    while (pending.length > 0) {
      const pc = pending.pop() as number;
      if (seen.has(pc)) continue;
      seen.add(pc);
      const op = this.op[pc];
      if (op === OP_JMP) pending.push(this.x[pc] as number);
      else if (op === OP_SPLIT) pending.push(this.x[pc] as number, this.y[pc] as number);
      else if (op === OP_SET || op === OP_ANY || op === OP_MATCH) out.push(pc);
      else pending.push(pc + 1);
    }
    return out;
  }

  private canStart(c: number): boolean {
    if (this.firstAscii === null) return true;
    return c < 128 ? this.firstAscii[this.ignoreCase ? foldUnit(c) : c] === 1 : this.firstHigh;
  }

  /** Adds `pc`'s closure at position `at` to a thread list, in priority order; returns the new count. */
  private add(
    pcs: Int32Array,
    starts: Int32Array,
    count: number,
    pc0: number,
    start: number,
    text: string,
    at: number,
  ): number {
    const mark = this.mark;
    const gen = this.generation;
    const op0 = this.op[pc0];
    // Most steps land on an instruction that consumes: no closure to walk.
    if (op0 === OP_SET || op0 === OP_ANY || op0 === OP_MATCH) {
      if (mark[pc0] === gen) return count;
      mark[pc0] = gen;
      pcs[count] = pc0;
      starts[count] = start;
      return count + 1;
    }
    const stack = this.stack;

    let top = 0;
    stack[top++] = pc0;
    let n = count;
    while (top > 0) {
      const pc = stack[--top] as number;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      switch (this.op[pc]) {
        case OP_JMP:
          stack[top++] = this.x[pc] as number;
          break;
        case OP_SPLIT:
          stack[top++] = this.y[pc] as number;
          stack[top++] = this.x[pc] as number;
          break;
        case OP_BOL:
          if (at === 0) stack[top++] = pc + 1;
          break;
        case OP_EOL:
          if (at === text.length) stack[top++] = pc + 1;
          break;
        case OP_WORDB:
        case OP_NWORDB:
          if ((isWordUnit(text, at - 1) !== isWordUnit(text, at)) === (this.op[pc] === OP_WORDB))
            stack[top++] = pc + 1;
          break;
        default:
          pcs[n] = pc;
          starts[n] = start;
          n++;
      }
    }
    return n;
  }

  private nextGeneration(): void {
    if (this.generation >= 0x3fffffff) {
      this.mark.fill(0);
      this.generation = 0;
    }
    this.generation++;
  }

  /**
   * The leftmost match at or after `from` (leftmost-first, as a backtracking engine would choose), or null.
   * `foldedText`, when given, must be `text.toLowerCase()` of the same length (see `foldedForSearch`): with it a pattern
   * that starts with literal text jumps between occurrences of that text instead of stepping through the rest.
   */
  search(
    text: string,
    from = 0,
    budget: SearchBudget = { steps: Number.POSITIVE_INFINITY },
    foldedText?: string,
  ): SafeMatch | BudgetExhausted | null {
    let [cPcs, cStarts, nPcs, nStarts] = this.lists;
    let cCount = 0;
    let matchStart = -1;
    let matchEnd = -1;
    let steps = budget.steps;
    this.nextGeneration();
    for (let pos = from; pos <= text.length; pos++) {
      if (matchStart === -1) {
        if (cCount === 0) {
          if (this.prefix !== '' && (foldedText !== undefined || !this.ignoreCase)) {
            const next = (this.ignoreCase ? (foldedText as string) : text).indexOf(this.prefix, pos);
            if (next === -1) break;
            pos = next;
          } else {
            while (pos < text.length && !this.canStart(text.charCodeAt(pos))) pos++;
            if (pos === text.length) break;
          }
          // Failed assertions left marks under the current generation; an empty list can start a fresh one.
          this.nextGeneration();
        }
        cCount = this.add(cPcs, cStarts, cCount, 0, pos, text, pos);
      }
      if (cCount === 0) break;
      steps -= cCount;
      if (steps < 0) {
        budget.steps = steps;
        return { exhausted: true, checkedTo: pos };
      }
      this.nextGeneration();
      const c = pos < text.length ? text.charCodeAt(pos) : -1;
      const folded = c >= 0 && this.ignoreCase ? foldUnit(c) : c;
      const sets = this.sets;
      let nCount = 0;
      for (let i = 0; i < cCount; i++) {
        const pc = cPcs[i] as number;
        const op = this.op[pc];
        if (op === OP_MATCH) {
          matchStart = cStarts[i] as number;
          matchEnd = pos;
          break;
        }
        if (c < 0) continue;
        let ok: boolean;
        if (op === OP_ANY) ok = !isLineTerminator(c);
        else {
          const set = sets[this.x[pc] as number] as CharSet;
          ok = folded < 128 ? set.ascii[folded] === 1 : set.has(folded);
        }
        if (ok) nCount = this.add(nPcs, nStarts, nCount, pc + 1, cStarts[i] as number, text, pos + 1);
      }
      const pcsSwap = cPcs;
      const startsSwap = cStarts;
      cPcs = nPcs;
      cStarts = nStarts;
      nPcs = pcsSwap;
      nStarts = startsSwap;
      cCount = nCount;
      if (c < 0) break;
    }
    budget.steps = steps;
    return matchStart === -1 ? null : { start: matchStart, end: matchEnd };
  }
}

/** `text` lower-cased for `SafeRegex.search`, or undefined when lower-casing changes its length (then unused). */
export function foldedForSearch(text: string): string | undefined {
  const folded = text.toLowerCase();
  return folded.length === text.length ? folded : undefined;
}

/** Why `source` cannot be used as a denied-argument pattern, or null when it compiles under these rules. */
export function safePatternProblem(source: string): string | null {
  try {
    new SafeRegex(source);
    return null;
  } catch (error) {
    if (error instanceof UnsafePatternError) return error.message;
    throw error;
  }
}
