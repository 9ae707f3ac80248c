// Routing's Prometheus series on extproc's registry. Labels come from fixed lists: rule ids, models and deployment
// names never become labels (an org can create any number of them).
import { Counter, type Registry } from 'prom-client';

/** How a routed request left the routing stage. */
export type RoutingOutcome =
  | 'default'
  | 'kept_model'
  | 'model_changed'
  | 'deployment'
  | 'denied'
  | 'provider_mismatch'
  | 'failed';

/** Why a fallback could not be applied as written. */
export type FallbackSkipReason = 'other_provider' | 'no_deployment' | 'no_primary_deployment';

export class RoutingMetrics {
  readonly decisions: Counter<'outcome'>;
  readonly conditionErrors: Counter;
  readonly fallbackSkipped: Counter<'reason'>;

  constructor(registry: Registry) {
    this.decisions = new Counter({
      name: 'acc_routing_decisions_total',
      help: 'Routed requests by outcome: default (no rules), kept_model, model_changed, deployment, denied, provider_mismatch, failed (routing error: forwarded as requested)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    this.conditionErrors = new Counter({
      name: 'acc_routing_condition_errors_total',
      help: 'Rule conditions that failed to evaluate for a request (counted as no match)',
      registers: [registry],
    });
    this.fallbackSkipped = new Counter({
      name: 'acc_routing_fallback_skipped_total',
      help: 'Fallback entries (or whole fallbacks) not applied: other_provider, no_deployment, no_primary_deployment',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
  }
}
