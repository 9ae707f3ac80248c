// Rule conditions in CEL (https://cel.dev) over one typed variable, `request`. Each condition is parsed, checked and
// planned once per snapshot; a request only runs the planned evaluator. A condition that fails to evaluate (a missing
// budget map key, a division by zero) is "no match" with the error reported, never an exception.
import {
  type CelError,
  type CelInput,
  type CelMap,
  celEnv,
  celMap,
  isCelError,
  parse,
  plan,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import {
  BOOL,
  CheckFailure,
  type CheckType,
  ConditionChecker,
  DOUBLE,
  INT,
  listOf,
  mapOf,
  STRING,
  typeName,
} from './cel-check.js';

/** The fields of `request`. Integers are CEL ints (bound as bigint), utilisations doubles. */
export const REQUEST_FIELDS: ReadonlyMap<string, CheckType> = new Map<string, CheckType>([
  ['model', STRING],
  ['provider', STRING],
  ['endpoint', STRING],
  ['team', STRING],
  ['team_id', STRING],
  ['key', STRING],
  ['agent', STRING],
  ['tags', listOf(STRING)],
  ['estimated_input_tokens', INT],
  ['max_tokens', INT],
  ['stream', BOOL],
  ['has_tools', BOOL],
  ['has_images', BOOL],
  ['json_mode', BOOL],
  ['reasoning', BOOL],
  ['hour', INT],
  ['weekday', INT],
  ['key_utilisation', DOUBLE],
  ['team_utilisation', DOUBLE],
  ['budget', mapOf(STRING, DOUBLE)],
]);

/** The value bound to `request`, field for field as REQUEST_FIELDS declares. */
export interface CelRequest {
  model: string;
  provider: string;
  endpoint: string;
  team: string;
  team_id: string;
  key: string;
  agent: string;
  tags: readonly string[];
  estimated_input_tokens: bigint;
  max_tokens: bigint;
  stream: boolean;
  has_tools: boolean;
  has_images: boolean;
  json_mode: boolean;
  reasoning: boolean;
  hour: bigint;
  weekday: bigint;
  key_utilisation: number;
  team_utilisation: number;
  budget: Readonly<Record<string, number>>;
}

/** 1-based line and column, 0-based offset, in UTF-16 code units of the source. */
export interface CelPosition {
  line: number;
  column: number;
  offset: number;
}

/** A condition that does not compile: syntax, an unknown field or function, a type mismatch, not a bool. */
export class CelConditionError extends Error {
  constructor(
    /** Without the position, which is in `position`. */
    readonly reason: string,
    readonly position: CelPosition,
  ) {
    super(`${reason} (line ${position.line}, column ${position.column})`);
    this.name = 'CelConditionError';
  }
}

/** Why a condition could not be evaluated for one request. */
export interface ConditionEvalError {
  message: string;
  position: CelPosition | null;
}

/** `request` converted to a CEL value once per decision: every rule's condition then reads the same value. */
// A type alias, not an interface: the evaluator's bindings want an index signature, which only aliases imply.
export type BoundRequest = { readonly request: CelMap };

export function bindRequest(request: CelRequest): BoundRequest {
  return { request: celMap(new Map<string, CelInput>(Object.entries(request))) };
}

export interface CompiledCondition {
  readonly source: string;
  /** true or false, or the error that made it neither (which the engine counts as no match). */
  evaluate(bound: BoundRequest): boolean | ConditionEvalError;
}

export const MAX_CONDITION_LENGTH = 4000;

// One environment for every condition: the standard library plus the strings extension (lowerAscii, split, …).
const env = celEnv({ funcs: strings });
const checker = new ConditionChecker(
  env,
  new Map([['request', { kind: 'object', name: 'request', fields: REQUEST_FIELDS }]]),
);

export function positionAt(source: string, offset: number): CelPosition {
  const clamped = Math.max(0, Math.min(offset, source.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: clamped - lineStart + 1, offset: clamped };
}

interface ParserError {
  rawMessage?: unknown;
  message?: unknown;
  location?: { start?: { offset?: unknown } };
}

function parseFailure(source: string, error: unknown): CelConditionError {
  const e = (error ?? {}) as ParserError;
  const offset = typeof e.location?.start?.offset === 'number' ? e.location.start.offset : 0;
  const text = typeof e.rawMessage === 'string' ? e.rawMessage : String(e.message ?? error);
  return new CelConditionError(`syntax error: ${text}`, positionAt(source, offset));
}

/** Parses, checks and plans `source`; throws CelConditionError. */
export function compileCondition(source: string): CompiledCondition {
  if (source.length > MAX_CONDITION_LENGTH) {
    throw new CelConditionError(
      `condition is longer than ${MAX_CONDITION_LENGTH} characters`,
      positionAt(source, MAX_CONDITION_LENGTH),
    );
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (error) {
    throw parseFailure(source, error);
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const at = (exprId: bigint | undefined): CelPosition | null => {
    const offset = exprId === undefined ? undefined : positions[exprId.toString()];
    return offset === undefined ? null : positionAt(source, offset);
  };

  try {
    const type = checker.check(parsed.expr);
    if (type.kind !== 'dyn' && typeName(type) !== 'bool') {
      throw new CheckFailure(`a condition must be a bool, this one is a ${typeName(type)}`, parsed.expr.id);
    }
  } catch (error) {
    if (!(error instanceof CheckFailure)) throw error;
    throw new CelConditionError(error.message, at(error.exprId) ?? positionAt(source, 0));
  }

  const run = plan(env, parsed);
  const failure = (error: CelError): ConditionEvalError => ({
    message: error.message,
    position: at(error.exprId),
  });
  return {
    source,
    evaluate(bound) {
      const result = run(bound);
      if (result === true || result === false) return result;
      if (isCelError(result)) return failure(result);
      return { message: `condition evaluated to ${typeof result}, not a bool`, position: null };
    },
  };
}
