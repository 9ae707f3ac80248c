// Security events into PostgreSQL, from the request records extproc produces: one row per finding, written in the
// same transaction as the request's spend-ledger row. Records arrive over the wire (Redis stream, HTTP batch,
// replayed spool), so each finding is checked here and a malformed one is skipped rather than failing the batch;
// a record delivered twice inserts nothing the second time (unique request/fingerprint/location).
import type { Queryable } from '../policy/compile.js';

/** What the events are built from: extproc's RequestRecord and the ledger writer's record both fit. */
export interface SecurityEventSource {
  requestId: string;
  startedAt: number;
  orgId: string | null;
  teamId: string | null;
  keyId: string | null;
  agent?: string | null;
  securityFindings?: unknown;
}

export interface SecurityEventsResult {
  inserted: number;
  /** Findings that were not well-formed (an extproc bug or a tampered spool) and were left out. */
  skipped: number;
}

/** A request that matched thousands of times is one incident, not thousands of rows. */
export const MAX_EVENTS_PER_REQUEST = 100;

const SEVERITIES = new Set(['low', 'medium', 'high', 'critical']);
const ACTIONS = new Set(['flag', 'redact', 'block']);
const FINGERPRINT = /^[0-9a-f]{8,64}$/;

interface EventRow {
  request_id: string;
  org_id: string | null;
  team_id: string | null;
  key_id: string | null;
  agent: string | null;
  detector: string;
  rule: string;
  severity: string;
  confidence: number;
  action: string;
  fingerprint: string;
  location_kind: string;
  message_index: number;
  role: string;
  part_index: number;
  span_start: number;
  span_length: number;
  masked_excerpt: string;
  created_at: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = (value: unknown, min: number, max: number): value is string =>
  typeof value === 'string' && value.length >= min && value.length <= max;
const integer = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min;

function toRow(source: SecurityEventSource, finding: unknown): EventRow | null {
  if (!isRecord(finding) || !isRecord(finding.location)) return null;
  const { location } = finding;
  if (
    !text(finding.detector, 1, 64) ||
    !text(finding.rule, 1, 128) ||
    !SEVERITIES.has(finding.severity as string) ||
    typeof finding.confidence !== 'number' ||
    !(finding.confidence >= 0 && finding.confidence <= 1) ||
    !ACTIONS.has(finding.action as string) ||
    typeof finding.fingerprint !== 'string' ||
    !FINGERPRINT.test(finding.fingerprint) ||
    !text(location.kind, 1, 32) ||
    !integer(location.messageIndex, -1) ||
    typeof location.role !== 'string' ||
    !integer(location.partIndex, 0) ||
    !integer(location.start, 0) ||
    !integer(location.spanLength, 0) ||
    typeof finding.maskedExcerpt !== 'string'
  ) {
    return null;
  }
  return {
    request_id: source.requestId,
    org_id: source.orgId,
    team_id: source.teamId,
    key_id: source.keyId,
    agent: source.agent ?? null,
    detector: finding.detector,
    rule: finding.rule,
    severity: finding.severity as string,
    confidence: finding.confidence,
    action: finding.action as string,
    fingerprint: finding.fingerprint,
    location_kind: location.kind,
    message_index: location.messageIndex,
    role: location.role.slice(0, 64),
    part_index: location.partIndex,
    span_start: location.start,
    span_length: location.spanLength,
    masked_excerpt: finding.maskedExcerpt.slice(0, 200),
    created_at: new Date(source.startedAt).toISOString(),
  };
}

// One parameter for the whole batch, like the ledger insert; int4 columns reject out-of-range offsets on their own.
const INSERT_SQL = `
  INSERT INTO security_events (request_id, org_id, team_id, key_id, agent, detector, rule, severity, confidence,
    action, fingerprint, location_kind, message_index, role, part_index, span_start, span_length, masked_excerpt,
    created_at)
  SELECT request_id, org_id, team_id, key_id, agent, detector, rule, severity, confidence, action, fingerprint,
    location_kind, message_index, role, part_index, span_start, span_length, masked_excerpt, created_at
    FROM jsonb_to_recordset($1::jsonb) AS r(request_id text, org_id uuid, team_id uuid, key_id text, agent text,
      detector text, rule text, severity text, confidence real, action text, fingerprint text, location_kind text,
      message_index integer, role text, part_index integer, span_start integer, span_length integer,
      masked_excerpt text, created_at timestamptz)
  ON CONFLICT (request_id, fingerprint, location_kind, message_index, part_index, span_start) DO NOTHING`;

/**
 * Inserts the events of `records` (records without findings cost nothing). Call it inside the transaction that
 * stores the same records in spend_ledger, as the owner role: tenants cannot write security_events.
 */
export async function insertSecurityEvents(
  tx: Queryable,
  records: readonly SecurityEventSource[],
): Promise<SecurityEventsResult> {
  const rows: EventRow[] = [];
  let skipped = 0;
  for (const record of records) {
    const findings = record.securityFindings;
    if (!Array.isArray(findings) || findings.length === 0) continue;
    for (const finding of findings.slice(0, MAX_EVENTS_PER_REQUEST)) {
      const row = toRow(record, finding);
      if (row) rows.push(row);
      else skipped++;
    }
  }
  if (rows.length === 0) return { inserted: 0, skipped };
  const result = await tx.query(INSERT_SQL, [JSON.stringify(rows)]);
  return { inserted: result.rowCount ?? 0, skipped };
}
