// The routing engine: an org's rules compiled once per snapshot, then one decision per request. decideRoute is pure
// (no I/O, no clock, no shared state), so the request pipeline, the control plane's dry run and tests all get the
// same answer for the same attributes. Semantics: see types.ts and the README section "Routing rules".
import type { ProviderId } from '../providers/types.js';
import { ActionError, type CompiledActions, compileActions } from './actions.js';
import { celRequestOf, type RouteAttributes } from './attributes.js';
import { type CapabilityNeeds, cheapestCapable, type ModelCatalogue } from './catalogue.js';
import {
  bindRequest,
  CelConditionError,
  type CelPosition,
  type CompiledCondition,
  type ConditionEvalError,
  compileCondition,
} from './cel.js';
import type { SnapshotDeployment, SnapshotRoutingRule } from './types.js';

export const DEFAULT_RULE_ID = 'default';

export interface CompiledRule extends CompiledActions {
  readonly id: string;
  readonly name: string;
  readonly priority: number;
  readonly condition: CompiledCondition;
}

export interface CompiledRouting {
  /** Enabled rules in evaluation order. */
  readonly rules: readonly CompiledRule[];
  readonly catalogue: ModelCatalogue;
  readonly deployments: ReadonlyMap<string, SnapshotDeployment>;
}

/** A rule that cannot be compiled; names the rule and the field (`condition`, `actions.0.deployment`, …). */
export class RoutingCompileError extends Error {
  constructor(
    readonly ruleId: string,
    readonly ruleName: string,
    readonly field: string,
    readonly reason: string,
    /** Where in the condition, for CEL errors. */
    readonly position: CelPosition | null,
  ) {
    super(`routing rule '${ruleName}' (${ruleId}): ${field}: ${reason}`);
    this.name = 'RoutingCompileError';
  }
}

export interface RuleEvaluation {
  ruleId: string;
  ruleName: string;
  matched: boolean;
  /** The condition could not be evaluated for this request: counted as no match. */
  error?: ConditionEvalError;
}

export interface RouteDecision {
  /** The rule that made the model/deployment/deny decision, or 'default'. */
  ruleId: string;
  ruleName: string;
  /** The model to send upstream. */
  model: string;
  requestedModel: string;
  /** Provider of `model`: the deployment's, the catalogue's, else the request's. */
  provider: ProviderId;
  deployment: string | null;
  /** Deployment or model names to try in order when the primary upstream fails. */
  fallbackChain: readonly string[];
  /** Lower max_tokens to this (or set it when the client sent none); null = leave it. */
  maxTokensCap: number | null;
  addHeaders: Readonly<Record<string, string>>;
  deny: { reason: string } | null;
  /** Every rule whose actions applied, in order (modifier-only rules, then the deciding one). */
  appliedRuleIds: readonly string[];
  /** The rules evaluated, in order, up to the deciding one. */
  evaluated: readonly RuleEvaluation[];
  /** Things the operator should know, e.g. cheapest_capable found no model able to serve the request. */
  warnings: readonly string[];
}

const NONE: readonly never[] = Object.freeze([]);
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function byEvaluationOrder(a: SnapshotRoutingRule, b: SnapshotRoutingRule): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Compiles one org's routing; throws RoutingCompileError for the first rule that does not compile. */
export function compileRouting(
  rules: readonly SnapshotRoutingRule[],
  catalogue: ModelCatalogue,
  deployments: readonly SnapshotDeployment[],
): CompiledRouting {
  const byName = new Map<string, SnapshotDeployment>();
  for (const deployment of deployments) byName.set(deployment.name, deployment);

  const compiled: CompiledRule[] = [];
  // Disabled rules are compiled too: a snapshot carrying a broken rule is refused whether or not it is enabled.
  for (const rule of [...rules].sort(byEvaluationOrder)) {
    let condition: CompiledCondition;
    let actions: CompiledActions;
    try {
      condition = compileCondition(rule.condition);
    } catch (error) {
      if (!(error instanceof CelConditionError)) throw error;
      throw new RoutingCompileError(rule.id, rule.name, 'condition', error.reason, error.position);
    }
    try {
      actions = compileActions(rule.actions, byName, catalogue);
    } catch (error) {
      if (!(error instanceof ActionError)) throw error;
      throw new RoutingCompileError(rule.id, rule.name, error.field, error.message, null);
    }
    if (rule.enabled) {
      compiled.push({ id: rule.id, name: rule.name, priority: rule.priority, condition, ...actions });
    }
  }
  return { rules: compiled, catalogue, deployments: byName };
}

/** An org without rules: every request keeps its model. */
export function emptyRouting(catalogue: ModelCatalogue): CompiledRouting {
  return { rules: NONE, catalogue, deployments: new Map() };
}

function effectiveMaxTokens(requested: number | null, cap: number | null): number | null {
  if (cap === null) return requested;
  return requested === null ? cap : Math.min(requested, cap);
}

export function decideRoute(compiled: CompiledRouting, attrs: RouteAttributes): RouteDecision {
  const decision: RouteDecision = {
    ruleId: DEFAULT_RULE_ID,
    ruleName: DEFAULT_RULE_ID,
    model: attrs.model,
    requestedModel: attrs.model,
    provider: attrs.provider,
    deployment: null,
    fallbackChain: NONE,
    maxTokensCap: null,
    addHeaders: NO_HEADERS,
    deny: null,
    appliedRuleIds: NONE,
    evaluated: NONE,
    warnings: NONE,
  };
  if (compiled.rules.length === 0) return decision;

  const request = bindRequest(celRequestOf(attrs));
  const evaluated: RuleEvaluation[] = [];
  const applied: string[] = [];
  let headers: Record<string, string> | null = null;
  let cap: number | null = null;
  let decider: CompiledRule | null = null;
  for (const rule of compiled.rules) {
    const result = rule.condition.evaluate(request);
    if (result !== true) {
      evaluated.push(
        result === false
          ? { ruleId: rule.id, ruleName: rule.name, matched: false }
          : { ruleId: rule.id, ruleName: rule.name, matched: false, error: result },
      );
      continue;
    }
    evaluated.push({ ruleId: rule.id, ruleName: rule.name, matched: true });
    applied.push(rule.id);
    if (rule.maxTokensCap !== null) cap = cap === null ? rule.maxTokensCap : Math.min(cap, rule.maxTokensCap);
    for (const [name, value] of rule.headers) {
      headers ??= {};
      if (!Object.hasOwn(headers, name)) headers[name] = value;
    }
    if (rule.decisive) {
      decider = rule;
      break;
    }
  }
  decision.evaluated = evaluated;
  decision.appliedRuleIds = applied;
  decision.maxTokensCap = cap;
  if (headers) decision.addHeaders = headers;
  if (decider === null) return decision;

  decision.ruleId = decider.id;
  decision.ruleName = decider.name;
  if (decider.fallbackChain) decision.fallbackChain = decider.fallbackChain;
  if (decider.deny) {
    decision.deny = decider.deny;
  } else if (decider.deployment) {
    decision.deployment = decider.deployment.name;
    decision.model = decider.deployment.model;
    decision.provider = decider.deployment.provider;
  } else if (decider.rewriteModel) {
    decision.model = decider.rewriteModel.model;
    decision.provider = decider.rewriteModel.provider ?? attrs.provider;
  } else if (decider.allowedModels) {
    const needs: CapabilityNeeds = {
      inputTokens: attrs.estimatedInputTokens,
      maxOutputTokens: effectiveMaxTokens(attrs.maxTokens, cap),
      tools: attrs.hasTools,
      images: attrs.hasImages,
      jsonMode: attrs.jsonMode,
      reasoning: attrs.reasoning,
      provider: attrs.provider,
    };
    const choice = cheapestCapable(needs, decider.allowedModels, compiled.catalogue);
    if (choice) {
      decision.model = choice.model;
      decision.provider = choice.provider;
    } else {
      decision.warnings = [
        `rule '${decider.name}': no allowed ${attrs.provider} model can serve this request ` +
          `(context, output size, tools, images, JSON mode, reasoning); kept ${attrs.model}`,
      ];
    }
  }
  return decision;
}
