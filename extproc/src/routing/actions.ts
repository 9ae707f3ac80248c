// A rule's actions, checked and reduced to what a decision needs. The snapshot is JSON from outside this process, so
// every field is checked here even though the control plane's API validates the same things first.
import type { ProviderId } from '../providers/types.js';
import type { ModelCatalogue } from './catalogue.js';
import type { RoutingAction, SnapshotDeployment } from './types.js';

/** What one rule does, ready for decideRoute. */
export interface CompiledActions {
  /** Carries a model, deployment, fallback or deny decision: a match ends evaluation. */
  decisive: boolean;
  rewriteModel: { model: string; provider: ProviderId | null } | null;
  allowedModels: readonly string[] | null;
  deployment: SnapshotDeployment | null;
  fallbackChain: readonly string[] | null;
  maxTokensCap: number | null;
  headers: readonly (readonly [string, string])[];
  deny: { reason: string } | null;
}

/** A problem with one action; `field` is relative to the rule, e.g. `actions.1.deployment`. */
export class ActionError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ActionError';
  }
}

export const MAX_NAME_LENGTH = 200;
export const MAX_FALLBACKS = 10;
export const MAX_ALLOWED_MODELS = 50;
export const MAX_HEADERS = 20;
export const MAX_HEADER_VALUE_LENGTH = 1000;
export const MAX_DENY_REASON_LENGTH = 500;

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
// Credentials, framing and the gateway's own headers stay under the gateway's control.
const RESERVED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'cookie',
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
]);
const RESERVED_PREFIXES = ['x-acc-', 'x-envoy-'];
const DECISIVE = new Set(['rewrite_model', 'cheapest_capable', 'route', 'fallback', 'deny']);

export function headerProblem(name: string, value: unknown): string | null {
  if (!HEADER_NAME.test(name)) return `header name '${name}' must be a lower-case HTTP token`;
  if (RESERVED_HEADERS.has(name) || RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix))) {
    return `header '${name}' is reserved to the gateway`;
  }
  if (typeof value !== 'string' || value.length > MAX_HEADER_VALUE_LENGTH || /[\r\n\0]/.test(value)) {
    return `header '${name}' needs a single-line string value of at most ${MAX_HEADER_VALUE_LENGTH} characters`;
  }
  return null;
}

function isName(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH && !/\s/.test(value)
  );
}

function names(value: unknown, max: number): string[] | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > max) return null;
  return value.every(isName) ? (value as string[]) : null;
}

/** Throws ActionError for the first problem. */
export function compileActions(
  actions: unknown,
  deployments: ReadonlyMap<string, SnapshotDeployment>,
  catalogue: ModelCatalogue,
): CompiledActions {
  if (!Array.isArray(actions) || actions.length === 0) {
    throw new ActionError('actions', 'a rule needs at least one action');
  }
  const out: CompiledActions = {
    decisive: false,
    rewriteModel: null,
    allowedModels: null,
    deployment: null,
    fallbackChain: null,
    maxTokensCap: null,
    headers: [],
    deny: null,
  };
  const seen = new Set<string>();
  for (const [i, raw] of (actions as unknown[]).entries()) {
    const at = `actions.${i}`;
    const action = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<Record<string, unknown>> &
      Partial<RoutingAction>;
    const type = action.type;
    if (typeof type !== 'string') throw new ActionError(`${at}.type`, 'every action needs a type');
    if (seen.has(type)) throw new ActionError(at, `a rule has at most one '${type}' action`);
    seen.add(type);
    if (DECISIVE.has(type)) out.decisive = true;
    switch (type) {
      case 'rewrite_model': {
        const model = action.model;
        if (!isName(model)) throw new ActionError(`${at}.model`, 'rewrite_model needs a model name');
        out.rewriteModel = { model, provider: catalogue.lookup(model)?.provider ?? null };
        break;
      }
      case 'cheapest_capable': {
        const allowed = names(action.allowedModels, MAX_ALLOWED_MODELS);
        if (!allowed) {
          throw new ActionError(
            `${at}.allowedModels`,
            `cheapest_capable needs 1 to ${MAX_ALLOWED_MODELS} model names`,
          );
        }
        out.allowedModels = allowed;
        break;
      }
      case 'route': {
        const name = action.deployment;
        const deployment = typeof name === 'string' ? deployments.get(name) : undefined;
        if (!deployment) {
          throw new ActionError(`${at}.deployment`, `no deployment named '${String(name)}' in this org`);
        }
        out.deployment = deployment;
        break;
      }
      case 'fallback': {
        const chain = names(action.chain, MAX_FALLBACKS);
        if (!chain) {
          throw new ActionError(
            `${at}.chain`,
            `fallback needs 1 to ${MAX_FALLBACKS} deployment or model names`,
          );
        }
        out.fallbackChain = chain;
        break;
      }
      case 'cap_max_tokens': {
        const max = action.maxTokens;
        if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
          throw new ActionError(`${at}.maxTokens`, 'cap_max_tokens needs a whole number of tokens >= 1');
        }
        out.maxTokensCap = max;
        break;
      }
      case 'add_headers': {
        const headers = action.headers;
        if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
          throw new ActionError(`${at}.headers`, 'add_headers needs an object of header names to values');
        }
        const entries = Object.entries(headers);
        if (entries.length === 0 || entries.length > MAX_HEADERS) {
          throw new ActionError(`${at}.headers`, `add_headers needs 1 to ${MAX_HEADERS} headers`);
        }
        for (const [name, value] of entries) {
          const problem = headerProblem(name, value);
          if (problem) throw new ActionError(`${at}.headers.${name}`, problem);
        }
        out.headers = entries as [string, string][];
        break;
      }
      case 'deny': {
        const reason = action.reason;
        if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_DENY_REASON_LENGTH) {
          throw new ActionError(
            `${at}.reason`,
            `deny needs a reason of 1 to ${MAX_DENY_REASON_LENGTH} characters`,
          );
        }
        out.deny = { reason };
        break;
      }
      default:
        throw new ActionError(`${at}.type`, `unknown action type '${type}'`);
    }
  }
  if (out.rewriteModel && out.allowedModels) {
    throw new ActionError('actions', 'rewrite_model and cheapest_capable both choose the model: keep one');
  }
  if (out.deployment && (out.rewriteModel || out.allowedModels)) {
    throw new ActionError(
      'actions',
      "route sends the deployment's own model: it cannot be combined with a model action",
    );
  }
  if (out.deny && (out.rewriteModel || out.allowedModels || out.deployment || out.fallbackChain)) {
    throw new ActionError('actions', 'deny refuses the request: it cannot be combined with routing actions');
  }
  return out;
}
