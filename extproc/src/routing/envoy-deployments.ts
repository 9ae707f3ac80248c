// The Envoy clusters behind routing to deployments, rendered from the policy in force (pure: no I/O).
//
//   acc-dep-<id>    one per usable deployment: its upstream's endpoint, TLS (SNI + CA validation), outlier
//                   detection that takes it out of rotation for the cooldown after consecutive 5xx / 429 / gateway
//                   failures, and the deployment's credential in the endpoint's metadata.
//   acc-chain-<h>   one aggregate cluster per fallback chain the org's rules can produce (targets.ts
//                   deploymentChains): its deployments' clusters as priorities 0, 1, …; the route's retry policy
//                   (envoy/src/bootstrap.ts) moves each retry to the next priority not yet tried.
//
// Credentials are set per attempt by an upstream header_mutation filter reading the chosen endpoint's metadata, so
// a retry on the next deployment carries that deployment's key. A chain whose deployments serve different models
// also gets the deployment's model per attempt (upstream-filters.ts). An aggregate cluster runs its own upstream
// filters, never its members' (verified on Envoy 1.40), which rules out per-member credential_injector filters and
// SDS secrets; the keys therefore live in the cluster file, which the writer keeps 0600 in a 0700 directory, and in
// Envoy's loopback-only admin config dump.
import type { ProviderId } from '../providers/types.js';
import type { DeploymentUpstream } from './deployment-upstreams.js';
import type { SnapshotDeployment } from './types.js';
import { chainClusterName, deploymentClusterName } from './upstream-clusters.js';
import {
  canRewriteModels,
  METADATA_NAMESPACE,
  MIXED_MODEL_UPSTREAM_FILTERS,
  MODEL_METADATA_KEY,
  UPSTREAM_FILTERS,
} from './upstream-filters.js';

export {
  ATTEMPT_MODEL_HEADER,
  canRewriteModels,
  METADATA_NAMESPACE,
  RATE_LIMITED_STATUS_HEADER,
} from './upstream-filters.js';

/** Response header naming the deployment that answered (the last attempt's). */
export const UPSTREAM_DEPLOYMENT_HEADER = 'x-acc-upstream-deployment';
/** Response header with the number of upstream attempts Envoy made. */
export const UPSTREAM_ATTEMPTS_HEADER = 'x-acc-upstream-attempts';

const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const PROTOCOL_OPTIONS_TYPE = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export interface DeploymentClusterSettings {
  /** Operator-declared upstreams (ACC_UPSTREAMS), the names `baseUrlCluster` refers to. */
  upstreams: ReadonlyMap<string, DeploymentUpstream>;
  /** Each provider's default upstream for deployments without `baseUrlCluster`; null when it cannot serve them. */
  providerUpstreams: Readonly<Record<ProviderId, DeploymentUpstream | null>>;
  /** Operator-declared credentials (ACC_DEPLOYMENT_CREDENTIALS), the names `credentialRef` refers to. */
  credentials: ReadonlyMap<string, string>;
  /** CA bundle for https upstreams; null = none found (https deployments are then skipped). */
  caBundlePath: string | null;
  /** How long a failing deployment stays out of rotation. */
  cooldownMs: number;
  /** Consecutive 5xx, 429 or gateway failures (connect failures and resets included) that start a cooldown. */
  failuresBeforeCooldown: number;
  connectTimeoutMs: number;
}

/** What the policy in force says: its deployments, the chains its rules can produce, and each org's credentials. */
export interface DeploymentSource {
  deployments: readonly SnapshotDeployment[];
  /** Ordered deployment ids; one-element chains are the deployment's own cluster. */
  chains: readonly (readonly string[])[];
  providerKey(orgId: string, provider: ProviderId): string | null;
}

export interface RenderedDeploymentClusters {
  /** Envoy v3 Cluster resources, in a stable order (same policy → same bytes). */
  resources: Record<string, unknown>[];
  /** Deployments and chains left out, and why (no secrets). */
  warnings: string[];
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;

/** Every cluster counts its own concurrency; retries from many concurrent requests must not hit Envoy's default 3. */
const CIRCUIT_BREAKERS = {
  thresholds: [
    {
      priority: 'DEFAULT',
      max_connections: 10000,
      max_pending_requests: 10000,
      max_requests: 10000,
      max_retries: 10000,
    },
  ],
};

function protocolOptions(alpn: boolean, filters: readonly unknown[] = UPSTREAM_FILTERS) {
  return {
    [PROTOCOL_OPTIONS_KEY]: {
      '@type': PROTOCOL_OPTIONS_TYPE,
      common_http_protocol_options: { idle_timeout: '300s' },
      ...(alpn
        ? { auto_config: { http_protocol_options: {}, http2_protocol_options: {} } }
        : { explicit_http_config: { http_protocol_options: {} } }),
      http_filters: filters,
    },
  };
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

function tlsSocket(upstream: DeploymentUpstream, caBundlePath: string) {
  const ipHost = isIpLiteral(upstream.host);
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      ...(ipHost ? {} : { sni: upstream.host }),
      common_tls_context: {
        validation_context: {
          trusted_ca: { filename: caBundlePath },
          match_typed_subject_alt_names: [
            { san_type: ipHost ? 'IP_ADDRESS' : 'DNS', matcher: { exact: upstream.host } },
          ],
        },
      },
    },
  };
}

function credentialMetadata(provider: ProviderId, secret: string): Record<string, string> {
  return provider === 'anthropic' ? { 'x-api-key': secret } : { authorization: `Bearer ${secret}` };
}

function deploymentCluster(
  deployment: SnapshotDeployment,
  upstream: DeploymentUpstream,
  secret: string,
  settings: DeploymentClusterSettings,
) {
  const name = deploymentClusterName(deployment.id);
  const ipHost = isIpLiteral(upstream.host);
  const intervalMs = Math.min(10_000, Math.max(100, Math.floor(settings.cooldownMs / 4)));
  return {
    '@type': CLUSTER_TYPE,
    name,
    type: ipHost ? 'STATIC' : 'LOGICAL_DNS',
    ...(ipHost ? {} : { dns_lookup_family: 'V4_PREFERRED' }),
    connect_timeout: seconds(settings.connectTimeoutMs),
    lb_policy: 'ROUND_ROBIN',
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: {
                address: { socket_address: { address: upstream.host, port_value: upstream.port } },
                // auto_host_rewrite sends this as Host on every attempt.
                hostname: upstream.host,
              },
              metadata: {
                filter_metadata: {
                  [METADATA_NAMESPACE]: {
                    deployment: deployment.id,
                    // Read only by mixed-model chains (MODEL_PER_ATTEMPT); a name it cannot carry is left out.
                    ...(canRewriteModels([deployment.model])
                      ? { [MODEL_METADATA_KEY]: deployment.model }
                      : {}),
                    ...credentialMetadata(deployment.provider, secret),
                  },
                },
              },
            },
          ],
        },
      ],
    },
    // One endpoint per deployment: ejecting it takes the deployment out of every chain for the cooldown. Ejection
    // time does not grow with repeated ejections (max = base), and the interval only bounds how late it ends.
    outlier_detection: {
      consecutive_5xx: settings.failuresBeforeCooldown,
      consecutive_gateway_failure: settings.failuresBeforeCooldown,
      enforcing_consecutive_5xx: 100,
      enforcing_consecutive_gateway_failure: 100,
      enforcing_success_rate: 0,
      interval: seconds(intervalMs),
      base_ejection_time: seconds(settings.cooldownMs),
      max_ejection_time: seconds(settings.cooldownMs),
      max_ejection_percent: 100,
    },
    // Envoy batches health changes for a second by default; a cooldown should end when it says.
    common_lb_config: { update_merge_window: '0s' },
    circuit_breakers: CIRCUIT_BREAKERS,
    upstream_connection_options: {
      tcp_keepalive: { keepalive_time: 60, keepalive_interval: 15, keepalive_probes: 4 },
    },
    typed_extension_protocol_options: protocolOptions(upstream.tls),
    ...(upstream.tls && settings.caBundlePath !== null
      ? { transport_socket: tlsSocket(upstream, settings.caBundlePath) }
      : {}),
  };
}

function chainCluster(
  name: string,
  memberIds: readonly string[],
  modelPerAttempt: boolean,
  settings: DeploymentClusterSettings,
) {
  return {
    '@type': CLUSTER_TYPE,
    name,
    connect_timeout: seconds(settings.connectTimeoutMs),
    lb_policy: 'CLUSTER_PROVIDED',
    cluster_type: {
      name: 'envoy.clusters.aggregate',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig',
        clusters: memberIds.map(deploymentClusterName),
      },
    },
    circuit_breakers: CIRCUIT_BREAKERS,
    // HTTP/1.1 towards every member: each of them speaks it, TLS or not.
    typed_extension_protocol_options: protocolOptions(
      false,
      modelPerAttempt ? MIXED_MODEL_UPSTREAM_FILTERS : UPSTREAM_FILTERS,
    ),
  };
}

function describe(deployment: SnapshotDeployment): string {
  return `deployment '${deployment.name}' (${deployment.id}) of org ${deployment.orgId}`;
}

/** Why a deployment cannot be served, or its upstream and credential. */
function resolveDeployment(
  deployment: SnapshotDeployment,
  source: DeploymentSource,
  settings: DeploymentClusterSettings,
): { upstream: DeploymentUpstream; secret: string } | string {
  let upstream: DeploymentUpstream | null;
  if (deployment.baseUrlCluster) {
    upstream = settings.upstreams.get(deployment.baseUrlCluster) ?? null;
    if (!upstream) return `upstream '${deployment.baseUrlCluster}' is not declared in ACC_UPSTREAMS`;
  } else {
    upstream = settings.providerUpstreams[deployment.provider];
    if (!upstream)
      return `the ${deployment.provider} default upstream has a path prefix, which deployments cannot use`;
  }
  if (upstream.tls && settings.caBundlePath === null) return 'no CA bundle for its https upstream';
  let secret: string | null;
  if (deployment.credentialRef) {
    secret = settings.credentials.get(deployment.credentialRef) ?? null;
    if (secret === null)
      return `credential '${deployment.credentialRef}' is not declared in ACC_DEPLOYMENT_CREDENTIALS`;
  } else {
    secret = source.providerKey(deployment.orgId, deployment.provider);
    if (secret === null) return `the org has no ${deployment.provider} credential`;
  }
  return { upstream, secret };
}

export function renderDeploymentClusters(
  source: DeploymentSource,
  settings: DeploymentClusterSettings,
): RenderedDeploymentClusters {
  const warnings: string[] = [];
  const byId = new Map<string, SnapshotDeployment>();
  const resources: Record<string, unknown>[] = [];
  for (const deployment of [...source.deployments].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (byId.has(deployment.id)) continue;
    const resolved = resolveDeployment(deployment, source, settings);
    if (typeof resolved === 'string') {
      warnings.push(`${describe(deployment)} skipped: ${resolved}`);
      continue;
    }
    byId.set(deployment.id, deployment);
    resources.push(deploymentCluster(deployment, resolved.upstream, resolved.secret, settings));
  }

  const chains = new Map<string, { members: string[]; modelPerAttempt: boolean }>();
  for (const ids of source.chains) {
    if (ids.length < 2) continue;
    const name = chainClusterName(ids);
    if (chains.has(name)) continue;
    const members = ids.filter((id) => byId.has(id));
    if (members.length < ids.length) {
      const missing = ids.filter((id) => !byId.has(id)).join(', ');
      if (members.length === 0) {
        warnings.push(`fallback chain ${name} skipped: none of its deployments can be served (${missing})`);
        continue;
      }
      warnings.push(`fallback chain ${name} leaves out deployments that cannot be served: ${missing}`);
    }
    const models = new Set(members.map((id) => (byId.get(id) as SnapshotDeployment).model));
    const modelPerAttempt = models.size > 1 && canRewriteModels(models);
    if (models.size > 1 && !modelPerAttempt) {
      warnings.push(
        `fallback chain ${name} mixes models (${[...models].map((m) => JSON.stringify(m)).join(', ')}) with a name ` +
          `that cannot be rewritten per attempt: every attempt sends the first deployment's model`,
      );
    }
    chains.set(name, { members, modelPerAttempt });
  }
  for (const name of [...chains.keys()].sort()) {
    const chain = chains.get(name) as { members: string[]; modelPerAttempt: boolean };
    resources.push(chainCluster(name, chain.members, chain.modelPerAttempt, settings));
  }
  return { resources, warnings };
}
