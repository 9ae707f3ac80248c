// Writes spend records into spend_ledger, idempotently: the request id is the primary key and a record already
// there is skipped, so a batch redelivered after a crash (or sent twice by a replayed spool) counts once.
import type { Database, Tx } from '../db/database.js';
import { insertSecurityEvents } from '../security/events-repository.js';
import type { LedgerRecord } from './record.js';

export interface StoreResult {
  /** Rows added; records whose request id was already stored are not counted. */
  inserted: number;
  /** Records the database refused (bad data); the rest of the batch is stored without them. */
  failed: Array<{ index: number; message: string }>;
  /** Records stored without their security events, which the database refused. */
  eventsDropped: number;
}

// One parameter for the whole batch; jsonb_to_recordset turns it into typed rows (tags into text[]).
const INSERT_SQL = `
  INSERT INTO spend_ledger (request_id, org_id, team_id, user_id, key_id, agent, tags, provider, endpoint,
    model_requested, model, stream, status, decision, outcome, input_tokens, cache_read_tokens, cache_write_tokens,
    output_tokens, reasoning_tokens, cost_usd, reserved_cost_usd, counterfactual_cost_usd, route, security_status,
    deployment_chain, upstream_deployment, upstream_attempts, policy_version, duration_ms, started_at)
  SELECT request_id, org_id, team_id, user_id, key_id, agent, COALESCE(tags, '{}'), provider, endpoint,
    model_requested, model, stream, status, decision, outcome, input_tokens, cache_read_tokens, cache_write_tokens,
    output_tokens, reasoning_tokens, cost_usd, reserved_cost_usd, counterfactual_cost_usd, route, security_status,
    COALESCE(deployment_chain, '{}'), upstream_deployment, upstream_attempts, policy_version, duration_ms, started_at
    FROM jsonb_to_recordset($1::jsonb) AS r(request_id text, org_id uuid, team_id uuid, user_id uuid, key_id text,
      agent text, tags text[], provider text, endpoint text, model_requested text, model text, stream boolean,
      status integer, decision text, outcome text, input_tokens bigint, cache_read_tokens bigint,
      cache_write_tokens bigint, output_tokens bigint, reasoning_tokens bigint, cost_usd numeric,
      reserved_cost_usd numeric, counterfactual_cost_usd numeric, route text, security_status text,
      deployment_chain text[], upstream_deployment text, upstream_attempts integer, policy_version bigint, duration_ms double precision, started_at timestamptz)
  ON CONFLICT (request_id) DO NOTHING`;

function toRow(record: LedgerRecord) {
  const usage = record.usage;
  return {
    request_id: record.requestId,
    org_id: record.orgId,
    team_id: record.teamId,
    user_id: record.userId,
    key_id: record.keyId,
    agent: record.agent ?? null,
    tags: record.tags ?? [],
    provider: record.provider,
    endpoint: record.endpoint,
    model_requested: record.requestedModel,
    model: record.model,
    stream: record.stream,
    status: record.status,
    decision: record.decision,
    outcome: record.outcome,
    input_tokens: usage?.inputTokens ?? null,
    cache_read_tokens: usage?.cacheReadTokens ?? null,
    cache_write_tokens: usage?.cacheWriteTokens ?? null,
    output_tokens: usage?.outputTokens ?? null,
    reasoning_tokens: usage?.reasoningTokens ?? null,
    cost_usd: record.costUsd,
    reserved_cost_usd: record.reservedCostUsd ?? null,
    counterfactual_cost_usd: record.counterfactualCostUsd ?? null,
    route: record.route ?? null,
    security_status: record.securityStatus ?? null,
    deployment_chain: record.deploymentChain ?? [],
    upstream_deployment: record.upstreamDeployment ?? null,
    upstream_attempts: record.upstreamAttempts ?? null,
    policy_version: record.policyVersion,
    duration_ms: record.durationMs,
    started_at: new Date(record.startedAt).toISOString(),
  };
}

/** The spend rows and, in the same transaction, the security events the records carry. */
async function insert(tx: Tx, records: LedgerRecord[], withEvents: boolean): Promise<number> {
  const result = await tx.query(INSERT_SQL, [JSON.stringify(records.map(toRow))]);
  if (withEvents) await insertSecurityEvents(tx, records);
  return result.rowCount ?? 0;
}

/** SQLSTATE classes 22 (data exception) and 23 (constraint violation): this data, not the database, is at fault. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * Stores a batch in one transaction. If the database refuses it for its data, each record is retried alone so only
 * the offending ones fail; a record whose security events are refused is stored without them rather than losing
 * its spend. Any other error (database unreachable) is thrown: nothing was stored, retry later.
 */
export async function storeLedgerRecords(db: Database, records: LedgerRecord[]): Promise<StoreResult> {
  const result: StoreResult = { inserted: 0, failed: [], eventsDropped: 0 };
  if (records.length === 0) return result;
  try {
    result.inserted = await db.withAdmin((tx) => insert(tx, records, true));
    return result;
  } catch (error) {
    if (!isDataError(error)) throw error;
  }
  for (const [index, record] of records.entries()) {
    try {
      result.inserted += await db.withAdmin((tx) => insert(tx, [record], true));
      continue;
    } catch (error) {
      if (!isDataError(error)) throw error;
    }
    try {
      result.inserted += await db.withAdmin((tx) => insert(tx, [record], false));
      result.eventsDropped++;
    } catch (error) {
      if (!isDataError(error)) throw error;
      result.failed.push({ index, message: (error as Error).message });
    }
  }
  return result;
}
