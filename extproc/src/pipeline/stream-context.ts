// One StreamContext per ext_proc stream, i.e. per HTTP request: four phase handlers and the accounting at the end.
// It decides; envoy-messages.ts shapes the replies; providers/ parse; nothing here touches gRPC directly.
import { randomUUID } from 'node:crypto';
import type { ExtprocConfig } from '../config.js';
import {
  BUFFERED_RESPONSE_MODE,
  continueRequestBody,
  continueRequestHeaders,
  continueResponseBody,
  continueResponseHeaders,
  type HeaderChanges,
  Headers,
  immediateResponse,
  PASS_THROUGH_MODE,
  type ProcessingResponse,
} from '../grpc/envoy-messages.js';
import type { HttpBody__Output } from '../grpc/gen/envoy/service/ext_proc/v3/HttpBody.js';
import type { HttpHeaders__Output } from '../grpc/gen/envoy/service/ext_proc/v3/HttpHeaders.js';
import type { ProcessingRequest__Output } from '../grpc/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { Logger } from '../log.js';
import type { ExtprocMetrics } from '../metrics.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { adapterFor } from '../providers/index.js';
import type { SseEvent } from '../providers/sse.js';
import {
  type JsonResponseSummary,
  type ParsedRequest,
  type ProviderAdapter,
  type ProviderId,
  RequestError,
  type StreamError,
  type StreamObserver,
  type Usage,
} from '../providers/types.js';
import { UPSTREAM_ATTEMPTS_HEADER, UPSTREAM_DEPLOYMENT_HEADER } from '../routing/envoy-deployments.js';
import { AGENT_HEADER, attributionFrom, TAGS_HEADER } from './attribution.js';
import { type GatewayIdentity, presentedKey, providerCredentialHeaders } from './auth.js';
import { type EndpointSpec, findEndpoint, normalisePath, providerFromHeaders } from './endpoints.js';
import { type GatewayErrorCode, renderGatewayError } from './gateway-errors.js';
import type { Decision, RequestRecord } from './request-record.js';
import {
  emptyForwardPlan,
  type RecordAnnotations,
  type Rejection,
  type RequestContext,
  type RequestStage,
  type ResponseInspector,
  type StreamInspector,
} from './stages.js';

export interface PipelineDeps {
  config: ExtprocConfig;
  /** The policy in force now; each request keeps the one it started with. */
  policy: () => CompiledPolicy;
  metrics: ExtprocMetrics;
  log: Logger;
  /** Policy stages run on every parsed request, in order (security, routing, budgets). */
  stages?: readonly RequestStage[];
  /**
   * Called as a request is forwarded upstream, with its record as it stands should the gateway die before the
   * request ends (outcome `gateway_crashed`, cost = its budget reservation): the ledger's write-ahead journal.
   */
  onForward?: (provisional: RequestRecord) => void;
}

export type { Decision, RequestRecord } from './request-record.js';

const UPSTREAM_CLUSTER_HEADER = 'x-acc-upstream-cluster';
const utf8 = new TextDecoder('utf-8', { fatal: true });
// proto3 leaves an empty bytes field off the wire, and the loader (defaults: false) off the message.
const EMPTY_BODY: Buffer = Buffer.alloc(0);
const NO_EVENTS: readonly SseEvent[] = Object.freeze([]);

export class StreamContext {
  private readonly startedAt = performance.now();
  private readonly startedAtEpochMs = Date.now();
  private readonly policy: CompiledPolicy;
  private requestId = '';
  private provider: ProviderId = 'openai';
  private adapter: ProviderAdapter = adapterFor('openai');
  private endpoint: EndpointSpec | undefined;
  private identity: GatewayIdentity | null = null;
  private request: ParsedRequest | undefined;
  private requestedModel: string | null = null;
  private requestHeaders: Headers | undefined;
  private agent: string | null = null;
  private tags: string[] = [];
  private context: RequestContext | undefined;
  /** Stages whose onRequest ran: each gets onFinish exactly once. */
  private readonly stagesRun: RequestStage[] = [];
  private stripInjectedUsage = false;
  private decision: Decision = 'passthrough';
  private status = 0;
  /** What Envoy reported about a request routed to deployments (envoy/src/deployment-routes.ts). */
  private upstreamDeployment: string | null = null;
  private upstreamAttempts: number | null = null;
  private observer: StreamObserver | undefined;
  /** Sees the client's view of an event stream after the observer (which may rewrite it). */
  private streamInspector: StreamInspector | undefined;
  /** Judges a buffered JSON body before it is released. */
  private jsonInspector: ResponseInspector | undefined;
  private jsonChunks: Buffer[] | undefined;
  /** What the buffered JSON answer says about usage, once read. */
  private jsonSummary: JsonResponseSummary | undefined;
  private jsonBytes = 0;
  private unreadable: string | null = null;
  private finished = false;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly onRecord: (record: RequestRecord) => void = () => {},
  ) {
    this.policy = deps.policy();
  }

  handle(message: ProcessingRequest__Output): ProcessingResponse | Promise<ProcessingResponse> {
    switch (message.request) {
      case 'request_headers':
        return this.onRequestHeaders(message.request_headers as HttpHeaders__Output);
      case 'request_body':
        return this.onRequestBody(message.request_body as HttpBody__Output);
      case 'response_headers':
        return this.guardResponsePhase('response_headers', () =>
          this.onResponseHeaders(message.response_headers as HttpHeaders__Output),
        );
      case 'response_body':
        return this.guardResponsePhase('response_body', () =>
          this.onResponseBody(message.response_body as HttpBody__Output),
        );
      case 'request_trailers':
        return { request_trailers: {} };
      case 'response_trailers':
        return { response_trailers: {} };
      default:
        throw new Error(`unexpected ext_proc message: ${String(message.request)}`);
    }
  }

  /** The gRPC stream ended: if the HTTP exchange did not finish normally (client gone, reset), account for it now. */
  close(): void {
    if (!this.finished) this.finish(this.status === 0 ? 'no_response' : 'client_closed');
  }

  private onRequestHeaders(message: HttpHeaders__Output): ProcessingResponse {
    const headers = Headers.fromEnvoy(message.headers);
    this.requestId = headers.get('x-request-id') ?? randomUUID();
    const path = normalisePath(headers.get(':path') ?? '/');
    this.endpoint = findEndpoint(path);
    this.provider = this.endpoint?.adapter.provider ?? providerFromHeaders(headers);
    this.adapter = this.endpoint?.adapter ?? adapterFor(this.provider);

    const key = presentedKey(headers);
    if (!key) {
      const where = this.provider === 'openai' ? 'an Authorization: Bearer header' : 'an x-api-key header';
      return this.reject(
        'missing_api_key',
        `No gateway API key provided. Send your AgentCostControl key in ${where}.`,
      );
    }
    this.identity = this.policy.keys.resolve(key);
    if (!this.identity) {
      return this.reject('invalid_api_key', `Incorrect gateway API key provided: ${maskKey(key)}.`);
    }
    if (this.identity.expiresAt !== null && Date.now() >= this.identity.expiresAt) {
      return this.reject('expired_api_key', `The gateway API key ${maskKey(key)} has expired.`);
    }
    const attribution = attributionFrom(headers, this.identity);
    if ('error' in attribution) {
      // A refused claim is still the key's agent's request.
      this.agent = this.identity.agent;
      return this.reject(attribution.error.code, attribution.error.message);
    }
    this.agent = attribution.agent;
    this.tags = attribution.tags;
    this.requestHeaders = headers;
    const providerKey = this.policy.providerKey(this.identity.orgId, this.provider);
    if (!providerKey) {
      return this.reject(
        'provider_not_configured',
        `The gateway has no ${this.provider} credentials configured; ask your administrator to set them.`,
      );
    }

    const credentials = providerCredentialHeaders(this.provider, providerKey);
    // Attribution headers are ours: the provider never sees them.
    const changes: HeaderChanges = {
      set: credentials.set,
      remove: [...credentials.remove, AGENT_HEADER, TAGS_HEADER],
    };
    // A client must never pick the upstream cluster itself; dropping the header means the route must be recomputed.
    const spoofedCluster = headers.has(UPSTREAM_CLUSTER_HEADER);
    if (spoofedCluster) changes.remove?.push(UPSTREAM_CLUSTER_HEADER);

    if (!this.endpoint) {
      this.decision = 'passthrough';
      return continueRequestHeaders(changes, { mode: PASS_THROUGH_MODE, clearRouteCache: spoofedCluster });
    }

    if (headers.get(':method') !== this.endpoint.method) {
      return this.reject('method_not_allowed', `${path} accepts only ${this.endpoint.method} requests.`);
    }
    const contentType = headers.get('content-type') ?? '';
    if (!/^application\/json\b/i.test(contentType)) {
      return this.reject(
        'unsupported_media_type',
        `Expected Content-Type: application/json, got ${contentType ? JSON.stringify(contentType.slice(0, 80)) : 'none'}.`,
      );
    }
    const contentLength = Number(headers.get('content-length') ?? 0);
    if (contentLength > this.deps.config.maxRequestBytes) return this.rejectTooLarge(contentLength);
    if (message.end_of_stream)
      return this.reject('empty_body', 'The request body is empty; a JSON object is required.');

    // Usage lives in response bodies: they must reach us uncompressed.
    changes.set?.push(['accept-encoding', 'identity']);
    this.decision = 'forwarded';
    return continueRequestHeaders(changes, { clearRouteCache: spoofedCluster });
  }

  private onRequestBody(message: HttpBody__Output): ProcessingResponse | Promise<ProcessingResponse> {
    if (!this.endpoint) return continueRequestBody();
    const body = message.body ?? EMPTY_BODY;
    if (body.length === 0)
      return this.reject('empty_body', 'The request body is empty; a JSON object is required.');
    if (body.length > this.deps.config.maxRequestBytes) return this.rejectTooLarge(body.length);

    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return this.reject('invalid_utf8', 'The request body is not valid UTF-8.');
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return this.reject('malformed_json', `The request body is not valid JSON: ${(error as Error).message}`);
    }
    try {
      this.request = this.adapter.parseRequest(json);
      this.requestedModel = this.request.model;
    } catch (error) {
      if (error instanceof RequestError) return this.rejectRequestError(error);
      throw error;
    }
    const allowedModels = this.identity?.allowedModels;
    if (allowedModels && !allowedModels.has(this.request.model)) {
      return this.reject(
        'model_not_allowed',
        `This gateway key may not use the model '${this.request.model}'.`,
        'model',
      );
    }
    if (this.deps.config.denyUnpricedModels && !this.pricer().unitPrices(this.provider, this.request.model)) {
      return this.reject(
        'unpriced_model',
        `The model '${this.request.model}' has no known price, and this gateway refuses unpriced models.`,
        'model',
      );
    }

    return this.runStages(this.createContext(this.request), 0);
  }

  private createContext(request: ParsedRequest): RequestContext {
    const annotations: RecordAnnotations = {
      reservedCostUsd: null,
      route: null,
      routedModel: null,
      securityStatus: null,
      securityFindings: [],
    };
    this.context = {
      requestId: this.requestId,
      provider: this.provider,
      adapter: this.adapter,
      endpoint: this.endpoint as EndpointSpec,
      identity: this.identity as GatewayIdentity,
      requestHeaders: this.requestHeaders as Headers,
      policy: this.policy,
      request,
      agent: this.agent,
      tags: this.tags,
      plan: emptyForwardPlan(),
      annotations,
    };
    return this.context;
  }

  /** Runs the stages from `index` on; only a stage that has to wait makes the reply asynchronous. */
  private runStages(
    context: RequestContext,
    index: number,
  ): ProcessingResponse | Promise<ProcessingResponse> {
    const stages = this.deps.stages ?? [];
    for (let i = index; i < stages.length; i++) {
      const stage = stages[i] as RequestStage;
      this.stagesRun.push(stage);
      const outcome = stage.onRequest(context);
      if (outcome instanceof Promise) {
        return outcome.then((rejection) =>
          rejection ? this.answerRejection(rejection) : this.runStages(context, i + 1),
        );
      }
      if (outcome) return this.answerRejection(outcome);
    }
    return this.forward(context);
  }

  private forward(context: RequestContext): ProcessingResponse {
    if (this.deps.onForward) {
      const model = context.annotations.routedModel ?? this.requestedModel;
      const reserved = context.annotations.reservedCostUsd;
      this.deps.onForward(this.buildRecord('gateway_crashed', model, null, reserved, 0));
    }
    const { request, plan: forwardPlan } = context;
    // A routed model goes first: a mixed-model fallback chain's Envoy filter rewrites it per attempt at offset 0.
    if (forwardPlan.bodyFields.has('model')) request.body = { model: null, ...request.body };
    for (const [field, value] of forwardPlan.bodyFields) request.body[field] = value;
    const plan = this.adapter.planUpstreamRequest(request);
    this.stripInjectedUsage = plan.stripInjectedUsage;
    const body =
      plan.body ?? (forwardPlan.bodyFields.size > 0 || forwardPlan.bodyMutated ? request.body : null);
    const changes: HeaderChanges = { set: [...forwardPlan.setHeaders], remove: forwardPlan.removeHeaders };
    if (!body && changes.set?.length === 0 && forwardPlan.removeHeaders.length === 0) {
      return forwardPlan.clearRouteCache
        ? continueRequestBody(undefined, undefined, true)
        : continueRequestBody();
    }
    let rewritten: Buffer | undefined;
    if (body) {
      rewritten = Buffer.from(JSON.stringify(body), 'utf8');
      changes.set?.push(['content-length', String(rewritten.length)]);
    }
    return continueRequestBody(changes, rewritten, forwardPlan.clearRouteCache);
  }

  private onResponseHeaders(message: HttpHeaders__Output): ProcessingResponse {
    const headers = Headers.fromEnvoy(message.headers);
    this.status = Number(headers.get(':status') ?? 0);
    this.upstreamDeployment = headers.get(UPSTREAM_DEPLOYMENT_HEADER) ?? null;
    const attempts = Number(headers.get(UPSTREAM_ATTEMPTS_HEADER));
    this.upstreamAttempts = Number.isSafeInteger(attempts) && attempts > 0 ? attempts : null;
    const changes: HeaderChanges = { set: [['x-acc-request-id', this.requestId]] };
    if (this.context) changes.set?.push(...this.context.plan.responseHeaders);
    if (!this.request) {
      if (message.end_of_stream || this.decision === 'passthrough') this.finish('complete');
      return continueResponseHeaders(changes);
    }

    const inspector =
      this.status >= 200 && this.status < 300 && !message.end_of_stream
        ? this.context?.plan.responseInspector
        : null;
    const contentType = headers.get('content-type') ?? '';
    const encoding = headers.get('content-encoding');
    if (encoding && encoding.toLowerCase() !== 'identity') {
      this.unreadable = 'compressed_body';
    } else if (contentType.startsWith('text/event-stream')) {
      this.observer = this.adapter.createStreamObserver({ stripInjectedUsage: this.stripInjectedUsage });
      if (inspector) this.streamInspector = inspector.inspectStream();
    } else {
      this.jsonChunks = [];
      if (inspector && /^application\/json\b/i.test(contentType)) {
        // A body declared too big to hold is let through as it streams; unknown sizes are tried.
        const declared = Number(headers.get('content-length'));
        const limit = Math.min(this.deps.config.maxResponseBufferBytes, this.deps.config.maxRequestBytes);
        if (declared > limit) inspector.unscanned('response_too_large');
        else {
          this.jsonInspector = inspector;
          return continueResponseHeaders(changes, { mode: BUFFERED_RESPONSE_MODE });
        }
      }
    }
    if (message.end_of_stream) this.finish('complete');
    return continueResponseHeaders(changes);
  }

  private onResponseBody(message: HttpBody__Output): ProcessingResponse {
    const chunk = message.body ?? EMPTY_BODY;
    if (this.jsonInspector && !message.end_of_stream) return this.outgrewBuffer(chunk);
    if (this.observer) {
      const { observer } = this;
      let out = chunk;
      let events: readonly SseEvent[] = NO_EVENTS;
      if (chunk.length > 0) {
        out = observer.push(chunk);
        events = observer.lastEvents;
      }
      if (message.end_of_stream) {
        const tail = observer.end();
        if (tail.length > 0) out = Buffer.concat([out, tail]);
        if (observer.lastEvents.length > 0) events = [...events, ...observer.lastEvents];
      }
      if (this.streamInspector) out = this.inspectStreamChunk(out, events, message.end_of_stream === true);
      if (message.end_of_stream) this.finish('complete');
      return out === chunk ? continueResponseBody() : continueResponseBody(out);
    }
    if (this.jsonChunks) {
      this.jsonBytes += chunk.length;
      if (this.jsonBytes > this.deps.config.maxResponseBufferBytes) {
        this.jsonChunks = undefined;
        this.unreadable = 'response_too_large';
      } else if (chunk.length > 0) {
        this.jsonChunks.push(chunk);
      }
    }
    if (message.end_of_stream && this.jsonInspector) {
      if (this.jsonChunks) return this.inspectJson();
      this.jsonInspector.unscanned('response_too_large');
    }
    if (message.end_of_stream) this.finish('complete');
    return continueResponseBody();
  }

  /**
   * Envoy could not hold the whole answer: this is its first part, and the rest goes to the client without passing
   * here. Nothing can be judged or accounted from part of a JSON body.
   */
  private outgrewBuffer(chunk: Buffer): ProcessingResponse {
    (this.jsonInspector as ResponseInspector).unscanned('response_too_large');
    this.jsonInspector = undefined;
    this.jsonChunks = undefined;
    this.unreadable = 'response_too_large';
    this.deps.log.warn(
      { requestId: this.requestId, bytes: chunk.length },
      'JSON answer larger than the buffer: passed on unscanned and unaccounted',
    );
    return continueResponseBody();
  }

  private inspectStreamChunk(out: Buffer, events: readonly SseEvent[], end: boolean): Buffer {
    const inspector = this.streamInspector as StreamInspector;
    let inspected = out.length > 0 || events.length > 0 ? inspector.push(out, events) : out;
    if (end) {
      const tail = inspector.end();
      if (tail.length > 0) inspected = inspected.length > 0 ? Buffer.concat([inspected, tail]) : tail;
    }
    return inspected;
  }

  /** The whole JSON body is here (Envoy buffered it): usage is read from the upstream's bytes, then it is judged. */
  private inspectJson(): ProcessingResponse {
    const answer = this.parseJsonAnswer();
    // Read before the scan, which may mask text in `answer`; finish() then reuses it rather than parse again.
    this.jsonSummary = this.summarise(answer);
    const verdict = (this.jsonInspector as ResponseInspector).inspectJson(answer);
    if (verdict.kind === 'reject') {
      const { rejection } = verdict;
      // The upstream billed for this answer (usage comes from its bytes); the client gets the refusal.
      this.status = rejection.status;
      this.finish('complete');
      this.deps.metrics.rejected.inc({ provider: this.provider, code: rejection.code });
      return immediateResponse(rejection.status, rejection.body, [
        ['content-type', 'application/json'],
        ['x-acc-request-id', this.requestId],
        ...withOverrides(this.context?.plan.responseHeaders ?? [], rejection.headers ?? []),
      ]);
    }
    this.finish('complete');
    if (verdict.kind === 'replace') {
      return continueResponseBody(verdict.body, {
        set: [...verdict.headers, ['content-length', String(verdict.body.length)]],
      });
    }
    return verdict.headers.length > 0
      ? continueResponseBody(undefined, { set: verdict.headers })
      : continueResponseBody();
  }

  /**
   * Once the upstream answered, the provider has billed: an accounting bug of ours must not break the response.
   * Errors here are counted and logged, and the message passes through unchanged.
   */
  private guardResponsePhase(phase: string, handler: () => ProcessingResponse): ProcessingResponse {
    try {
      return handler();
    } catch (error) {
      this.deps.metrics.internalErrors.inc({ phase });
      this.deps.log.error(
        { err: error, requestId: this.requestId, phase },
        'response phase failed; passing through',
      );
      return phase === 'response_headers' ? continueResponseHeaders() : continueResponseBody();
    }
  }

  private finish(outcome: string): void {
    if (this.finished) return;
    this.finished = true;
    const { metrics, log } = this.deps;
    const endpointName = this.endpoint?.name ?? 'other';
    let usage: Usage | null = null;
    let model: string | null = null;
    let streamError: StreamError | null = null;
    if (this.observer) {
      usage = this.observer.usage;
      model = this.observer.model;
      streamError = this.observer.error;
    } else if (this.jsonChunks && outcome === 'complete') {
      const summary = this.summariseJson();
      usage = summary.usage;
      model = summary.model;
      streamError = summary.error;
    }
    if (streamError && outcome === 'complete') outcome = 'upstream_error_event';
    if (this.unreadable) outcome = this.unreadable;
    model ??= this.answeringDeploymentModel() ?? this.context?.annotations.routedModel ?? this.requestedModel;

    let costUsd: number | null = null;
    const modelLabel = model ?? 'unknown';
    if (usage && model) {
      metrics.recordUsage(this.provider, modelLabel, usage);
      const quote = this.quote(model, usage);
      if (quote?.priced) {
        costUsd = quote.costUsd;
        metrics.costUsd.inc({ provider: this.provider, model: modelLabel }, quote.costUsd);
      } else {
        metrics.unpriced.inc({ provider: this.provider, model: modelLabel });
        log.warn(
          { requestId: this.requestId, provider: this.provider, model },
          'no price known for model: spend not counted',
        );
      }
    } else if (this.decision === 'forwarded' && this.status >= 200 && this.status < 300) {
      metrics.usageMissing.inc({ provider: this.provider, reason: outcome });
    }
    metrics.requests.inc({
      provider: this.provider,
      endpoint: endpointName,
      model: this.decision === 'passthrough' ? 'none' : modelLabel,
      status: String(this.status),
      decision: this.decision,
    });

    const record = this.buildRecord(outcome, model, usage, costUsd, performance.now() - this.startedAt);
    if (log.isLevelEnabled('debug')) {
      const excerpt = this.deps.config.logPrompts ? promptExcerpt(this.request) : undefined;
      log.debug({ request: record, promptExcerpt: excerpt }, 'request finished');
    }
    if (this.context) {
      // Settle in reverse stage order; a failing stage must not cost the others (or the ledger) their record.
      for (let i = this.stagesRun.length - 1; i >= 0; i--) {
        const stage = this.stagesRun[i] as RequestStage;
        try {
          stage.onFinish?.(this.context, record);
        } catch (error) {
          metrics.internalErrors.inc({ phase: `finish_${stage.name}` });
          log.error({ err: error, requestId: this.requestId, stage: stage.name }, 'stage failed to finish');
        }
      }
    }
    this.onRecord(record);
  }

  private buildRecord(
    outcome: string,
    model: string | null,
    usage: Usage | null,
    costUsd: number | null,
    durationMs: number,
  ): RequestRecord {
    const chain = this.context?.annotations.deploymentChain;
    return {
      requestId: this.requestId,
      startedAt: this.startedAtEpochMs,
      keyId: this.identity?.keyId ?? null,
      orgId: this.identity?.orgId ?? null,
      teamId: this.identity?.teamId ?? null,
      userId: this.identity?.ownerId ?? null,
      agent: this.agent,
      tags: this.tags,
      policyVersion: this.policy.version,
      provider: this.provider,
      endpoint: this.endpoint?.name ?? 'other',
      requestedModel: this.requestedModel,
      model,
      stream: this.request?.stream ?? false,
      status: this.status,
      decision: this.decision,
      outcome,
      usage,
      costUsd,
      reservedCostUsd: this.context?.annotations.reservedCostUsd ?? null,
      route: this.context?.annotations.route ?? null,
      counterfactualCostUsd: this.counterfactualCost(model, usage),
      securityStatus: this.context?.annotations.securityStatus ?? null,
      securityFindings: this.context?.annotations.securityFindings ?? [],
      durationMs,
      ...(chain ? { deploymentChain: chain.map((deployment) => deployment.id) } : {}),
      ...(this.upstreamDeployment === null ? {} : { upstreamDeployment: this.upstreamDeployment }),
      ...(this.upstreamAttempts === null ? {} : { upstreamAttempts: this.upstreamAttempts }),
    };
  }

  /** The model of the deployment Envoy reports as having answered (a fallback chain's may differ from the first). */
  private answeringDeploymentModel(): string | null {
    const chain = this.context?.annotations.deploymentChain;
    if (!chain || this.upstreamDeployment === null) return null;
    return chain.find((deployment) => deployment.id === this.upstreamDeployment)?.model ?? null;
  }

  /** What the requested model would have cost for this usage, when routing served another model. */
  private counterfactualCost(model: string | null, usage: Usage | null): number | null {
    const requested = this.requestedModel;
    // The model sent on the attempt that answered: a fallback deployment's may differ from the first one's.
    const sent = this.answeringDeploymentModel() ?? this.context?.annotations.routedModel ?? requested;
    if (!usage || !requested || sent === requested || requested === model) return null;
    const quote = this.quote(requested, usage);
    return quote?.priced ? quote.costUsd : null;
  }

  private pricer() {
    return this.policy.pricer(this.identity?.orgId ?? null);
  }

  private quote(model: string, usage: Usage) {
    try {
      return this.pricer().price(this.provider, model, usage);
    } catch (error) {
      // Impossible usage from upstream (e.g. more cached than total input): count it, keep the record.
      this.deps.metrics.internalErrors.inc({ phase: 'pricing' });
      this.deps.log.error({ err: error, requestId: this.requestId, model }, 'pricing failed');
      return null;
    }
  }

  private summariseJson(): JsonResponseSummary {
    return this.jsonSummary ?? this.summarise(this.parseJsonAnswer());
  }

  /** The buffered JSON answer, parsed (undefined when it is not JSON). */
  private parseJsonAnswer(): unknown {
    const chunks = this.jsonChunks ?? [];
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
  }

  private summarise(parsed: unknown): JsonResponseSummary {
    // A non-JSON body (an HTML error page from a proxy, say) has no usage; that is not our error.
    if (parsed === undefined) return { usage: null, model: null, error: null };
    return this.adapter.summariseJsonResponse(parsed);
  }

  private rejectTooLarge(bytes: number): ProcessingResponse {
    return this.reject(
      'request_too_large',
      `The request body is ${bytes} bytes; this gateway accepts at most ${this.deps.config.maxRequestBytes}.`,
    );
  }

  private rejectRequestError(error: RequestError): ProcessingResponse {
    const body = this.adapter.errorBody({
      status: error.status,
      type: error.type,
      message: error.message,
      param: error.param,
      code: error.code === error.type ? null : error.code,
    });
    return this.answer(error.status, error.code, body);
  }

  private answerRejection(rejection: Rejection): ProcessingResponse {
    // Headers earlier stages meant for the client (security status, route) belong on a later stage's refusal too.
    const headers = withOverrides(this.context?.plan.responseHeaders ?? [], rejection.headers ?? []);
    return this.answer(rejection.status, rejection.code, rejection.body, headers);
  }

  private reject(code: GatewayErrorCode, message: string, param: string | null = null): ProcessingResponse {
    const rendered = renderGatewayError(this.adapter, code, message, param);
    return this.answer(rendered.status, rendered.code, rendered.body);
  }

  private answer(
    status: number,
    code: string,
    body: string,
    extraHeaders: Array<[string, string]> = [],
  ): ProcessingResponse {
    this.deps.metrics.rejected.inc({ provider: this.provider, code });
    this.decision = 'rejected';
    this.status = status;
    this.finish('complete');
    return immediateResponse(status, body, [
      ['content-type', 'application/json'],
      ['x-acc-request-id', this.requestId],
      ...extraHeaders,
    ]);
  }
}

/** `base` without the names `overrides` sets, then `overrides`: one value per header name. */
function withOverrides(
  base: ReadonlyArray<[string, string]>,
  overrides: ReadonlyArray<[string, string]>,
): Array<[string, string]> {
  const names = new Set(overrides.map(([name]) => name));
  return [...base.filter(([name]) => !names.has(name)), ...overrides];
}

/** Enough of a key to recognise it in a support ticket, never enough to use it. */
function maskKey(key: string): string {
  return key.length <= 8 ? '****' : `${key.slice(0, 4)}…${key.slice(-4)}`;
}

/** Opt-in only (ACC_LOG_PROMPTS): the start of the last message, for debugging a deployment. */
function promptExcerpt(request: ParsedRequest | undefined): string | undefined {
  const last = request?.messages.at(-1);
  return last ? last.texts.join(' ').slice(0, 200) : undefined;
}
