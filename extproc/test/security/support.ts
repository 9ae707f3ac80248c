// Shared pieces for the ClawShield integration tests: a detector that finds a marker (so body walking is tested
// apart from detection quality), and fake credentials made at run time (never literals that look like real keys).
import { randomBytes } from 'node:crypto';
import { assessPromptInjection } from '../../src/security/detectors/prompt-injection.js';
import { findingAt } from '../../src/security/findings.js';
import type {
  Detector,
  DetectorId,
  Finding,
  ScanSegment,
  SegmentKind,
  Severity,
} from '../../src/security/types.js';

/** Deterministic pseudo-random numbers in [0, 1) from a seed, so a failing random test names its input. */
export function seededUniform(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    return state / 0x80000000;
  };
}

/** One segment holding `text`: a user message, or a tool result from the tool. */
export function textSegment(text: string, kind: SegmentKind = 'message'): ScanSegment {
  return { kind, messageIndex: 0, role: kind === 'tool_result' ? 'tool' : 'user', partIndex: 0, text };
}

/** The prompt-injection rules `text` matches. */
export function injectionRules(text: string, kind?: SegmentKind): string[] {
  return assessPromptInjection(textSegment(text, kind))?.signals.map((s) => s.signal.rule.id) ?? [];
}

/** Whether the prompt-injection detector reports `text` (its score reaches 0.5). */
export function injectionFlagged(text: string, kind?: SegmentKind): boolean {
  return (assessPromptInjection(textSegment(text, kind))?.score ?? 0) >= 0.5;
}

/** Finds `MARK-` followed by four digits; the severity and detector it reports as are the test's choice. */
export function markerDetector(
  id: DetectorId = 'secrets',
  severity: Severity = 'high',
  redactable = true,
): Detector {
  return {
    id,
    scan(input) {
      const out: Finding[] = [];
      for (const segment of input.segments) {
        for (const match of segment.text.matchAll(/MARK-\d{4}/g)) {
          out.push(
            findingAt(segment, match.index, match.index + match[0].length, {
              detector: id,
              rule: 'test_marker',
              severity,
              confidence: 1,
              reason: 'test marker',
              redactable,
            }),
          );
        }
      }
      return out;
    },
  };
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += B64URL[byte % 64];
  return out;
}

/** An OpenAI-shaped project key: random halves around the marker every real key carries. */
export function fakeOpenAiKey(): string {
  const marker = Buffer.from('OpenAI').toString('base64');
  return ['sk', 'proj', `${randomToken(40)}${marker}${randomToken(40)}`].join('-');
}

/**
 * Upper bound for one scan of adversarial input built to make a regex backtrack. Catastrophic backtracking on these
 * inputs (hundreds of kilobytes) takes minutes; a linear scan takes milliseconds, even on a loaded machine. The bound
 * is a hang detector with a wide margin, not a speed target (speed is measured by `npm run eval:security`).
 */
export const CATASTROPHIC_MS = 10_000;
