// Rate limits: requests and/or tokens per minute for one key or for a team's keys together. One limit per subject;
// at least one of the two rates is set (a limit of nothing is a deleted limit).
import type { Static } from 'typebox';
import { type AuditActor, recordAudit } from '../../audit/audit.js';
import { checkSubject } from '../../budgets/subjects.js';
import type { Tx } from '../../db/database.js';
import { fail } from '../../errors.js';
import { CREATED_US_SQL, listOrgPage } from '../common.js';
import type { CreateRateLimitBody, RateLimit, RateLimitListQuery, UpdateRateLimitBody } from './schemas.js';

export type RateLimitView = Static<typeof RateLimit>;

interface RateLimitRow {
  id: string;
  org_id: string;
  scope: RateLimitView['scope'];
  subject: string;
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  created_at: Date;
  updated_at: Date;
  created_us: string;
}

const COLUMNS = `id, org_id, scope, subject, requests_per_minute, tokens_per_minute, created_at, updated_at,
  ${CREATED_US_SQL}`;

function toView(row: RateLimitRow): RateLimitView {
  return {
    id: row.id,
    orgId: row.org_id,
    scope: row.scope,
    subject: row.subject,
    requestsPerMinute: row.requests_per_minute,
    tokensPerMinute: row.tokens_per_minute,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function assertSomeRate(requestsPerMinute: number | null, tokensPerMinute: number | null): void {
  if (requestsPerMinute === null && tokensPerMinute === null) {
    throw fail.validation('requestsPerMinute', 'Set requestsPerMinute, tokensPerMinute or both');
  }
}

export async function listRateLimits(tx: Tx, orgId: string, query: Static<typeof RateLimitListQuery>) {
  return listOrgPage(tx, { table: 'rate_limits', columns: COLUMNS }, orgId, query, toView, {
    scope: query.scope,
    subject: query.subject,
  });
}

export async function getRateLimit(tx: Tx, orgId: string, id: string, lock = false): Promise<RateLimitView> {
  const { rows } = await tx.query<RateLimitRow>(
    `SELECT ${COLUMNS} FROM rate_limits WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [id, orgId],
  );
  if (!rows[0]) throw fail.notFound('Rate limit');
  return toView(rows[0]);
}

export async function createRateLimit(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  input: Static<typeof CreateRateLimitBody>,
): Promise<RateLimitView> {
  const requestsPerMinute = input.requestsPerMinute ?? null;
  const tokensPerMinute = input.tokensPerMinute ?? null;
  assertSomeRate(requestsPerMinute, tokensPerMinute);
  const subject = (await checkSubject(tx, orgId, input.scope, input.subject)) as string;
  const existing = await tx.query<{ id: string }>(
    'SELECT id FROM rate_limits WHERE org_id = $1 AND scope = $2 AND subject = $3',
    [orgId, input.scope, subject],
  );
  if (existing.rows[0]) {
    throw fail.conflict(`This ${input.scope} already has a rate limit; change that one`, {
      field: 'subject',
      id: existing.rows[0].id,
    });
  }
  const { rows } = await tx.query<RateLimitRow>(
    `INSERT INTO rate_limits (org_id, scope, subject, requests_per_minute, tokens_per_minute)
     VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [orgId, input.scope, subject, requestsPerMinute, tokensPerMinute],
  );
  const created = toView(rows[0] as RateLimitRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'rate_limit.create',
    resourceType: 'rate_limit',
    resourceId: created.id,
    after: created,
  });
  return created;
}

export async function updateRateLimit(
  tx: Tx,
  orgId: string,
  actor: AuditActor,
  id: string,
  changes: Static<typeof UpdateRateLimitBody>,
): Promise<RateLimitView> {
  const before = await getRateLimit(tx, orgId, id, true);
  const requestsPerMinute =
    changes.requestsPerMinute === undefined ? before.requestsPerMinute : changes.requestsPerMinute;
  const tokensPerMinute =
    changes.tokensPerMinute === undefined ? before.tokensPerMinute : changes.tokensPerMinute;
  assertSomeRate(requestsPerMinute, tokensPerMinute);
  const { rows } = await tx.query<RateLimitRow>(
    `UPDATE rate_limits SET requests_per_minute = $3, tokens_per_minute = $4, updated_at = now()
     WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
    [id, orgId, requestsPerMinute, tokensPerMinute],
  );
  const after = toView(rows[0] as RateLimitRow);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'rate_limit.update',
    resourceType: 'rate_limit',
    resourceId: id,
    before,
    after,
  });
  return after;
}

export async function deleteRateLimit(tx: Tx, orgId: string, actor: AuditActor, id: string): Promise<void> {
  const before = await getRateLimit(tx, orgId, id, true);
  await tx.query('DELETE FROM rate_limits WHERE id = $1 AND org_id = $2', [id, orgId]);
  await recordAudit(tx, {
    orgId,
    actor,
    action: 'rate_limit.delete',
    resourceType: 'rate_limit',
    resourceId: id,
    before,
  });
}
