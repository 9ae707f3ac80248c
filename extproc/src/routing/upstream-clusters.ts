// The names the request pipeline and the Envoy configuration agree on for routing to a deployment. The routing stage
// sets UPSTREAM_CLUSTER_HEADER (and clears Envoy's route cache); Envoy's route sends the request to the cluster the
// header names, and the cluster configuration written for the snapshot's deployments makes those clusters exist.
import { createHash } from 'node:crypto';

export const UPSTREAM_CLUSTER_HEADER = 'x-acc-upstream-cluster';

/** The Envoy cluster of one deployment (its endpoint, TLS and credentials). */
export function deploymentClusterName(deploymentId: string): string {
  return `acc-dep-${deploymentId}`;
}

/**
 * The Envoy cluster trying deployments in order: the first, then on a retriable failure the next. A one-element
 * chain is the deployment's own cluster. The name is a digest of the ordered ids, so equal chains share a cluster.
 */
export function chainClusterName(deploymentIds: readonly string[]): string {
  if (deploymentIds.length === 1) return deploymentClusterName(deploymentIds[0] as string);
  const digest = createHash('sha256').update(deploymentIds.join('\n')).digest('hex').slice(0, 16);
  return `acc-chain-${digest}`;
}
