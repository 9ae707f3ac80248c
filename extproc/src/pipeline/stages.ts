// The policy stages a parsed request passes through before it is forwarded: security scanning, routing, budgets.
// Each stage is a long-lived object; what it learns about one request lives on that request's RequestContext.
// Stages decide; StreamContext turns their decisions into Envoy replies, so no stage knows about ext_proc.
import type { Headers } from '../grpc/envoy-messages.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { SseEvent } from '../providers/sse.js';
import type { ParsedRequest, ProviderAdapter, ProviderId } from '../providers/types.js';
import type { SecurityFindingSummary } from '../security/decision.js';
import type { GatewayIdentity } from './auth.js';
import type { EndpointSpec } from './endpoints.js';
import type { RequestRecord } from './request-record.js';

/** What will be sent upstream, built up by the stages in order. */
export interface ForwardPlan {
  /** Top-level JSON fields to overwrite in the forwarded body (e.g. `model`, `max_completion_tokens`). */
  bodyFields: Map<string, unknown>;
  /** A stage changed `request.body` in place (e.g. masked a secret): the body must be re-serialised. */
  bodyMutated: boolean;
  /** Request headers to set or remove with the body reply (e.g. a different upstream cluster's credentials). */
  setHeaders: Array<[string, string]>;
  removeHeaders: string[];
  /** The route depends on a header a stage changed: Envoy must pick the route again. */
  clearRouteCache: boolean;
  /** Headers added to the response the client receives (e.g. `x-acc-route`). */
  responseHeaders: Array<[string, string]>;
  /** Looks at the upstream's successful answer before the client gets it (the security scanner). */
  responseInspector: ResponseInspector | null;
}

/** What to do with a complete, buffered JSON response body. */
export type JsonResponseVerdict =
  | { kind: 'pass'; headers: Array<[string, string]> }
  | { kind: 'replace'; body: Buffer; headers: Array<[string, string]> }
  | { kind: 'reject'; rejection: Rejection };

/** Transforms a response stream chunk by chunk; may hold bytes back (returning fewer) and release them later. */
export interface StreamInspector {
  /**
   * `chunk`: the bytes about to go to the client; `events`: the blocks the stream observer completed with them
   * (StreamObserver.lastEvents), which may include bytes of earlier chunks. Returns what to send instead.
   */
  push(chunk: Buffer, events: readonly SseEvent[]): Buffer;
  /** Upstream finished (the observer's last blocks were pushed): anything still to send. */
  end(): Buffer;
}

/**
 * Set by a stage to see 2xx responses. A JSON body is then buffered whole by Envoy (mode override, when it fits) so
 * it can be rewritten or refused before any of it reaches the client; an event stream keeps streaming through
 * `inspectStream`.
 */
export interface ResponseInspector {
  /** `answer` is the body as parsed by the caller (undefined when it is not JSON); it may be modified. */
  inspectJson(answer: unknown): JsonResponseVerdict;
  inspectStream(): StreamInspector;
  /** The answer reached the client without inspection (e.g. larger than can be buffered). */
  unscanned(reason: string): void;
}

export interface RequestContext {
  readonly requestId: string;
  readonly provider: ProviderId;
  readonly adapter: ProviderAdapter;
  readonly endpoint: EndpointSpec;
  readonly identity: GatewayIdentity;
  readonly requestHeaders: Headers;
  /** The snapshot the request was admitted under; it stays in force for the whole request. */
  readonly policy: CompiledPolicy;
  readonly request: ParsedRequest;
  /** Agent the request is attributed to: the key's own, or x-acc-agent when the key allows it. */
  readonly agent: string | null;
  /** From x-acc-tags. */
  readonly tags: readonly string[];
  readonly plan: ForwardPlan;
  /** Fields stages contribute to the request's spend record. */
  readonly annotations: RecordAnnotations;
}

export interface RecordAnnotations {
  reservedCostUsd: number | null;
  route: string | null;
  /** Model the routing stage chose, when it differs from the requested one. */
  routedModel: string | null;
  /**
   * The deployments the routing stage sent the request to, in the order Envoy tries them (absent: none). Their
   * models may differ: each attempt is sent its own deployment's model.
   */
  deploymentChain?: ReadonlyArray<{ readonly id: string; readonly model: string }>;
  /** Model the budget reservation is sized on when not the one sent: a mixed chain's priciest. */
  reservationModel?: string;
  securityStatus: string | null;
  /** Security findings of the request and of its response, in the order they were made. */
  securityFindings: SecurityFindingSummary[];
}

/** An answer to the client instead of forwarding: status, body in the provider's own error shape, extra headers. */
export interface Rejection {
  status: number;
  /** Machine code for metrics, e.g. `budget_exceeded`. */
  code: string;
  body: string;
  headers?: Array<[string, string]>;
}

export interface RequestStage {
  readonly name: string;
  /** Runs in the request body phase, in stage order; a rejection stops the chain and answers the client. */
  onRequest(context: RequestContext): Rejection | null | Promise<Rejection | null>;
  /**
   * The exchange ended (completed, failed, rejected by a later stage, or the client went away). Called once for
   * every stage whose onRequest ran, with the final record: the place to settle what onRequest reserved.
   */
  onFinish?(context: RequestContext, record: RequestRecord): void;
}

export function emptyForwardPlan(): ForwardPlan {
  return {
    bodyFields: new Map(),
    bodyMutated: false,
    setHeaders: [],
    removeHeaders: [],
    clearRouteCache: false,
    responseHeaders: [],
    responseInspector: null,
  };
}
