// ClawShield policy: what to do with each finding, per org and team. The control plane stores overrides (every field
// optional: absent = inherit); a request runs under its team's overrides layered on its org's, layered on the
// gateway-wide base (ACC_SECURITY_POLICY, else DEFAULT_SECURITY_POLICY). Layering happens once per snapshot, never
// per request. The settings and their validation are pure so the control plane validates with the same rules.
import { safePatternProblem } from './safe-regex.js';
import type { DetectorId, Severity } from './types.js';

export type SecurityAction = 'block' | 'redact' | 'flag' | 'off';
export type FailMode = 'open' | 'closed';

export const SECURITY_ACTIONS: readonly SecurityAction[] = ['block', 'redact', 'flag', 'off'];
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
export const DETECTOR_IDS: readonly DetectorId[] = [
  'prompt_injection',
  'secrets',
  'exfiltration',
  'malicious_code',
  'tool_abuse',
  'runaway_agent',
];

/** Strength of an action when several findings meet: the strongest decides the request. */
export const ACTION_RANK: Readonly<Record<SecurityAction, number>> = { off: 0, flag: 1, redact: 2, block: 3 };

export type ActionTable = Record<DetectorId, Record<Severity, SecurityAction>>;
export type ActionOverrides = Partial<Record<DetectorId, Partial<Record<Severity, SecurityAction>>>>;

export interface RunawaySettings {
  enabled: boolean;
  /** Sliding window over which one key + agent's requests are compared. */
  windowSeconds: number;
  /** The same request (same fingerprint) this many times in the window is a loop. */
  repeatThreshold: number;
  /** Request rate this many times the agent's own baseline is a runaway. */
  velocityFactor: number;
}

/** A complete, resolved policy: what a request actually runs under. */
export interface SecurityPolicySettings {
  actions: ActionTable;
  /** Tool names an agent may not call or define (case-insensitive; globs: `*` any run, `?` one character). */
  deniedTools: string[];
  /** Regular expressions (case-insensitive; no backreferences or lookaround) no tool-call argument may match. */
  deniedArgumentPatterns: string[];
  /** When set, only these tools may be called or defined; null = no allow list. */
  allowedTools: string[] | null;
  /** Scan model output for secrets and exfiltration. */
  scanResponses: boolean;
  /** A `block` on streamed output ends the stream with an error event; otherwise streamed findings are flagged. */
  blockStreamingResponses: boolean;
  /** What a scanner failure does: open = forward unscanned, closed = refuse with 503. */
  failMode: FailMode;
  runaway: RunawaySettings;
}

/** What an org or a team stores: every field optional, absent fields inherit. Lists replace, never merge. */
export interface SecurityPolicyOverrides {
  actions?: ActionOverrides;
  deniedTools?: string[];
  deniedArgumentPatterns?: string[];
  allowedTools?: string[] | null;
  scanResponses?: boolean;
  blockStreamingResponses?: boolean;
  failMode?: FailMode;
  runaway?: Partial<RunawaySettings>;
}

/** One stored policy as it travels in the snapshot. */
export interface SnapshotSecurityPolicy extends SecurityPolicyOverrides {
  orgId: string;
  /** null = the org's default for every team without a policy of its own. */
  teamId: string | null;
}

const row = (
  low: SecurityAction,
  medium: SecurityAction,
  high: SecurityAction,
  critical: SecurityAction,
) => ({
  low,
  medium,
  high,
  critical,
});

/**
 * Active with no configuration at all. Critical intent (injection, malicious code, tool abuse, exfiltration, a
 * runaway loop) is blocked; leaked credentials are masked rather than refused, since masking removes the risk
 * without breaking the agent; everything else is flagged so it shows in headers and events.
 */
export const DEFAULT_SECURITY_POLICY: Readonly<SecurityPolicySettings> = Object.freeze({
  actions: {
    prompt_injection: row('flag', 'flag', 'block', 'block'),
    secrets: row('flag', 'redact', 'redact', 'redact'),
    exfiltration: row('flag', 'flag', 'redact', 'block'),
    malicious_code: row('flag', 'flag', 'block', 'block'),
    tool_abuse: row('flag', 'flag', 'block', 'block'),
    runaway_agent: row('flag', 'flag', 'flag', 'block'),
  },
  deniedTools: [],
  deniedArgumentPatterns: [],
  allowedTools: null,
  scanResponses: true,
  blockStreamingResponses: false,
  failMode: 'open',
  runaway: { enabled: true, windowSeconds: 60, repeatThreshold: 20, velocityFactor: 10 },
});

/** `base` with `overrides` on top; the result shares nothing mutable with either. */
export function applyOverrides(
  base: Readonly<SecurityPolicySettings>,
  overrides: SecurityPolicyOverrides | undefined,
): SecurityPolicySettings {
  const o = overrides ?? {};
  const actions = {} as ActionTable;
  for (const detector of DETECTOR_IDS) {
    actions[detector] = { ...base.actions[detector], ...definedOnly(o.actions?.[detector]) };
  }
  const allowed = o.allowedTools !== undefined ? o.allowedTools : base.allowedTools;
  return {
    actions,
    deniedTools: [...(o.deniedTools ?? base.deniedTools)],
    deniedArgumentPatterns: [...(o.deniedArgumentPatterns ?? base.deniedArgumentPatterns)],
    allowedTools: allowed === null ? null : [...allowed],
    scanResponses: o.scanResponses ?? base.scanResponses,
    blockStreamingResponses: o.blockStreamingResponses ?? base.blockStreamingResponses,
    failMode: o.failMode ?? base.failMode,
    runaway: { ...base.runaway, ...definedOnly(o.runaway) },
  };
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class SecurityPolicyError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
    this.name = 'SecurityPolicyError';
  }
}

export const POLICY_LIMITS = Object.freeze({
  toolNames: 200,
  toolNameLength: 128,
  patterns: 50,
  patternLength: 500,
  windowSeconds: { min: 1, max: 86_400 },
  repeatThreshold: { min: 2, max: 100_000 },
  velocityFactor: { min: 1.5, max: 1000 },
});

const TOOL_NAME = /^[A-Za-z0-9_.:\-/*?]+$/;

/**
 * Why a denied-argument pattern is unusable, or null when it compiles. Patterns run on attacker-influenced text, so
 * they are compiled by the backtracking-free matcher, which refuses what it cannot run in linear time.
 */
export function patternProblem(pattern: string): string | null {
  if (pattern.length === 0 || pattern.length > POLICY_LIMITS.patternLength) {
    return `must be 1-${POLICY_LIMITS.patternLength} characters`;
  }
  const problem = safePatternProblem(pattern);
  return problem === null ? null : `is not a usable pattern: ${problem}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw new SecurityPolicyError(`${field}.${key}`.replace(/^\./, ''), 'is not allowed');
  }
}

function toolList(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw new SecurityPolicyError(field, 'must be an array of tool names');
  if (value.length > POLICY_LIMITS.toolNames) {
    throw new SecurityPolicyError(field, `may list at most ${POLICY_LIMITS.toolNames} tools`);
  }
  return value.map((name, i) => {
    if (typeof name !== 'string' || name.length > POLICY_LIMITS.toolNameLength || !TOOL_NAME.test(name)) {
      throw new SecurityPolicyError(
        `${field}.${i}`,
        `must be a tool name or glob (letters, digits, _ . : - / and the wildcards * ?) of at most ${POLICY_LIMITS.toolNameLength} characters`,
      );
    }
    return name;
  });
}

function numberIn(
  value: unknown,
  field: string,
  range: { min: number; max: number },
  integer: boolean,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new SecurityPolicyError(field, integer ? 'must be an integer' : 'must be a number');
  }
  if (value < range.min || value > range.max) {
    throw new SecurityPolicyError(field, `must be between ${range.min} and ${range.max}`);
  }
  return value;
}

function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new SecurityPolicyError(field, 'must be true or false');
  return value;
}

/**
 * Validates stored or configured overrides, from the API, ACC_SECURITY_POLICY or a snapshot. Throws
 * SecurityPolicyError naming the first bad field (dotted path), so the API can point the client at it.
 */
export function parseSecurityOverrides(value: unknown, field = ''): SecurityPolicyOverrides {
  const at = (name: string) => (field ? `${field}.${name}` : name);
  if (!isRecord(value)) throw new SecurityPolicyError(field || 'policy', 'must be an object');
  onlyKeys(
    value,
    [
      'actions',
      'deniedTools',
      'deniedArgumentPatterns',
      'allowedTools',
      'scanResponses',
      'blockStreamingResponses',
      'failMode',
      'runaway',
    ],
    field,
  );
  const out: SecurityPolicyOverrides = {};
  if (value.actions !== undefined) {
    if (!isRecord(value.actions)) throw new SecurityPolicyError(at('actions'), 'must be an object');
    onlyKeys(value.actions, DETECTOR_IDS, at('actions'));
    const actions: ActionOverrides = {};
    for (const [detector, bySeverity] of Object.entries(value.actions)) {
      const path = at(`actions.${detector}`);
      if (!isRecord(bySeverity)) throw new SecurityPolicyError(path, 'must be an object');
      onlyKeys(bySeverity, SEVERITIES, path);
      const table: Partial<Record<Severity, SecurityAction>> = {};
      for (const [severity, action] of Object.entries(bySeverity)) {
        if (!SECURITY_ACTIONS.includes(action as SecurityAction)) {
          throw new SecurityPolicyError(
            `${path}.${severity}`,
            `must be one of ${SECURITY_ACTIONS.join(', ')}`,
          );
        }
        table[severity as Severity] = action as SecurityAction;
      }
      actions[detector as DetectorId] = table;
    }
    out.actions = actions;
  }
  if (value.deniedTools !== undefined) out.deniedTools = toolList(value.deniedTools, at('deniedTools'));
  if (value.allowedTools !== undefined) {
    out.allowedTools = value.allowedTools === null ? null : toolList(value.allowedTools, at('allowedTools'));
  }
  if (value.deniedArgumentPatterns !== undefined) {
    const patterns = value.deniedArgumentPatterns;
    const path = at('deniedArgumentPatterns');
    if (!Array.isArray(patterns))
      throw new SecurityPolicyError(path, 'must be an array of regular expressions');
    if (patterns.length > POLICY_LIMITS.patterns) {
      throw new SecurityPolicyError(path, `may list at most ${POLICY_LIMITS.patterns} patterns`);
    }
    out.deniedArgumentPatterns = patterns.map((pattern, i) => {
      if (typeof pattern !== 'string') throw new SecurityPolicyError(`${path}.${i}`, 'must be a string');
      const problem = patternProblem(pattern);
      if (problem) throw new SecurityPolicyError(`${path}.${i}`, problem);
      return pattern;
    });
  }
  if (value.scanResponses !== undefined) out.scanResponses = bool(value.scanResponses, at('scanResponses'));
  if (value.blockStreamingResponses !== undefined) {
    out.blockStreamingResponses = bool(value.blockStreamingResponses, at('blockStreamingResponses'));
  }
  if (value.failMode !== undefined) {
    if (value.failMode !== 'open' && value.failMode !== 'closed') {
      throw new SecurityPolicyError(at('failMode'), 'must be open or closed');
    }
    out.failMode = value.failMode;
  }
  if (value.runaway !== undefined) {
    const runaway = value.runaway;
    const path = at('runaway');
    if (!isRecord(runaway)) throw new SecurityPolicyError(path, 'must be an object');
    onlyKeys(runaway, ['enabled', 'windowSeconds', 'repeatThreshold', 'velocityFactor'], path);
    const settings: Partial<RunawaySettings> = {};
    if (runaway.enabled !== undefined) settings.enabled = bool(runaway.enabled, `${path}.enabled`);
    if (runaway.windowSeconds !== undefined) {
      settings.windowSeconds = numberIn(
        runaway.windowSeconds,
        `${path}.windowSeconds`,
        POLICY_LIMITS.windowSeconds,
        true,
      );
    }
    if (runaway.repeatThreshold !== undefined) {
      settings.repeatThreshold = numberIn(
        runaway.repeatThreshold,
        `${path}.repeatThreshold`,
        POLICY_LIMITS.repeatThreshold,
        true,
      );
    }
    if (runaway.velocityFactor !== undefined) {
      settings.velocityFactor = numberIn(
        runaway.velocityFactor,
        `${path}.velocityFactor`,
        POLICY_LIMITS.velocityFactor,
        false,
      );
    }
    out.runaway = settings;
  }
  return out;
}
