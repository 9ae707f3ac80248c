// From findings to what happens: each finding gets the action its detector and severity map to under the policy,
// and the strongest action decides the exchange (block > redact > flag). Also the summaries that leave the
// process with the request record: everything an analyst needs, nothing of the matched text.
import { ACTION_RANK, type ActionTable, type SecurityAction } from './policy.js';
import { type Finding, SEVERITY_RANK, type SegmentKind, type Severity } from './types.js';

export type AppliedAction = Exclude<SecurityAction, 'off'>;

export interface DecidedFinding {
  finding: Finding;
  action: AppliedAction;
}

export type SecurityStatus = 'clean' | 'flagged' | 'redacted' | 'blocked' | 'error';
export type ThreatLevel = 'none' | Severity;

/** One finding as stored in security_events: where it was and what was done, never the text. */
export interface SecurityFindingSummary {
  detector: string;
  rule: string;
  severity: Severity;
  confidence: number;
  action: AppliedAction;
  fingerprint: string;
  location: {
    kind: SegmentKind;
    /** Index into the parsed messages; -1 for system prompts, tool definitions and responses. */
    messageIndex: number;
    role: string;
    partIndex: number;
    /** Offset of the span in its text (UTF-16 units). */
    start: number;
    spanLength: number;
  };
  maskedExcerpt: string;
}

/** Findings whose action is `off` are dropped: the policy says they do not exist. */
export function decide(findings: readonly Finding[], actions: ActionTable): DecidedFinding[] {
  const out: DecidedFinding[] = [];
  for (const finding of findings) {
    const action = actions[finding.detector]?.[finding.severity] ?? 'flag';
    if (action !== 'off') out.push({ finding, action });
  }
  return out;
}

export function strongest(decided: readonly DecidedFinding[]): AppliedAction | null {
  let best: AppliedAction | null = null;
  for (const { action } of decided)
    if (best === null || ACTION_RANK[action] > ACTION_RANK[best]) best = action;
  return best;
}

export function threatLevel(decided: readonly DecidedFinding[]): ThreatLevel {
  let level: ThreatLevel = 'none';
  for (const { finding } of decided) {
    if (level === 'none' || SEVERITY_RANK[finding.severity] > SEVERITY_RANK[level]) level = finding.severity;
  }
  return level;
}

const STATUS_RANK: Readonly<Record<SecurityStatus, number>> = {
  clean: 0,
  error: 1,
  flagged: 2,
  redacted: 3,
  blocked: 4,
};

/** The status an exchange ends with when its request and its response each had one. */
export function worseStatus(a: SecurityStatus | null, b: SecurityStatus): SecurityStatus {
  return a === null || STATUS_RANK[b] > STATUS_RANK[a] ? b : a;
}

export function worseThreat(a: ThreatLevel, b: ThreatLevel): ThreatLevel {
  if (a === 'none') return b;
  if (b === 'none') return a;
  return SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a;
}

export function statusFor(action: AppliedAction | null): SecurityStatus {
  switch (action) {
    case 'block':
      return 'blocked';
    case 'redact':
      return 'redacted';
    case 'flag':
      return 'flagged';
    default:
      return 'clean';
  }
}

/** Findings kept per exchange in its record: a request matching thousands of times is one incident. */
export const MAX_RECORDED_FINDINGS = 100;

/** Adds the summaries of `decided` to a record's list, up to MAX_RECORDED_FINDINGS. */
export function recordFindings(into: SecurityFindingSummary[], decided: readonly DecidedFinding[]): void {
  for (const entry of decided) {
    if (into.length >= MAX_RECORDED_FINDINGS) return;
    into.push(summarise(entry));
  }
}

export function summarise({ finding, action }: DecidedFinding): SecurityFindingSummary {
  const { location } = finding;
  return {
    detector: finding.detector,
    rule: finding.rule,
    severity: finding.severity,
    confidence: finding.confidence,
    action,
    fingerprint: finding.fingerprint,
    location: {
      kind: location.kind,
      messageIndex: location.messageIndex,
      role: location.role,
      partIndex: location.partIndex,
      start: location.start,
      spanLength: location.end - location.start,
    },
    maskedExcerpt: finding.maskedExcerpt,
  };
}
