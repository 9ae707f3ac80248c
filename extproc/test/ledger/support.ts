// Shared by the ledger tests (extproc's and the control plane's): records, a spool directory, a switchable TCP
// proxy to make Redis unreachable without losing its data, and waiting for a condition.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestRecord } from '../../src/pipeline/request-record.js';

export const ORG_ID = '6f1c2d4e-1111-4000-8000-000000000001';

/** Record number `i`; its cost is `costNanos(i)` billionths of a dollar, exact in numeric(20, 9). */
export function makeRecord(i: number, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId: `req-${i}`,
    startedAt: Date.UTC(2026, 0, 1) + i * 1000,
    keyId: 'key-a',
    orgId: ORG_ID,
    teamId: null,
    userId: null,
    agent: null,
    tags: [],
    policyVersion: 1,
    provider: 'openai',
    endpoint: 'chat_completions',
    requestedModel: 'gpt-4o-mini',
    model: 'gpt-4o-mini',
    stream: false,
    status: 200,
    decision: 'forwarded',
    outcome: 'complete',
    usage: {
      inputTokens: 100 + i,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 10,
      reasoningTokens: 0,
    },
    costUsd: costNanos(i) / 1e9,
    reservedCostUsd: null,
    route: null,
    counterfactualCostUsd: null,
    securityStatus: null,
    securityFindings: [],
    durationMs: 12.5,
    ...overrides,
  };
}

export const costNanos = (i: number) => 1000 + i * 7;

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `check` until it holds; throws with `what` if it never does. Waits for a state, asserts no duration. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A TCP proxy to `target` on a fixed port that can be switched off (connections cut, port closed) and on again. */
export class SwitchableProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (typeof address === 'object' && address) this.port = address.port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export function redisTarget(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}
