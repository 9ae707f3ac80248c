// Helpers for the budget and alert tests: spend-ledger records written straight into the table (as the ledger
// writer would), and an HTTP receiver standing in for webhook and Slack endpoints.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from '../../src/db/database.js';

export interface LedgerRecord {
  orgId: string;
  costUsd: number | null;
  startedAt: Date;
  teamId?: string | null;
  userId?: string | null;
  keyId?: string | null;
  agent?: string | null;
  tags?: string[];
  modelRequested?: string;
}

export async function insertLedgerRecord(db: Database, record: LedgerRecord): Promise<string> {
  const requestId = randomUUID();
  await db.pool.query(
    `INSERT INTO spend_ledger (request_id, org_id, team_id, user_id, key_id, agent, tags, provider, endpoint,
                               model_requested, model, stream, status, decision, outcome, cost_usd, policy_version,
                               duration_ms, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'openai', 'chat.completions', $8, $8, false, 200, 'forwarded', 'complete',
             $9, 1, 12.5, $10)`,
    [
      requestId,
      record.orgId,
      record.teamId ?? null,
      record.userId ?? null,
      record.keyId ?? null,
      record.agent ?? null,
      record.tags ?? [],
      record.modelRequested ?? 'gpt-4o-mini',
      record.costUsd,
      record.startedAt.toISOString(),
    ],
  );
  return requestId;
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local HTTP endpoint recording every request; `respond` picks each answer's status by path. */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly statuses = new Map<string, number[]>();
  private server: Server | null = null;
  url = '';

  /** The next answers for `path`, in order; after them (and for other paths) 200. */
  respond(path: string, ...statuses: number[]): void {
    this.statuses.set(path, statuses);
  }

  received(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        this.requests.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        const status = this.statuses.get(path)?.shift() ?? 200;
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'boom');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Start of the current UTC calendar month, as a monthly budget in UTC sees it. */
export function monthStartUtc(nowMs: number): Date {
  const now = new Date(nowMs);
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}
