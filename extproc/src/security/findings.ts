// Helpers every detector uses to report a match without ever keeping the matched text itself.
import { createHash } from 'node:crypto';
import type { DetectorId, Finding, FindingLocation, ScanSegment, Severity } from './types.js';

/** SHA-256 of detector, rule and matched text, first 16 hex chars: enough to correlate, useless to recover. */
export function fingerprint(detector: DetectorId, rule: string, matched: string): string {
  return createHash('sha256').update(`${detector}\0${rule}\0${matched}`, 'utf8').digest('hex').slice(0, 16);
}

/**
 * A masked excerpt that is safe to log, store and show: at most the first 4 characters of the match (fewer for
 * short matches), then its length. A secret's prefix (`sk-p`, `AKIA`) identifies its kind, not its value.
 */
export function maskExcerpt(matched: string): string {
  const visible = matched.length >= 16 ? 4 : matched.length >= 8 ? 2 : 0;
  return `${matched.slice(0, visible)}…[${matched.length - visible} chars masked]`;
}

export interface MatchDetails {
  detector: DetectorId;
  rule: string;
  severity: Severity;
  confidence: number;
  reason: string;
  redactable: boolean;
}

/** A finding for `segment.text.slice(start, end)`. */
export function findingAt(segment: ScanSegment, start: number, end: number, details: MatchDetails): Finding {
  const matched = segment.text.slice(start, end);
  const location: FindingLocation = {
    kind: segment.kind,
    messageIndex: segment.messageIndex,
    role: segment.role,
    partIndex: segment.partIndex,
    start,
    end,
  };
  return {
    ...details,
    location,
    fingerprint: fingerprint(details.detector, details.rule, matched),
    maskedExcerpt: maskExcerpt(matched),
  };
}
