// The trigger automaton must report exactly what the rule engine's definition of a trigger hit says: at each position,
// in order, the longest word-start trigger starting there (the position starts a word), else the longest anywhere
// trigger; a short whole-word trigger must also end a word. Checked against that definition written naively, on
// hand-picked cases and on random texts built from the triggers' own pieces.
import { describe, expect, it } from 'vitest';
import { isWholeWordTrigger, TriggerAutomaton } from '../../src/security/detectors/trigger-automaton.js';

const isWord = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

/** The definition, one position and one trigger at a time. */
function naiveHits(
  text: string,
  wordStart: readonly string[],
  anywhere: readonly string[],
): [number, string][] {
  const hits: [number, string][] = [];
  const longestAt = (
    at: number,
    triggers: readonly string[],
    needsWordStart: boolean,
  ): string | undefined => {
    let best: string | undefined;
    for (const t of triggers) {
      if (!text.startsWith(t, at)) continue;
      if (needsWordStart && isWord(text[at - 1])) continue;
      if (isWholeWordTrigger(t) && isWord(text[at + t.length])) continue;
      if (best === undefined || t.length > best.length) best = t;
    }
    return best;
  };
  for (let at = 0; at < text.length; at++) {
    const hit = longestAt(at, wordStart, true) ?? longestAt(at, anywhere, false);
    if (hit !== undefined) hits.push([at, hit]);
  }
  return hits;
}

/** A seeded generator of integers below `n`: every run checks the same texts. */
function seededRandom(seed: number): (n: number) => number {
  let state = seed;
  // Integer arithmetic (a float product loses the low bits and the sequence falls into a short cycle), high bits.
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    return (state >>> 8) % n;
  };
}

function automatonHits(automaton: TriggerAutomaton, text: string): [number, string][] {
  const out = automaton.find(text);
  const hits: [number, string][] = [];
  for (let i = 0; i < out.length; i += 2)
    hits.push([out[i] as number, automaton.triggers[out[i + 1] as number] as string]);
  return hits;
}

const WORD_START = [
  'ignore',
  'ignore previous',
  'ign',
  'sh',
  'rm',
  'system prompt',
  'prompt',
  'dan',
  'do anything',
];
const ANYWHERE = [
  'gpt',
  '[',
  '[/inst',
  '<|',
  '/etc/passwd',
  '/etc/',
  '.ssh/',
  '|',
  '"".__class__',
  'é',
  'ünter',
];

describe('trigger automaton', () => {
  const automaton = new TriggerAutomaton(WORD_START, ANYWHERE);

  it.each([
    ['Please ignore previous notes', [[7, 'ignore previous']]],
    [
      'ignored: ign',
      [
        [0, 'ignore'],
        [9, 'ign'],
      ],
    ],
    ['bash sh -c; shell', [[5, 'sh']]],
    [
      'the system prompt',
      [
        [4, 'system prompt'],
        [11, 'prompt'],
      ],
    ],
    [
      'chatgpt said [/inst] ok',
      [
        [4, 'gpt'],
        [13, '[/inst'],
      ],
    ],
    [
      'cat /etc/passwd|rm',
      [
        [4, '/etc/passwd'],
        [15, '|'],
        [16, 'rm'],
      ],
    ],
    ['random words only', []],
    ['xdan dan_ dan', [[10, 'dan']]],
    ['prompt', [[0, 'prompt']]],
    [
      'café ünter',
      [
        [3, 'é'],
        [5, 'ünter'],
      ],
    ],
  ] as const)('%j', (text, expected) => {
    expect(automatonHits(automaton, text)).toEqual(expected);
    expect(naiveHits(text, WORD_START, ANYWHERE)).toEqual(expected);
  });

  it('agrees with the definition on random texts made of trigger pieces', () => {
    const pieces = [
      ...WORD_START,
      ...ANYWHERE,
      ' ',
      ' ',
      '_',
      'x',
      '1',
      '-',
      '\n',
      'é',
      'ign',
      'syst',
      'em',
      'pro',
    ];
    const random = seededRandom(42);
    // Short texts, then texts long enough to be walked in two halves (a trigger may straddle the middle).
    for (let round = 0; round < 3200; round++) {
      let text = '';
      for (let k = round < 3000 ? random(14) : 600 + random(900); k >= 0; k--) {
        const piece = pieces[random(pieces.length)] as string;
        text += random(4) === 0 ? piece.slice(0, 1 + random(piece.length)) : piece;
      }
      expect(automatonHits(automaton, text), text).toEqual(naiveHits(text, WORD_START, ANYWHERE));
    }
  });

  it('agrees with the definition on one long text, and on a short one after it', () => {
    // Long enough that the unit scratch grows and the hit buffer doubles several times.
    let text = '';
    for (let i = 0; text.length < 200_000; i++) {
      text += `${WORD_START[i % WORD_START.length]}${i % 3 === 0 ? '' : ' '}${ANYWHERE[i % ANYWHERE.length]}x`;
    }
    expect(automatonHits(automaton, text)).toEqual(naiveHits(text, WORD_START, ANYWHERE));
    expect(automatonHits(automaton, 'then sh -c')).toEqual([[5, 'sh']]);
  });

  it('agrees with the definition with triggers as long as allowed, overlapping on every side', () => {
    // Pending hits sit in a 32-position ring: triggers of the greatest length, ending close together and starting
    // inside one another, fill it from both ends.
    const wordStart = [
      'ignore all previous instructions',
      'ignore all previous',
      'all previous instructions now ok',
      'previous instructions',
      'instructions',
      'all',
      'ok',
    ];
    const anywhere = ['s now ok and the system prompt!!', 'tions', 'prompt!!', '!'];
    expect(Math.max(...[...wordStart, ...anywhere].map((t) => t.length))).toBe(32);
    const long = new TriggerAutomaton(wordStart, anywhere);
    const pieces = [...wordStart, ...anywhere, ' ', ' ', 'x', 'now', ' and the system '];
    const random = seededRandom(7);
    for (let round = 0; round < 1500; round++) {
      let text = '';
      for (let k = round < 1400 ? random(12) : 400 + random(600); k >= 0; k--) {
        const piece = pieces[random(pieces.length)] as string;
        text += random(3) === 0 ? piece.slice(random(piece.length)) : piece;
      }
      expect(automatonHits(long, text), text).toEqual(naiveHits(text, wordStart, anywhere));
    }
  });

  it('refuses a trigger longer than 32 characters', () => {
    expect(() => new TriggerAutomaton(['ignore all previous instructions!'], [])).toThrow(/longer than 32/);
    expect(() => new TriggerAutomaton([], ['x'.repeat(33)])).toThrow(/longer than 32/);
  });

  it('refuses more triggers than its two-byte states can number (2^15), and builds just under that', () => {
    // Triggers sharing no prefix beyond their first letter: each adds its length less one in states.
    const distinct = (count: number, length: number) =>
      Array.from({ length: count }, (_, i) => `q${i.toString(36)}`.padEnd(length, 'z'));
    expect(() => new TriggerAutomaton(distinct(2000, 20), [])).toThrow(/too large/);
    expect(() => new TriggerAutomaton(distinct(1000, 20), [])).not.toThrow();
  });

  it('tells apart triggers whose characters share a class (a bracket and each kind of space)', () => {
    const wordStart = ['a1', 'a2', 'v8 engine', 'x86'];
    const anywhere = ['[\t', '[\n', '<|', '(|', '[/x', '{|'];
    const automaton = new TriggerAutomaton(wordStart, anywhere);
    for (const text of [
      'a1 a2 a3 a12 v8 engine v9 engine x86 x87',
      '[\t[\n[ [\r <| (| [| {| [/x [/y ||',
      'a2[\na1<|x86(|v8 engine{|',
    ]) {
      expect(automatonHits(automaton, text)).toEqual(naiveHits(text, wordStart, anywhere));
    }
  });

  it('refuses a word-start trigger that does not begin with a letter or digit', () => {
    expect(() => new TriggerAutomaton(['-x'], [])).toThrow(/must begin with a letter or digit/);
  });

  it('finds nothing with no triggers, and handles the empty text', () => {
    expect(automatonHits(new TriggerAutomaton([], []), 'ignore all of it')).toEqual([]);
    expect(automatonHits(automaton, '')).toEqual([]);
  });
});
