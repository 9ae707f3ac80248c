// The one record every request produces when it ends: what the spend ledger persists and budgets settle against.
import type { ProviderId, Usage } from '../providers/types.js';
import type { SecurityFindingSummary } from '../security/decision.js';

export type { SecurityFindingSummary } from '../security/decision.js';

export type Decision = 'forwarded' | 'passthrough' | 'rejected';

/** What one request cost, as recorded when it ends. The budget ledger will persist exactly this. */
export interface RequestRecord {
  requestId: string;
  /** Epoch milliseconds when the request reached the gateway. */
  startedAt: number;
  keyId: string | null;
  orgId: string | null;
  teamId: string | null;
  /** The user or service account owning the key. */
  userId: string | null;
  /** From the key, or the x-acc-agent header when the key allows it. */
  agent: string | null;
  /** Free-form tags from x-acc-tags. */
  tags: string[];
  /** Policy snapshot version the request was decided under. */
  policyVersion: number;
  provider: ProviderId;
  endpoint: string;
  requestedModel: string | null;
  model: string | null;
  stream: boolean;
  status: number;
  decision: Decision;
  /** `complete`, or why usage may be partial: client_closed, upstream_error_event, unreadable_body. */
  outcome: string;
  usage: Usage | null;
  costUsd: number | null;
  /** What was reserved against budgets before forwarding (null: no budget applied). */
  reservedCostUsd: number | null;
  /** Routing rule that decided the model (`default` when none matched), null when routing did not run. */
  route: string | null;
  /** What the requested model would have cost for the same usage, when routing changed the model. */
  counterfactualCostUsd: number | null;
  /** clean / flagged / redacted / blocked, null when the scanner did not run. */
  securityStatus: string | null;
  /** What the security scanner found in the request and its response (no matched text): security_events rows. */
  securityFindings: SecurityFindingSummary[];
  durationMs: number;
  /**
   * Routed to deployments: their ids (not names, which may be reused), in the order Envoy tries them; absent or
   * empty when the request went to the provider's default upstream.
   */
  deploymentChain?: string[];
  /** Routed to deployments: the id of the one that answered, as Envoy reported it (x-acc-upstream-deployment). */
  upstreamDeployment?: string | null;
  /** Routed to deployments: upstream attempts Envoy made, fallbacks included (x-acc-upstream-attempts). */
  upstreamAttempts?: number | null;
}
