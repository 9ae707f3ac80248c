// The runaway SimHash is part of what a fleet shares (clusters in Redis): its value must not drift with how it is
// computed. A plain per-bit vote, written from the definition, is the reference; the bit-sliced counts and the
// votes kept for resent segments must give exactly its digest.
import { describe, expect, it } from 'vitest';
import { simHash } from '../../src/security/simhash.js';
import type { ScanSegment } from '../../src/security/types.js';

const mix = (a: number, b: number) => Math.imul((a ^ Math.imul(b, 0x9e3779b1)) >>> 0, 0x85ebca6b) >>> 0;

/** The definition: word unigrams and bigrams, digit runs read as `0`, one vote per feature and bit. */
function referenceSimHash(texts: readonly string[], maxChars: number): [number, number] {
  const votes = new Array<number>(64).fill(0);
  const vote = (a: number, b: number) => {
    for (let bit = 0; bit < 32; bit++) {
      votes[bit] = (votes[bit] as number) + ((a >>> bit) & 1 ? 1 : -1);
      votes[bit + 32] = (votes[bit + 32] as number) + ((b >>> bit) & 1 ? 1 : -1);
    }
  };
  let prev: [number, number] | null = null;
  let budget = maxChars;
  for (const text of texts) {
    if (budget <= 0) break;
    const words: string[] = [];
    let word = '';
    for (const ch of text.slice(0, budget)) {
      for (let k = 0; k < ch.length; k++) {
        const c = ch.charCodeAt(k);
        if (c >= 48 && c <= 57) {
          if (!word.endsWith('\u0000')) word += '\u0000';
        } else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 128) {
          word += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
        } else if (word) {
          words.push(word);
          word = '';
        }
      }
    }
    if (word) words.push(word);
    budget -= text.length;
    for (const w of words) {
      let a = 0x811c9dc5;
      let b = 0x050c5d1f;
      for (let k = 0; k < w.length; k++) {
        const c = w.charCodeAt(k) === 0 ? 48 : w.charCodeAt(k);
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(b ^ c, 0x01000193);
      }
      const h: [number, number] = [a >>> 0, b >>> 0];
      vote(h[0], h[1]);
      if (prev) vote(mix(prev[0], h[0]), mix(prev[1], h[1]));
      prev = h;
    }
  }
  let hi = 0;
  let lo = 0;
  for (let bit = 0; bit < 32; bit++) {
    if ((votes[bit] as number) > 0) lo |= 1 << bit;
    if ((votes[bit + 32] as number) > 0) hi |= 1 << bit;
  }
  return [hi >>> 0, lo >>> 0];
}

function segments(texts: readonly string[]): ScanSegment[] {
  return texts.map((text, i) => ({ kind: 'message', messageIndex: i, role: 'user', partIndex: 0, text }));
}

/** A fresh copy of the text, as the next request's JSON.parse would make it. */
const again = (text: string): string => JSON.parse(JSON.stringify(text)) as string;

const TURNS: readonly (readonly string[])[] = [
  ['Run the tests again, attempt 17 of 200, at 2026-12-07T03:04:05Z.'],
  ['expected 42 to equal 41 at computeTotals (src/billing/totals.ts:88:13)\n'.repeat(12)],
  ['first part ends here', 'second part begins', '', '   ', 'tail'],
  ['Ünïcödé wörds, 日本語のテキスト and emoji 🙂 mixed in'],
  ['123 456', 'x', '7'],
  [''],
  ['!!! ??? ...'],
];

describe('simHash', () => {
  it.each(TURNS.map((turn) => [turn.join(' | ').slice(0, 40), turn] as const))(
    'matches the per-bit vote definition: %s',
    (_name, turn) => {
      expect(simHash(segments(turn), 64 * 1024)).toEqual(referenceSimHash(turn, 64 * 1024));
    },
  );

  it('gives the same digest when the segments are resent (their votes kept) in a new order and company', () => {
    const texts = ['the build failed again on step 3', 'retrying with --force', 'see log line 4411'];
    const first = simHash(segments(texts), 64 * 1024);
    expect(simHash(segments(texts.map(again)), 64 * 1024)).toEqual(first);
    const reordered = [texts[2], 'a new message', texts[0]] as string[];
    expect(simHash(segments(reordered.map(again)), 64 * 1024)).toEqual(
      referenceSimHash(reordered, 64 * 1024),
    );
  });

  it('hashes only the first maxChars characters, cutting the last segment mid-word', () => {
    const texts = ['alpha beta gamma', 'delta epsilon zeta eta theta'];
    for (const maxChars of [1, 5, 16, 17, 22, 200]) {
      expect(simHash(segments(texts), maxChars)).toEqual(referenceSimHash(texts, maxChars));
    }
    // Resent whole after being cut: the kept votes are the whole text's.
    expect(simHash(segments(texts.map(again)), 200)).toEqual(referenceSimHash(texts, 200));
  });

  it('matches the definition on long random texts', () => {
    let seed = 99;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_/\n\u00e9\u4e00';
    for (let round = 0; round < 20; round++) {
      const texts = Array.from({ length: 1 + random(4) }, () =>
        Array.from({ length: random(3000) }, () => alphabet[random(alphabet.length)]).join(''),
      );
      const maxChars = round % 2 === 0 ? 64 * 1024 : 1 + random(5000);
      expect(simHash(segments(texts), maxChars)).toEqual(referenceSimHash(texts, maxChars));
    }
  });
});
