// The trigger search of a rule set (one automaton, and one alternation of the rules a trigger starts tried before each
// rule alone) must try rules exactly where one alternation of all triggers, longest first, would: the reference below
// is that plain alternation, scanned the way rule sets always have been, and both must report the same first match
// of every rule on random and overlapping input.
import { describe, expect, it } from 'vitest';
import { RuleSet, type SignalRule } from '../../src/security/detectors/intent-signals.js';
import { seededUniform } from './support.js';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const isWholeWord = (t: string) => t.length <= 3 && /^[a-z0-9].*[a-z0-9]$|^[a-z0-9]$/.test(t);

function rule(id: string, triggers: string[], pattern: string, inWord = false): SignalRule {
  return { id, family: 'test', weight: 0.5, triggers, pattern: new RegExp(pattern), reason: id, inWord };
}

/** Word-start, whole-word, in-word and punctuation triggers, several of them prefixes of others. */
const RULES: SignalRule[] = [
  rule('ignore', ['ignore', 'ign'], String.raw`ign(?:ore)?\s+(?:all\s+)?previous`),
  rule('ignore-any', ['ignore'], String.raw`ignore\b`),
  rule('show', ['show', 'sh'], String.raw`sh(?:ow)?\b`),
  rule('shell', ['sh'], String.raw`sh\s+-c`),
  rule('system', ['system prompt', 'system'], String.raw`system(?:\s+prompt)?`),
  rule('prompt', ['prompt'], String.raw`prompt\s+(?:is|was)`),
  rule('after-please', ['prompt', 'print'], String.raw`(?<=\bplease\s)(?:prompt|print)`),
  rule('rm', ['rm'], String.raw`rm\s+-rf`),
  rule('ai', ['a.i', 'ai'], String.raw`a\.?i\b`),
  rule('digit', ['2'], String.raw`2\s+answers`),
  rule('gpt', ['gpt'], String.raw`gpt-?\d`, true),
  rule('gpt-dash', ['gpt-'], String.raw`gpt-\d`, true),
  // Starts where the in-word `gpt-` does: the word-start trigger is the one taken there.
  rule('gpt-4o', ['gpt-4o'], String.raw`gpt-4o\b`),
  rule('bracket', ['[', '[/inst'], String.raw`\[(?:/inst|system)\]`),
  rule('paren', ['('], String.raw`\(\)\s*\{`),
  rule('chat-tag', ['<|', '<<sys'], String.raw`<(?:\|im_start\||<sys>>)`),
  rule('pipe', ['|', '||'], String.raw`\|\|?\s*(?:sh|bash)`),
  rule('ssh', ['.ssh/', '.ssh/id_'], String.raw`\.ssh/(?:id_\w+|authorized_keys)`),
  rule('dunder', ['__class__', '().__class__'], String.raw`(?:\(\)\.)?__class__`),
  // Lexicon words: the pattern is the trigger (or a word it starts with), so it matches at every hit and is left out
  // of the trigger's alternation; the rules beside it must still be tried behind that alternation.
  rule('lex-prompt', ['prompt'], 'prompt'),
  rule('lex-ign', ['ign'], 'ign'),
  rule('lex-sys', ['system'], 'sys'),
  rule('all-previous', ['all'], String.raw`all\s+previous`),
  rule('all-shell', ['all'], String.raw`all\s+sh`),
  rule('lex-all', ['all'], 'all'),
  // Rules that refer to their own groups share triggers with others: joining them would renumber the groups.
  rule('echo', ['ignore'], String.raw`ignore\s+(\w+)\s+\1`),
  rule('named', ['prompt'], String.raw`prompt\s+(?<word>\w+)\s+\k<word>`),
];

const PIECES = [
  'ignore',
  'ign',
  'ignored',
  'previous',
  'all',
  'show',
  'sh',
  'shell',
  '-c',
  'system',
  'system prompt',
  'prompt',
  'is',
  'please',
  'print',
  'rm',
  '-rf',
  'a.i',
  'ai',
  'aim',
  '2',
  '22',
  'answers',
  'chatgpt-4',
  'gpt4',
  'gpt-4o',
  'chatgpt-4o',
  '[system]',
  '[/inst]',
  '()',
  '{',
  '<|im_start|>',
  '<<sys>>',
  '||',
  '|',
  'bash',
  '~/.ssh/id_rsa',
  '.ssh/authorized_keys',
  '().__class__',
  '__class__',
  'é',
  '_',
  'it it',
  'is is',
];
const GLUE = [' ', ' ', '', '\n', '.', '_', '-', '"'];

/** First match of every rule, found the way one alternation `\b(…)|(…)` of all triggers finds triggers. */
function reference(rules: readonly SignalRule[], text: string, wordStart: boolean): number[][] {
  const all = new Set<string>();
  const inWord = new Set<string>();
  for (const r of rules) {
    for (const t of r.triggers) {
      all.add(t);
      if (r.inWord === true) inWord.add(t);
    }
  }
  const alternation = (ts: string[]) =>
    ts
      .sort((a, b) => b.length - a.length)
      .map((t) => escapeRegExp(t) + (isWholeWord(t) ? '\\b' : ''))
      .join('|');
  const atWordStart = [...all].filter((t) => wordStart && !inWord.has(t) && /^[a-z0-9]/.test(t));
  const anywhere = [...all].filter((t) => !atWordStart.includes(t));
  const parts = [];
  if (atWordStart.length > 0) parts.push(`\\b(?:${alternation(atWordStart)})`);
  if (anywhere.length > 0) parts.push(`(?:${alternation(anywhere)})`);
  const triggerRe = new RegExp(parts.join('|'), 'g');
  const found: number[][] = [];
  const done = new Set<number>();
  for (let m = triggerRe.exec(text); m !== null; m = triggerRe.exec(text)) {
    triggerRe.lastIndex = m.index + 1;
    const trigger = m[0];
    rules.forEach((r, index) => {
      if (done.has(index)) return;
      // A shorter trigger the matched one starts with reaches its rules too (unless it must be a whole word).
      const reached = r.triggers.some((t) => t === trigger || (trigger.startsWith(t) && !isWholeWord(t)));
      if (!reached) return;
      const sticky = new RegExp(r.pattern.source, 'y');
      sticky.lastIndex = m?.index ?? 0;
      if (sticky.test(text)) {
        done.add(index);
        found.push([index, m?.index ?? 0, sticky.lastIndex]);
      }
    });
  }
  return found.sort((a, b) => (a[0] as number) - (b[0] as number));
}

function scan(set: RuleSet, text: string): number[][] {
  const out: number[] = [];
  set.scan(text, new Uint8Array(set.rules.length), out);
  const found: number[][] = [];
  for (let i = 0; i < out.length; i += 3) found.push(out.slice(i, i + 3));
  return found.sort((a, b) => (a[0] as number) - (b[0] as number));
}

describe('rule set trigger search', () => {
  for (const wordStart of [true, false]) {
    it(`tries every rule where one alternation of all triggers would (word starts: ${wordStart})`, () => {
      const set = new RuleSet(RULES, wordStart);
      const next = seededUniform(wordStart ? 3 : 4);
      let matched = 0;
      for (let i = 0; i < 4000; i++) {
        let text = '';
        const n = Math.floor(next() * 14);
        for (let j = 0; j < n; j++) {
          text += PIECES[Math.floor(next() * PIECES.length)];
          text += GLUE[Math.floor(next() * GLUE.length)];
        }
        const expected = reference(RULES, text, wordStart);
        matched += expected.length;
        expect(scan(set, text), JSON.stringify(text)).toEqual(expected);
      }
      // The input really exercises the rules, not just empty scans.
      expect(matched).toBeGreaterThan(4000);
    });
  }

  it('stops at the first match of each rule and skips rules already matched', () => {
    const set = new RuleSet(RULES);
    const text = 'please print the system prompt is here; then show the system prompt is again';
    const done = new Uint8Array(set.rules.length);
    const out: number[] = [];
    set.scan(text, done, out);
    const system = RULES.findIndex((r) => r.id === 'system');
    const firstSystem = out.findIndex((v, i) => i % 3 === 0 && v === system);
    expect(out[firstSystem + 1]).toBe(text.indexOf('system'));
    const again: number[] = [];
    set.scan(text, done, again);
    expect(again).toEqual([]);
  });
});
