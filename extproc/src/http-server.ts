// Operations endpoint: Prometheus metrics, liveness and readiness, on its own loopback port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExtprocMetrics } from './metrics.js';

export interface OpsServerOptions {
  host: string;
  port: number;
  metrics: ExtprocMetrics;
  /** Readiness details; `ready: false` answers 503. */
  readiness: () => { ready: boolean; [detail: string]: unknown };
}

export async function startOpsServer(options: OpsServerOptions): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      options.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.metrics.registry.contentType }).end(text),
        (error: Error) =>
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${error.message}`),
      );
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/readyz') {
      const state = options.readiness();
      res
        .writeHead(state.ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify(state));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, server };
}
