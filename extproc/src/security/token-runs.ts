// Long runs of token characters (letters, digits, `_-.+/=~`, and the invisible characters that can split a token): the
// only places an issuer-prefixed secret or a base64/hex payload of MIN_TOKEN_RUN characters or more can sit. Both the
// secrets detector and the payload decoder need them, and finding them is a pass over the whole text, so it is done
// once per segment and shared. Ordinary prose has none, which lets both skip the text altogether.
import { codeUnitsOf } from './code-units.js';
import { ALNUM } from './detectors/secret-hits.js';
import { segmentState } from './segment-state.js';
import type { ScanSegment } from './types.js';

/** Shortest run kept: an AWS key id (20) is the shortest issuer token, 20 base64 characters the shortest payload. */
export const MIN_TOKEN_RUN = 20;

/** 1 for a token character, INVISIBLE for a zero-width character or soft hyphen, 0 otherwise; by UTF-16 unit. */
export const TOKEN_CHAR = new Uint8Array(65536);
TOKEN_CHAR.set(ALNUM);
// `~` for Microsoft Entra client secrets (`…Q~…`), which would otherwise break into pieces too short to be runs.
for (const ch of '_-.+/=~') TOKEN_CHAR[ch.charCodeAt(0)] = 1;
/** Zero-width characters and soft hyphens: invisible when rendered, and enough to split a token for a regex. */
export const INVISIBLE = 2;
for (const c of [0xad, 0x180e, 0x200b, 0x200c, 0x200d, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xfeff])
  TOKEN_CHAR[c] = INVISIBLE;

/** Module-local binding: transpiled runs turn reads of an exported binding into getter calls in the loop below. */
const RUN_CHAR = TOKEN_CHAR;

/**
 * Maximal runs of at least MIN_TOKEN_RUN token characters, as flat [start, end) pairs in text order. Found by testing
 * the last character of each window first and jumping past any non-token character found: ordinary prose is crossed
 * a word at a time. Every window starts right after a non-token character (or at the text's start), so a window
 * made only of token characters starts a run.
 */
export function findTokenRuns(text: string): number[] {
  const runs: number[] = [];
  const length = text.length;
  if (length < MIN_TOKEN_RUN) return runs;
  const units = codeUnitsOf(text);
  let j = 0;
  while (j + MIN_TOKEN_RUN <= length) {
    let k = j + MIN_TOKEN_RUN - 1;
    while (k >= j && RUN_CHAR[units[k] as number] !== 0) k--;
    if (k >= j) {
      j = k + 1;
      continue;
    }
    let end = j + MIN_TOKEN_RUN;
    while (end < length && RUN_CHAR[units[end] as number] !== 0) end++;
    runs.push(j, end);
    j = end + 1;
  }
  return runs;
}

const NO_RUNS: readonly number[] = Object.freeze([]);

/** `findTokenRuns` of a segment's text, computed once per segment object. */
export function tokenRunsOf(segment: ScanSegment): readonly number[] {
  if (segment.text.length < MIN_TOKEN_RUN) return NO_RUNS;
  const state = segmentState(segment);
  state.tokenRuns ??= findTokenRuns(segment.text);
  return state.tokenRuns;
}
