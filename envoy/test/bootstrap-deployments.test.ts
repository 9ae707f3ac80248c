// The dynamic part of the bootstrap: deployment and fallback-chain clusters from a watched file, and the routes that
// send `x-acc-upstream-cluster` requests to them with the fallback retry policy.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DYNAMIC_CLUSTERS_FILE, renderBootstrap, writeBootstrap } from '../src/bootstrap.js';
import { ensureEnvoy } from '../src/install.js';

// biome-ignore lint/suspicious/noExplicitAny: walking a rendered JSON config
type Json = any;

const EXTPROC = {
  host: '127.0.0.1',
  port: 50051,
  failureModeAllow: false,
  messageTimeoutMs: 500,
  maxMessageTimeoutMs: 5000,
};

const routesOf = (cfg: Json): Json[] =>
  cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0]
    .routes;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'acc-bootstrap-deployments-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('renderBootstrap with deployment clusters', () => {
  it('reads clusters from the watched file and routes deployments and chains by header prefix', () => {
    const dynamicDir = join(dir, 'render');
    const cfg: Json = renderBootstrap({
      extproc: EXTPROC,
      deploymentClusters: { dir: dynamicDir, maxFallbackRetries: 3 },
    });
    expect(cfg.dynamic_resources).toEqual({
      cds_config: {
        resource_api_version: 'V3',
        path_config_source: {
          path: join(dynamicDir, DYNAMIC_CLUSTERS_FILE),
          watched_directory: { path: dynamicDir },
        },
      },
    });
    const routes = routesOf(cfg);
    expect(routes.map((r) => r.name).slice(0, 5)).toEqual([
      'by_header_openai',
      'by_header_anthropic',
      'by_header_chain',
      'by_header_deployment',
      'by_header_any',
    ]);
    const [chain, single] = [routes[2], routes[3]];
    expect(chain.match.headers).toEqual([
      { name: 'x-acc-upstream-cluster', string_match: { prefix: 'acc-chain-' } },
    ]);
    expect(chain.route).toMatchObject({
      cluster_header: 'x-acc-upstream-cluster',
      timeout: '0s',
      retry_policy: {
        retry_on: '5xx,reset,connect-failure,retriable-status-codes',
        retriable_status_codes: [429],
        num_retries: 3,
        retry_priority: { name: 'envoy.retry_priorities.previous_priorities' },
      },
    });
    expect(chain.route.retry_policy.per_try_timeout).toBeUndefined();
    expect(single.match.headers[0].string_match).toEqual({ prefix: 'acc-dep-' });
    expect(single.route.retry_policy).toBeUndefined();
    // The filter that puts back a deployment's 429 runs after ext_proc's request side, before its response side,
    // and only where a deployment answered.
    const filters = cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters;
    expect(filters.map((f: Json) => f.name)).toEqual([
      'envoy.filters.http.buffer',
      'envoy.filters.http.ext_proc',
      'acc.restore_upstream_status',
      'envoy.filters.http.router',
    ]);
    expect(filters[2].typed_config.default_source_code).toBeUndefined();
    const withOwnFilters = [
      'by_header_chain',
      'by_header_deployment',
      'openai_chat_completions',
      'anthropic_messages',
    ];
    for (const other of routes.filter((r) => !withOwnFilters.includes(r.name))) {
      expect(other.typed_per_filter_config).toBeUndefined();
    }
    for (const route of [chain, single]) {
      expect(
        route.typed_per_filter_config['acc.restore_upstream_status'].source_code.inline_string,
      ).toContain('headers:replace(":status", status)');
      expect(route.response_headers_to_add.map((h: Json) => h.header)).toEqual([
        { key: 'x-acc-upstream-deployment', value: '%UPSTREAM_METADATA(acc:deployment)%' },
        { key: 'x-acc-upstream-attempts', value: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%' },
      ]);
    }
  });

  it('has no dynamic part without the option, and validates it', () => {
    const plain: Json = renderBootstrap({ extproc: EXTPROC });
    expect(plain.dynamic_resources).toBeUndefined();
    expect(
      plain.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters.map(
        (f: Json) => f.name,
      ),
    ).toEqual(['envoy.filters.http.buffer', 'envoy.filters.http.ext_proc', 'envoy.filters.http.router']);
    expect(routesOf(plain).map((r) => r.name)).not.toContain('by_header_chain');
    expect(() => renderBootstrap({ deploymentClusters: { dir: join(dir, 'x') } })).toThrow(
      /needs clusterHeaderRouting/,
    );
    expect(() => renderBootstrap({ extproc: EXTPROC, deploymentClusters: { dir: 'relative/dir' } })).toThrow(
      /absolute path/,
    );
    expect(() =>
      renderBootstrap({
        extproc: EXTPROC,
        deploymentClusters: { dir: join(dir, 'x'), maxFallbackRetries: 11 },
      }),
    ).toThrow(/maxFallbackRetries/);
    expect(
      routesOf(renderBootstrap({ extproc: EXTPROC, deploymentClusters: { dir: join(dir, 'x') } }))[2].route
        .retry_policy.num_retries,
    ).toBe(2);
  });
});

describe('writeBootstrap with deployment clusters', () => {
  it('creates an empty owner-only cluster file for Envoy to start with, and keeps one extproc wrote', async () => {
    const dynamicDir = join(dir, 'write');
    const options = { extproc: EXTPROC, deploymentClusters: { dir: dynamicDir } };
    await writeBootstrap(options, join(dir, 'envoy.json'));
    const file = join(dynamicDir, DYNAMIC_CLUSTERS_FILE);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version_info: '0', resources: [] });
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const written = JSON.stringify({ version_info: '7', resources: [] });
    await writeFile(file, written);
    await writeBootstrap(options, join(dir, 'envoy.json'));
    expect(await readFile(file, 'utf8')).toBe(written);
  });

  it('is accepted by envoy --mode validate', async () => {
    const bin = await ensureEnvoy();
    const path = join(dir, 'validate.json');
    await writeBootstrap({ extproc: EXTPROC, deploymentClusters: { dir: join(dir, 'validate') } }, path);
    const { stdout } = await promisify(execFile)(bin, [
      '--mode',
      'validate',
      '--config-path',
      path,
      '-l',
      'error',
    ]);
    expect(stdout).toContain('OK');
  }, 120_000);
});
