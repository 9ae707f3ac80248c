import { describe, expect, it } from 'vitest';
import { foldedForSearch, SafeRegex, safePatternProblem } from '../../src/security/safe-regex.js';
import { CATASTROPHIC_MS } from './support.js';

/** xorshift32, so the differential test is the same every run. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const PATTERNS = [
  'rm\\s+-rf',
  'a.*b',
  '(a|ab)(c|bcd)(d*)',
  '^abc',
  'abc$',
  '\\bcat\\b',
  'x\\By',
  '[^a-c]+x',
  'colou?r',
  '(?:ab){2,3}',
  '[\\d-]+z',
  'a|b|c',
  '\\$\\{?[A-Z_]+\\}?',
  'é+',
  'curl[^|]{0,20}\\|\\s*(?:ba)?sh',
  '(a+)+b',
  '(?<name>ab)+c',
  'a{2,}?',
  '[\\w.]+@[\\w.]+',
  '\\x41\\u0062',
];
const ALPHABET = 'abcdxyzrmsuhl ABC-|$_{}@.é\n12';

describe('SafeRegex', () => {
  it('finds the same first match as RegExp (with and without i) on random inputs', () => {
    const next = random(12345);
    for (const source of PATTERNS) {
      for (const ignoreCase of [true, false]) {
        const reference = new RegExp(source, ignoreCase ? 'iu' : 'u');
        const safe = new SafeRegex(source, ignoreCase);
        for (let k = 0; k < 400; k++) {
          let text = '';
          const length = Math.floor(next() * 16);
          for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(next() * ALPHABET.length)];
          const m = reference.exec(text);
          const folded = next() < 0.5 ? foldedForSearch(text) : undefined;
          const found = safe.search(text, 0, undefined, folded);
          const expected = m === null ? null : { start: m.index, end: m.index + m[0].length };
          expect(found, `${source} /${ignoreCase ? 'i' : ''} on ${JSON.stringify(text)}`).toEqual(expected);
        }
      }
    }
  });

  it('searches from an offset', () => {
    expect(new SafeRegex('ab').search('ab ab', 1)).toEqual({ start: 3, end: 5 });
  });

  it('explains every refused pattern', () => {
    expect(safePatternProblem('(a)\\1')).toMatch(/backreference/);
    expect(safePatternProblem('(?=a)b')).toMatch(/lookaround/);
    expect(safePatternProblem('a{101}')).toMatch(/above 100/);
    expect(safePatternProblem('a?')).toMatch(/empty string/);
    expect(safePatternProblem('[b-a]')).toMatch(/out of order/);
    expect(safePatternProblem('a**')).toMatch(/nothing to repeat/);
    expect(safePatternProblem('(a{100}){100}')).toMatch(/instructions/);
    expect(safePatternProblem('rm\\s+-rf')).toBeNull();
  });

  it('stays linear on inputs that make backtracking engines explode', () => {
    const text = 'a'.repeat(300_000);
    const started = Date.now();
    expect(new SafeRegex('(a|a)+!').search(`${text}!`)).toEqual({ start: 0, end: 300_001 });
    expect(new SafeRegex('(a|a)+c').search(text)).toBeNull();
    expect(new SafeRegex('(a+)+b').search(text)).toBeNull();
    expect(new SafeRegex('a.*b').search(text)).toBeNull();
    expect(Date.now() - started).toBeLessThan(CATASTROPHIC_MS);
  });

  it('stops when its budget runs out, saying how far it got', () => {
    const result = new SafeRegex('[a-z]{0,20}q').search('a'.repeat(10_000), 0, { steps: 5_000 });
    expect(result).toMatchObject({ exhausted: true });
    expect((result as { checkedTo: number }).checkedTo).toBeGreaterThan(0);
  });
});
