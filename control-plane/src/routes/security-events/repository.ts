// Reading security events, newest first, with keyset pagination on (created_at, id) descending.
import type { Static } from 'typebox';
import type { Tx } from '../../db/database.js';
import { CREATED_US_SQL, decodeCursor, encodeCursor } from '../common.js';
import type { SecurityEvent, SecurityEventListQuery } from './schemas.js';

type SecurityEventView = Static<typeof SecurityEvent>;
type Query = Static<typeof SecurityEventListQuery>;

interface EventRow {
  id: string;
  request_id: string;
  org_id: string;
  team_id: string | null;
  key_id: string | null;
  agent: string | null;
  detector: string;
  rule: string;
  severity: SecurityEventView['severity'];
  confidence: number;
  action: SecurityEventView['action'];
  fingerprint: string;
  location_kind: string;
  message_index: number;
  role: string;
  part_index: number;
  span_start: number;
  span_length: number;
  masked_excerpt: string;
  created_at: Date;
  recorded_at: Date;
  created_us: string;
}

function toView(row: EventRow): SecurityEventView {
  return {
    id: row.id,
    requestId: row.request_id,
    orgId: row.org_id,
    teamId: row.team_id,
    keyId: row.key_id,
    agent: row.agent,
    detector: row.detector,
    rule: row.rule,
    severity: row.severity,
    confidence: row.confidence,
    action: row.action,
    fingerprint: row.fingerprint,
    location: {
      kind: row.location_kind,
      messageIndex: row.message_index,
      role: row.role,
      partIndex: row.part_index,
      spanStart: row.span_start,
      spanLength: row.span_length,
    },
    maskedExcerpt: row.masked_excerpt,
    createdAt: row.created_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
  };
}

const FILTERS: Array<[keyof Query, string]> = [
  ['detector', 'detector'],
  ['severity', 'severity'],
  ['action', 'action'],
  ['keyId', 'key_id'],
  ['teamId', 'team_id'],
  ['agent', 'agent'],
  ['requestId', 'request_id'],
];

export async function listSecurityEvents(tx: Tx, orgId: string, query: Query) {
  const limit = query.limit ?? 50;
  const params: unknown[] = [orgId];
  const where = ['org_id = $1'];
  for (const [name, column] of FILTERS) {
    if (query[name] === undefined) continue;
    params.push(query[name]);
    where.push(`${column} = $${params.length}`);
  }
  if (query.from !== undefined) {
    params.push(query.from);
    where.push(`created_at >= $${params.length}::timestamptz`);
  }
  if (query.to !== undefined) {
    params.push(query.to);
    where.push(`created_at < $${params.length}::timestamptz`);
  }
  if (query.cursor !== undefined) {
    const cursor = decodeCursor(query.cursor);
    params.push(cursor.createdUs, cursor.id);
    where.push(
      `(created_at, id) < (timestamptz 'epoch' + $${params.length - 1}::bigint * interval '1 microsecond', $${params.length}::uuid)`,
    );
  }
  params.push(limit + 1);
  const { rows } = await tx.query<EventRow>(
    `SELECT id, request_id, org_id, team_id, key_id, agent, detector, rule, severity, confidence, action, fingerprint,
            location_kind, message_index, role, part_index, span_start, span_length, masked_excerpt, created_at,
            recorded_at, ${CREATED_US_SQL}
       FROM security_events WHERE ${where.join(' AND ')}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toView),
    nextCursor:
      rows.length > limit && last ? encodeCursor({ createdUs: last.created_us, id: last.id }) : null,
  };
}
