import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderBootstrap } from '../../../envoy/src/bootstrap.js';
import { ensureEnvoy } from '../../../envoy/src/install.js';
import {
  DeploymentConfigError,
  parseDeploymentCredentials,
  parseDeploymentUpstreamUrl,
  parseProviderDefaultUpstream,
  parseUpstreamList,
} from '../../src/routing/deployment-upstreams.js';
import {
  ATTEMPT_MODEL_HEADER,
  canRewriteModels,
  type DeploymentClusterSettings,
  type DeploymentSource,
  renderDeploymentClusters,
} from '../../src/routing/envoy-deployments.js';
import type { SnapshotDeployment } from '../../src/routing/types.js';
import { chainClusterName, deploymentClusterName } from '../../src/routing/upstream-clusters.js';

// biome-ignore lint/suspicious/noExplicitAny: walking rendered Envoy JSON
type Json = any;

const ORG = 'org-1';
const ORG_OPENAI_KEY = 'sk-org-openai-secret';
const ORG_ANTHROPIC_KEY = 'sk-ant-org-secret';
const AZURE_KEY = 'azure-secret-value';
const CA = '/etc/ssl/certs/ca-certificates.crt';

const settings: DeploymentClusterSettings = {
  upstreams: parseUpstreamList(
    'azure=https://eu.example.net,local=http://127.0.0.1:9000,v6=https://[::1]:8443',
  ),
  providerUpstreams: {
    openai: parseProviderDefaultUpstream('openai', 'https://api.openai.com', 'ACC_OPENAI_BASE_URL'),
    anthropic: parseProviderDefaultUpstream(
      'anthropic',
      'https://api.anthropic.com',
      'ACC_ANTHROPIC_BASE_URL',
    ),
  },
  credentials: new Map([['azure-eu', AZURE_KEY]]),
  caBundlePath: CA,
  cooldownMs: 30_000,
  failuresBeforeCooldown: 3,
  connectTimeoutMs: 5000,
};

function dep(id: string, overrides: Partial<SnapshotDeployment> = {}): SnapshotDeployment {
  return {
    id,
    orgId: ORG,
    name: `name-${id}`,
    provider: 'openai',
    model: 'gpt-4o',
    baseUrlCluster: null,
    weight: 1,
    credentialRef: null,
    ...overrides,
  };
}

function source(deployments: SnapshotDeployment[], chains: string[][] = []): DeploymentSource {
  return {
    deployments,
    chains,
    providerKey: (orgId, provider) =>
      orgId !== ORG ? null : provider === 'openai' ? ORG_OPENAI_KEY : ORG_ANTHROPIC_KEY,
  };
}

const byName = (resources: Json[], name: string): Json => resources.find((r) => r.name === name);
const metadataOf = (cluster: Json): Json =>
  cluster.load_assignment.endpoints[0].lb_endpoints[0].metadata.filter_metadata.acc;

describe('renderDeploymentClusters', () => {
  it('renders a deployment on the provider default: DNS, TLS with SNI and CA, cooldown, its credential', () => {
    const { resources, warnings } = renderDeploymentClusters(source([dep('a')]), settings);
    expect(warnings).toEqual([]);
    const cluster = byName(resources, deploymentClusterName('a'));
    expect(cluster).toMatchObject({
      '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      type: 'LOGICAL_DNS',
      outlier_detection: {
        consecutive_5xx: 3,
        consecutive_gateway_failure: 3,
        enforcing_consecutive_gateway_failure: 100,
        base_ejection_time: '30s',
        max_ejection_time: '30s',
        max_ejection_percent: 100,
      },
      common_lb_config: { update_merge_window: '0s' },
    });
    const endpoint = cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint;
    expect(endpoint).toEqual({
      address: { socket_address: { address: 'api.openai.com', port_value: 443 } },
      hostname: 'api.openai.com',
    });
    const tls = cluster.transport_socket.typed_config;
    expect(tls.sni).toBe('api.openai.com');
    expect(tls.common_tls_context.validation_context).toEqual({
      trusted_ca: { filename: CA },
      match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'api.openai.com' } }],
    });
    expect(metadataOf(cluster)).toEqual({
      deployment: 'a',
      model: 'gpt-4o',
      authorization: `Bearer ${ORG_OPENAI_KEY}`,
    });
  });

  it('uses x-api-key for Anthropic, operator upstreams and named credentials, plain HTTP without TLS', () => {
    const { resources } = renderDeploymentClusters(
      source([
        dep('claude', { provider: 'anthropic', model: 'claude-sonnet-4-5' }),
        dep('local', { baseUrlCluster: 'local', credentialRef: 'azure-eu' }),
        dep('v6', { baseUrlCluster: 'v6' }),
      ]),
      settings,
    );
    expect(metadataOf(byName(resources, 'acc-dep-claude'))).toEqual({
      deployment: 'claude',
      model: 'claude-sonnet-4-5',
      'x-api-key': ORG_ANTHROPIC_KEY,
    });
    const local = byName(resources, 'acc-dep-local');
    expect(local.type).toBe('STATIC');
    expect(local.transport_socket).toBeUndefined();
    expect(metadataOf(local).authorization).toBe(`Bearer ${AZURE_KEY}`);
    const protocol =
      local.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    expect(protocol.explicit_http_config).toEqual({ http_protocol_options: {} });
    const v6 = byName(resources, 'acc-dep-v6');
    expect(v6.transport_socket.typed_config.sni).toBeUndefined();
    expect(
      v6.transport_socket.typed_config.common_tls_context.validation_context.match_typed_subject_alt_names,
    ).toEqual([{ san_type: 'IP_ADDRESS', matcher: { exact: '::1' } }]);
  });

  it('sets credentials per attempt from endpoint metadata: secrets appear nowhere else', () => {
    const { resources, warnings } = renderDeploymentClusters(
      source([dep('a'), dep('b', { credentialRef: 'azure-eu' })], [['a', 'b']]),
      settings,
    );
    const withoutMetadata = JSON.stringify(resources, (key, value) =>
      key === 'metadata' ? undefined : value,
    );
    for (const secret of [ORG_OPENAI_KEY, AZURE_KEY]) {
      expect(withoutMetadata).not.toContain(secret);
      expect(warnings.join('\n')).not.toContain(secret);
    }
    const filters = byName(resources, 'acc-dep-a').typed_extension_protocol_options[
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions'
    ].http_filters;
    expect(filters.map((f: Json) => f.name)).toEqual([
      'envoy.filters.http.lua',
      'envoy.filters.http.header_mutation',
      'envoy.filters.http.upstream_codec',
    ]);
    // A 429 reaches the router as a 503 (so it counts towards the cooldown), its status kept in a header.
    expect(filters[0].typed_config.default_source_code.inline_string).toMatch(
      /:status"\) == "429"[\s\S]*replace\(":status", "503"\)[\s\S]*"x-acc-upstream-status", "429"/,
    );
    expect(filters[1].typed_config.mutations.request_mutations.slice(0, 2)).toEqual([
      { remove: 'authorization' },
      { remove: 'x-api-key' },
    ]);
  });

  it('renders one aggregate cluster per chain, members in order, after the deployment clusters', () => {
    const chain = ['b', 'a', 'c'];
    const { resources } = renderDeploymentClusters(
      source([dep('c'), dep('a'), dep('b')], [chain, ['a'], [...chain]]),
      settings,
    );
    expect(resources.map((r) => r.name)).toEqual([
      'acc-dep-a',
      'acc-dep-b',
      'acc-dep-c',
      chainClusterName(chain),
    ]);
    const aggregate = byName(resources, chainClusterName(chain));
    expect(aggregate.lb_policy).toBe('CLUSTER_PROVIDED');
    expect(aggregate.cluster_type).toEqual({
      name: 'envoy.clusters.aggregate',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig',
        clusters: ['acc-dep-b', 'acc-dep-a', 'acc-dep-c'],
      },
    });
    // An aggregate runs its own upstream filters, not its members': it needs the credential filter too.
    const key = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
    expect(aggregate.typed_extension_protocol_options[key].http_filters).toEqual(
      byName(resources, 'acc-dep-b').typed_extension_protocol_options[key].http_filters,
    );
    expect(aggregate.typed_extension_protocol_options[key].explicit_http_config).toEqual({
      http_protocol_options: {},
    });
  });

  it('skips what cannot be served, with a warning, and keeps the rest of a chain', () => {
    const { resources, warnings } = renderDeploymentClusters(
      source(
        [
          dep('ok'),
          dep('nowhere', { baseUrlCluster: 'undeclared' }),
          dep('nokey', { credentialRef: 'missing-ref' }),
          dep('otherorg', { orgId: 'org-2' }),
          dep('mini', { model: 'gpt-4o-mini' }),
        ],
        [
          ['ok', 'nowhere'],
          ['nowhere', 'nokey'],
          ['ok', 'mini'],
        ],
      ),
      settings,
    );
    expect(resources.map((r) => r.name)).toEqual([
      'acc-dep-mini',
      'acc-dep-ok',
      chainClusterName(['ok', 'mini']),
      chainClusterName(['ok', 'nowhere']),
    ]);
    expect(byName(resources, chainClusterName(['ok', 'nowhere'])).cluster_type.typed_config.clusters).toEqual(
      ['acc-dep-ok'],
    );
    expect(warnings).toEqual([
      expect.stringMatching(
        /'name-nokey'.*credential 'missing-ref' is not declared in ACC_DEPLOYMENT_CREDENTIALS/,
      ),
      expect.stringMatching(/'name-nowhere'.*upstream 'undeclared' is not declared in ACC_UPSTREAMS/),
      expect.stringMatching(/'name-otherorg'.*org-2.*no openai credential/),
      expect.stringMatching(/leaves out deployments that cannot be served: nowhere/),
      expect.stringMatching(/skipped: none of its deployments can be served \(nowhere, nokey\)/),
    ]);
  });

  it('gives only a chain of different models the per-attempt model filter, fed from endpoint metadata', () => {
    const { resources, warnings } = renderDeploymentClusters(
      source(
        [dep('big'), dep('small', { model: 'gpt-4o-mini' }), dep('twin')],
        [
          ['big', 'small'],
          ['big', 'twin'],
        ],
      ),
      settings,
    );
    expect(warnings).toEqual([]);
    const key = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
    const filtersOf = (name: string): Json[] =>
      byName(resources, name).typed_extension_protocol_options[key].http_filters;
    const mixed = filtersOf(chainClusterName(['big', 'small']));
    expect(mixed.map((f) => f.name)).toEqual([
      'envoy.filters.http.lua',
      'envoy.filters.http.header_mutation',
      'acc.model_per_attempt',
      'envoy.filters.http.upstream_codec',
    ]);
    const mutations = mixed[1].typed_config.mutations.request_mutations;
    expect(mutations).toContainEqual({ remove: ATTEMPT_MODEL_HEADER });
    expect(mutations).toContainEqual({
      append: {
        header: { key: ATTEMPT_MODEL_HEADER, value: '%UPSTREAM_METADATA(acc:model)%' },
        append_action: 'ADD_IF_ABSENT',
      },
    });
    const lua = mixed[2].typed_config.default_source_code.inline_string;
    expect(lua).toContain(`headers:remove("${ATTEMPT_MODEL_HEADER}")`);
    expect(lua).toContain('body:setBytes(PREFIX .. model');
    // Same model throughout, and single deployments: the body is never buffered for them.
    expect(filtersOf(chainClusterName(['big', 'twin']))).toEqual(filtersOf('acc-dep-big'));
    expect(filtersOf('acc-dep-big').map((f) => f.name)).not.toContain('acc.model_per_attempt');
    expect(metadataOf(byName(resources, 'acc-dep-small')).model).toBe('gpt-4o-mini');
  });

  it('leaves a chain as it was, with a warning, when a model name cannot be rewritten safely', () => {
    const odd = 'my "quoted" model';
    const { resources, warnings } = renderDeploymentClusters(
      source([dep('plain'), dep('odd', { model: odd })], [['plain', 'odd']]),
      settings,
    );
    expect(warnings).toEqual([
      expect.stringMatching(/mixes models .* cannot be rewritten per attempt: every attempt sends the first/),
    ]);
    const key = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
    const chain = byName(resources, chainClusterName(['plain', 'odd']));
    expect(chain.typed_extension_protocol_options[key].http_filters.map((f: Json) => f.name)).not.toContain(
      'acc.model_per_attempt',
    );
    expect(metadataOf(byName(resources, 'acc-dep-odd')).model).toBeUndefined();
    expect(canRewriteModels(['gpt-4o', 'ft:gpt-4o-mini:acme:v2:abc123', 'meta-llama/Llama-3-70b'])).toBe(
      true,
    );
    for (const bad of [odd, 'back\\slash', 'with space', '', 'ü'])
      expect(canRewriteModels([bad])).toBe(false);
  });

  it('skips deployments whose upstream needs TLS without a CA bundle, or a prefixed provider default', () => {
    const noCa = { ...settings, caBundlePath: null };
    expect(renderDeploymentClusters(source([dep('a')]), noCa).warnings).toEqual([
      expect.stringMatching(/no CA bundle/),
    ]);
    const prefixed = {
      ...settings,
      providerUpstreams: {
        ...settings.providerUpstreams,
        openai: parseProviderDefaultUpstream('openai', 'https://proxy.example/openai', 'X'),
      },
    };
    expect(renderDeploymentClusters(source([dep('a')]), prefixed).warnings).toEqual([
      expect.stringMatching(/default upstream has a path prefix/),
    ]);
  });
});

describe('deployment upstreams and credentials', () => {
  it('parses ACC_UPSTREAMS strictly', () => {
    const upstreams = parseUpstreamList(' eu=https://eu.example.net:8443 , local=http://[::1]:9000/ ');
    expect(upstreams.get('eu')).toEqual({
      name: 'eu',
      url: 'https://eu.example.net:8443',
      tls: true,
      host: 'eu.example.net',
      port: 8443,
    });
    expect(upstreams.get('local')).toMatchObject({ tls: false, host: '::1', port: 9000 });
    expect(parseUpstreamList(undefined).size).toBe(0);
    for (const bad of [
      'eu',
      '=https://x.example',
      'bad name=https://x.example',
      'eu=ftp://x.example',
      'eu=https://user:pw@x.example',
      'eu=https://x.example/prefix',
      'eu=https://x.example?q=1',
      'eu=https://x.example,eu=https://y.example',
    ]) {
      expect(() => parseUpstreamList(bad), bad).toThrow(DeploymentConfigError);
    }
    expect(() => parseDeploymentUpstreamUrl('x', 'https://x.example/v1', 'X')).toThrow(/path prefix/);
  });

  it('parses ACC_DEPLOYMENT_CREDENTIALS without echoing secrets in errors', async () => {
    expect(parseDeploymentCredentials('{"eu":" sk-1 "}').get('eu')).toBe('sk-1');
    const dir = await mkdtemp(join(tmpdir(), 'acc-credentials-'));
    try {
      await writeFile(join(dir, 'c.json'), '{"eu":"sk-from-file"}');
      expect(parseDeploymentCredentials(`@${join(dir, 'c.json')}`).get('eu')).toBe('sk-from-file');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => parseDeploymentCredentials('{"eu": sk-leaked')).toThrow(
      /^ACC_DEPLOYMENT_CREDENTIALS: not valid JSON$/,
    );
    expect(() => parseDeploymentCredentials('["sk"]')).toThrow(DeploymentConfigError);
    expect(() => parseDeploymentCredentials('{"eu":""}')).toThrow(/'eu' must be a non-empty/);
    expect(() => parseDeploymentCredentials('@/nonexistent/credentials.json')).toThrow(/cannot read/);
  });
});

describe('envoy --mode validate accepts rendered deployment clusters', () => {
  it('with TLS, plain HTTP, Anthropic, an aggregate chain and a mixed-model chain', async () => {
    const bin = await ensureEnvoy();
    const { resources } = renderDeploymentClusters(
      source(
        [
          dep('tls'),
          dep('plain', { baseUrlCluster: 'local' }),
          dep('claude', { provider: 'anthropic', model: 'claude-sonnet-4-5' }),
          dep('mini', { model: 'gpt-4o-mini' }),
        ],
        [
          ['tls', 'plain'],
          ['tls', 'mini'],
        ],
      ),
      settings,
    );
    const bootstrap: Json = renderBootstrap({});
    bootstrap.static_resources.clusters.push(...resources.map(({ '@type': _type, ...cluster }) => cluster));
    const dir = await mkdtemp(join(tmpdir(), 'acc-deployments-validate-'));
    try {
      const path = join(dir, 'bootstrap.json');
      await writeFile(path, JSON.stringify(bootstrap));
      const { stdout } = await promisify(execFile)(bin, [
        '--mode',
        'validate',
        '--config-path',
        path,
        '-l',
        'error',
      ]);
      expect(stdout).toContain('OK');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
