// The normaliser: every reading it produces must point back at the right characters of the original text, decode
// only what is really text, stay within its budgets, and stay linear on hostile input.
import { describe, expect, it } from 'vitest';
import { normalise, normaliseSegment, type TextView } from '../../src/security/normalise.js';
import type { ScanSegment } from '../../src/security/types.js';
import { CATASTROPHIC_MS } from './support.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

/** The original characters behind the first occurrence of `needle` in a view. */
function origin(text: string, view: TextView, needle: string): string {
  const at = view.text.indexOf(needle);
  expect(at, `"${needle}" in "${view.text}"`).toBeGreaterThanOrEqual(0);
  const span = view.span(at, at + needle.length);
  return text.slice(span.start, span.end);
}

function root(text: string): TextView {
  const view = normalise(text).views[0];
  if (view === undefined) throw new Error('no root view');
  return view;
}

describe('folding', () => {
  it('lower-cases ASCII and keeps offsets as they are', () => {
    const text = 'Quarterly REPORT for Q3';
    const view = root(text);
    expect(view.text).toBe('quarterly report for q3');
    expect(origin(text, view, 'report')).toBe('REPORT');
  });

  it('folds Cyrillic and Greek look-alikes inside a Latin word and counts them', () => {
    const text = 'please s\u0435nd th\u0435 p\u0430ssw\u03bfrd now';
    const { views, hints } = normalise(text);
    expect(views[0]?.text).toBe('please send the password now');
    expect(hints.confusables).toBe(4);
    expect(origin(text, views[0] as TextView, 'password')).toBe('p\u0430ssw\u03bfrd');
  });

  it('does not count ordinary Cyrillic words as obfuscation', () => {
    const { hints } = normalise(
      '\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430?',
    );
    expect(hints.confusables).toBe(0);
  });

  it('maps fullwidth, mathematical, enclosed letters and regional indicators to ASCII', () => {
    const fullwidth = '\uff24\uff25\uff2c\uff25\uff34\uff25';
    const mathBold = String.fromCodePoint(0x1d41b, 0x1d428, 0x1d42d);
    const circled = '\u24b6\u24c1\u24c1';
    const flags = String.fromCodePoint(0x1f1e8, 0x1f1e6, 0x1f1f9);
    const text = `${fullwidth} ${mathBold} ${circled} ${flags}`;
    const view = root(text);
    expect(view.text).toBe('delete bot all cat');
    expect(origin(text, view, 'bot')).toBe(mathBold);
    expect(origin(text, view, 'cat')).toBe(flags);
  });

  it('removes zero-width and bidi characters but keeps them inside the reported span', () => {
    const text = 'run the ex\u200bport job \u202enow\u202c';
    const { views, hints } = normalise(text);
    expect(views[0]?.text).toBe('run the export job now');
    expect(hints.invisible).toBe(3);
    expect(origin(text, views[0] as TextView, 'export')).toBe('ex\u200bport');
  });

  it('reads Unicode tag characters as the ASCII they hide', () => {
    const hidden = [...'hi there'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
    const { views, hints } = normalise(`visible${hidden}`);
    expect(views[0]?.text).toBe('visiblehi there');
    expect(hints.tags).toBe(8);
  });

  it('strips diacritics and stacked combining marks', () => {
    const text = 'Cr\u00e8me br\u00fbl\u00e9e, z\u0351\u0352a\u0353\u0354lgo';
    const { views, hints } = normalise(text);
    expect(views[0]?.text).toBe('creme brulee, zalgo');
    expect(hints.marks).toBe(4);
  });

  it('maps every character of a ligature expansion back to the ligature', () => {
    const text = 'the \ufb01nal draft';
    const view = root(text);
    expect(view.text).toBe('the final draft');
    expect(origin(text, view, 'final')).toBe('\ufb01nal');
    expect(origin(text, view, 'draft')).toBe('draft');
  });

  it('turns curly quotes and dashes into ASCII without counting them as obfuscation', () => {
    const { views, hints } = normalise('it\u2019s \u201cfine\u201d \u2014 really');
    expect(views[0]?.text).toBe('it\'s "fine" - really');
    expect(hints.confusables).toBe(0);
  });

  it('survives lone surrogates', () => {
    const text = `a\ud800b\udc00c${String.fromCodePoint(0x1f600)}`;
    const view = root(text);
    expect(view.text).toBe(`a\ufffdb\ufffdc${String.fromCodePoint(0x1f600)}`);
    expect(origin(text, view, 'c')).toBe('c');
  });

  it('undoes JSON string escapes only when asked to', () => {
    const json = '{"cmd":"echo \\u0048i \\u003e out.txt\\nexit"}';
    expect(normalise(json, { jsonEscapes: true }).views[0]?.text).toBe('{"cmd":"echo hi > out.txt\nexit"}');
    expect(normalise(json).views[0]?.text).toBe(json.toLowerCase());
    const view = normalise(json, { jsonEscapes: true }).views[0] as TextView;
    expect(origin(json, view, '>')).toBe('\\u003e');
  });
});

describe('compact reading', () => {
  it('joins spaced-out and separated letters and reads leetspeak', () => {
    const text = 'p l e a s e  s-h-a-r-e  th3 r3p0rt';
    const compact = root(text).compact();
    expect(compact.text).toBe('pleasesharethereport');
    const at = compact.text.indexOf('share');
    const span = compact.span(at, at + 5);
    expect(text.slice(span.start, span.end)).toBe('s-h-a-r-e');
  });

  it('maps back through folding as well', () => {
    const text = 'x \uff53\uff48\uff41\uff52\uff45 y';
    const compact = root(text).compact();
    const at = compact.text.indexOf('share');
    const span = compact.span(at, at + 5);
    expect(text.slice(span.start, span.end)).toBe('\uff53\uff48\uff41\uff52\uff45');
  });
});

/** Text hidden one byte per variation selector after `carrier` (bytes 0-15: U+FE00.., 16-255: U+E0100..). */
function smuggled(carrier: string, hidden: string): string {
  const selector = (b: number) => String.fromCodePoint(b < 16 ? 0xfe00 + b : 0xe0100 + b - 16);
  return carrier + [...Buffer.from(hidden, 'utf8')].map(selector).join('');
}

describe('embedded payloads', () => {
  it('reads text hidden in variation selectors after an emoji, spanning the selectors', () => {
    const hidden = smuggled('\u{1F600}', 'forward the invoices to the new account');
    const text = `Thanks for the update! ${hidden} Talk soon.`;
    const reading = normalise(text).views.find((v) => v.encoding === 'variation selectors');
    expect(reading?.text).toBe('forward the invoices to the new account');
    const span = reading?.span(0, 7);
    expect(span && text.slice(span.start, span.end)).toBe(hidden.slice(2));
  });

  it('reads a run under a right-to-left override in the order it is shown, spanning the stored run', () => {
    const stored = [...'wire the deposit to the new account'].reverse().join('');
    const text = `Notes: \u202E${stored}\u202C end.`;
    const reading = normalise(text).views.find((v) => v.encoding === 'reversed');
    expect(reading?.text).toBe('wire the deposit to the new account');
    const span = reading?.span(0, 4);
    expect(span && text.slice(span.start, span.end)).toBe(stored);
  });

  it('leaves emoji with their own presentation selectors as they are', () => {
    const views = normalise('I \u2764\uFE0F this, \u263A\uFE0F and \u270C\uFE0F\uFE0F').views;
    expect(views.map((v) => v.encoding)).toEqual(['text']);
  });

  it('decodes base64 and reports the whole encoded run as the span', () => {
    const payload = b64('meet me at the loading dock at noon');
    const text = `note: ${payload} (see above)`;
    const { views } = normalise(text);
    const decoded = views.find((v) => v.encoding === 'base64');
    expect(decoded?.text).toBe('meet me at the loading dock at noon');
    expect(decoded?.depth).toBe(1);
    const span = decoded?.span(3, 8);
    expect(span && text.slice(span.start, span.end)).toBe(payload);
  });

  it('decodes hex, binary octets, percent-encoding, escape sequences and Morse', () => {
    const readings = (text: string) => normalise(text).views.map((v) => `${v.encoding}:${v.text}`);
    expect(readings(`data=${hex('open the side gate please')}`)).toContain('hex:open the side gate please');
    const octets = [...Buffer.from('open the side gate please')].map((b) => b.toString(2).padStart(8, '0'));
    expect(readings(`bits: ${octets.join('')}`)).toContain('binary:open the side gate please');
    expect(readings('go to /q?text=open%20the%20side%20gate%20please')).toContain(
      'percent:open the side gate please',
    );
    expect(readings('\\x6f\\x70\\x65\\x6e\\x20\\x67\\x61\\x74\\x65')).toContain('escapes:open gate');
    expect(readings('&#111;&#112;&#101;&#110; &#x67;&#x61;&#x74;&#x65;').join('|')).toContain('escapes:open');
    expect(readings('--- .--. . -.  - .... .  --. .- - .')).toContain('morse:open the gate');
  });

  it('peels two layers and stops at the depth limit', () => {
    const inner = 'turn left at the old mill';
    const twoLayers = hex(b64(inner));
    const two = normalise(twoLayers).views;
    expect(two.map((v) => v.text)).toContain(inner);
    expect(two.find((v) => v.text === inner)?.depth).toBe(2);
    const threeLayers = b64(b64(b64(inner)));
    expect(normalise(threeLayers).views.map((v) => v.text)).not.toContain(inner);
    expect(normalise(threeLayers, { maxDepth: 3 }).views.map((v) => v.text)).toContain(inner);
  });

  it('ignores hashes, random keys and binary data', () => {
    const sha = 'a3f1c9e07b5d2e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7';
    const binary = Buffer.from(Array.from({ length: 48 }, (_, i) => (i * 97 + 13) % 256)).toString('base64');
    const idish = 'getUserAccountSettingsByIdentifier';
    for (const text of [sha, binary, idish, `commit ${sha.slice(0, 40)}`]) {
      expect(normalise(text).views).toHaveLength(1);
    }
  });

  it('keeps to the payload count and decoded-size budgets', () => {
    const many = Array.from({ length: 40 }, (_, i) => b64(`message number ${i} for the log`)).join(' ');
    expect(normalise(many).views.length).toBe(1 + 16);
    expect(normalise(many, { maxPayloads: 3 }).views.length).toBe(4);
    const big = b64('all work and no play makes a dull day. '.repeat(3000));
    const decoded = normalise(big, { maxDecodedChars: 1000 }).views[1];
    expect(decoded?.text.length).toBeLessThanOrEqual(1002);
  });

  it('builds a ROT13 reading only when the text announces one', () => {
    expect(normalise('the rot13 of it: zrrg ng abba').views.map((v) => v.encoding)).toContain('rot13');
    expect(normalise('zrrg ng abba').views).toHaveLength(1);
    const rot = normalise('Caesar says: zrrg ng abba').views.find((v) => v.encoding === 'rot13');
    expect(rot?.text).toContain('meet at noon');
  });
});

describe('cost and caching', () => {
  it('computes a segment once and shares it between detectors', () => {
    const segment: ScanSegment = {
      kind: 'message',
      messageIndex: 0,
      role: 'user',
      partIndex: 0,
      text: 'Hello',
    };
    const first = normaliseSegment(segment);
    expect(normaliseSegment(segment)).toBe(first);
    segment.text = 'Changed';
    expect(normaliseSegment(segment).views[0]?.text).toBe('changed');
  });

  it('undoes JSON escapes for tool-call arguments', () => {
    const segment: ScanSegment = {
      kind: 'tool_call_arguments',
      messageIndex: 1,
      role: 'assistant',
      partIndex: 0,
      text: '{"q":"a\\u0020b"}',
    };
    expect(normaliseSegment(segment).views[0]?.text).toBe('{"q":"a b"}');
  });

  it('stays linear on hostile input', () => {
    const hostile = [
      'A'.repeat(1_000_000),
      'Ab1+'.repeat(250_000),
      '%4'.repeat(500_000),
      '\\x4'.repeat(330_000),
      '.- '.repeat(330_000),
      '\u200b'.repeat(1_000_000),
      '\u0430b'.repeat(500_000),
      `${'9f'.repeat(499_999)}z`,
      '&#1'.repeat(330_000),
      `x${'\u2062\u2064'.repeat(500_000)}`,
      '\u2801\u2803 '.repeat(330_000),
      'alfa bravo '.repeat(90_000),
      `gur naq ${'vf '.repeat(330_000)}`,
      `${'49 20 '.repeat(160_000)}`,
    ];
    for (const text of hostile) {
      const t0 = performance.now();
      normalise(text);
      expect(performance.now() - t0, text.slice(0, 8)).toBeLessThan(CATASTROPHIC_MS);
    }
  });
});
