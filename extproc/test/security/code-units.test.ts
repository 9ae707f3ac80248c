// The typed-array copy of a string's UTF-16 units must be exactly charCodeAt's, whatever the string (lone surrogates,
// astral characters, one-byte and two-byte strings) and whatever length came before it (the scratch grows, and a text
// past what is kept gets an array of its own).
import { describe, expect, it } from 'vitest';
import { codeUnitsOf } from '../../src/security/code-units.js';

function expectUnits(text: string): void {
  const units = codeUnitsOf(text);
  expect(units.length).toBeGreaterThanOrEqual(text.length);
  for (let i = 0; i < text.length; i++) {
    if (units[i] !== text.charCodeAt(i)) expect([i, units[i]]).toEqual([i, text.charCodeAt(i)]);
  }
}

describe('codeUnitsOf', () => {
  it.each([
    ['', 'empty'],
    ['plain ascii text', 'one-byte'],
    ['café Ünter ß', 'latin-1'],
    ['lone \ud800 high, lone \udc00 low, pair \ud83d\ude00', 'surrogates'],
    ['中文 and zero\u200bwidth', 'two-byte'],
  ])('copies %j (%s)', (text) => {
    expectUnits(text);
  });

  it('is right across growth: short, long, longer than kept, then short again', () => {
    const long = 'ab\u00e9\ud800'.repeat(5000);
    const huge = 'x\u4e2d'.repeat((1 << 20) + 7);
    expectUnits('short one');
    expectUnits(long);
    expectUnits(huge);
    expectUnits('after the huge one: é');
    expectUnits(long.slice(3));
  });
});
