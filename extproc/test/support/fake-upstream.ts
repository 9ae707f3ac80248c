/**
 * A faithful fake OpenAI + Anthropic upstream for tests and benchmarks (plain HTTP/1.1, keep-alive).
 *
 *   POST …/chat/completions            OpenAI Chat Completions (any path prefix, e.g. /openai/v1/chat/completions)
 *   POST …/v1/messages                 Anthropic Messages
 *   POST …/v1/messages/count_tokens    Anthropic token counting
 *   GET  /healthz                      "ok" (not recorded)
 *
 * Behaviour is steered per request by `x-fake-*` headers (listed below; parsed by `parseControls` in
 * fake-common.ts); usage is deterministic (formula in fake-common.ts; `expectedOpenAIUsage` /
 * `expectedAnthropicUsage` compute it) and every exchange is recorded in `interactions`.
 *
 * Auth: OpenAI needs `Authorization: Bearer <key>`; Anthropic takes `x-api-key: <key>` or `Authorization: Bearer
 * <key>` (what @anthropic-ai/sdk ≥1 sends) plus an `anthropic-version` header. Any non-empty key not containing
 * "invalid" is accepted unless `openaiApiKeys` / `anthropicApiKeys` restrict it; the key seen is recorded as
 * `Interaction.apiKey`. Model names matching `isUnknownModel` (e.g. `nonexistent-model`, `*-wrong`) get a 404.
 *
 * Header controls:
 *   x-fake-status: 400|401|403|404|429|500|503|529…  error in the provider's shape (429: retry-after header;
 *                                                    Anthropic 503/529 → 529 overloaded_error)
 *   x-fake-chunk-bytes: N | x-fake-chunk-pattern: 1,7,3   write the body in writes of these sizes (cycled)
 *   x-fake-delay-ms: N                 wait N ms between writes
 *   x-fake-first-byte-delay-ms: N      wait N ms before the response head
 *   x-fake-pieces: N                   content pieces (= completion tokens) to generate (default 12)
 *   x-fake-reply: TEXT                 answer with TEXT (4-code-point pieces) instead of the generated vocabulary
 *   x-fake-prompt-tokens: N            override the computed uncached prompt tokens
 *   x-fake-cached-tokens: N            cache-read tokens (OpenAI cached_tokens / Anthropic cache_read_input_tokens)
 *   x-fake-cache-write-tokens: N       Anthropic cache_creation_input_tokens
 *   x-fake-reasoning-tokens: N         hidden reasoning tokens (part of completion/output tokens)
 *   x-fake-tool-calls: N               force N tool calls (0 = never) when the request has tools
 *   x-fake-stream-error: after:N       in-stream error after N content events, then end
 *   x-fake-hang: 1                     accept the request and never answer
 *   x-fake-retry-after: S              retry-after value for 429/503/529 (default 1)
 *   x-fake-service-tier: T             reported service tier
 *   x-fake-anthropic-delta-usage: full|output-only   message_delta.usage shape (default full)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AnthropicUsage, anthropicNotFound, handleAnthropic } from './fake-anthropic.js';
import {
  ControlError,
  type Controls,
  type HeaderMap,
  parseControls,
  type ResponsePlan,
} from './fake-common.js';
import { handleOpenAI, type OpenAIUsage, openAIInvalidUrl } from './fake-openai.js';
import { defaultAcceptsKey, type FakeRequest } from './fake-request.js';

export {
  ANTHROPIC_DATED_MODELS,
  type AnthropicUsage,
  anthropicInputTokens,
  anthropicResponseModel,
  expectedAnthropicUsage,
} from './fake-anthropic.js';
export {
  DEFAULT_PIECES,
  FAKE_VOCAB,
  fakePieces,
  fakeText,
  NON_TEXT_PART_TOKENS,
  textTokens,
} from './fake-common.js';
export {
  expectedOpenAIUsage,
  OPENAI_DATED_MODELS,
  type OpenAIUsage,
  openAIPromptTokens,
  openAIResponseModel,
} from './fake-openai.js';
export { isUnknownModel } from './fake-request.js';

export interface FakeUpstreamOptions {
  /** 0 / undefined = an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** If set, only these OpenAI keys are accepted (default: any non-empty key not containing "invalid"). */
  openaiApiKeys?: string[];
  /** If set, only these Anthropic keys are accepted (default: any non-empty key not containing "invalid"). */
  anthropicApiKeys?: string[];
  /** `x-fake-*` header defaults applied to every request that does not set them (e.g. for benchmarks). */
  defaultControls?: Record<string, string>;
  /** Keep at most this many interactions (oldest dropped). Default: unlimited. */
  maxInteractions?: number;
}

export interface Interaction {
  /** Sequence number since the server started. */
  id: number;
  method: string;
  /** Request path including any query string, as received. */
  path: string;
  /** Request headers (lower-case names). */
  headers: Record<string, string | string[]>;
  body: Buffer;
  json: unknown | null;
  provider: 'openai' | 'anthropic' | null;
  /** The provider key the fake saw (OpenAI bearer token / Anthropic x-api-key). */
  apiKey: string | null;
  /** Requested model (from the body). */
  model: string | null;
  stream: boolean;
  /** Response status (0 until the head is written). */
  status: number;
  responseHeaders: Record<string, string>;
  /** Exact bytes written so far. */
  readonly responseBody: Buffer;
  /** Size of each write, in order. */
  writes: number[];
  /** The response was fully written and ended. */
  completed: boolean;
  /** The client / proxy went away before the response ended. */
  closedEarly: boolean;
  /** `x-fake-hang` — the fake will never answer. */
  hung: boolean;
  /** The usage object as reported in the response (set once the bytes carrying it were written), else null. */
  usage: OpenAIUsage | AnthropicUsage | null;
  /** The usage the fake computed even when it did not report it (errors: null). */
  plannedUsage: OpenAIUsage | AnthropicUsage | null;
  startedAt: number;
  endedAt: number | null;
}

export interface FakeUpstream {
  /** e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Live array (cleared in place by reset()). */
  interactions: Interaction[];
  reset(): void;
  /**
   * Resolves once at least `n` recorded interactions are settled: the response completed, the peer closed
   * early, or the request is hanging on purpose (`x-fake-hang`). Rejects after `timeoutMs` (default 5000).
   */
  waitForInteractions(n: number, timeoutMs?: number): Promise<void>;
}

function isSettled(i: Interaction): boolean {
  return i.completed || i.closedEarly || i.hung;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) {
      resolve();
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Re-split a body into writes of the given sizes (cycled); the last write may be shorter. */
export function splitWrites(body: Buffer, pattern: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  let i = 0;
  while (offset < body.length) {
    const size = pattern[i % pattern.length] as number;
    out.push(body.subarray(offset, offset + size));
    offset += size;
    i++;
  }
  return out;
}

function plainHeaders(h: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = v;
  return out;
}

function controlErrorPlan(message: string): ResponsePlan {
  const error = {
    message: `fake-upstream: ${message}`,
    type: 'invalid_request_error',
    param: null,
    code: 'fake_control_error',
  };
  return {
    status: 400,
    headers: { 'content-type': 'application/json' },
    chunks: [Buffer.from(`${JSON.stringify({ error }, null, 4)}\n`, 'utf8')],
    sse: false,
    usage: null,
    usageChunkIndex: -1,
    plannedUsage: null,
    provider: 'openai',
    apiKey: null,
    model: null,
    stream: false,
  };
}

type Route = 'openai' | 'anthropic' | 'openai-404' | 'anthropic-404';

function route(path: string, headers: HeaderMap): Route {
  if (path.endsWith('/chat/completions')) return 'openai';
  if (path.endsWith('/v1/messages') || path.endsWith('/v1/messages/count_tokens')) return 'anthropic';
  if (headers['anthropic-version'] !== undefined || headers['x-api-key'] !== undefined)
    return 'anthropic-404';
  return 'openai-404';
}

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const host = options.host ?? '127.0.0.1';
  const interactions: Interaction[] = [];
  const waiters = new Set<() => void>();
  const active = new Set<AbortController>();
  const defaults: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.defaultControls ?? {})) defaults[k.toLowerCase()] = v;
  let seq = 0;

  const notify = () => {
    for (const w of [...waiters]) w();
  };

  const acceptsKey = (provider: 'openai' | 'anthropic', key: string) =>
    defaultAcceptsKey(provider === 'openai' ? options.openaiApiKeys : options.anthropicApiKeys, key);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const startedMs = performance.now();
    const rawUrl = req.url ?? '/';
    const path = rawUrl.split('?')[0] as string;
    const method = req.method ?? 'GET';
    if (method === 'GET' && (path === '/healthz' || path === '/health')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }

    const parts: Buffer[] = [];
    let cached: Buffer | null = Buffer.alloc(0);
    const interaction: Interaction = {
      id: seq++,
      method,
      path: rawUrl,
      headers: plainHeaders(req.headers),
      body: Buffer.alloc(0),
      json: null,
      provider: null,
      apiKey: null,
      model: null,
      stream: false,
      status: 0,
      responseHeaders: {},
      get responseBody(): Buffer {
        if (cached === null) cached = Buffer.concat(parts);
        return cached;
      },
      writes: [],
      completed: false,
      closedEarly: false,
      hung: false,
      usage: null,
      plannedUsage: null,
      startedAt: Date.now(),
      endedAt: null,
    };
    interactions.push(interaction);
    if (options.maxInteractions !== undefined && interactions.length > options.maxInteractions) {
      interactions.splice(0, interactions.length - options.maxInteractions);
    }

    const abort = new AbortController();
    active.add(abort);
    let closed = false;
    res.on('error', () => {});
    res.on('finish', () => {
      interaction.completed = true;
      interaction.endedAt = Date.now();
      notify();
    });
    res.on('close', () => {
      closed = true;
      active.delete(abort);
      abort.abort();
      if (!res.writableFinished) {
        interaction.closedEarly = true;
        interaction.endedAt = Date.now();
      }
      notify();
    });

    try {
      for await (const c of req) parts.push(c as Buffer);
    } catch {
      // Client went away while sending the body; 'close' records it.
    }
    interaction.body = Buffer.concat(parts);
    parts.length = 0;
    if (closed) return;

    let json: unknown | null = null;
    let jsonError = false;
    if (interaction.body.length > 0) {
      try {
        json = JSON.parse(interaction.body.toString('utf8'));
      } catch {
        jsonError = true;
      }
    }
    interaction.json = json;

    const merged: HeaderMap = { ...defaults, ...req.headers };
    let controls: Controls | null = null;
    let controlError = 'invalid controls';
    let plan: ResponsePlan;
    try {
      controls = parseControls(merged);
    } catch (e) {
      if (!(e instanceof ControlError)) throw e;
      controlError = e.message;
    }

    if (controls?.hang) {
      interaction.hung = true;
      notify();
      return; // never answer; close() or the peer tears the connection down
    }
    if (controls && controls.firstByteDelayMs > 0) {
      await sleep(controls.firstByteDelayMs, abort.signal);
      if (closed) return;
    }

    if (controls === null) {
      plan = controlErrorPlan(controlError);
    } else {
      const fakeReq: FakeRequest = {
        method,
        path,
        headers: req.headers,
        body: interaction.body,
        json,
        jsonError,
        controls,
        acceptsKey,
        elapsedMs: () => performance.now() - startedMs,
      };
      switch (route(path, req.headers)) {
        case 'openai':
          plan = handleOpenAI(fakeReq);
          break;
        case 'anthropic':
          plan = handleAnthropic(fakeReq);
          break;
        case 'anthropic-404':
          plan = anthropicNotFound(fakeReq);
          break;
        default:
          plan = openAIInvalidUrl(fakeReq);
      }
    }

    interaction.provider = plan.provider;
    interaction.apiKey = plan.apiKey;
    interaction.model = plan.model;
    interaction.stream = plan.stream;
    interaction.plannedUsage = plan.plannedUsage as Interaction['plannedUsage'];

    const body = Buffer.concat(plan.chunks);
    const headers: Record<string, string> = { ...plan.headers };
    if (!plan.sse) headers['content-length'] = String(body.length);
    interaction.status = plan.status;
    interaction.responseHeaders = headers;
    res.writeHead(plan.status, headers);
    if (plan.sse) res.flushHeaders();

    const writes = controls?.chunkPattern ? splitWrites(body, controls.chunkPattern) : plan.chunks;
    let usageAt = -1;
    if (plan.usageChunkIndex >= 0) {
      usageAt = 0;
      for (let i = 0; i <= plan.usageChunkIndex; i++) usageAt += (plan.chunks[i] as Buffer).length;
    }
    const delay = controls?.delayMs ?? 0;
    let written = 0;
    for (let i = 0; i < writes.length; i++) {
      if (i > 0 && delay > 0) await sleep(delay, abort.signal);
      if (closed) return;
      const w = writes[i] as Buffer;
      parts.push(w);
      cached = null;
      interaction.writes.push(w.length);
      written += w.length;
      if (usageAt >= 0 && written >= usageAt) interaction.usage = plan.usage as Interaction['usage'];
      const ok = res.write(w);
      if (!ok && !closed) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    if (!closed) res.end();
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake-upstream internal error: ${String(err)}`);
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  const upstream: FakeUpstream = {
    url: `http://${urlHost}:${port}`,
    port,
    interactions,
    reset() {
      interactions.splice(0, interactions.length);
    },
    waitForInteractions(n: number, timeoutMs = 5000): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (interactions.filter(isSettled).length >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const settled = interactions.filter(isSettled).length;
          reject(
            new Error(
              `fake upstream: timed out after ${timeoutMs}ms waiting for ${n} settled interactions ` +
                `(have ${interactions.length}, settled ${settled})`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        for (const a of active) a.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return upstream;
}
