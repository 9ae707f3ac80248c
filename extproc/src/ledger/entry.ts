// A request record as the ledger carries it: one JSON text, the same in the Redis stream, the HTTP batch and the
// local spool, so a record is serialised once and replayed byte for byte.
import { randomUUID } from 'node:crypto';
import type { RequestRecord } from '../pipeline/request-record.js';
import {
  LEDGER_MAX_CHAIN,
  LEDGER_MAX_ID_LENGTH,
  LEDGER_MAX_TAGS,
  LEDGER_MAX_TEXT_LENGTH,
} from './constants.js';

function clip(value: string, max: number): string;
function clip(value: string | null, max: number): string | null;
function clip(value: string | null, max: number): string | null {
  return value !== null && value.length > max ? value.slice(0, max) : value;
}

const finiteOrNull = (value: number | null) => (value !== null && Number.isFinite(value) ? value : null);

/**
 * Shortens client-controlled strings and replaces non-finite numbers (which JSON would turn into null) so the writer
 * never has to refuse a record, and keeps any field added to RequestRecord later.
 */
export function ledgerEntry(record: RequestRecord): string {
  return JSON.stringify({
    ...record,
    // A stream that ended before its request headers has no id yet; it still gets a row of its own.
    requestId: clip(record.requestId || randomUUID(), LEDGER_MAX_ID_LENGTH),
    keyId: clip(record.keyId, LEDGER_MAX_ID_LENGTH),
    agent: clip(record.agent, LEDGER_MAX_TEXT_LENGTH),
    tags: record.tags.slice(0, LEDGER_MAX_TAGS).map((tag) => clip(tag, LEDGER_MAX_TEXT_LENGTH)),
    endpoint: clip(record.endpoint, LEDGER_MAX_TEXT_LENGTH),
    requestedModel: clip(record.requestedModel, LEDGER_MAX_TEXT_LENGTH),
    model: clip(record.model, LEDGER_MAX_TEXT_LENGTH),
    outcome: clip(record.outcome, LEDGER_MAX_TEXT_LENGTH),
    route: clip(record.route, LEDGER_MAX_TEXT_LENGTH),
    securityStatus: clip(record.securityStatus, LEDGER_MAX_TEXT_LENGTH),
    costUsd: finiteOrNull(record.costUsd),
    reservedCostUsd: finiteOrNull(record.reservedCostUsd),
    counterfactualCostUsd: finiteOrNull(record.counterfactualCostUsd),
    durationMs: Number.isFinite(record.durationMs) ? Math.max(0, record.durationMs) : 0,
    deploymentChain: (record.deploymentChain ?? [])
      .slice(0, LEDGER_MAX_CHAIN)
      .map((id) => clip(id, LEDGER_MAX_ID_LENGTH)),
    // Envoy's response header: shortened like any other value that crossed a process boundary.
    upstreamDeployment: clip(record.upstreamDeployment ?? null, LEDGER_MAX_ID_LENGTH),
    upstreamAttempts: record.upstreamAttempts ?? null,
  });
}
