/**
 * A tiny ext_proc gRPC server for tests, on node:http2 with a hand-written protobuf subset
 * (field numbers from envoy.service.ext_proc.v3). Not for production: the real server lives in extproc/.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

// ---- protobuf writer --------------------------------------------------------------------------------------------

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}
const key = (field: number, wire: number) => varint(field * 8 + wire);
const ld = (field: number, payload: Buffer | string) => {
  const b = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([key(field, 2), varint(b.length), b]);
};
const vi = (field: number, n: number) => Buffer.concat([key(field, 0), varint(n)]);

export interface Mutation {
  set?: Record<string, string>;
  remove?: string[];
}

function headerMutation(m: Mutation): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(m.set ?? {})) {
    // HeaderValueOption{ header=1 HeaderValue{ key=1, raw_value=3 }, append_action=3 (OVERWRITE_IF_EXISTS_OR_ADD=2) }
    parts.push(
      ld(1, Buffer.concat([ld(1, Buffer.concat([ld(1, k), ld(3, Buffer.from(v, 'utf8'))])), vi(3, 2)])),
    );
  }
  for (const r of m.remove ?? []) parts.push(ld(2, r));
  return Buffer.concat(parts);
}

export interface Common {
  headers?: Mutation;
  body?: Buffer | string;
  clearRouteCache?: boolean;
}

function commonResponse(c: Common): Buffer {
  const parts: Buffer[] = [];
  if (c.headers) parts.push(ld(2, headerMutation(c.headers)));
  if (c.body !== undefined) parts.push(ld(3, ld(1, c.body)));
  if (c.clearRouteCache) parts.push(vi(5, 1));
  return Buffer.concat(parts);
}

/** ProcessingResponse oneof field numbers. */
const RESP_FIELD = { request_headers: 1, response_headers: 2, request_body: 3, response_body: 4 } as const;
export type Phase = keyof typeof RESP_FIELD;

export function continueResponse(phase: Phase, c: Common = {}): Buffer {
  return ld(RESP_FIELD[phase], ld(1, commonResponse(c)));
}

export function immediateResponse(
  status: number,
  body: string,
  headers: Record<string, string> = {},
  details = '',
): Buffer {
  const parts = [ld(1, vi(1, status))];
  if (Object.keys(headers).length > 0) parts.push(ld(2, headerMutation({ set: headers })));
  parts.push(ld(3, body));
  if (details !== '') parts.push(ld(5, details));
  return ld(7, Buffer.concat(parts));
}

// ---- protobuf reader --------------------------------------------------------------------------------------------

interface Field {
  n: number;
  wire: number;
  value: number | Buffer;
}

function readFields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const readVarint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const k = readVarint();
    const n = Math.floor(k / 8);
    const wire = k & 7;
    if (wire === 0) out.push({ n, wire, value: readVarint() });
    else if (wire === 2) {
      const len = readVarint();
      out.push({ n, wire, value: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const REQ_KIND: Record<number, Phase | 'request_trailers' | 'response_trailers'> = {
  2: 'request_headers',
  3: 'response_headers',
  4: 'request_body',
  5: 'response_body',
  6: 'request_trailers',
  7: 'response_trailers',
};

export interface ProcessingRequest {
  kind: Phase | 'request_trailers' | 'response_trailers';
  headers?: Record<string, string>;
  body?: Buffer;
  endOfStream: boolean;
}

export function decodeProcessingRequest(buf: Buffer): ProcessingRequest {
  for (const f of readFields(buf)) {
    const kind = REQ_KIND[f.n];
    if (kind === undefined || !Buffer.isBuffer(f.value)) continue;
    const inner = readFields(f.value);
    const req: ProcessingRequest = { kind, endOfStream: false };
    if (kind === 'request_headers' || kind === 'response_headers') {
      const headers: Record<string, string> = {};
      for (const g of inner) {
        if (g.n === 1 && Buffer.isBuffer(g.value)) {
          for (const hv of readFields(g.value)) {
            if (hv.n !== 1 || !Buffer.isBuffer(hv.value)) continue;
            let k = '';
            let v = '';
            for (const x of readFields(hv.value)) {
              if (!Buffer.isBuffer(x.value)) continue;
              if (x.n === 1) k = x.value.toString('utf8');
              else if (x.n === 2 || x.n === 3) v = x.value.toString('utf8');
            }
            headers[k] = k in headers ? `${headers[k]},${v}` : v;
          }
        } else if (g.n === 3) req.endOfStream = g.value === 1;
      }
      req.headers = headers;
    } else if (kind === 'request_body' || kind === 'response_body') {
      req.body = Buffer.alloc(0);
      for (const g of inner) {
        if (g.n === 1 && Buffer.isBuffer(g.value)) req.body = Buffer.from(g.value);
        else if (g.n === 2) req.endOfStream = g.value === 1;
      }
    }
    return req;
  }
  throw new Error('ProcessingRequest without a request oneof');
}

// ---- server -----------------------------------------------------------------------------------------------------

/** Return the encoded ProcessingResponse, 'hang' to never answer, or 'default' for CONTINUE unchanged. */
export type Handler = (
  req: ProcessingRequest,
  stream: { requests: ProcessingRequest[] },
) => Buffer | 'hang' | 'default';

export interface FakeExtProc {
  port: number;
  /** Every ProcessingRequest seen, in order. */
  seen: ProcessingRequest[];
  setHandler(h: Handler): void;
  close(): Promise<void>;
}

function frame(msg: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt8(0, 0);
  h.writeUInt32BE(msg.length, 1);
  return Buffer.concat([h, msg]);
}

export async function startFakeExtProc(host = '127.0.0.1'): Promise<FakeExtProc> {
  let handler: Handler = () => 'default';
  const seen: ProcessingRequest[] = [];
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    if (headers[':path'] !== '/envoy.service.ext_proc.v3.ExternalProcessor/Process') {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' },
        { endStream: true },
      );
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    const ctx = { requests: [] as ProcessingRequest[] };
    let pending = Buffer.alloc(0);
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 5) {
        const len = pending.readUInt32BE(1);
        if (pending.length < 5 + len) break;
        const msg = pending.subarray(5, 5 + len);
        pending = pending.subarray(5 + len);
        const req = decodeProcessingRequest(Buffer.from(msg));
        seen.push(req);
        ctx.requests.push(req);
        const r = handler(req, ctx);
        if (r === 'hang') continue;
        let out: Buffer;
        if (r === 'default') {
          if (req.kind === 'request_trailers' || req.kind === 'response_trailers') {
            out = ld(req.kind === 'request_trailers' ? 5 : 6, Buffer.alloc(0));
          } else out = continueResponse(req.kind);
        } else out = r;
        if (!stream.destroyed) stream.write(frame(out));
      }
    });
    stream.on('end', () => {
      if (!stream.destroyed && !stream.closed) stream.end();
    });
    stream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    seen,
    setHandler: (h) => {
      handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
