// One StreamContext per ext_proc stream, i.e. per HTTP request: four phase handlers and the accounting at the end.
// It decides; envoy-messages.ts shapes the replies; providers/ parse; nothing here touches gRPC directly.
import { randomUUID } from 'node:crypto';
import type { ExtprocConfig } from '../config.js';
import {
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
import {
  type ParsedRequest,
  type ProviderAdapter,
  type ProviderId,
  RequestError,
  type StreamError,
  type StreamObserver,
  type Usage,
} from '../providers/types.js';
import { type GatewayIdentity, presentedKey, providerCredentialHeaders } from './auth.js';
import { type EndpointSpec, findEndpoint, normalisePath, providerFromHeaders } from './endpoints.js';
import { type GatewayErrorCode, renderGatewayError } from './gateway-errors.js';

export interface PipelineDeps {
  config: ExtprocConfig;
  /** The policy in force now; each request keeps the one it started with. */
  policy: () => CompiledPolicy;
  metrics: ExtprocMetrics;
  log: Logger;
}

export type Decision = 'forwarded' | 'passthrough' | 'rejected';

/** What one request cost, as recorded when it ends. The budget ledger will persist exactly this. */
export interface RequestRecord {
  requestId: string;
  keyId: string | null;
  orgId: string | null;
  teamId: string | null;
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
  durationMs: number;
}

const UPSTREAM_CLUSTER_HEADER = 'x-acc-upstream-cluster';
const utf8 = new TextDecoder('utf-8', { fatal: true });
// proto3 leaves an empty bytes field off the wire, and the loader (defaults: false) off the message.
const EMPTY_BODY: Buffer = Buffer.alloc(0);

export class StreamContext {
  private readonly startedAt = performance.now();
  private readonly policy: CompiledPolicy;
  private requestId = '';
  private provider: ProviderId = 'openai';
  private adapter: ProviderAdapter = adapterFor('openai');
  private endpoint: EndpointSpec | undefined;
  private identity: GatewayIdentity | null = null;
  private request: ParsedRequest | undefined;
  private stripInjectedUsage = false;
  private decision: Decision = 'passthrough';
  private status = 0;
  private observer: StreamObserver | undefined;
  private jsonChunks: Buffer[] | undefined;
  private jsonBytes = 0;
  private unreadable: string | null = null;
  private finished = false;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly onRecord: (record: RequestRecord) => void = () => {},
  ) {
    this.policy = deps.policy();
  }

  handle(message: ProcessingRequest__Output): ProcessingResponse {
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
    const providerKey = this.policy.providerKey(this.identity.orgId, this.provider);
    if (!providerKey) {
      return this.reject(
        'provider_not_configured',
        `The gateway has no ${this.provider} credentials configured; ask your administrator to set them.`,
      );
    }

    const credentials = providerCredentialHeaders(this.provider, providerKey);
    const changes: HeaderChanges = { set: credentials.set, remove: credentials.remove };
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

  private onRequestBody(message: HttpBody__Output): ProcessingResponse {
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

    const plan = this.adapter.planUpstreamRequest(this.request);
    this.stripInjectedUsage = plan.stripInjectedUsage;
    if (!plan.body) return continueRequestBody();
    const rewritten = Buffer.from(JSON.stringify(plan.body), 'utf8');
    return continueRequestBody({ set: [['content-length', String(rewritten.length)]] }, rewritten);
  }

  private onResponseHeaders(message: HttpHeaders__Output): ProcessingResponse {
    const headers = Headers.fromEnvoy(message.headers);
    this.status = Number(headers.get(':status') ?? 0);
    const changes: HeaderChanges = { set: [['x-acc-request-id', this.requestId]] };
    if (!this.request) {
      if (message.end_of_stream || this.decision === 'passthrough') this.finish('complete');
      return continueResponseHeaders(changes);
    }

    const encoding = headers.get('content-encoding');
    if (encoding && encoding.toLowerCase() !== 'identity') {
      this.unreadable = 'compressed_body';
    } else if ((headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      this.observer = this.adapter.createStreamObserver({ stripInjectedUsage: this.stripInjectedUsage });
    } else {
      this.jsonChunks = [];
    }
    if (message.end_of_stream) this.finish('complete');
    return continueResponseHeaders(changes);
  }

  private onResponseBody(message: HttpBody__Output): ProcessingResponse {
    const chunk = message.body ?? EMPTY_BODY;
    if (this.observer) {
      let out = chunk.length > 0 ? this.observer.push(chunk) : chunk;
      if (message.end_of_stream) {
        const tail = this.observer.end();
        if (tail.length > 0) out = Buffer.concat([out, tail]);
        this.finish('complete');
      }
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
    if (message.end_of_stream) this.finish('complete');
    return continueResponseBody();
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
    model ??= this.request?.model ?? null;

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

    const record: RequestRecord = {
      requestId: this.requestId,
      keyId: this.identity?.keyId ?? null,
      orgId: this.identity?.orgId ?? null,
      teamId: this.identity?.teamId ?? null,
      policyVersion: this.policy.version,
      provider: this.provider,
      endpoint: endpointName,
      requestedModel: this.request?.model ?? null,
      model,
      stream: this.request?.stream ?? false,
      status: this.status,
      decision: this.decision,
      outcome,
      usage,
      costUsd,
      durationMs: performance.now() - this.startedAt,
    };
    if (log.isLevelEnabled('debug')) {
      const excerpt = this.deps.config.logPrompts ? promptExcerpt(this.request) : undefined;
      log.debug({ request: record, promptExcerpt: excerpt }, 'request finished');
    }
    this.onRecord(record);
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

  private summariseJson() {
    const chunks = this.jsonChunks ?? [];
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    try {
      return this.adapter.summariseJsonResponse(JSON.parse(body.toString('utf8')));
    } catch {
      // A non-JSON body (an HTML error page from a proxy, say) has no usage; that is not our error.
      return { usage: null, model: null, error: null };
    }
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

  private reject(code: GatewayErrorCode, message: string, param: string | null = null): ProcessingResponse {
    const rendered = renderGatewayError(this.adapter, code, message, param);
    return this.answer(rendered.status, rendered.code, rendered.body);
  }

  private answer(status: number, code: string, body: string): ProcessingResponse {
    this.deps.metrics.rejected.inc({ provider: this.provider, code });
    this.decision = 'rejected';
    this.status = status;
    this.finish('complete');
    return immediateResponse(status, body, [
      ['content-type', 'application/json'],
      ['x-acc-request-id', this.requestId],
    ]);
  }
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
