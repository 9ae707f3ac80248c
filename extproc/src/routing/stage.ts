// Routing in the request path: the org's rules (compiled once per snapshot) decide each parsed request, and the
// decision is applied to what goes upstream: the model, the output cap, extra headers, the deployment chain (Envoy
// cluster) or a refusal. Every routed response tells the client which rule decided (`x-acc-route`, `default` when
// none did or the org has no rules) and which model was sent (`x-acc-model`). Where deployments come in and how they
// are balanced: targets.ts.
import type { BudgetUtilisationView } from '../budgets/utilisation.js';
import { NO_UTILISATION } from '../budgets/utilisation.js';
import type { Logger } from '../log.js';
import { renderGatewayError } from '../pipeline/gateway-errors.js';
import type { Rejection, RequestContext, RequestStage } from '../pipeline/stages.js';
import { type RouteAttributes, routeAttributesFrom } from './attributes.js';
import { type CompiledRouting, DEFAULT_RULE_ID, decideRoute, type RouteDecision } from './engine.js';
import { RouteInputEstimator } from './input-estimate.js';
import type { FallbackSkipReason, RoutingMetrics } from './metrics.js';
import {
  chainOf,
  type DeploymentBalancer,
  deploymentsServing,
  fallbackDeployments,
  type UpstreamChain,
} from './targets.js';
import type { SnapshotDeployment } from './types.js';
import { UPSTREAM_CLUSTER_HEADER } from './upstream-clusters.js';

export const ROUTE_HEADER = 'x-acc-route';
export const MODEL_HEADER = 'x-acc-model';
/** The deployment chain a request was sent to, by name, in the order Envoy tries them. */
export const DEPLOYMENT_HEADER = 'x-acc-deployment';

export interface RoutingStageOptions {
  metrics: RoutingMetrics;
  log: Logger;
  balancer: DeploymentBalancer;
  /** How far along their budgets the request's subjects are (`request.key_utilisation`, …). */
  utilisation?: BudgetUtilisationView;
  estimator?: RouteInputEstimator;
  /** Clock for `request.hour` / `request.weekday`. */
  now?: () => number;
}

/** Model names come from clients: anything that is not a plain visible-ASCII token is sent percent-encoded. */
function headerValue(value: string): string {
  return /^[\x21-\x7e]{1,512}$/.test(value) ? value : encodeURIComponent(value).slice(0, 1024);
}

/**
 * Lowers the output cap where the provider reads it, or sets it when the client sent none. OpenAI: each of
 * `max_completion_tokens` and the legacy `max_tokens` the client sent, else `max_completion_tokens`; Anthropic:
 * `max_tokens`. `request.maxTokens` follows, so later stages (budgets) estimate with what is forwarded.
 */
function capMaxTokens(context: RequestContext, cap: number): void {
  const { request, plan } = context;
  if (request.maxTokens !== null && request.maxTokens <= cap) return;
  if (request.provider === 'anthropic') {
    plan.bodyFields.set('max_tokens', cap);
  } else {
    let sent = false;
    for (const field of ['max_completion_tokens', 'max_tokens']) {
      const value = request.body[field];
      if (typeof value !== 'number') continue;
      sent = true;
      if (value > cap) plan.bodyFields.set(field, cap);
    }
    if (!sent) plan.bodyFields.set('max_completion_tokens', cap);
  }
  request.maxTokens = cap;
}

export class RoutingStage implements RequestStage {
  readonly name = 'routing';
  /** The deployment each forwarded request counts against in the balancer, released when it ends. */
  private readonly servedBy = new WeakMap<RequestContext, string>();
  private readonly utilisation: BudgetUtilisationView;
  private readonly estimator: RouteInputEstimator;
  private readonly now: () => number;

  constructor(private readonly options: RoutingStageOptions) {
    this.utilisation = options.utilisation ?? NO_UTILISATION;
    this.estimator = options.estimator ?? new RouteInputEstimator();
    this.now = options.now ?? Date.now;
  }

  onRequest(context: RequestContext): Rejection | null | Promise<Rejection | null> {
    const routing = context.policy.routing(context.identity.orgId);
    // No rules (the common case): no estimate, no decision, and the pipeline stays synchronous.
    if (routing.rules.length === 0) {
      this.forwardAsRequested(context, 'default');
      return null;
    }
    return this.route(context, routing);
  }

  onFinish(context: RequestContext): void {
    const deploymentId = this.servedBy.get(context);
    if (deploymentId === undefined) return;
    this.servedBy.delete(context);
    this.options.balancer.release(deploymentId);
  }

  private async route(context: RequestContext, routing: CompiledRouting): Promise<Rejection | null> {
    let decision: RouteDecision;
    let estimatedInputTokens: number;
    try {
      estimatedInputTokens = await this.estimator.estimate(context.request);
      decision = decideRoute(routing, this.attributes(context, estimatedInputTokens));
    } catch (error) {
      // Rules steer cost: a bug of ours must not take traffic down. The request goes out as asked, and loudly.
      this.options.log.error(
        { err: error, requestId: context.requestId },
        'routing failed; forwarded as requested',
      );
      this.forwardAsRequested(context, 'failed');
      return null;
    }
    return this.apply(context, routing, decision, estimatedInputTokens);
  }

  private attributes(context: RequestContext, estimatedInputTokens: number): RouteAttributes {
    const { identity } = context;
    const team =
      identity.teamId === null
        ? null
        : { id: identity.teamId, name: context.policy.teamName(identity.teamId) ?? '' };
    return routeAttributesFrom(context.request, {
      team,
      key: identity.keyId,
      agent: context.agent,
      tags: context.tags,
      estimatedInputTokens,
      utilisation: this.utilisation.utilisation(identity, context.agent, {
        model: context.request.model,
        tags: context.tags,
      }),
      now: this.now(),
      endpoint: context.endpoint.name,
    });
  }

  private apply(
    context: RequestContext,
    routing: CompiledRouting,
    decision: RouteDecision,
    estimatedInputTokens: number,
  ): Rejection | null {
    const { metrics } = this.options;
    for (const evaluation of decision.evaluated) if (evaluation.error) metrics.conditionErrors.inc();
    context.annotations.route = decision.ruleId;
    if (decision.deny) {
      metrics.decisions.inc({ outcome: 'denied' });
      const rendered = renderGatewayError(
        context.adapter,
        'routing_denied',
        `Refused by the routing rule '${decision.ruleName}': ${decision.deny.reason}`,
      );
      return { ...rendered, headers: [[ROUTE_HEADER, headerValue(decision.ruleId)]] };
    }
    if (decision.provider !== context.provider) return this.providerMismatch(context, decision);

    const chain = decision.ruleId === DEFAULT_RULE_ID ? null : this.chainFor(context, routing, decision);
    const model = chain ? (chain.deployments[0] as SnapshotDeployment).model : decision.model;
    if (model !== context.request.model) {
      context.plan.bodyFields.set('model', model);
      context.annotations.routedModel = model;
    }
    if (decision.maxTokensCap !== null) capMaxTokens(context, decision.maxTokensCap);
    for (const [name, value] of Object.entries(decision.addHeaders))
      context.plan.setHeaders.push([name, value]);
    if (chain) {
      this.sendTo(context, chain);
      if (new Set(chain.deployments.map((d) => d.model)).size > 1) {
        this.prepareModelPerAttempt(context, routing, chain, model, estimatedInputTokens);
      }
    }
    context.plan.responseHeaders.push(
      [ROUTE_HEADER, headerValue(decision.ruleId)],
      [MODEL_HEADER, headerValue(model)],
    );
    metrics.decisions.inc({
      outcome: chain ? 'deployment' : context.annotations.routedModel ? 'model_changed' : 'kept_model',
    });
    return null;
  }

  /** The deployments a deciding rule sends to (targets.ts), or null for the provider's default upstream. */
  private chainFor(
    context: RequestContext,
    routing: CompiledRouting,
    decision: RouteDecision,
  ): UpstreamChain | null {
    const skipped: FallbackSkipReason[] = [];
    const primary = decision.deployment
      ? (routing.deployments.get(decision.deployment) ?? null)
      : this.options.balancer.pick(deploymentsServing(routing, context.provider, decision.model));
    let chain: UpstreamChain | null = null;
    if (primary) {
      chain = chainOf(
        primary,
        fallbackDeployments(routing, context.provider, decision.fallbackChain, skipped),
      );
    } else if (decision.fallbackChain.length > 0) {
      skipped.push('no_primary_deployment');
    }
    for (const reason of skipped) this.options.metrics.fallbackSkipped.inc({ reason });
    return chain;
  }

  /**
   * A chain whose deployments serve different models: Envoy rewrites the body's model per attempt
   * (envoy-deployments.ts), which needs `model` as the body's first member: setting the field makes the pipeline
   * serialise the body that way. The budget reservation must cover whichever deployment answers, so it is sized on
   * the chain's priciest model for this request (an unpriced one counts as the priciest: its cost has no bound).
   */
  private prepareModelPerAttempt(
    context: RequestContext,
    routing: CompiledRouting,
    chain: UpstreamChain,
    sent: string,
    estimatedInputTokens: number,
  ): void {
    context.plan.bodyFields.set('model', sent);
    let priciest = sent;
    let highest: number | null = routing.catalogue.estimateCostUsd(
      context.provider,
      sent,
      estimatedInputTokens,
      context.request.maxTokens,
    );
    for (const { model } of chain.deployments) {
      if (highest === null) break;
      const cost = routing.catalogue.estimateCostUsd(
        context.provider,
        model,
        estimatedInputTokens,
        context.request.maxTokens,
      );
      if (cost === null || cost > highest) {
        priciest = model;
        highest = cost;
      }
    }
    if (priciest !== sent) context.annotations.reservationModel = priciest;
  }

  private sendTo(context: RequestContext, chain: UpstreamChain): void {
    const primary = chain.deployments[0] as SnapshotDeployment;
    context.annotations.deploymentChain = chain.deployments.map(({ id, model }) => ({ id, model }));
    context.plan.setHeaders.push([UPSTREAM_CLUSTER_HEADER, chain.cluster]);
    // Envoy picked the route from the client's headers: it must pick again with the cluster header set.
    context.plan.clearRouteCache = true;
    context.plan.responseHeaders.push([
      DEPLOYMENT_HEADER,
      headerValue(chain.deployments.map((d) => d.name).join(',')),
    ]);
    this.options.balancer.acquire(primary.id);
    this.servedBy.set(context, primary.id);
  }

  /** A rule chose a model or deployment of the other provider: the body is in this provider's format. */
  private providerMismatch(context: RequestContext, decision: RouteDecision): Rejection {
    this.options.metrics.decisions.inc({ outcome: 'provider_mismatch' });
    const target = decision.deployment
      ? `the ${decision.provider} deployment '${decision.deployment}'`
      : `the ${decision.provider} model '${decision.model}'`;
    const rendered = renderGatewayError(
      context.adapter,
      'routing_provider_mismatch',
      `The routing rule '${decision.ruleName}' sends this request to ${target}, but the request is in the ` +
        `${context.provider} API format and the gateway does not translate between formats.`,
      'model',
    );
    return { ...rendered, headers: [[ROUTE_HEADER, headerValue(decision.ruleId)]] };
  }

  private forwardAsRequested(context: RequestContext, outcome: 'default' | 'failed'): void {
    context.annotations.route = DEFAULT_RULE_ID;
    context.plan.responseHeaders.push(
      [ROUTE_HEADER, DEFAULT_RULE_ID],
      [MODEL_HEADER, headerValue(context.request.model)],
    );
    this.options.metrics.decisions.inc({ outcome });
  }
}
