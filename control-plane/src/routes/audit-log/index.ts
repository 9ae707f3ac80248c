// The audit trail, read-only and newest first, for admins. Rows are written by the mutations themselves (in their
// own transactions); there is deliberately no way to write or delete one through the API.
import { type Static, Type } from 'typebox';
import { principalOf, requireRole } from '../../auth/principal.js';
import type { Tx } from '../../db/database.js';
import { AppError, errorResponses } from '../../errors.js';
import { type RoutePlugin, Timestamp, Uuid } from '../common.js';

const AuditEntry = Type.Object(
  {
    id: Type.Integer(),
    orgId: Uuid,
    actorKind: Type.Union([Type.Literal('user'), Type.Literal('service_account'), Type.Literal('system')]),
    actorId: Type.Union([Uuid, Type.Null()]),
    action: Type.String(),
    resourceType: Type.String(),
    resourceId: Type.Union([Type.String(), Type.Null()]),
    before: Type.Unknown(),
    after: Type.Unknown(),
    createdAt: Timestamp,
  },
  { $id: 'AuditEntry' },
);

const AuditLogQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 40, description: 'nextCursor of the previous page' }),
  ),
  action: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: 'Exact, e.g. gateway_key.revoke' }),
  ),
  resourceType: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  resourceId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  actorId: Type.Optional(Uuid),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
});
type AuditLogQuery = Static<typeof AuditLogQuery>;

const AuditPage = Type.Object({
  items: Type.Array(AuditEntry),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

interface AuditRow {
  id: number;
  org_id: string;
  actor_kind: 'user' | 'service_account' | 'system';
  actor_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  before: unknown;
  after: unknown;
  created_at: Date;
}

// The id is the order of insertion: paging on it is stable while new rows arrive at the top.
function decodeCursor(cursor: string): number {
  const id = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new AppError('validation_failed', 'querystring.cursor is not a cursor returned by this API', {
      field: 'cursor',
      location: 'querystring',
    });
  }
  return id;
}

export async function listAuditLog(tx: Tx, orgId: string, query: AuditLogQuery) {
  const limit = query.limit ?? 50;
  const params: unknown[] = [orgId];
  const filters = ['org_id = $1'];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    filters.push(sql.replace('?', `$${params.length}`));
  };
  if (query.cursor !== undefined) add('id < ?', decodeCursor(query.cursor));
  if (query.action !== undefined) add('action = ?', query.action);
  if (query.resourceType !== undefined) add('resource_type = ?', query.resourceType);
  if (query.resourceId !== undefined) add('resource_id = ?', query.resourceId);
  if (query.actorId !== undefined) add('actor_id = ?', query.actorId);
  if (query.from !== undefined) add('created_at >= ?::timestamptz', query.from);
  if (query.to !== undefined) add('created_at < ?::timestamptz', query.to);
  params.push(limit + 1);
  const { rows } = await tx.query<AuditRow>(
    `SELECT id, org_id, actor_kind, actor_id, action, resource_type, resource_id, before, after, created_at
       FROM audit_log WHERE ${filters.join(' AND ')} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((row) => ({
      id: Number(row.id),
      orgId: row.org_id,
      actorKind: row.actor_kind,
      actorId: row.actor_id,
      action: row.action,
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      before: row.before,
      after: row.after,
      createdAt: row.created_at.toISOString(),
    })),
    nextCursor:
      rows.length > limit && last ? Buffer.from(String(last.id), 'utf8').toString('base64url') : null,
  };
}

const auditLogRoutes: RoutePlugin = async (app) => {
  app.get(
    '/audit-log',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags: ['audit log'],
        summary: "The org's audit trail, newest first",
        querystring: AuditLogQuery,
        response: { 200: AuditPage, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => listAuditLog(tx, orgId, request.query));
    },
  );
};

export default auditLogRoutes;
