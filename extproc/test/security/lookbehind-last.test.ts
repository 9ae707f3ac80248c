// Testing what follows a trigger before what a rule looks behind it for must not change what any rule matches: the
// rewritten pattern is checked against the original, sticky at every trigger position, for every indexed rule, on
// random text made of the rules' own words (so many tests pass as well as fail).
import { describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../src/security/detectors/intent-index.js';
import { lookbehindLast } from '../../src/security/detectors/lookbehind-last.js';
import { seededUniform } from './support.js';

describe('look-behinds tested last', () => {
  it('puts a look-ahead for the rest in front of each alternative led by look-behinds', () => {
    expect(lookbehindLast(String.raw`(?<=\bnot\s+)allowed\b`)).toBe(
      String.raw`(?=allowed\b)(?<=\bnot\s+)allowed\b`,
    );
    expect(lookbehindLast(String.raw`(?<=a)(?<!b)c|d`)).toBe(String.raw`(?=c)(?<=a)(?<!b)c|d`);
    // Inside a leading group, each alternative on its own; brackets in a class are not groups.
    expect(lookbehindLast(String.raw`(?:(?<=[)(]\s)x|y)z`)).toBe(String.raw`(?:(?=x)(?<=[)(]\s)x|y)z`);
  });

  it('leaves alone patterns without a leading look-behind, or that refer to their own groups', () => {
    for (const source of [
      String.raw`plain\s+words`,
      String.raw`(?=already)(?<=first)already`,
      String.raw`(?<=(\w+)\s)\1`,
      String.raw`x(?<=y)`,
    ]) {
      expect(lookbehindLast(source)).toBe(source);
    }
  });

  it('matches exactly what every indexed rule matches, with the same end', () => {
    const vocabulary = [
      ...new Set(ALL_RULES.flatMap((r) => [...r.triggers, ...(r.pattern.source.match(/[a-z']{2,}/g) ?? [])])),
    ];
    const glue = [' ', ' ', ' ', '  ', '\n', ', ', '. ', ': ', ' "', '('];
    const next = seededUniform(21);
    const texts: string[] = [];
    for (let i = 0; i < 300; i++) {
      let text = '';
      while (text.length < 3000)
        text +=
          vocabulary[Math.floor(next() * vocabulary.length)] +
          (glue[Math.floor(next() * glue.length)] as string);
      texts.push(text);
    }
    let rewritten = 0;
    let matched = 0;
    for (const rule of ALL_RULES) {
      const source = lookbehindLast(rule.pattern.source);
      if (source === rule.pattern.source) continue;
      rewritten++;
      const original = new RegExp(rule.pattern.source, 'y');
      const moved = new RegExp(source, 'y');
      for (const text of texts) {
        for (const trigger of rule.triggers) {
          for (let at = text.indexOf(trigger); at !== -1; at = text.indexOf(trigger, at + 1)) {
            original.lastIndex = at;
            moved.lastIndex = at;
            const expected = original.test(text) ? original.lastIndex : -1;
            const found = moved.test(text) ? moved.lastIndex : -1;
            if (found !== expected)
              expect({ rule: rule.id, at, found }).toEqual({ rule: rule.id, at, found: expected });
            if (expected >= 0) matched++;
          }
        }
      }
    }
    expect(rewritten).toBeGreaterThan(100);
    // The text really reaches the rules' look-behinds, not just their triggers.
    expect(matched).toBeGreaterThan(1000);
  });
});
