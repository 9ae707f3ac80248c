// Malicious code and tool intent: concrete dangerous commands (reverse shells, download-and-execute, disk wipes,
// credential dumps, sudoers edits, container escapes) and prose requests for offensive capability. A concrete
// command in tool-call arguments is about to run, so it is critical; the same command pasted in a message is
// reported lower, and a request written in prose lower still. Security work talks about all of this defensively:
// an offensive term named after "detect", "prevent", "protect against"… is discounted, a negated one ("must not
// contain malicious code") is dropped, and a text with no action verb at all (an explanation) counts less.
import { findingAt } from '../findings.js';
import { normaliseSegment } from '../normalise.js';
import { relocateFinding, SegmentMemo } from '../segment-memo.js';
import type { Detector, Finding, ScanSegment, Severity } from '../types.js';
import { isCommandRule, maliciousCodeSignals } from './intent-index.js';
import { noisyOr, type SignalMatch } from './intent-signals.js';

/** Score from which a segment is reported. */
export const REPORT_THRESHOLD = 0.5;

/** Discount for an offensive term in a defensive sentence, and for a text that asks for nothing. */
const DEFENSIVE_FACTOR = 0.3;
const EXPLANATORY_FACTOR = 0.6;
const LOOKBACK = 120;

const DEFENSIVE =
  /\b(?:detect\w*|prevent\w*|protect\w*|defen[cs]\w*|defend\w*|mitigat\w*|block\w*|monitor\w*|harden\w*|identif\w*|flag\w*|alert\w*|secur(?:e|es|ing)|audit\w*|scan(?:s|ning)?\s+for|respond(?:ing)?\s+to|recover(?:ing)?\s+from|analy[sz]\w*|resist\w*|safeguard\w*|counter\w*|remediat\w*|patch\w*|thwart\w*|guard\w*|quarantin\w*|investigat\w*|triage|incident\s+response|stop(?:s|ping)?|limit(?:s|ing)?|restrict\w*|deny|denies|denying|check\w*\s+for|look\w*\s+for|hunt\w*\s+for|search\w*\s+for|remov\w*|clean\w*|uninstall\w*|eradicat\w*|disinfect\w*|verif\w*|test(?:s|ing)?\s+for|assess\w*|evaluat\w*|review\w*|indicators?\s+of\s+compromise|iocs?)\b/g;
/** A defensive word right after one of these is part of the attack ("evade detection", "without alerting"). */
const EVASIVE_BEFORE =
  /\b(?:evad\w*|avoid\w*|bypass\w*|circumvent\w*|escap\w*|without|hid\w*\s+from|undetected\s+by|defeat\w*|disabl\w*|fool\w*|not|n't)\s+(?:\S+\s+){0,3}$/;
/** A negation up to ten words before the term, with no new instruction in between ("must not X, Y or Z"). */
const NEGATED_BEFORE =
  /(?:\b(?:not|no|never|without|nor|avoid(?:s|ing)?|free\s+of|refrain\s+from|instead\s+of|prohibited|forbidden|banned)|n't)\s+(?:(?!(?:write|create|generate|build|make|then|but|instead)\b)[^\s.;:!?]+[\s,]+){0,10}$/;
/** A term followed by one of these names a risk being assessed ("privilege escalation risks"), not a request. */
const DEFENSIVE_AFTER =
  /^[\s"'\x60)]*(?:[\w/-]+\s+)?(?:risks?|vulnerabilit\w*|issues?|attempts?|protection|prevention|detection|mitigation|paths?|possibilit\w*|exposure|vectors?|weakness\w*|flaws?|findings?|checks?|tests?|testing|scenarios?|indicators?|awareness|training|defen[cs]es?|resistance|controls?|safeguards?|countermeasures?|hardening)\b/;
/** Taxonomy labels ("MITRE ATT&CK: Privilege Escalation") name a category, not an intent. */
const LABEL_CONTEXT = /\b(?:mitre|att&ck|ta00\d\d|t1\d{3}|categor(?:y|ies)|tactics?\s*:|technique\s*:)/;
const DEFENSIVE_QUESTION =
  /\bhow\s+(?:do|can|could|should|would)\s+(?:i|we|you|companies|organi[sz]ations|teams|admins?|users)\s+(?:\S+\s+)?(?:protect|defend|prevent|detect|secure|mitigate|stop|block|guard|recover|harden|spot|recogni[sz]e|identify)\b/;
const ACTION =
  /\b(?:write|writ(?:ing)|create|generate|develop|build|implement|craft|produce|make|code|program|script|give\s+me|provide|show\s+me|automate|design|deploy|execute|run|perform|launch|carry\s+out|establish|gain|obtain|steal|bypass|evade|escape|exploit|need|want|help\s+me|utili[sz]e|use|leverage|demonstrate)\b/;

interface Scored {
  signal: SignalMatch;
  weight: number;
  command: boolean;
}

function clauseBefore(text: string, start: number): string {
  const window = text.slice(Math.max(0, start - LOOKBACK), start).toLowerCase();
  const cut = Math.max(
    window.lastIndexOf('. '),
    window.lastIndexOf('\n'),
    window.lastIndexOf('? '),
    window.lastIndexOf('! '),
  );
  return cut >= 0 ? window.slice(cut + 1) : window;
}

function defensiveClause(clause: string): boolean {
  DEFENSIVE.lastIndex = 0;
  for (let m = DEFENSIVE.exec(clause); m !== null; m = DEFENSIVE.exec(clause)) {
    if (!EVASIVE_BEFORE.test(clause.slice(Math.max(0, m.index - 40), m.index))) return true;
  }
  return false;
}

const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

function severityFor(segment: ScanSegment, score: number, top: Scored, defensive: boolean): Severity {
  if (segment.kind === 'tool_call_arguments') {
    if (top.command && top.weight >= 0.7) return 'critical';
    return score >= 0.8 ? 'critical' : 'high';
  }
  let level = top.command ? (top.weight >= 0.85 ? 2 : 1) : score >= 0.8 ? 2 : 1;
  // A command the agent has only read is high: a tool result is where planted commands come from. Except an
  // installer's download-and-run line, which half of all READMEs carry (`curl -fsSL https://… | sh`): it is flagged,
  // and blocked as the critical tool call it becomes if the agent goes on to run it.
  if (segment.kind === 'tool_result' && top.command) {
    level = top.signal.rule.family === 'download_exec' ? Math.min(level, 1) : Math.max(level, 2);
  }
  if (defensive) level = 0;
  return SEVERITIES[level] as Severity;
}

export interface MaliciousCodeAssessment {
  score: number;
  /** The strongest evidence sits in a defensive sentence or question. */
  defensive: boolean;
  /** Strongest first. */
  signals: Scored[];
}

/** The evidence behind a segment's verdict, reported or not; `null` when nothing matched at all. */
export function assessMaliciousCode(segment: ScanSegment): MaliciousCodeAssessment | null {
  if (segment.text.length === 0) return null;
  const normalised = normaliseSegment(segment);
  const signals = maliciousCodeSignals(normalised, segment.text);
  if (signals.length === 0) return null;
  const root = normalised.views[0];
  const lowered = root === undefined ? '' : root.text;
  const defensiveQuestion = DEFENSIVE_QUESTION.test(lowered);
  const explanatory = !ACTION.test(lowered);

  const best = new Map<string, Scored>();
  let anyDefensive = false;
  for (const signal of signals) {
    const command = isCommandRule(signal.rule);
    let weight =
      segment.kind === 'tool_call_arguments'
        ? (signal.rule.toolCallWeight ?? signal.rule.weight)
        : signal.rule.weight;
    // Text decoded from a payload has no surrounding sentence of its own: judge it as written.
    if (signal.view.depth === 0) {
      const clause = clauseBefore(segment.text, signal.span.start);
      if (!command && NEGATED_BEFORE.test(clause)) continue;
      const after = command ? '' : segment.text.slice(signal.span.end, signal.span.end + 48).toLowerCase();
      if (
        defensiveQuestion ||
        defensiveClause(clause) ||
        (!command && (LABEL_CONTEXT.test(clause) || DEFENSIVE_AFTER.test(after)))
      ) {
        weight *= command ? 0.7 : DEFENSIVE_FACTOR;
        anyDefensive = true;
      }
    }
    if (!command && explanatory) weight *= EXPLANATORY_FACTOR;
    const seen = best.get(signal.rule.id);
    if (seen === undefined || weight > seen.weight) best.set(signal.rule.id, { signal, weight, command });
  }
  const scored = [...best.values()];
  if (scored.length === 0) return null;
  scored.sort(
    (a, b) =>
      b.weight - a.weight ||
      Number(b.command) - Number(a.command) ||
      a.signal.span.start - b.signal.span.start,
  );
  const score = noisyOr(scored.map((s) => s.weight));
  const top = scored[0] as Scored;
  return { score, defensive: anyDefensive && top.weight < top.signal.rule.weight, signals: scored };
}

function describe(top: Scored, count: number, segment: ScanSegment): string {
  const hidden = top.signal.view.encoding !== 'text' ? ` (hidden in ${top.signal.view.encoding})` : '';
  const where = segment.kind === 'tool_call_arguments' ? '; in tool-call arguments' : '';
  const more = count > 1 ? `; ${count} signals` : '';
  return `${top.signal.rule.reason}${hidden}${where}${more}`;
}

function scanSegment(segment: ScanSegment): Finding | null {
  const assessment = assessMaliciousCode(segment);
  if (assessment === null || assessment.score < REPORT_THRESHOLD) return null;
  const top = assessment.signals[0] as Scored;
  return findingAt(segment, top.signal.span.start, top.signal.span.end, {
    detector: 'malicious_code',
    rule: top.signal.rule.id,
    severity: severityFor(segment, assessment.score, top, assessment.defensive),
    confidence: Math.round(assessment.score * 100) / 100,
    reason: describe(top, assessment.signals.length, segment),
    redactable: false,
  });
}

/** Verdicts on texts resent turn after turn (system prompt, history, tool results). */
const MEMO = new SegmentMemo<Finding | null>();

/** Dangerous commands and requests for offensive code: at most one finding per segment. */
export const maliciousCodeDetector: Detector = {
  id: 'malicious_code',
  scan(input) {
    const findings: Finding[] = [];
    for (const segment of input.segments) {
      const finding = MEMO.get(segment, scanSegment);
      if (finding !== null) findings.push(relocateFinding(finding, segment));
    }
    return findings;
  },
};
