import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BootstrapOptions,
  CLUSTER_EXTPROC,
  parseUpstreamUrl,
  renderBootstrap,
  writeBootstrap,
} from '../src/bootstrap.js';
import { ensureEnvoy } from '../src/install.js';

const run = promisify(execFile);

// biome-ignore lint/suspicious/noExplicitAny: walking a rendered JSON config
type Json = any;

function hcmOf(cfg: Json): Json {
  return cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
}

function filterOf(hcm: Json, name: string): Json {
  return hcm.http_filters.find((f: Json) => f.name === name);
}

const EXTPROC = {
  host: '127.0.0.1',
  port: 50051,
  failureModeAllow: false,
  messageTimeoutMs: 500,
  maxMessageTimeoutMs: 5000,
};

describe('parseUpstreamUrl', () => {
  it('parses scheme, host, default and explicit ports, path prefix', () => {
    expect(parseUpstreamUrl('https://api.openai.com')).toEqual({
      url: 'https://api.openai.com',
      tls: true,
      host: 'api.openai.com',
      port: 443,
      pathPrefix: '',
    });
    expect(parseUpstreamUrl('http://127.0.0.1:8081/proxy/')).toMatchObject({
      tls: false,
      host: '127.0.0.1',
      port: 8081,
      pathPrefix: '/proxy',
    });
    expect(parseUpstreamUrl('http://[::1]:9000/a/b')).toMatchObject({
      host: '::1',
      port: 9000,
      pathPrefix: '/a/b',
    });
    expect(parseUpstreamUrl('http://example.com/')).toMatchObject({ port: 80, pathPrefix: '' });
  });

  it.each([
    ['', /expected a URL/],
    ['api.openai.com', /not a valid absolute URL/],
    ['ftp://example.com', /scheme must be http or https/],
    ['https://user:pw@example.com', /credentials/],
    ['https://example.com/v1?x=1', /query strings/],
    ['https://example.com/#frag', /fragments/],
    ['http://example.com:99999', /not a valid absolute URL|invalid port/],
  ])('rejects %j', (url, re) => {
    expect(() => parseUpstreamUrl(url, 'upstreams.openai')).toThrow(re);
    expect(() => parseUpstreamUrl(url, 'upstreams.openai')).toThrow(/upstreams\.openai/);
  });
});

describe('renderBootstrap', () => {
  it('renders Envoy alone without ext_proc filter/cluster and without cluster-header routes', () => {
    const cfg: Json = renderBootstrap({ extproc: null });
    const hcm = hcmOf(cfg);
    expect(hcm.http_filters.map((f: Json) => f.name)).toEqual(['envoy.filters.http.router']);
    expect(cfg.static_resources.clusters.map((c: Json) => c.name)).toEqual(['openai', 'anthropic']);
    const routes = hcm.route_config.virtual_hosts[0].routes;
    expect(routes.map((r: Json) => r.name)).toEqual([
      'openai_chat_completions',
      'anthropic_messages',
      'anthropic_messages_subpaths',
      'anthropic_by_api_key',
      'anthropic_by_version',
      'openai_default',
    ]);
    expect(cfg.admin.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 9901 });
    expect(cfg.static_resources.listeners[0].address.socket_address).toEqual({
      address: '127.0.0.1',
      port_value: 10000,
    });
    expect(cfg.static_resources.listeners[0].per_connection_buffer_limit_bytes).toBe(10 * 1024 * 1024);
    expect(hcm.access_log).toBeUndefined();
    expect(hcm.generate_request_id).toBe(true);
    expect(hcm.request_timeout).toBe('0s');
    expect(hcm.stream_idle_timeout).toBe('300s');
    for (const r of routes) expect(r.route).toMatchObject({ timeout: '0s', auto_host_rewrite: true });
  });

  it('renders ext_proc first, with fail mode, modes, timeouts and cluster-header routes', () => {
    const cfg: Json = renderBootstrap({ extproc: { ...EXTPROC, failureModeAllow: true } });
    const hcm = hcmOf(cfg);
    expect(hcm.http_filters.map((f: Json) => f.name)).toEqual([
      'envoy.filters.http.ext_proc',
      'envoy.filters.http.router',
    ]);
    const ep = hcm.http_filters[0].typed_config;
    expect(ep.failure_mode_allow).toBe(true);
    expect(ep.status_on_error).toEqual({ code: 503 });
    expect(ep.grpc_service.envoy_grpc.cluster_name).toBe(CLUSTER_EXTPROC);
    expect(ep.processing_mode).toMatchObject({
      request_header_mode: 'SEND',
      response_header_mode: 'SEND',
      request_body_mode: 'BUFFERED',
      response_body_mode: 'STREAMED',
    });
    expect(ep.allow_mode_override).toBe(true);
    expect(ep.send_body_without_waiting_for_header_response).toBeUndefined();
    expect(ep.message_timeout).toBe('0.5s');
    expect(ep.max_message_timeout).toBe('5s');
    const cluster = cfg.static_resources.clusters[0];
    expect(cluster).toMatchObject({ name: 'acc_extproc', type: 'STATIC' });
    expect(
      cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']
        .explicit_http_config.http2_protocol_options.connection_keepalive,
    ).toBeDefined();
    const routes = hcm.route_config.virtual_hosts[0].routes;
    expect(routes[0].name).toBe('by_header_openai');
    expect(routes[2].route.cluster_header).toBe('x-acc-upstream-cluster');
  });

  it('pipelined bodies (the fail-closed default): both bodies STREAMED, sent without waiting for the headers reply', () => {
    const cfg: Json = renderBootstrap({ extproc: { ...EXTPROC, failureModeAllow: false } });
    const ep = filterOf(hcmOf(cfg), 'envoy.filters.http.ext_proc').typed_config;
    expect(ep.processing_mode).toMatchObject({
      request_body_mode: 'STREAMED',
      response_body_mode: 'STREAMED',
    });
    expect(ep.send_body_without_waiting_for_header_response).toBe(true);
    expect(() =>
      renderBootstrap({ extproc: { ...EXTPROC, pipelinedBodies: true, failureModeAllow: true } }),
    ).toThrow(/fail-closed/);
    const sequential = hcmOf(renderBootstrap({ extproc: { ...EXTPROC, pipelinedBodies: false } }))
      .http_filters[0].typed_config;
    expect(sequential.processing_mode.request_body_mode).toBe('BUFFERED');
    expect(sequential.send_body_without_waiting_for_header_response).toBeUndefined();
  });

  it("with pipelined bodies, has Envoy hold the two endpoints' request bodies whole ahead of ext_proc, and only them", () => {
    const hcm = hcmOf(
      renderBootstrap({ extproc: { ...EXTPROC, failureModeAllow: false }, maxRequestBytes: 2048 }),
    );
    expect(hcm.http_filters.map((f: Json) => f.name)).toEqual([
      'envoy.filters.http.buffer',
      'envoy.filters.http.ext_proc',
      'envoy.filters.http.router',
    ]);
    expect(hcm.http_filters[0]).toMatchObject({ disabled: true, typed_config: { max_request_bytes: 2048 } });
    const routes: Json[] = hcm.route_config.virtual_hosts[0].routes;
    const buffered = routes.filter((r) => r.typed_per_filter_config?.['envoy.filters.http.buffer']);
    expect(buffered.map((r) => r.match)).toEqual([
      { path: '/v1/chat/completions' },
      { path: '/v1/messages' },
    ]);
    for (const route of buffered) {
      expect(route.typed_per_filter_config['envoy.filters.http.buffer'].config.buffer).toEqual({
        max_request_bytes: 2048,
      });
    }
    for (const extproc of [
      { ...EXTPROC, failureModeAllow: false, wholeRequestBodies: false },
      { ...EXTPROC, pipelinedBodies: false },
    ]) {
      const other = hcmOf(renderBootstrap({ extproc }));
      expect(other.http_filters.map((f: Json) => f.name)).not.toContain('envoy.filters.http.buffer');
      expect(JSON.stringify(other.route_config)).not.toContain('envoy.filters.http.buffer');
    }
  });

  it('uses TLS with SNI and SAN checks for https upstreams, plain HTTP/1.1 for http', () => {
    const cfg: Json = renderBootstrap({
      upstreams: { openai: 'https://api.openai.com', anthropic: 'http://localhost:8081/proxy' },
      caBundlePath: '/etc/ssl/certs/ca-certificates.crt',
    });
    const [openai, anthropic] = cfg.static_resources.clusters;
    expect(openai.type).toBe('LOGICAL_DNS');
    const tls = openai.transport_socket.typed_config;
    expect(tls.sni).toBe('api.openai.com');
    expect(tls.common_tls_context.validation_context.trusted_ca.filename).toBe(
      '/etc/ssl/certs/ca-certificates.crt',
    );
    expect(tls.common_tls_context.validation_context.match_typed_subject_alt_names).toEqual([
      { san_type: 'DNS', matcher: { exact: 'api.openai.com' } },
    ]);
    expect(anthropic.transport_socket).toBeUndefined();
    expect(
      anthropic.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']
        .explicit_http_config,
    ).toEqual({ http_protocol_options: {} });
    const routes = hcmOf(cfg).route_config.virtual_hosts[0].routes;
    const anth = routes.find((r: Json) => r.name === 'anthropic_by_api_key');
    expect(anth.route.prefix_rewrite).toBe('/proxy/');
  });

  it('validates its options', () => {
    expect(() => renderBootstrap({ admin: { host: '0.0.0.0' } })).toThrow(/admin.host must be a loopback/);
    expect(() => renderBootstrap({ listen: { host: 'example.com' } })).toThrow(/must be an IP address/);
    expect(() => renderBootstrap({ upstreams: { openai: 'gopher://x' } })).toThrow(/upstreams.openai/);
    expect(() => renderBootstrap({ maxRequestBytes: 10 })).toThrow(/maxRequestBytes/);
    expect(() => renderBootstrap({ caBundlePath: '/nonexistent/ca.pem' })).toThrow(/caBundlePath/);
    expect(() => renderBootstrap({ extproc: { ...EXTPROC, maxMessageTimeoutMs: 100 } })).toThrow(
      /maxMessageTimeoutMs/,
    );
  });
});

describe('envoy --mode validate accepts rendered configs', () => {
  let bin = '';
  let dir = '';
  beforeAll(async () => {
    bin = await ensureEnvoy();
    dir = await mkdtemp(join(tmpdir(), 'acc-envoy-validate-'));
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cases: [string, BootstrapOptions][] = [
    ['defaults (https upstreams, no ext_proc)', {}],
    ['ext_proc fail-closed + access log', { extproc: EXTPROC, accessLog: true }],
    ['ext_proc fail-open', { extproc: { ...EXTPROC, failureModeAllow: true } }],
    ['ext_proc by DNS name', { extproc: { ...EXTPROC, host: 'extproc.internal' } }],
    [
      'http upstreams with path prefix',
      {
        extproc: EXTPROC,
        upstreams: { openai: 'http://127.0.0.1:8081/proxy', anthropic: 'http://localhost:8082/a/b/' },
        maxRequestBytes: 1024 * 1024,
      },
    ],
    [
      'mixed http/https, IP https upstream, custom ports',
      {
        listen: { host: '0.0.0.0', port: 18000 },
        admin: { host: '127.0.0.1', port: 19901 },
        upstreams: { openai: 'https://10.1.2.3:8443/v0', anthropic: 'http://[::1]:9000' },
        clusterHeaderRouting: true,
      },
    ],
  ];

  it.each(cases)('%s', async (_name, opts) => {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
    await writeBootstrap(opts, path);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(renderBootstrap(opts));
    const { stdout } = await run(bin, ['--mode', 'validate', '--config-path', path, '--log-level', 'error']);
    expect(stdout).toContain('OK');
  });
});
