/**
 * The dynamic part of the bootstrap: routing to deployments and fallback chains (README "Deployments and fallbacks").
 *
 * extproc writes one cluster per deployment (`acc-dep-<id>`) and one aggregate cluster per fallback chain
 * (`acc-chain-<digest>`) into `<dir>/clusters.json` (extproc/src/routing/envoy-deployments.ts); Envoy reads that file
 * as CDS. The routing stage names one of them in `x-acc-upstream-cluster`, and the routes below send the request
 * there: a chain with a retry policy that falls back deployment by deployment.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

export interface DeploymentClustersOptions {
  /** Directory Envoy watches; the file is replaced by rename, which Envoy picks up. */
  dir: string;
  /** Retries of a fallback chain after its first attempt (default 2: three deployments tried). */
  maxFallbackRetries?: number;
}

export const DEFAULT_MAX_FALLBACK_RETRIES = 2;
/** The file in `deploymentClusters.dir` (extproc/src/routing/deployment-writer.ts writes it under the same name). */
export const DYNAMIC_CLUSTERS_FILE = 'clusters.json';
/** Cluster name prefixes of extproc/src/routing/upstream-clusters.ts: a deployment, and a fallback chain. */
export const DEPLOYMENT_CLUSTER_PREFIX = 'acc-dep-';
export const CHAIN_CLUSTER_PREFIX = 'acc-chain-';
/** Response headers on routed requests: the deployment that answered, and how many upstream attempts were made. */
export const UPSTREAM_DEPLOYMENT_HEADER = 'x-acc-upstream-deployment';
export const UPSTREAM_ATTEMPTS_HEADER = 'x-acc-upstream-attempts';
/**
 * A deployment's 429 travels from its cluster's upstream filter to the router as a 503 with the real status in this
 * header, so that outlier detection counts it (extproc/src/routing/envoy-deployments.ts); the downstream filter
 * below puts the 429 back before extproc and the client see the response.
 */
export const RATE_LIMITED_STATUS_HEADER = 'x-acc-upstream-status';
const RESTORE_STATUS_FILTER = 'acc.restore_upstream_status';

/** Throws on options Envoy would refuse or misread. */
export function checkDeploymentClusters(options: DeploymentClustersOptions): void {
  if (typeof options.dir !== 'string' || !isAbsolute(options.dir)) {
    throw new Error(`deploymentClusters.dir must be an absolute path, got ${JSON.stringify(options.dir)}`);
  }
  const retries = options.maxFallbackRetries ?? DEFAULT_MAX_FALLBACK_RETRIES;
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) {
    throw new Error(`deploymentClusters.maxFallbackRetries must be an integer 0..10, got ${String(retries)}`);
  }
}

/** CDS from a file Envoy watches: a rename into the directory applies the new clusters without a restart. */
export function deploymentClustersSource(dir: string) {
  return {
    resource_api_version: 'V3',
    path_config_source: { path: join(dir, DYNAMIC_CLUSTERS_FILE), watched_directory: { path: dir } },
  };
}

/** Envoy refuses to start without the file; one extproc already wrote is kept. */
export async function ensureDeploymentClustersFile(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, DYNAMIC_CLUSTERS_FILE);
  if (existsSync(file)) return;
  await writeFile(file, `${JSON.stringify({ version_info: '0', resources: [] })}\n`, { mode: 0o600 });
}

// What extproc records about a routed request: the answering endpoint's deployment id (its metadata, see
// extproc/src/routing/envoy-deployments.ts) and the attempt count. Empty values are not sent; a provider's own
// header of the same name is replaced.
const ROUTED_RESPONSE_HEADERS = [
  { key: UPSTREAM_DEPLOYMENT_HEADER, value: '%UPSTREAM_METADATA(acc:deployment)%' },
  { key: UPSTREAM_ATTEMPTS_HEADER, value: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%' },
].map((header) => ({ header, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }));

const RESTORE_STATUS_SOURCE = `function envoy_on_response(handle)
  local headers = handle:headers()
  local status = headers:get("${RATE_LIMITED_STATUS_HEADER}")
  if status ~= nil then
    headers:replace(":status", status)
    headers:remove("${RATE_LIMITED_STATUS_HEADER}")
  end
end
`;

/**
 * Goes between ext_proc and the router, so that on the way back it runs before ext_proc sees the response. It has
 * no code of its own: only the deployment routes give it its source, so other requests do not pay for it.
 */
export const RESTORE_STATUS_HTTP_FILTER = {
  name: RESTORE_STATUS_FILTER,
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua' },
};

/**
 * Routes to the deployment and chain clusters named in `clusterHeader`. A chain retries on 5xx, resets, connect
 * failures and 429, and `previous_priorities` sends each retry to the next deployment not tried yet (the chain's
 * members are the aggregate cluster's priorities). Envoy retries only until response headers went to the client,
 * so a stream that started is never retried. No per-try timeout: streams run as long as they need. A single
 * deployment is not retried: there is nothing to fall back to.
 */
export function deploymentRoutes(clusterHeader: string, maxFallbackRetries: number) {
  const byPrefix = (prefix: string) => ({
    prefix: '/',
    headers: [{ name: clusterHeader, string_match: { prefix } }],
  });
  const route = { cluster_header: clusterHeader, timeout: '0s', auto_host_rewrite: true };
  const typed_per_filter_config = {
    [RESTORE_STATUS_FILTER]: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute',
      source_code: { inline_string: RESTORE_STATUS_SOURCE },
    },
  };
  return [
    {
      name: 'by_header_chain',
      match: byPrefix(CHAIN_CLUSTER_PREFIX),
      route: {
        ...route,
        retry_policy: {
          retry_on: '5xx,reset,connect-failure,retriable-status-codes',
          retriable_status_codes: [429],
          num_retries: maxFallbackRetries,
          retry_priority: {
            name: 'envoy.retry_priorities.previous_priorities',
            typed_config: {
              '@type':
                'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
              update_frequency: 1,
            },
          },
          retry_back_off: { base_interval: '0.025s', max_interval: '0.25s' },
        },
      },
      response_headers_to_add: ROUTED_RESPONSE_HEADERS,
      typed_per_filter_config,
    },
    {
      name: 'by_header_deployment',
      match: byPrefix(DEPLOYMENT_CLUSTER_PREFIX),
      route,
      response_headers_to_add: ROUTED_RESPONSE_HEADERS,
      typed_per_filter_config,
    },
  ];
}
