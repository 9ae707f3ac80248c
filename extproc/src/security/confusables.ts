// Look-alike characters that Unicode compatibility normalisation (NFKC/NFKD) leaves alone but that render like ASCII:
// Cyrillic, Greek and Armenian letters, small capitals, typographic punctuation, enclosed letters without a
// decomposition. Attackers spell "іgnоrе" with Cyrillic і/о/е to slip past keyword rules; folding them back lets the
// same rules see the word. Lower-case targets only: the folded view is case-insensitive anyway.

const LETTER_GROUPS: ReadonlyArray<readonly [string, string]> = [
  // Cyrillic (lower and upper case)
  ['аАӓ', 'a'],
  ['вВ', 'b'],
  ['сСϲϹ', 'c'],
  ['ԁ', 'd'],
  ['еЕёЁ', 'e'],
  ['һҺ', 'h'],
  ['іІїЇӏ', 'i'],
  ['јЈ', 'j'],
  ['кКκΚ', 'k'],
  ['мМ', 'm'],
  ['нН', 'h'],
  ['оОӧ', 'o'],
  ['рРρΡ', 'p'],
  ['ԛ', 'q'],
  ['ѕЅ', 's'],
  ['тТ', 't'],
  ['уУү', 'y'],
  ['хХχΧ', 'x'],
  ['ԝ', 'w'],
  ['ԍ', 'g'],
  ['ӡ', 'z'],
  // Greek
  ['αΑ', 'a'],
  ['βΒ', 'b'],
  ['εΕ', 'e'],
  ['ζΖ', 'z'],
  ['ηΗ', 'h'],
  ['ιΙ', 'i'],
  ['μΜ', 'm'],
  ['νΝ', 'n'],
  ['οΟσ', 'o'],
  ['τΤ', 't'],
  ['υΥ', 'y'],
  ['ω', 'w'],
  ['γ', 'y'],
  // Armenian
  ['օ', 'o'],
  ['ս', 'u'],
  ['հ', 'h'],
  ['ո', 'n'],
  ['ց', 'g'],
  ['զ', 'q'],
  // Latin letters outside ASCII without a compatibility decomposition
  ['ıɩɪ', 'i'],
  ['ȷ', 'j'],
  ['ɑ', 'a'],
  ['ɡɢ', 'g'],
  ['ʀ', 'r'],
  ['ꜱ', 's'],
  ['ᴀ', 'a'],
  ['ʙ', 'b'],
  ['ᴄ', 'c'],
  ['ᴅ', 'd'],
  ['ᴇ', 'e'],
  ['ꜰ', 'f'],
  ['ʜ', 'h'],
  ['ᴊ', 'j'],
  ['ᴋ', 'k'],
  ['ʟ', 'l'],
  ['ᴍ', 'm'],
  ['ɴ', 'n'],
  ['ᴏ', 'o'],
  ['ᴘ', 'p'],
  ['ᴛ', 't'],
  ['ᴜ', 'u'],
  ['ᴠ', 'v'],
  ['ᴡ', 'w'],
  ['ʏ', 'y'],
  ['ᴢ', 'z'],
  // Punctuation that keyword rules treat as ASCII
  ['‘’‚‛′‵ʹʼˈ', "'"],
  ['“”„‟″‶«»', '"'],
  ['‐‑‒–—―−⁃', '-'],
  ['⁄∕', '/'],
  ['∗⁎', '*'],
  ['‹˂', '<'],
  ['›˃', '>'],
  ['ǀ∣', '|'],
];

function build(): Map<number, string> {
  const table = new Map<number, string>();
  for (const [chars, ascii] of LETTER_GROUPS) {
    for (const ch of chars) table.set(ch.codePointAt(0) as number, ascii);
  }
  // Enclosed letters with no decomposition: negative circled, negative squared and regional indicators (🇦…🇿).
  for (let i = 0; i < 26; i++) {
    const letter = String.fromCharCode(97 + i);
    table.set(0x1f150 + i, letter);
    table.set(0x1f170 + i, letter);
    table.set(0x1f1e6 + i, letter);
  }
  return table;
}

/** Code point → ASCII replacement, for characters NFKD does not already map to ASCII. */
export const CONFUSABLES: ReadonlyMap<number, string> = build();
