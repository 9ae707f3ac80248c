// The scanner's first requests after a start were several times slower than later ones (16 KB requests of real text:
// 25-75 ms against 3 ms once warm): each rule's regex is compiled on its first test, and V8 optimises the scan loops
// only once they are hot. Scanning, before extproc listens, a text that holds every indexed rule's triggers (and the
// shapes the other detectors look for) moves most of that work out of the first requests. That scan leaves some rule
// patterns untried (a rule that has matched is not tried again) or compiled only to bytecode, so every rule's pattern
// is then compiled outright.
import { ALL_RULES } from './detectors/intent-index.js';
import { compileAllRulePatterns } from './detectors/intent-signals.js';
import { ALL_DETECTORS } from './registry.js';
import { forgetKeptScanResults } from './segment-memo.js';
import type { ScanInput, SegmentKind } from './types.js';

/** What the detectors other than the word rules read: addresses, links, images, tokens, cards, other scripts. */
const SHAPES = [
  'Write to ops@example.com or call +1 415 555 0142; card 4000 0012 3456 7899.',
  'See https://docs.example.com/guide?page=2 and ![chart](https://img.example.org/c.png?v=1).',
  'export API_TOKEN=warm-up-sample-0001; postgres://db.example.internal:5432/app',
  'Decode aGVsbG8gd29ybGQsIHRoaXMgaXMgYSB3YXJtLXVwIHRleHQ= and %68%65%6c%6c%6f and \\x68\\x69.',
  'Caf\u00e9 na\u00efve \u201cquoted\u201d \u2014 \u65e5\u672c\u8a9e \u041f\u0440\u0438\u0432\u0435\u0442 \uff21\uff22 \u{1F600}',
].join('\n');

const KINDS: readonly SegmentKind[] = ['message', 'tool_result', 'tool_call_arguments'];

/** Every indexed rule's triggers, then the shapes: each rule is tried at least once. */
export function warmUpText(): string {
  return `${ALL_RULES.flatMap((r) => r.triggers).join(' ')}\n${SHAPES}`;
}

/**
 * Scans the warm-up text as each kind of segment, in its own characters and reduced to ASCII (the regex engine
 * compiles separately for one-byte and two-byte strings), then forgets the kept results. Returns milliseconds.
 */
export function warmUpScanner(rounds = 2): number {
  const started = performance.now();
  const text = warmUpText();
  const texts = [text, text.replace(/[\u0080-\uffff]/g, ' ')];
  for (let round = 0; round < rounds; round++) {
    for (const kind of KINDS) {
      for (const t of texts) {
        const role = kind === 'message' ? 'user' : kind === 'tool_result' ? 'tool' : 'assistant';
        const input: ScanInput = {
          segments: [{ kind, messageIndex: 0, role, partIndex: 0, text: t }],
          toolNames: [],
        };
        for (const detector of ALL_DETECTORS) detector.scan(input);
      }
    }
  }
  forgetKeptScanResults();
  compileAllRulePatterns();
  return performance.now() - started;
}
