// The pattern language of safe-regex.ts: a parser for the JavaScript (`u` flag) syntax it supports, producing a
// syntax tree over character sets folded for case-insensitive matching. Anything a linear-time matcher cannot
// honour (backreferences, lookaround) is refused here, with the offset of the offending part.

export class UnsafePatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePatternError';
  }
}

/** Upper bound of `{n,m}`: each unit of a count is a copy of the repeated part in the program. */
export const MAX_COUNT = 100;

/** Zero-width tests: start and end of input, word boundary and its negation. */
export type AssertKind = 'bol' | 'eol' | 'wordb' | 'nwordb';

export type Node =
  | { t: 'set'; set: number }
  | { t: 'any' }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; alts: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'assert'; kind: AssertKind };

/** Sorted, merged [lo, hi] pairs of UTF-16 units, after case folding when the pattern ignores case. */
export class CharSet {
  readonly ascii = new Uint8Array(128);
  private readonly high: number[] = [];

  constructor(ranges: readonly number[], negate: boolean) {
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i] as number, ranges[i + 1] as number]);
    pairs.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const pair of pairs) {
      const last = merged[merged.length - 1];
      if (last !== undefined && pair[0] <= last[1] + 1) last[1] = Math.max(last[1], pair[1]);
      else merged.push([pair[0], pair[1]]);
    }
    const flat: number[] = [];
    if (negate) {
      let next = 0;
      for (const [lo, hi] of merged) {
        if (lo > next) flat.push(next, lo - 1);
        next = hi + 1;
      }
      if (next <= 0xffff) flat.push(next, 0xffff);
    } else {
      for (const [lo, hi] of merged) flat.push(lo, hi);
    }
    for (let i = 0; i < flat.length; i += 2) {
      const lo = flat[i] as number;
      const hi = flat[i + 1] as number;
      for (let c = lo; c <= Math.min(hi, 127); c++) this.ascii[c] = 1;
      if (hi >= 128) this.high.push(Math.max(lo, 128), hi);
    }
  }

  get hasHigh(): boolean {
    return this.high.length > 0;
  }

  /** The one ASCII character (lower case when case is folded) this set stands for, or -1. */
  single(ignoreCase: boolean): number {
    if (this.high.length > 0) return -1;
    let found = -1;
    for (let c = 0; c < 128; c++) {
      if (this.ascii[c] !== 1) continue;
      const key = ignoreCase ? fold(c) : c;
      if (found !== -1 && found !== key) return -1;
      found = key;
    }
    return found;
  }

  has(c: number): boolean {
    if (c < 128) return this.ascii[c] === 1;
    const high = this.high;
    for (let i = 0; i < high.length; i += 2) {
      if (c < (high[i] as number)) return false;
      if (c <= (high[i + 1] as number)) return true;
    }
    return false;
  }
}

const foldCache = new Int32Array(0x10000).fill(-1);

/** Lower-case of one UTF-16 unit, itself when lower-casing changes its length. */
export function fold(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c + 32 : c;
  let f = foldCache[c] as number;
  if (f === -1) {
    const lower = String.fromCharCode(c).toLowerCase();
    f = lower.length === 1 ? lower.charCodeAt(0) : c;
    foldCache[c] = f;
  }
  return f;
}

const DIGIT_RANGES = [48, 57];
const WORD_RANGES = [48, 57, 65, 90, 95, 95, 97, 122];
const SPACE_RANGES = [
  9, 13, 32, 32, 160, 160, 5760, 5760, 8192, 8202, 8232, 8233, 8239, 8239, 8287, 8287, 12288, 12288, 65279,
  65279,
];

function complement(ranges: readonly number[]): number[] {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    if ((ranges[i] as number) > next) out.push(next, (ranges[i] as number) - 1);
    next = (ranges[i + 1] as number) + 1;
  }
  if (next <= 0xffff) out.push(next, 0xffff);
  return out;
}

const CLASS_ESCAPES: Readonly<Record<string, readonly number[]>> = {
  d: DIGIT_RANGES,
  D: complement(DIGIT_RANGES),
  w: WORD_RANGES,
  W: complement(WORD_RANGES),
  s: SPACE_RANGES,
  S: complement(SPACE_RANGES),
};
const CHAR_ESCAPES: Readonly<Record<string, number>> = { n: 10, r: 13, t: 9, v: 11, f: 12, '0': 0 };
/** Characters `u`-mode patterns may escape to mean themselves. */
const SYNTAX_CHARS = '^$\\.*+?()[]{}|/-';

export class Parser {
  private pos = 0;
  readonly sets: CharSet[] = [];

  constructor(
    private readonly src: string,
    private readonly ignoreCase: boolean,
  ) {}

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.src.length) this.fail(`unexpected "${this.src[this.pos]}"`);
    return node;
  }

  private fail(message: string): never {
    throw new UnsafePatternError(`${message} at offset ${this.pos}`);
  }

  private peek(): string {
    return this.src.charAt(this.pos);
  }

  private alternation(): Node {
    const alts = [this.sequence()];
    while (this.peek() === '|') {
      this.pos++;
      alts.push(this.sequence());
    }
    return alts.length === 1 ? (alts[0] as Node) : { t: 'alt', alts };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.pos < this.src.length && this.peek() !== '|' && this.peek() !== ')')
      items.push(this.repeat());
    return items.length === 1 ? (items[0] as Node) : { t: 'cat', items };
  }

  private repeat(): Node {
    let node = this.atom();
    for (;;) {
      const c = this.peek();
      let min: number;
      let max: number;
      if (c === '*') [min, max] = [0, Number.POSITIVE_INFINITY];
      else if (c === '+') [min, max] = [1, Number.POSITIVE_INFINITY];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') {
        const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(this.src.slice(this.pos));
        if (m === null) this.fail('incomplete quantifier');
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
        if (max < min) this.fail('numbers out of order in quantifier');
        if (min > MAX_COUNT || (max !== Number.POSITIVE_INFINITY && max > MAX_COUNT)) {
          this.fail(`repetition counts above ${MAX_COUNT} are not allowed`);
        }
        this.pos += m[0].length - 1;
      } else return node;
      this.pos++;
      if (this.peek() === '?') this.pos++;
      if (node.t === 'assert') this.fail('nothing to repeat');
      node = { t: 'rep', node, min, max };
      if (this.peek() !== '' && '*+?{'.includes(this.peek())) this.fail('nothing to repeat');
    }
  }

  private atom(): Node {
    const c = this.peek();
    this.pos++;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return this.charClass();
      case '.':
        return { t: 'any' };
      case '^':
        return { t: 'assert', kind: 'bol' };
      case '$':
        return { t: 'assert', kind: 'eol' };
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
      case '{':
        this.pos--;
        return this.fail('nothing to repeat');
      case ')':
      case ']':
      case '}':
        this.pos--;
        return this.fail(`lone "${c}"`);
      default: {
        const code = this.src.codePointAt(this.pos - 1) as number;
        if (code > 0xffff) this.fail('characters outside the Basic Multilingual Plane are not supported');
        return this.literal(code);
      }
    }
  }

  private group(): Node {
    if (this.src.startsWith('?:', this.pos)) this.pos += 2;
    else if (this.src.startsWith('?<', this.pos) && /[A-Za-z_$]/.test(this.src.charAt(this.pos + 2))) {
      const close = this.src.indexOf('>', this.pos);
      if (close === -1) this.fail('unterminated group name');
      this.pos = close + 1;
    } else if (this.peek() === '?') this.fail('lookaround assertions are not allowed');
    const node = this.alternation();
    if (this.peek() !== ')') this.fail('missing ")"');
    this.pos++;
    return node;
  }

  private addSet(ranges: readonly number[], negate: boolean): Node {
    const folded = this.ignoreCase ? foldRanges(ranges) : ranges;
    this.sets.push(new CharSet(folded, negate));
    return { t: 'set', set: this.sets.length - 1 };
  }

  private literal(code: number): Node {
    return this.addSet([code, code], false);
  }

  private hex(digits: number): number {
    const text = this.src.slice(this.pos, this.pos + digits);
    if (text.length !== digits || !/^[0-9A-Fa-f]+$/.test(text)) this.fail('invalid escape');
    this.pos += digits;
    return Number.parseInt(text, 16);
  }

  /** One escaped character or class: returns ranges, or the assertion \b or \B stands for outside classes. */
  private escapeRanges(inClass: boolean): readonly number[] | AssertKind {
    const c = this.peek();
    this.pos++;
    if (c === '') this.fail('\\ at end of pattern');
    const cls = CLASS_ESCAPES[c];
    if (cls !== undefined) return cls;
    const simple = CHAR_ESCAPES[c];
    if (simple !== undefined) {
      if (c === '0' && /\d/.test(this.peek())) this.fail('octal escapes are not allowed');
      return [simple, simple];
    }
    if (c === 'b') return inClass ? [8, 8] : 'wordb';
    if (c === 'B' && !inClass) return 'nwordb';
    if (/[1-9]/.test(c) || c === 'k') this.fail('backreferences are not allowed');
    if (c === 'p' || c === 'P') this.fail('Unicode property escapes are not supported');
    if (c === 'x') {
      const v = this.hex(2);
      return [v, v];
    }
    if (c === 'u') {
      if (this.peek() === '{') {
        const close = this.src.indexOf('}', this.pos);
        const text = close === -1 ? '' : this.src.slice(this.pos + 1, close);
        if (!/^[0-9A-Fa-f]{1,6}$/.test(text)) this.fail('invalid Unicode escape');
        const v = Number.parseInt(text, 16);
        if (v > 0xffff) this.fail('characters outside the Basic Multilingual Plane are not supported');
        this.pos = close + 1;
        return [v, v];
      }
      const v = this.hex(4);
      return [v, v];
    }
    if (c === 'c' && /[A-Za-z]/.test(this.peek())) {
      const v = this.src.charCodeAt(this.pos) % 32;
      this.pos++;
      return [v, v];
    }
    if (SYNTAX_CHARS.includes(c)) return [c.charCodeAt(0), c.charCodeAt(0)];
    return this.fail(`invalid escape "\\${c}"`);
  }

  private escape(): Node {
    const result = this.escapeRanges(false);
    return typeof result === 'string' ? { t: 'assert', kind: result } : this.addSet(result, false);
  }

  private classAtom(): readonly number[] {
    if (this.peek() === '\\') {
      this.pos++;
      return this.escapeRanges(true) as readonly number[];
    }
    const code = this.src.charCodeAt(this.pos);
    if (code >= 0xd800 && code <= 0xdbff)
      this.fail('characters outside the Basic Multilingual Plane are not supported');
    this.pos++;
    return [code, code];
  }

  private charClass(): Node {
    const negate = this.peek() === '^';
    if (negate) this.pos++;
    const ranges: number[] = [];
    while (this.peek() !== ']') {
      if (this.pos >= this.src.length) this.fail('missing "]"');
      const low = this.classAtom();
      if (this.peek() === '-' && this.src.charAt(this.pos + 1) !== ']' && this.pos + 1 < this.src.length) {
        this.pos++;
        const high = this.classAtom();
        if (low.length !== 2 || high.length !== 2) this.fail('a class escape cannot bound a range');
        if ((low[0] as number) > (high[0] as number)) this.fail('range out of order in character class');
        ranges.push(low[0] as number, high[0] as number);
      } else ranges.push(...low);
    }
    this.pos++;
    return this.addSet(ranges, negate);
  }
}

/** Adds the lower-case form of every member (ranges wider than the cap are kept as they are: already broad). */
function foldRanges(ranges: readonly number[]): number[] {
  const out = [...ranges];
  for (let i = 0; i < ranges.length; i += 2) {
    const lo = ranges[i] as number;
    const hi = ranges[i + 1] as number;
    for (let c = lo; c <= hi && c - lo < 4096; c++) {
      const f = fold(c);
      if (f !== c) out.push(f, f);
    }
  }
  return out;
}
