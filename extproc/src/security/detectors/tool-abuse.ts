// Tool abuse against an operator's policy: tools that may not be called or defined (names or globs like `shell_*`),
// argument patterns no call may carry (`rm\s+-rf\s+/`), and an allow list outside which any tool is unexpected.
// Names compare case-insensitively. Patterns run on the linear-time matcher in safe-regex.ts, case-insensitive, over
// the arguments exactly as sent (JSON text); all patterns together get a fixed work budget per request, and running
// out is itself reported, so a huge argument can neither stall the gateway nor slip past unchecked.
import { findingAt } from '../findings.js';
import { foldedForSearch, SafeRegex, type SearchBudget, UnsafePatternError } from '../safe-regex.js';
import type { Detector, Finding, ScanInput, ScanSegment, Severity } from '../types.js';

export interface ToolPolicy {
  /** Exact tool names or globs (`*` any run, `?` one character). */
  deniedTools: string[];
  /** Patterns (JavaScript syntax without backreferences or lookaround) no tool-call argument may match. */
  deniedArgumentPatterns: string[];
  /** null: any tool; otherwise only these names or globs may be defined or called. */
  allowedTools: string[] | null;
}

export const EMPTY_TOOL_POLICY: Readonly<ToolPolicy> = Object.freeze({
  deniedTools: [],
  deniedArgumentPatterns: [],
  allowedTools: null,
});

/**
 * Thread steps all argument patterns may spend per request (a step is one live pattern thread advanced by one
 * character, tens of nanoseconds): plain patterns check megabytes of arguments within it, while a pattern that
 * keeps dozens of threads alive over a huge argument runs out in well under a second instead of stalling.
 */
export const ARGUMENT_CHECK_BUDGET = 8_000_000;

export class ToolPolicyError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
    this.name = 'ToolPolicyError';
  }
}

const DETECTOR = 'tool_abuse' as const;

/** Glob match of a lower-cased name: `*` any run, `?` one character; linear with one backtrack point. */
export function globMatches(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    const gc = glob[g];
    if (gc === '*') {
      star = g++;
      resume = n;
    } else if (gc !== undefined && (gc === '?' || gc === name[n])) {
      g++;
      n++;
    } else if (star !== -1) {
      g = star + 1;
      n = ++resume;
    } else return false;
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
}

class NameList {
  private readonly exact = new Set<string>();
  private readonly globs: string[] = [];

  constructor(names: readonly string[]) {
    for (const name of names) {
      const lowered = name.toLowerCase();
      if (lowered.includes('*') || lowered.includes('?')) this.globs.push(lowered);
      else this.exact.add(lowered);
    }
  }

  has(name: string): boolean {
    const lowered = name.toLowerCase();
    return this.exact.has(lowered) || this.globs.some((glob) => globMatches(glob, lowered));
  }
}

interface CompiledPolicy {
  denied: NameList;
  allowed: NameList | null;
  patterns: SafeRegex[];
}

function compile(policy: ToolPolicy): CompiledPolicy {
  const patterns = policy.deniedArgumentPatterns.map((source, i) => {
    try {
      return new SafeRegex(source);
    } catch (error) {
      if (error instanceof UnsafePatternError)
        throw new ToolPolicyError(`deniedArgumentPatterns.${i}`, error.message);
      throw error;
    }
  });
  return {
    denied: new NameList(policy.deniedTools),
    allowed: policy.allowedTools === null ? null : new NameList(policy.allowedTools),
    patterns,
  };
}

interface Verdict {
  rule: string;
  severity: Severity;
  confidence: number;
  reason: string;
}

function toolNameOf(segment: ScanSegment, input: ScanInput): string | undefined {
  if (segment.toolName !== undefined) return segment.toolName;
  return segment.kind === 'tool_definition' ? input.toolNames[segment.partIndex] : undefined;
}

/** A definition is located at its name; a call at its whole argument text. */
function spanOf(segment: ScanSegment, name: string): [number, number] {
  if (segment.kind === 'tool_definition') {
    const at = segment.text.indexOf(name);
    if (at !== -1) return [at, at + name.length];
  }
  return [0, segment.text.length];
}

function nameVerdict(policy: CompiledPolicy, segment: ScanSegment, name: string): Verdict | null {
  const call = segment.kind === 'tool_call_arguments';
  if (policy.denied.has(name)) {
    return call
      ? {
          rule: 'denied_tool_call',
          severity: 'high',
          confidence: 0.95,
          reason: `call to denied tool "${name}"`,
        }
      : {
          rule: 'denied_tool_definition',
          severity: 'medium',
          confidence: 0.9,
          reason: `request defines denied tool "${name}"`,
        };
  }
  if (policy.allowed !== null && !policy.allowed.has(name)) {
    return call
      ? {
          rule: 'unexpected_tool_call',
          severity: 'high',
          confidence: 0.9,
          reason: `call to tool "${name}" outside the allow list`,
        }
      : {
          rule: 'unexpected_tool_definition',
          severity: 'medium',
          confidence: 0.9,
          reason: `request defines tool "${name}" outside the allow list`,
        };
  }
  return null;
}

function finding(segment: ScanSegment, start: number, end: number, verdict: Verdict): Finding {
  return findingAt(segment, start, end, { detector: DETECTOR, ...verdict, redactable: false });
}

function argumentFindings(
  policy: CompiledPolicy,
  segment: ScanSegment,
  name: string,
  budget: SearchBudget,
): Finding[] {
  const out: Finding[] = [];
  const folded = policy.patterns.length > 0 ? foldedForSearch(segment.text) : undefined;
  for (const [i, pattern] of policy.patterns.entries()) {
    const match = pattern.search(segment.text, 0, budget, folded);
    if (match === null) continue;
    if ('exhausted' in match) {
      out.push(
        finding(segment, match.checkedTo, segment.text.length, {
          rule: 'argument_check_incomplete',
          severity: 'medium',
          confidence: 0.5,
          reason: `denied-pattern check ran out of budget in "${name}"; this and later arguments are unchecked`,
        }),
      );
      break;
    }
    out.push(
      finding(segment, match.start, match.end, {
        rule: 'denied_argument_pattern',
        severity: 'high',
        confidence: 0.9,
        reason: `arguments of "${name}" match denied pattern ${i + 1}`,
      }),
    );
  }
  return out;
}

export interface ToolAbuseOptions {
  /** Thread steps all argument patterns may spend per request. */
  argumentCheckBudget?: number;
}

/** A tool-abuse detector for `policy`; throws ToolPolicyError naming the first unusable pattern. */
export function createToolAbuseDetector(policy: ToolPolicy, options: ToolAbuseOptions = {}): Detector {
  const compiled = compile(policy);
  const budgetSteps = options.argumentCheckBudget ?? ARGUMENT_CHECK_BUDGET;
  const inert =
    policy.deniedTools.length === 0 && policy.allowedTools === null && compiled.patterns.length === 0;
  return {
    id: DETECTOR,
    scan(input: ScanInput): Finding[] {
      if (inert) return [];
      const findings: Finding[] = [];
      const budget: SearchBudget = { steps: budgetSteps };
      for (const segment of input.segments) {
        if (segment.kind !== 'tool_call_arguments' && segment.kind !== 'tool_definition') continue;
        const name = toolNameOf(segment, input) ?? '';
        const verdict = name === '' ? null : nameVerdict(compiled, segment, name);
        if (verdict !== null) {
          const [start, end] = spanOf(segment, name);
          findings.push(finding(segment, start, end, verdict));
        }
        if (segment.kind === 'tool_call_arguments' && budget.steps > 0) {
          findings.push(...argumentFindings(compiled, segment, name, budget));
        }
      }
      return findings;
    },
  };
}
