// Reads of spend_ledger for the tenant API. Queries run inside withTenant, so row-level security limits them to the
// caller's org; the explicit org_id condition is there for the (org_id, started_at) index.
import type { Static } from 'typebox';
import type { Tx } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type {
  GroupBy,
  SpendFilters,
  SpendListQuery,
  SpendRecord,
  SpendSummary,
  SpendSummaryQuery,
} from './schemas.js';

type Filters = Static<typeof SpendFilters>;

interface LedgerRow {
  request_id: string;
  started_at: Date;
  started_us: string;
  recorded_at: Date;
  key_id: string | null;
  team_id: string | null;
  user_id: string | null;
  agent: string | null;
  tags: string[];
  provider: string;
  endpoint: string;
  model_requested: string | null;
  model: string | null;
  stream: boolean;
  status: number;
  decision: string;
  outcome: string;
  input_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  output_tokens: number | null;
  reasoning_tokens: number | null;
  cost_usd: number | null;
  reserved_cost_usd: number | null;
  counterfactual_cost_usd: number | null;
  route: string | null;
  security_status: string | null;
  deployment_chain: string[];
  upstream_deployment: string | null;
  upstream_attempts: number | null;
  policy_version: number;
  duration_ms: number;
}

/** WHERE conditions and their parameters; `$1` is the org. */
class Conditions {
  readonly sql: string[] = ['org_id = $1'];
  readonly params: unknown[];

  constructor(orgId: string) {
    this.params = [orgId];
  }

  add(sql: string, ...values: unknown[]): void {
    let text = sql;
    for (const value of values) {
      this.params.push(value);
      text = text.replace('?', `$${this.params.length}`);
    }
    this.sql.push(text);
  }

  get where(): string {
    return this.sql.join(' AND ');
  }
}

function filtered(orgId: string, filters: Filters): Conditions {
  const conditions = new Conditions(orgId);
  if (filters.key !== undefined) conditions.add('key_id = ?', filters.key);
  if (filters.team !== undefined) conditions.add('team_id = ?::uuid', filters.team);
  if (filters.user !== undefined) conditions.add('user_id = ?::uuid', filters.user);
  if (filters.agent !== undefined) conditions.add('agent = ?', filters.agent);
  if (filters.tag !== undefined) conditions.add('tags @> ARRAY[?]::text[]', filters.tag);
  if (filters.model !== undefined) conditions.add('model = ?', filters.model);
  if (filters.from !== undefined) conditions.add('started_at >= ?::timestamptz', filters.from);
  if (filters.to !== undefined) conditions.add('started_at < ?::timestamptz', filters.to);
  return conditions;
}

/** Position in the (started_at, request_id) descending order; microseconds, which a JS Date would round. */
function encodeCursor(row: LedgerRow): string {
  return Buffer.from(`${row.started_us}:${row.request_id}`, 'utf8').toString('base64url');
}

function decodeCursor(text: string): { startedUs: string; requestId: string } {
  const match = /^(\d{1,20}):(.+)$/s.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2]) {
    throw new AppError('validation_failed', 'querystring.cursor is not a cursor returned by this API', {
      field: 'cursor',
      location: 'querystring',
    });
  }
  return { startedUs: match[1], requestId: match[2] };
}

function toRecord(row: LedgerRow): Static<typeof SpendRecord> {
  return {
    requestId: row.request_id,
    startedAt: row.started_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    keyId: row.key_id,
    teamId: row.team_id,
    userId: row.user_id,
    agent: row.agent,
    tags: row.tags,
    provider: row.provider,
    endpoint: row.endpoint,
    requestedModel: row.model_requested,
    model: row.model,
    stream: row.stream,
    status: row.status,
    decision: row.decision,
    outcome: row.outcome,
    usage:
      row.input_tokens === null
        ? null
        : {
            inputTokens: row.input_tokens,
            cacheReadTokens: row.cache_read_tokens ?? 0,
            cacheWriteTokens: row.cache_write_tokens ?? 0,
            outputTokens: row.output_tokens ?? 0,
            reasoningTokens: row.reasoning_tokens ?? 0,
          },
    costUsd: row.cost_usd,
    reservedCostUsd: row.reserved_cost_usd,
    counterfactualCostUsd: row.counterfactual_cost_usd,
    route: row.route,
    securityStatus: row.security_status,
    deploymentChain: row.deployment_chain,
    upstreamDeployment: row.upstream_deployment,
    upstreamAttempts: row.upstream_attempts,
    policyVersion: row.policy_version,
    durationMs: row.duration_ms,
  };
}

/** Newest first; the cursor continues strictly after the last row, so rows arriving meanwhile never shift a page. */
export async function listSpend(tx: Tx, orgId: string, query: Static<typeof SpendListQuery>) {
  const limit = query.limit ?? 50;
  const conditions = filtered(orgId, query);
  if (query.cursor !== undefined) {
    const cursor = decodeCursor(query.cursor);
    conditions.add(
      `(started_at, request_id) < (timestamptz 'epoch' + ?::bigint * interval '1 microsecond', ?)`,
      cursor.startedUs,
      cursor.requestId,
    );
  }
  conditions.params.push(limit + 1);
  const { rows } = await tx.query<LedgerRow>(
    `SELECT *, (extract(epoch FROM started_at) * 1000000)::bigint::text AS started_us
       FROM spend_ledger WHERE ${conditions.where}
      ORDER BY started_at DESC, request_id DESC LIMIT $${conditions.params.length}`,
    conditions.params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(toRecord), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

const GROUP_KEYS: Record<GroupBy, string> = {
  model: 'model',
  key: 'key_id',
  team: 'team_id::text',
  user: 'user_id::text',
  agent: 'agent',
  day: `to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
};

// Sums of bigint and numeric come back as numeric, which the pool parses into numbers.
const TOTALS_SQL = `count(*) AS requests,
  COALESCE(sum(input_tokens), 0) AS input_tokens,
  COALESCE(sum(cache_read_tokens), 0) AS cache_read_tokens,
  COALESCE(sum(cache_write_tokens), 0) AS cache_write_tokens,
  COALESCE(sum(output_tokens), 0) AS output_tokens,
  COALESCE(sum(reasoning_tokens), 0) AS reasoning_tokens,
  COALESCE(sum(cost_usd), 0) AS cost_usd,
  count(*) FILTER (WHERE cost_usd IS NULL AND input_tokens IS NOT NULL) AS unpriced_requests`;

interface TotalsRow {
  requests: number;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cost_usd: number;
  unpriced_requests: number;
}

function toTotals(row: TotalsRow) {
  return {
    requests: Number(row.requests),
    inputTokens: Number(row.input_tokens),
    cacheReadTokens: Number(row.cache_read_tokens),
    cacheWriteTokens: Number(row.cache_write_tokens),
    outputTokens: Number(row.output_tokens),
    reasoningTokens: Number(row.reasoning_tokens),
    costUsd: Number(row.cost_usd),
    unpricedRequests: Number(row.unpriced_requests),
  };
}

export async function summariseSpend(
  tx: Tx,
  orgId: string,
  query: Static<typeof SpendSummaryQuery>,
): Promise<Static<typeof SpendSummary>> {
  const groupBy = query.groupBy ?? 'model';
  const conditions = filtered(orgId, query);
  const order = groupBy === 'day' ? 'key' : 'cost_usd DESC, requests DESC, key';
  const { rows: groups } = await tx.query<TotalsRow & { key: string | null }>(
    `SELECT ${GROUP_KEYS[groupBy]} AS key, ${TOTALS_SQL}
       FROM spend_ledger WHERE ${conditions.where}
      GROUP BY 1 ORDER BY ${order} NULLS LAST LIMIT $${conditions.params.length + 1}`,
    [...conditions.params, query.limit ?? 100],
  );
  const { rows: totals } = await tx.query<TotalsRow>(
    `SELECT ${TOTALS_SQL} FROM spend_ledger WHERE ${conditions.where}`,
    conditions.params,
  );
  return {
    groupBy,
    from: query.from ?? null,
    to: query.to ?? null,
    groups: groups.map((row) => ({ key: row.key, ...toTotals(row) })),
    totals: toTotals(totals[0] as TotalsRow),
  };
}
