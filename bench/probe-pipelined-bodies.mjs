// Probe (not a test): can ext_proc cost one round trip per direction instead of two? Envoy (the pinned binary) with
// STREAMED bodies and `send_body_without_waiting_for_header_response`, a toy ext_proc server that holds its headers
// reply until the body's end, then sets headers (content-length included) and replaces the body (earlier chunks
// cleared, the whole new body in the last reply), in both directions. Prints the message timeline and what the
// upstream and the client received. Run from the repository root: `node bench/probe-pipelined-bodies.mjs`.
// Finding on Envoy 1.40.0: body chunks arrive without waiting for the headers reply in both directions; the held
// headers reply still applies (content-length too) and the replaced bodies reach upstream and client intact.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const ROOT = process.cwd();
const t0 = performance.now();
const ts = () => (performance.now() - t0).toFixed(1);
const def = protoLoader.loadSync(['envoy/service/ext_proc/v3/external_processor.proto'], {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [`${ROOT}/protos`],
});
const pkg = grpc.loadPackageDefinition(def);
const HOLD = process.env.HOLD !== '0';
const server = new grpc.Server();
server.addService(pkg.envoy.service.ext_proc.v3.ExternalProcessor.service, {
  Process(call) {
    const pending = { req: [], resp: [] };
    call.on('data', (m) => {
      const kind = m.request;
      const eos = m[kind]?.end_of_stream;
      const hs = kind.endsWith('headers')
        ? m[kind].headers.headers
            .filter((h) => [':status', 'content-length', 'content-type'].includes(h.key))
            .map((h) => `${h.key}=${h.raw_value}`)
            .join(' ')
        : '';
      console.log(
        ts(),
        'ext_proc got',
        kind,
        'eos',
        eos,
        kind.endsWith('body') ? `${m[kind].body?.length} bytes` : hs,
      );
      if (m.protocol_config) console.log(ts(), 'protocol_config', JSON.stringify(m.protocol_config));
      const side = kind.startsWith('request') ? 'req' : 'resp';
      if (!HOLD) {
        call.write(reply(kind, false));
        return;
      }
      pending[side].push(kind);
      const done = kind.endsWith('_body') ? eos : kind.endsWith('headers') && m[kind].end_of_stream;
      if (done) {
        const held = pending[side];
        for (let i = 0; i < held.length; i++) {
          call.write(reply(held[i], i === held.length - 1 && held[i].endsWith('body')));
        }
        console.log(ts(), `replied ${pending[side].join(',')}`);
        pending[side] = [];
      }
    });
    call.on('end', () => call.end());
    call.on('error', () => {});
  },
});
const NEW = { request: Buffer.from('{"rewritten":true}'), response: Buffer.from('{"answer":"rewritten"}') };
function reply(kind, last) {
  const common = {};
  const side = kind.startsWith('request') ? 'request' : 'response';
  if (kind.endsWith('headers')) {
    common.header_mutation = {
      set_headers: [
        { header: { key: `x-probe-${side}-headers`, raw_value: Buffer.from('1') } },
        { header: { key: 'content-length', raw_value: Buffer.from(String(NEW[side].length)) } },
      ],
    };
  }
  if (kind.endsWith('body')) {
    // Replace the whole body at the last chunk, clear earlier chunks.
    common.body_mutation = last ? { body: NEW[side] } : { clear_body: true };
  }
  return { [kind]: { response: common } };
}
const grpcPort = await new Promise((r) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (_e, p) => r(p)),
);
const upstream = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    console.log(
      ts(),
      'upstream got',
      req.method,
      req.url,
      'x-probe-request-headers=',
      req.headers['x-probe-request-headers'],
      'x-probe-request-body=',
      req.headers['x-probe-request-body'],
      'cl=',
      req.headers['content-length'],
      'te=',
      req.headers['transfer-encoding'],
      'body=',
      body,
    );
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '26' });
    res.write('{"answer":');
    setTimeout(() => res.end('"original!!"}   '), 50);
  });
});
upstream.on('clientError', (err, sock) => {
  console.log(
    ts(),
    'upstream clientError',
    err.code,
    String(err.rawPacket ?? '').length,
    JSON.stringify(String(err.rawPacket ?? '').slice(-300)),
  );
  sock.destroy();
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upPort = upstream.address().port;
const listenPort = 18000 + Math.floor(Math.random() * 1000);
const cfg = {
  admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
  static_resources: {
    listeners: [
      {
        address: { socket_address: { address: '127.0.0.1', port_value: listenPort } },
        filter_chains: [
          {
            filters: [
              {
                name: 'envoy.filters.network.http_connection_manager',
                typed_config: {
                  '@type':
                    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                  stat_prefix: 'in',
                  route_config: {
                    virtual_hosts: [
                      {
                        name: 'a',
                        domains: ['*'],
                        routes: [{ match: { prefix: '/' }, route: { cluster: 'up', timeout: '0s' } }],
                      },
                    ],
                  },
                  http_filters: [
                    {
                      name: 'envoy.filters.http.ext_proc',
                      typed_config: {
                        '@type':
                          'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
                        grpc_service: { envoy_grpc: { cluster_name: 'ep' } },
                        processing_mode: {
                          request_header_mode: 'SEND',
                          response_header_mode: 'SEND',
                          request_body_mode: 'STREAMED',
                          response_body_mode: 'STREAMED',
                        },
                        send_body_without_waiting_for_header_response: true,
                        message_timeout: '2s',
                        allow_content_length_header: true,
                      },
                    },
                    {
                      name: 'envoy.filters.http.router',
                      typed_config: {
                        '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                      },
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
    clusters: [
      {
        name: 'up',
        type: 'STATIC',
        load_assignment: {
          cluster_name: 'up',
          endpoints: [
            {
              lb_endpoints: [
                { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: upPort } } } },
              ],
            },
          ],
        },
      },
      {
        name: 'ep',
        type: 'STATIC',
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
            explicit_http_config: { http2_protocol_options: {} },
          },
        },
        load_assignment: {
          cluster_name: 'ep',
          endpoints: [
            {
              lb_endpoints: [
                { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: grpcPort } } } },
              ],
            },
          ],
        },
      },
    ],
  },
};
writeFileSync('/tmp/probe-envoy.json', JSON.stringify(cfg));
const envoy = spawn(
  process.env.ENVOY_BIN ?? `${ROOT}/.acc/envoy-1.40.0/envoy/_bin/envoy`,
  ['-c', '/tmp/probe-envoy.json', '--concurrency', '1', '-l', 'warn'],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
await new Promise((r) => setTimeout(r, 1500));
for (let i = 0; i < 2; i++) {
  const body = JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hello '.repeat(20000) }] });
  console.log(ts(), `client sends ${body.length} bytes`);
  const res = await fetch(`http://127.0.0.1:${listenPort}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  console.log(
    ts(),
    'client got',
    res.status,
    [...res.headers].filter(
      ([k]) => k.startsWith('x-probe') || k === 'content-length' || k === 'transfer-encoding',
    ),
    text,
  );
}
envoy.kill();
server.forceShutdown();
upstream.close();
process.exit(0);
