import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadExtprocConfig } from '../../src/config.js';
import { compilePolicy, defaultPolicy } from '../../src/policy/compiled-policy.js';
import type { PolicySnapshot } from '../../src/policy/snapshot.js';
import {
  DeploymentClusterWriter,
  DYNAMIC_CLUSTERS_FILE,
  deploymentSourceOf,
} from '../../src/routing/deployment-writer.js';
import type { SnapshotDeployment } from '../../src/routing/types.js';
import { chainClusterName } from '../../src/routing/upstream-clusters.js';

const ORG = 'org-writer';
const GATEWAY_OPENAI_KEY = 'sk-gateway-writer-secret';
const defaults = {
  bootstrapKeys: [],
  providerKeys: { openai: GATEWAY_OPENAI_KEY, anthropic: null },
  priceOverrides: undefined,
};

function deployment(id: string, name: string, extra: Partial<SnapshotDeployment> = {}): SnapshotDeployment {
  return { id, orgId: ORG, name, provider: 'openai', model: 'gpt-4o', weight: 1, ...extra };
}

function snapshot(version: number, deployments: SnapshotDeployment[]): PolicySnapshot {
  return {
    schema: 1,
    version,
    publishedAt: new Date(0).toISOString(),
    orgs: [{ id: ORG, slug: 'writer', name: 'Writer' }],
    teams: [],
    keys: [],
    providerCredentials: [],
    pricing: [],
    routing: {
      rules: [
        {
          id: 'r1',
          orgId: ORG,
          name: 'primary then backup',
          priority: 1,
          condition: 'true',
          actions: [
            { type: 'route', deployment: 'primary' },
            { type: 'fallback', chain: ['backup'] },
          ],
          enabled: true,
        },
      ],
      deployments,
      modelOverrides: [],
    },
  };
}

let dir: string;
let lines: { level: number; msg: string }[];
let writer: DeploymentClusterWriter;

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'acc-writer-')), 'dynamic');
  lines = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const settings = loadExtprocConfig({ ACC_UPSTREAMS: 'eu=http://127.0.0.1:9000' }).deploymentClusters;
  writer = new DeploymentClusterWriter(dir, settings, pino({ level: 'info' }, sink));
});

afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

async function readClusters(): Promise<{ version_info: string; resources: { name: string }[] }> {
  return JSON.parse(await readFile(join(dir, DYNAMIC_CLUSTERS_FILE), 'utf8'));
}

describe('DeploymentClusterWriter', () => {
  it('writes the policy’s clusters owner-only, by rename, and only when they change', async () => {
    await writer.update(defaultPolicy(defaults), null);
    expect(await readClusters()).toEqual({ version_info: '0', resources: [] });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);

    const deployments = [deployment('p1', 'primary', { baseUrlCluster: 'eu' }), deployment('b1', 'backup')];
    const v1 = snapshot(1, deployments);
    await writer.update(compilePolicy(v1, defaults, []), v1);
    const written = await readClusters();
    expect(written.version_info).toBe('1');
    expect(written.resources.map((r) => r.name)).toEqual([
      'acc-dep-b1',
      'acc-dep-p1',
      chainClusterName(['p1', 'b1']),
    ]);
    expect((await stat(join(dir, DYNAMIC_CLUSTERS_FILE))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual([DYNAMIC_CLUSTERS_FILE]);

    // Same clusters under a newer version: Envoy is left alone.
    const v2 = snapshot(2, deployments);
    await writer.update(compilePolicy(v2, defaults, []), v2);
    expect((await readClusters()).version_info).toBe('1');
    expect(lines.filter((line) => line.msg === 'envoy deployment clusters written')).toHaveLength(2);
  });

  it('logs what it leaves out, never the credentials', async () => {
    const v1 = snapshot(1, [
      deployment('p1', 'primary', { credentialRef: 'undeclared' }),
      deployment('b1', 'backup'),
    ]);
    await writer.update(compilePolicy(v1, defaults, []), v1);
    expect((await readClusters()).resources.map((r) => r.name)).toEqual([
      'acc-dep-b1',
      chainClusterName(['p1', 'b1']),
    ]);
    const warnings = lines.filter((line) => line.level === 40).map((line) => line.msg);
    expect(warnings).toEqual([
      expect.stringMatching(/'primary' \(p1\).*credential 'undeclared' is not declared/),
      expect.stringMatching(/leaves out deployments that cannot be served: p1/),
    ]);
    expect(JSON.stringify(lines)).not.toContain(GATEWAY_OPENAI_KEY);
  });

  it('reports a directory it cannot write to in the log and keeps running', async () => {
    const errors: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        errors.push(JSON.parse(chunk.toString()).msg);
        done();
      },
    });
    // A directory below a regular file cannot exist.
    await writer.update(defaultPolicy(defaults), null);
    const blocked = new DeploymentClusterWriter(
      join(dir, DYNAMIC_CLUSTERS_FILE, 'below-a-file'),
      loadExtprocConfig({}).deploymentClusters,
      pino({ level: 'error' }, sink),
    );
    await expect(blocked.update(defaultPolicy(defaults), null)).resolves.toBeUndefined();
    expect(errors).toEqual(['could not write the envoy deployment clusters']);
  });
});

describe('deploymentSourceOf', () => {
  it('collects every org’s compiled deployments and the chains its rules can produce', () => {
    const deployments = [deployment('p1', 'primary'), deployment('b1', 'backup')];
    const v1 = snapshot(1, deployments);
    const source = deploymentSourceOf(compilePolicy(v1, defaults, []), v1);
    expect(source.deployments.map((d) => d.id).sort()).toEqual(['b1', 'p1']);
    expect(source.chains).toEqual([['p1', 'b1']]);
    expect(source.providerKey(ORG, 'openai')).toBe(GATEWAY_OPENAI_KEY);
    expect(deploymentSourceOf(defaultPolicy(defaults), null).deployments).toEqual([]);
  });
});
