import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface Reply {
  status: number;
  /** Raw header list (lower-cased names), duplicates preserved. */
  rawHeaders: [string, string][];
  body: string;
}

/** All values of a header (duplicates kept). */
export function headerValues(r: Reply, name: string): string[] {
  return r.rawHeaders.filter(([k]) => k === name.toLowerCase()).map(([, v]) => v);
}

export function header(r: Reply, name: string): string | undefined {
  return headerValues(r, name)[0];
}

export function send(
  baseUrl: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method: opts.method ?? (opts.body !== undefined ? 'POST' : 'GET'),
        headers: opts.headers ?? {},
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          const raw: [string, string][] = [];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            raw.push([(res.rawHeaders[i] as string).toLowerCase(), res.rawHeaders[i + 1] as string]);
          }
          resolve({ status: res.statusCode ?? 0, rawHeaders: raw, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** HTTP/2 cleartext (prior knowledge) request. */
export function sendH2(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(baseUrl);
    client.on('error', reject);
    const req = client.request({ ':method': body !== undefined ? 'POST' : 'GET', ':path': path, ...headers });
    let status = 0;
    const raw: [string, string][] = [];
    req.on('response', (h) => {
      status = Number(h[':status']);
      for (const [k, v] of Object.entries(h)) {
        if (k.startsWith(':')) continue;
        for (const one of Array.isArray(v) ? v : [v]) raw.push([k, String(one)]);
      }
    });
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      data += d;
    });
    req.on('end', () => {
      client.close();
      resolve({ status, rawHeaders: raw, body: data });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Upstream {
  url: string;
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A fake provider: echoes what it received as JSON (and sets its own `x-acc-request-id`, which Envoy must
 * overwrite). Paths containing `/sse` stream `count` SSE events, one per `intervalMs`.
 */
export async function startUpstream(name: string): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const s: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      if ((req.url ?? '').includes('/sse')) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'x-upstream': name });
        let i = 0;
        const t = setInterval(() => {
          res.write(`data: {"i":${i}}\n\n`);
          if (++i >= 3) {
            clearInterval(t);
            res.end('data: [DONE]\n\n');
          }
        }, 100);
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-upstream': name,
        'x-acc-request-id': 'spoofed',
      });
      res.end(
        JSON.stringify({
          upstream: name,
          method: s.method,
          url: s.url,
          headers: s.headers,
          bodyLength: body.length,
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
