// Keeps Envoy's dynamic cluster file in step with the policy in force. Envoy watches the directory
// (dynamic_resources.cds_config with a path_config_source, envoy/src/bootstrap.ts) and applies a file when it is
// moved into place, so every version is written to a temporary file and renamed: Envoy never reads half a file.
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { PolicySnapshot } from '../policy/snapshot.js';
import type { DeploymentClusterSettings, DeploymentSource } from './envoy-deployments.js';
import { renderDeploymentClusters } from './envoy-deployments.js';
import { deploymentChains } from './targets.js';
import type { SnapshotDeployment } from './types.js';

/** The file name Envoy's bootstrap points its CDS path at (envoy/src/bootstrap.ts DYNAMIC_CLUSTERS_FILE). */
export const DYNAMIC_CLUSTERS_FILE = 'clusters.json';

const CA_BUNDLE_CANDIDATES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'];

export function findCaBundle(): string | null {
  return CA_BUNDLE_CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/** The deployments of every org in the snapshot, as compiled, with the chains each org's rules can produce. */
export function deploymentSourceOf(
  policy: CompiledPolicy,
  snapshot: PolicySnapshot | null,
): DeploymentSource {
  const orgIds = new Set((snapshot?.routing?.deployments ?? []).map((deployment) => deployment.orgId));
  const deployments: SnapshotDeployment[] = [];
  const chains: string[][] = [];
  for (const orgId of orgIds) {
    const routing = policy.routing(orgId);
    deployments.push(...routing.deployments.values());
    chains.push(...deploymentChains(routing));
  }
  return { deployments, chains, providerKey: (orgId, provider) => policy.providerKey(orgId, provider) };
}

export class DeploymentClusterWriter {
  private lastWritten: string | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly settings: DeploymentClusterSettings,
    private readonly log: Logger,
  ) {}

  get path(): string {
    return join(this.dir, DYNAMIC_CLUSTERS_FILE);
  }

  /** Renders and writes the clusters for this policy; writes are serialised and never throw (failures are logged). */
  update(policy: CompiledPolicy, snapshot: PolicySnapshot | null): Promise<void> {
    const next = this.queue.then(() => this.write(policy, snapshot));
    this.queue = next;
    return next;
  }

  private async write(policy: CompiledPolicy, snapshot: PolicySnapshot | null): Promise<void> {
    const temporary = join(this.dir, `.${DYNAMIC_CLUSTERS_FILE}.${process.pid}.tmp`);
    try {
      const rendered = renderDeploymentClusters(deploymentSourceOf(policy, snapshot), this.settings);
      // Only the resources decide whether Envoy needs a new file: a new version with the same clusters is no change.
      const content = JSON.stringify(rendered.resources);
      if (content === this.lastWritten) return;
      for (const warning of rendered.warnings) this.log.warn({ version: policy.version }, warning);
      const document = `${JSON.stringify({ version_info: String(policy.version), resources: rendered.resources })}\n`;
      // The file holds deployment credentials: owner-only, like the state directory's other secrets.
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await chmod(this.dir, 0o700);
      await writeFile(temporary, document, { mode: 0o600 });
      await chmod(temporary, 0o600);
      await rename(temporary, this.path);
      this.lastWritten = content;
      this.log.info(
        { version: policy.version, clusters: rendered.resources.length, skipped: rendered.warnings.length },
        'envoy deployment clusters written',
      );
    } catch (error) {
      // Envoy keeps the clusters it has; the next snapshot tries again. Best effort: the directory may be the problem.
      await rm(temporary, { force: true }).catch(() => undefined);
      this.log.error(
        { err: error, version: policy.version },
        'could not write the envoy deployment clusters',
      );
    }
  }
}
