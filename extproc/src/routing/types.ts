// Routing as published in the policy snapshot: an org's rules, its named deployments and its catalogue overrides.
//
// Semantics (the engine in engine.ts implements them; README "Routing rules" documents them for operators):
//   - Enabled rules run in ascending `priority` (ties: by name, then id), each condition evaluated against the request.
//   - Actions are either decisive (rewrite_model, cheapest_capable, route, fallback, deny) or modifiers
//     (cap_max_tokens, add_headers). FIRST MATCH WINS: the first matching rule that carries a decisive action makes
//     the model/deployment/deny decision and evaluation stops there.
//   - A matching rule with modifiers only does not stop evaluation; the modifiers of every matching rule up to and
//     including the deciding one apply: the lowest max-tokens cap wins, and for a header set by several rules the
//     earliest rule's value wins.
//   - No deciding rule: the requested model goes to the provider unchanged (decision `ruleId: 'default'`).
import type { ProviderId } from '../providers/types.js';

/** Send this model instead of the requested one. */
export interface RewriteModelAction {
  type: 'rewrite_model';
  model: string;
}

/**
 * The cheapest of `allowedModels` (same provider as the request) that meets the request's needs: context window,
 * output size, tools, images, JSON mode, reasoning. Entries are model names, optionally `provider:model`.
 */
export interface CheapestCapableAction {
  type: 'cheapest_capable';
  allowedModels: string[];
}

/** Send the request to a named deployment of the org; its served model replaces the requested one. */
export interface RouteAction {
  type: 'route';
  deployment: string;
}

/** What to try, in order, when the primary upstream fails: deployment names or model names. */
export interface FallbackAction {
  type: 'fallback';
  chain: string[];
}

/** Upper bound on output tokens: lower max_tokens to this, or set it when the client sent none. */
export interface CapMaxTokensAction {
  type: 'cap_max_tokens';
  maxTokens: number;
}

/** Headers to add to the upstream request (lower-case names; credentials and framing headers are refused). */
export interface AddHeadersAction {
  type: 'add_headers';
  headers: Record<string, string>;
}

/** Refuse the request with this reason. */
export interface DenyAction {
  type: 'deny';
  reason: string;
}

export type RoutingAction =
  | RewriteModelAction
  | CheapestCapableAction
  | RouteAction
  | FallbackAction
  | CapMaxTokensAction
  | AddHeadersAction
  | DenyAction;

export type RoutingActionType = RoutingAction['type'];

export interface SnapshotRoutingRule {
  id: string;
  orgId: string;
  name: string;
  /** Lower runs first. */
  priority: number;
  /** CEL source over the `request` variable (see cel.ts for its fields). */
  condition: string;
  /** At least one; at most one of each type. */
  actions: RoutingAction[];
  enabled: boolean;
}

/** Capabilities a request can need; null in an override = keep the built-in value. */
export interface ModelCapabilities {
  tools: boolean;
  vision: boolean;
  jsonMode: boolean;
  reasoning: boolean;
}

/** An org's correction or addition to the model catalogue (catalogue.ts). */
export interface SnapshotModelOverride {
  orgId: string;
  provider: ProviderId;
  model: string;
  /** Total tokens (input + output); null = the built-in value. */
  contextWindow: number | null;
  maxOutputTokens: number | null;
  capabilities: { [K in keyof ModelCapabilities]: boolean | null };
  /** false = never chosen by cheapest_capable. */
  enabled: boolean;
}

/** A named upstream an org can route to. The Envoy side (clusters, credentials) is wired by the request pipeline. */
export interface SnapshotDeployment {
  id: string;
  orgId: string;
  /** Unique in the org; what `route` and `fallback` actions name. */
  name: string;
  provider: ProviderId;
  /** The model name to send upstream. */
  model: string;
  /** Envoy cluster to send to; null = the provider's default cluster. */
  baseUrlCluster?: string | null;
  /** Relative share among deployments balanced together; not used by the rule engine. */
  weight: number;
  /** Names the credential to use; null = the org's credential for `provider`. */
  credentialRef?: string | null;
}

export interface SnapshotRouting {
  rules: SnapshotRoutingRule[];
  deployments: SnapshotDeployment[];
  modelOverrides: SnapshotModelOverride[];
}
