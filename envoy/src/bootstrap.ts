/**
 * Renders the Envoy v3 bootstrap for the AgentCostControl gateway as a JSON-able object.
 *
 *   client ──► listener (HCM) ──► [envoy.filters.http.ext_proc → acc_extproc] ──► router ──► openai | anthropic
 *
 * Routing: `x-acc-upstream-cluster` (set by our ext_proc, which strips client copies) picks the cluster when present;
 * then `/v1/chat/completions` goes to `openai` and `/v1/messages[/…]` to `anthropic` by path; any other path carrying
 * `x-api-key` or `anthropic-version` goes to `anthropic`, everything else to `openai`.
 *
 * Every response (upstream or Envoy's own local reply) carries `x-acc-request-id` = the request's `x-request-id`.
 * Envoy's own error replies are JSON in the caller's API shape (OpenAI or Anthropic), see `localReplyConfig()`.
 *
 * Observability: Envoy's own metrics are on the admin listener at `GET /stats/prometheus` (admin is loopback only).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname } from 'node:path';
import {
  checkDeploymentClusters,
  DEFAULT_MAX_FALLBACK_RETRIES,
  type DeploymentClustersOptions,
  deploymentClustersSource,
  deploymentRoutes,
  ensureDeploymentClustersFile,
  RESTORE_STATUS_HTTP_FILTER,
} from './deployment-routes.js';

export {
  CHAIN_CLUSTER_PREFIX,
  DEPLOYMENT_CLUSTER_PREFIX,
  type DeploymentClustersOptions,
  DYNAMIC_CLUSTERS_FILE,
  RATE_LIMITED_STATUS_HEADER,
  UPSTREAM_ATTEMPTS_HEADER,
  UPSTREAM_DEPLOYMENT_HEADER,
} from './deployment-routes.js';

export const DEFAULT_LISTEN = { host: '127.0.0.1', port: 10000 } as const;
export const DEFAULT_ADMIN = { host: '127.0.0.1', port: 9901 } as const;
export const DEFAULT_UPSTREAMS = {
  openai: 'https://api.openai.com',
  anthropic: 'https://api.anthropic.com',
} as const;
/** 10 MiB: the largest request body (prompt) the gateway accepts; larger bodies get 413. */
export const DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
export const CA_BUNDLE_CANDIDATES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
];

/** Cluster names (stable: ext_proc routes by writing one of them into `x-acc-upstream-cluster`). */
export const CLUSTER_EXTPROC = 'acc_extproc';
export const CLUSTER_OPENAI = 'openai';
export const CLUSTER_ANTHROPIC = 'anthropic';
/** Request header our ext_proc sets (and strips from clients) to choose the upstream cluster. */
export const UPSTREAM_CLUSTER_HEADER = 'x-acc-upstream-cluster';
/** Response header carrying Envoy's `x-request-id` on every response. */
export const REQUEST_ID_RESPONSE_HEADER = 'x-acc-request-id';

export interface HostPort {
  host: string;
  port: number;
}

export interface ExtProcOptions {
  /** Address of our ext_proc gRPC server (an IP, or a DNS name; `localhost` is mapped to 127.0.0.1). */
  host: string;
  port: number;
  /** false = fail closed (503 JSON when the policy engine is unavailable); true = let traffic through unchecked. */
  failureModeAllow: boolean;
  /** Per-message timeout (Envoy default 200 ms). Exceeding it fails closed with 504 (or passes when failureModeAllow). */
  messageTimeoutMs: number;
  /** Upper bound for `override_message_timeout` sent by the server. */
  maxMessageTimeoutMs: number;
  /**
   * Pipelined bodies (default: on when fail-closed): STREAMED bodies sent without waiting for our headers reply, so
   * a request costs one ext_proc round trip per direction instead of two (extproc/src/grpc/pipelined-bodies.ts).
   * While a body arrives, its headers reply is held; extproc extends the timer (up to `maxMessageTimeoutMs`) for
   * uploads that may pause. Needs fail-closed; false = request body BUFFERED by Envoy, as with fail-open.
   */
  pipelinedBodies?: boolean;
  /**
   * With pipelined bodies (default: on): Envoy's buffer filter holds a request to the two endpoints extproc reads
   * until its body is complete, so ext_proc gets the headers and then one body message that ends the stream. HTTP/1.1
   * otherwise ends every body with an empty end-of-stream chunk: one more ext_proc message per request. Off = the
   * body's chunks reach extproc as they arrive (what pipelined-bodies.ts handles on every other route).
   */
  wholeRequestBodies?: boolean;
  /** ext_proc streams per HTTP/2 connection to extproc before Envoy opens a new one (default 1,000; see below). */
  streamsPerConnection?: number;
}

export interface BootstrapOptions {
  listen?: Partial<HostPort>;
  /** Admin listener; must be loopback. Prometheus stats at `http://<admin>/stats/prometheus`. */
  admin?: Partial<HostPort>;
  /** null / undefined = Envoy alone (no ext_proc filter): the benchmark baseline. */
  extproc?: ExtProcOptions | null;
  /** Upstream base URLs: http(s)://host[:port][/path-prefix]. */
  upstreams?: Partial<Record<'openai' | 'anthropic', string>>;
  /** Largest accepted request body in bytes (default 10 MiB). */
  maxRequestBytes?: number;
  /** CA bundle for upstream TLS; default: first existing of CA_BUNDLE_CANDIDATES. */
  caBundlePath?: string;
  /** JSON access log (no headers, no bodies) on stdout; default false. */
  accessLog?: boolean;
  /** HCM stream idle timeout (default 300 s: slow SSE streams stay open). */
  streamIdleTimeoutSeconds?: number;
  /** Connect timeout for provider clusters (default 5000 ms). */
  upstreamConnectTimeoutMs?: number;
  /** Most client connections open at once; more are refused (default 50 000). */
  maxDownstreamConnections?: number;
  /** Keep a client-sent `x-request-id` instead of generating one (default false). */
  preserveExternalRequestId?: boolean;
  /**
   * Add the `x-acc-upstream-cluster` routes (default: only when `extproc` is set, because only our ext_proc
   * strips client copies of that header).
   */
  clusterHeaderRouting?: boolean;
  /**
   * Clusters of routing deployments and fallback chains, read from `<dir>/clusters.json`, which extproc writes for
   * the policy in force (ACC_ENVOY_DYNAMIC_DIR). Needs `clusterHeaderRouting`. Absent = none.
   */
  deploymentClusters?: DeploymentClustersOptions | null;
}

export interface ParsedUpstream {
  /** Original URL string. */
  url: string;
  tls: boolean;
  /** Host name or IP literal (IPv6 without brackets). */
  host: string;
  port: number;
  /** '' or a prefix like '/proxy' (no trailing slash). */
  pathPrefix: string;
}

/** Strictly parses an upstream base URL; throws an Error naming `what` on anything unexpected. */
export function parseUpstreamUrl(raw: string, what = 'upstream URL'): ParsedUpstream {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new Error(`${what}: expected a URL like https://api.openai.com, got ${JSON.stringify(raw)}`);
  }
  const text = raw.trim();
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`${what}: not a valid absolute URL: ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(
      `${what}: scheme must be http or https, got '${u.protocol.replace(/:$/, '')}' in ${text}`,
    );
  }
  if (u.username !== '' || u.password !== '') {
    throw new Error(`${what}: credentials in the URL are not supported: ${u.protocol}//…@${u.host}`);
  }
  if (u.search !== '' || text.includes('?'))
    throw new Error(`${what}: query strings are not supported: ${text}`);
  if (u.hash !== '' || text.includes('#')) throw new Error(`${what}: fragments are not supported: ${text}`);
  let host = u.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') throw new Error(`${what}: missing host in ${text}`);
  const tls = u.protocol === 'https:';
  const port = u.port === '' ? (tls ? 443 : 80) : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${what}: invalid port in ${text}`);
  let pathPrefix = u.pathname.replace(/\/+$/, '');
  if (pathPrefix !== '' && !/^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/.test(pathPrefix)) {
    throw new Error(`${what}: unsupported path prefix '${u.pathname}' in ${text}`);
  }
  if (pathPrefix === '/') pathPrefix = '';
  return { url: text, tls, host, port, pathPrefix };
}

function checkHostPort(hp: HostPort, what: string): void {
  if (typeof hp.host !== 'string' || hp.host.trim() === '')
    throw new Error(`${what}: host must be a non-empty string`);
  if (!Number.isInteger(hp.port) || hp.port < 0 || hp.port > 65535) {
    throw new Error(`${what}: port must be an integer 0..65535, got ${String(hp.port)}`);
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Envoy socket addresses must be IPs; map `localhost` to 127.0.0.1. */
function bindAddress(host: string, what: string): string {
  if (host === 'localhost') return '127.0.0.1';
  if (isIP(host) === 0) throw new Error(`${what}: must be an IP address (or localhost), got '${host}'`);
  return host;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;

function resolveCaBundle(explicit: string | undefined): string {
  if (explicit !== undefined) {
    if (!existsSync(explicit)) throw new Error(`caBundlePath: file not found: ${explicit}`);
    return explicit;
  }
  const found = CA_BUNDLE_CANDIDATES.find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error(
      `No CA bundle found for upstream TLS (looked at ${CA_BUNDLE_CANDIDATES.join(', ')}); set caBundlePath`,
    );
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// Local replies

/** How a caller is recognised as an Anthropic client (same rule as routing). */
const ANTHROPIC_REQUEST_FILTER = {
  or_filter: {
    filters: [
      { header_filter: { header: { name: 'x-api-key', present_match: true } } },
      { header_filter: { header: { name: 'anthropic-version', present_match: true } } },
    ],
  },
};

interface LocalReplyKind {
  /** Short id, also used as the OpenAI `code`. */
  id: string;
  /** Access-log filter (AND-ed with the API-shape filter) selecting this Envoy-generated reply. */
  filter: Record<string, unknown>;
  message: string;
  openaiType: string;
  anthropicType: string;
}

const statusEq = (code: number) => ({
  status_code_filter: {
    comparison: { op: 'EQ', value: { default_value: code, runtime_key: `acc.local_reply.status_${code}` } },
  },
});

const celFilter = (expression: string) => ({
  extension_filter: {
    name: 'envoy.access_loggers.extension_filters.cel',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter',
      expression,
    },
  },
});

/**
 * The Envoy-generated replies we rewrite. They are selected by status *and* response code details / response flags,
 * so that ImmediateResponses sent on purpose by our ext_proc (which are local replies too) are never rewritten.
 */
export const LOCAL_REPLY_KINDS: readonly LocalReplyKind[] = [
  {
    id: 'policy_engine_timeout',
    filter: celFilter("response.code_details.startsWith('ext_proc_error') && response.code == 504"),
    message: 'AgentCostControl gateway: policy engine timed out',
    openaiType: 'server_error',
    anthropicType: 'api_error',
  },
  {
    id: 'policy_engine_unavailable',
    filter: celFilter("response.code_details.startsWith('ext_proc_error')"),
    message: 'AgentCostControl gateway: policy engine unavailable',
    openaiType: 'server_error',
    anthropicType: 'api_error',
  },
  {
    // Our server changed a BUFFERED body without fixing content-length (a bug on our side, fail closed).
    id: 'policy_engine_error',
    filter: celFilter("response.code_details.startsWith('mismatch_between_content_length')"),
    message: 'AgentCostControl gateway: policy engine returned an invalid request mutation',
    openaiType: 'server_error',
    anthropicType: 'api_error',
  },
  {
    id: 'request_too_large',
    filter: {
      and_filter: {
        filters: [statusEq(413), celFilter("response.code_details == 'request_payload_too_large'")],
      },
    },
    message: 'AgentCostControl gateway: request body exceeds the configured size limit',
    openaiType: 'invalid_request_error',
    anthropicType: 'request_too_large',
  },
  {
    id: 'upstream_overloaded',
    filter: { response_flag_filter: { flags: ['UO'] } },
    message: 'AgentCostControl gateway: too many concurrent requests to the upstream provider',
    openaiType: 'server_error',
    anthropicType: 'overloaded_error',
  },
  {
    id: 'upstream_timeout',
    filter: { response_flag_filter: { flags: ['UT'] } },
    message: 'AgentCostControl gateway: upstream provider timed out',
    openaiType: 'server_error',
    anthropicType: 'api_error',
  },
  {
    id: 'upstream_unavailable',
    filter: { response_flag_filter: { flags: ['UF', 'UH', 'URX', 'UC', 'UR', 'DF'] } },
    message: 'AgentCostControl gateway: upstream provider unreachable',
    openaiType: 'server_error',
    anthropicType: 'api_error',
  },
  {
    id: 'unknown_upstream_cluster',
    filter: { response_flag_filter: { flags: ['NC'] } },
    message: 'AgentCostControl gateway: unknown upstream cluster',
    openaiType: 'server_error',
    anthropicType: 'api_error',
  },
  {
    id: 'route_not_found',
    filter: { response_flag_filter: { flags: ['NR'] } },
    message: 'AgentCostControl gateway: no route for this request',
    openaiType: 'invalid_request_error',
    anthropicType: 'not_found_error',
  },
  {
    id: 'stream_idle_timeout',
    filter: { response_flag_filter: { flags: ['SI'] } },
    message: 'AgentCostControl gateway: stream idle timeout',
    openaiType: 'server_error',
    anthropicType: 'api_error',
  },
];

export function openaiErrorBody(message: string, type: string, code: string): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

export function anthropicErrorBody(message: string, type: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

function jsonBody(body: string) {
  return { text_format_source: { inline_string: body }, content_type: 'application/json' };
}

const REQUEST_ID_HEADER_OPTION = {
  header: { key: REQUEST_ID_RESPONSE_HEADER, value: '%REQ(x-request-id)%' },
  append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
};

/**
 * HCM `local_reply_config`: one mapper per (kind × API shape), the Anthropic one first (its filter is narrower),
 * then a catch-all mapper that only stamps `x-acc-request-id` (body and content-type untouched) so that local
 * replies produced before/without a route (e.g. 404 no route) carry it too. Every mapper overwrites the header,
 * so replies that already got it from the route config never carry it twice.
 */
export function localReplyConfig(): Record<string, unknown> {
  const mappers: unknown[] = [];
  for (const kind of LOCAL_REPLY_KINDS) {
    mappers.push({
      filter: { and_filter: { filters: [ANTHROPIC_REQUEST_FILTER, kind.filter] } },
      headers_to_add: [REQUEST_ID_HEADER_OPTION],
      body_format_override: jsonBody(anthropicErrorBody(kind.message, kind.anthropicType)),
    });
    mappers.push({
      filter: kind.filter,
      headers_to_add: [REQUEST_ID_HEADER_OPTION],
      body_format_override: jsonBody(openaiErrorBody(kind.message, kind.openaiType, kind.id)),
    });
  }
  mappers.push({
    filter: {
      status_code_filter: {
        comparison: { op: 'GE', value: { default_value: 0, runtime_key: 'acc.local_reply.any' } },
      },
    },
    headers_to_add: [REQUEST_ID_HEADER_OPTION],
  });
  return { mappers };
}

// ---------------------------------------------------------------------------------------------------------------
// Clusters

const HTTP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const HTTP_PROTOCOL_OPTIONS_TYPE =
  'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function circuitBreakers(n: number) {
  return {
    thresholds: [
      { priority: 'DEFAULT', max_connections: n, max_pending_requests: n, max_requests: n, max_retries: 16 },
      { priority: 'HIGH', max_connections: n, max_pending_requests: n, max_requests: n, max_retries: 16 },
    ],
  };
}

function endpoint(clusterName: string, host: string, port: number) {
  return {
    cluster_name: clusterName,
    endpoints: [
      { lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] },
    ],
  };
}

/**
 * Envoy opens a fresh HTTP/2 connection to extproc after this many ext_proc streams (the old one finishes its
 * streams and closes). Two reasons: after a scale-out, long-lived connections would keep every stream on the
 * replicas that existed before; and in extproc, Node's per-connection stream table is a Map whose replaced tables
 * V8 links one to the next, so once an old copy exists every later copy, and every finished stream they held, lives
 * until the next full collection. A connection that ends bounds that chain: extproc alone at 8 streams promoted
 * 50-57 MB of request state in 6 s on one connection and 8-13 MB when it is replaced every 1,000 streams (peak RSS
 * 148-154 MB against 132-138). At 1,000 streams a new connection costs about a microsecond per request.
 */
export const EXTPROC_STREAMS_PER_CONNECTION = 1000;

function extprocCluster(ep: ExtProcOptions) {
  const host = ep.host === 'localhost' ? '127.0.0.1' : ep.host;
  const isStatic = isIP(host) !== 0;
  return {
    name: CLUSTER_EXTPROC,
    // STATIC for IPs; a DNS name (e.g. a compose service) needs STRICT_DNS.
    type: isStatic ? 'STATIC' : 'STRICT_DNS',
    ...(isStatic ? {} : { dns_lookup_family: 'V4_PREFERRED' }),
    connect_timeout: '1s',
    lb_policy: 'ROUND_ROBIN',
    load_assignment: endpoint(CLUSTER_EXTPROC, host, ep.port),
    typed_extension_protocol_options: {
      [HTTP_PROTOCOL_OPTIONS_KEY]: {
        '@type': HTTP_PROTOCOL_OPTIONS_TYPE,
        common_http_protocol_options: {
          max_requests_per_connection: ep.streamsPerConnection ?? EXTPROC_STREAMS_PER_CONNECTION,
        },
        explicit_http_config: {
          http2_protocol_options: {
            connection_keepalive: { interval: '30s', timeout: '5s' },
            max_concurrent_streams: 10000,
          },
        },
      },
    },
    // One gRPC stream per in-flight HTTP request (SSE streams hold theirs for minutes).
    circuit_breakers: circuitBreakers(100000),
  };
}

function providerCluster(
  name: string,
  up: ParsedUpstream,
  caBundle: string | null,
  connectTimeoutMs: number,
) {
  const cluster: Record<string, unknown> = {
    name,
    type: 'LOGICAL_DNS',
    dns_lookup_family: 'V4_PREFERRED',
    connect_timeout: seconds(connectTimeoutMs),
    lb_policy: 'ROUND_ROBIN',
    load_assignment: endpoint(name, up.host, up.port),
    circuit_breakers: circuitBreakers(10000),
    upstream_connection_options: {
      tcp_keepalive: { keepalive_time: 60, keepalive_interval: 15, keepalive_probes: 4 },
    },
    typed_extension_protocol_options: {
      [HTTP_PROTOCOL_OPTIONS_KEY]: {
        '@type': HTTP_PROTOCOL_OPTIONS_TYPE,
        common_http_protocol_options: { idle_timeout: '300s' },
        ...(up.tls
          ? // ALPN picks h2 or http/1.1.
            { auto_config: { http_protocol_options: {}, http2_protocol_options: {} } }
          : { explicit_http_config: { http_protocol_options: {} } }),
      },
    },
  };
  if (up.tls) {
    if (caBundle === null) throw new Error('internal: CA bundle required for https upstream');
    const ipHost = isIP(up.host) !== 0;
    cluster.transport_socket = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        ...(ipHost ? {} : { sni: up.host }),
        common_tls_context: {
          validation_context: {
            trusted_ca: { filename: caBundle },
            match_typed_subject_alt_names: [
              { san_type: ipHost ? 'IP_ADDRESS' : 'DNS', matcher: { exact: up.host } },
            ],
          },
        },
      },
    };
  }
  return cluster;
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

/** `matched` is the part of the path the route matched: prefix_rewrite replaces exactly that part. */
function routeAction(cluster: string, up: ParsedUpstream | null, matched = '/') {
  return {
    cluster,
    timeout: '0s', // no route timeout: SSE streams can run for minutes (stream idle timeout still applies)
    auto_host_rewrite: true,
    ...(up !== null && up.pathPrefix !== '' ? { prefix_rewrite: `${up.pathPrefix}${matched}` } : {}),
  };
}

function routes(
  openai: ParsedUpstream,
  anthropic: ParsedUpstream,
  clusterHeaderRouting: boolean,
  maxFallbackRetries: number | null,
  wholeBodiesUpTo: number | null,
) {
  const endpointFilters =
    wholeBodiesUpTo === null ? {} : { typed_per_filter_config: wholeRequestBodyRoute(wholeBodiesUpTo) };
  const r: unknown[] = [];
  if (clusterHeaderRouting) {
    // Known clusters by name first so their path prefix is applied, then any other cluster by name.
    for (const [name, up] of [
      [CLUSTER_OPENAI, openai],
      [CLUSTER_ANTHROPIC, anthropic],
    ] as const) {
      r.push({
        name: `by_header_${name}`,
        match: { prefix: '/', headers: [{ name: UPSTREAM_CLUSTER_HEADER, string_match: { exact: name } }] },
        route: routeAction(name, up),
      });
    }
    if (maxFallbackRetries !== null) r.push(...deploymentRoutes(UPSTREAM_CLUSTER_HEADER, maxFallbackRetries));
    r.push({
      name: 'by_header_any',
      match: { prefix: '/', headers: [{ name: UPSTREAM_CLUSTER_HEADER, present_match: true }] },
      route: {
        cluster_header: UPSTREAM_CLUSTER_HEADER,
        timeout: '0s',
        auto_host_rewrite: true,
      },
    });
  }
  r.push(
    // The two endpoints extproc understands are routed by path first, so the upstream always matches the provider
    // whose credential extproc put on the request, whatever headers the client sent.
    {
      name: 'openai_chat_completions',
      match: { path: '/v1/chat/completions' },
      route: routeAction(CLUSTER_OPENAI, openai, '/v1/chat/completions'),
      ...endpointFilters,
    },
    {
      name: 'anthropic_messages',
      match: { path: '/v1/messages' },
      route: routeAction(CLUSTER_ANTHROPIC, anthropic, '/v1/messages'),
      ...endpointFilters,
    },
    {
      // count_tokens, batches: not read by extproc, so never held by the buffer filter (a batch can be large).
      name: 'anthropic_messages_subpaths',
      match: { path_separated_prefix: '/v1/messages' },
      route: routeAction(CLUSTER_ANTHROPIC, anthropic, '/v1/messages'),
    },
    {
      name: 'anthropic_by_api_key',
      match: { prefix: '/', headers: [{ name: 'x-api-key', present_match: true }] },
      route: routeAction(CLUSTER_ANTHROPIC, anthropic),
    },
    {
      name: 'anthropic_by_version',
      match: { prefix: '/', headers: [{ name: 'anthropic-version', present_match: true }] },
      route: routeAction(CLUSTER_ANTHROPIC, anthropic),
    },
    { name: 'openai_default', match: { prefix: '/' }, route: routeAction(CLUSTER_OPENAI, openai) },
  );
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Filters

function pipelinesBodies(ep: ExtProcOptions): boolean {
  return ep.pipelinedBodies ?? !ep.failureModeAllow;
}

const BUFFER_FILTER = 'envoy.filters.http.buffer';

/** Off unless a route turns it on (wholeRequestBodyRoute): other paths stream their bodies, however large. */
function bufferFilter(maxRequestBytes: number) {
  return {
    name: BUFFER_FILTER,
    disabled: true,
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer',
      max_request_bytes: maxRequestBytes,
    },
  };
}

/** Per-route config turning the buffer filter on; a larger body gets 413 (the request_too_large local reply). */
function wholeRequestBodyRoute(maxRequestBytes: number) {
  return {
    [BUFFER_FILTER]: {
      '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig',
      config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute',
        buffer: { max_request_bytes: maxRequestBytes },
      },
    },
  };
}

function extprocFilter(ep: ExtProcOptions) {
  if (!Number.isInteger(ep.messageTimeoutMs) || ep.messageTimeoutMs <= 0) {
    throw new Error(
      `extproc.messageTimeoutMs must be a positive integer, got ${String(ep.messageTimeoutMs)}`,
    );
  }
  if (!Number.isInteger(ep.maxMessageTimeoutMs) || ep.maxMessageTimeoutMs < ep.messageTimeoutMs) {
    throw new Error(
      `extproc.maxMessageTimeoutMs must be an integer >= messageTimeoutMs, got ${String(ep.maxMessageTimeoutMs)}`,
    );
  }
  if (typeof ep.failureModeAllow !== 'boolean') throw new Error('extproc.failureModeAllow must be a boolean');
  const pipelined = pipelinesBodies(ep);
  if (pipelined && ep.failureModeAllow) {
    // A held headers reply waits for the client's upload: a client uploading slower than the message timeout
    // would make Envoy give up on extproc, and fail-open would then forward the request unchecked.
    throw new Error(
      'extproc.pipelinedBodies needs fail-closed (failureModeAllow false): a slow upload would otherwise pass unchecked',
    );
  }
  return {
    name: 'envoy.filters.http.ext_proc',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
      grpc_service: {
        envoy_grpc: { cluster_name: CLUSTER_EXTPROC },
        timeout: '5s',
      },
      failure_mode_allow: ep.failureModeAllow,
      status_on_error: { code: 503 },
      processing_mode: {
        request_header_mode: 'SEND',
        response_header_mode: 'SEND',
        request_body_mode: pipelined ? 'STREAMED' : 'BUFFERED',
        response_body_mode: 'STREAMED',
        request_trailer_mode: 'SKIP',
        response_trailer_mode: 'SKIP',
      },
      ...(pipelined ? { send_body_without_waiting_for_header_response: true } : {}),
      allow_mode_override: true,
      message_timeout: seconds(ep.messageTimeoutMs),
      max_message_timeout: seconds(ep.maxMessageTimeoutMs),
      mutation_rules: {
        // Defaults spelled out: the server may set/remove ordinary headers (authorization, x-api-key,
        // content-length, x-acc-*), but not routing/system headers nor x-envoy-*; disallowed ones are ignored
        // (and counted in ext_proc `rejected_header_mutations`).
        allow_all_routing: false,
        allow_envoy: false,
        disallow_system: false,
        disallow_is_error: false,
      },
      // Keep the content-length our server sets after rewriting a BUFFERED request body.
      allow_content_length_header: true,
    },
  };
}

const ROUTER_FILTER = {
  name: 'envoy.filters.http.router',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
    // No x-envoy-upstream-service-time / x-envoy-expected-rq-timeout-ms etc. towards clients and providers.
    suppress_envoy_headers: true,
  },
};

/** Proxy bookkeeping headers that providers have no use for (client addresses, pre-rewrite path/host). */
const UPSTREAM_HEADERS_TO_REMOVE = [
  UPSTREAM_CLUSTER_HEADER,
  'x-forwarded-for',
  'x-envoy-external-address',
  'x-envoy-original-path',
  'x-envoy-original-host',
];

function accessLogConfig() {
  return [
    {
      name: 'envoy.access_loggers.stdout',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
        log_format: {
          json_format: {
            time: '%START_TIME%',
            request_id: '%REQ(x-request-id)%',
            method: '%REQ(:METHOD)%',
            path: '%REQ(:PATH?:PATH)%',
            protocol: '%PROTOCOL%',
            status: '%RESPONSE_CODE%',
            flags: '%RESPONSE_FLAGS%',
            details: '%RESPONSE_CODE_DETAILS%',
            upstream_cluster: '%UPSTREAM_CLUSTER%',
            upstream_host: '%UPSTREAM_HOST%',
            bytes_in: '%BYTES_RECEIVED%',
            bytes_out: '%BYTES_SENT%',
            duration_ms: '%DURATION%',
            upstream_ms: '%RESP(x-envoy-upstream-service-time)%',
          },
        },
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------

/** Renders the Envoy v3 bootstrap (write it as .json and pass it with --config-path). */
export function renderBootstrap(o: BootstrapOptions = {}): Record<string, unknown> {
  const listen: HostPort = { ...DEFAULT_LISTEN, ...stripUndefined(o.listen ?? {}) };
  const admin: HostPort = { ...DEFAULT_ADMIN, ...stripUndefined(o.admin ?? {}) };
  checkHostPort(listen, 'listen');
  checkHostPort(admin, 'admin');
  const listenAddr = bindAddress(listen.host, 'listen.host');
  const adminAddr = bindAddress(admin.host, 'admin.host');
  if (!isLoopback(adminAddr)) {
    throw new Error(
      `admin.host must be a loopback address (the admin API is unauthenticated), got '${admin.host}'`,
    );
  }
  const extproc = o.extproc ?? null;
  if (extproc !== null) checkHostPort(extproc, 'extproc');
  const maxRequestBytes = o.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  if (!Number.isInteger(maxRequestBytes) || maxRequestBytes < 1024) {
    throw new Error(`maxRequestBytes must be an integer >= 1024, got ${String(maxRequestBytes)}`);
  }
  const streamIdle = o.streamIdleTimeoutSeconds ?? 300;
  if (!(streamIdle > 0)) throw new Error('streamIdleTimeoutSeconds must be > 0');
  const connectTimeoutMs = o.upstreamConnectTimeoutMs ?? 5000;
  if (!(connectTimeoutMs > 0)) throw new Error('upstreamConnectTimeoutMs must be > 0');

  const openai = parseUpstreamUrl(o.upstreams?.openai ?? DEFAULT_UPSTREAMS.openai, 'upstreams.openai');
  const anthropic = parseUpstreamUrl(
    o.upstreams?.anthropic ?? DEFAULT_UPSTREAMS.anthropic,
    'upstreams.anthropic',
  );
  const caBundle = openai.tls || anthropic.tls ? resolveCaBundle(o.caBundlePath) : null;
  const clusterHeaderRouting = o.clusterHeaderRouting ?? extproc !== null;
  const deployments = o.deploymentClusters ?? null;
  const maxFallbackRetries = deployments
    ? (deployments.maxFallbackRetries ?? DEFAULT_MAX_FALLBACK_RETRIES)
    : null;
  if (deployments !== null) {
    if (!clusterHeaderRouting) throw new Error('deploymentClusters needs clusterHeaderRouting');
    checkDeploymentClusters(deployments);
  }

  const wholeBodies = extproc !== null && pipelinesBodies(extproc) && (extproc.wholeRequestBodies ?? true);

  const hcm: Record<string, unknown> = {
    '@type':
      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: 'acc_ingress',
    codec_type: 'AUTO',
    generate_request_id: true,
    preserve_external_request_id: o.preserveExternalRequestId ?? false,
    use_remote_address: true,
    stream_idle_timeout: `${streamIdle}s`,
    request_timeout: '0s',
    common_http_protocol_options: { idle_timeout: '3600s', headers_with_underscores_action: 'ALLOW' },
    route_config: {
      name: 'acc_routes',
      // Never forwarded upstream.
      request_headers_to_remove: UPSTREAM_HEADERS_TO_REMOVE,
      response_headers_to_add: [REQUEST_ID_HEADER_OPTION],
      virtual_hosts: [
        {
          name: 'llm',
          domains: ['*'],
          routes: routes(
            openai,
            anthropic,
            clusterHeaderRouting,
            maxFallbackRetries,
            wholeBodies ? maxRequestBytes : null,
          ),
        },
      ],
    },
    // The status filter sits after ext_proc so that, on the way back, it runs before ext_proc sees the response.
    http_filters: [
      ...(wholeBodies ? [bufferFilter(maxRequestBytes)] : []),
      ...(extproc !== null ? [extprocFilter(extproc)] : []),
      ...(deployments !== null ? [RESTORE_STATUS_HTTP_FILTER] : []),
      ROUTER_FILTER,
    ],
    local_reply_config: localReplyConfig(),
  };
  if (o.accessLog === true) hcm.access_log = accessLogConfig();

  const clusters: unknown[] = [
    providerCluster(CLUSTER_OPENAI, openai, caBundle, connectTimeoutMs),
    providerCluster(CLUSTER_ANTHROPIC, anthropic, caBundle, connectTimeoutMs),
  ];
  if (extproc !== null) clusters.unshift(extprocCluster(extproc));

  return {
    node: { id: 'acc-gateway', cluster: 'acc' },
    // Envoy ends each ext_proc stream with RST_STREAM by default; Node's HTTP/2 server (under grpc-js) counts rapid
    // resets as an attack and drops the connection after ~1000, failing every in-flight request closed (503).
    // Graceful close half-closes the stream instead.
    layered_runtime: {
      layers: [
        { name: 'static', static_layer: { 'envoy.reloadable_features.ext_proc_graceful_grpc_close': true } },
      ],
    },
    // A cap on open client connections protects Envoy (and the file-descriptor limit) from a connection flood.
    overload_manager: {
      resource_monitors: [
        {
          name: 'envoy.resource_monitors.global_downstream_max_connections',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
            max_active_downstream_connections: o.maxDownstreamConnections ?? 50_000,
          },
        },
      ],
    },
    admin: { address: { socket_address: { address: adminAddr, port_value: admin.port } } },
    ...(deployments !== null
      ? { dynamic_resources: { cds_config: deploymentClustersSource(deployments.dir) } }
      : {}),
    static_resources: {
      listeners: [
        {
          name: 'acc_listener',
          address: { socket_address: { address: listenAddr, port_value: listen.port } },
          per_connection_buffer_limit_bytes: maxRequestBytes,
          filter_chains: [
            {
              filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }],
            },
          ],
        },
      ],
      clusters,
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Renders and writes the bootstrap as pretty JSON (creating the directory). Returns the rendered object. */
export async function writeBootstrap(o: BootstrapOptions, path: string): Promise<Record<string, unknown>> {
  const cfg = renderBootstrap(o);
  await mkdir(dirname(path), { recursive: true });
  // Envoy needs the cluster file at start; extproc (usually already running) may have written the real one.
  if (o.deploymentClusters) await ensureDeploymentClustersFile(o.deploymentClusters.dir);
  await writeFile(path, `${JSON.stringify(cfg, null, 2)}\n`, 'utf8');
  return cfg;
}
