// Schema pieces and helpers shared by the route folders: ids, timestamps, pagination.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import type { Tx } from '../db/database.js';
import { AppError } from '../errors.js';

export type RoutePlugin = FastifyPluginAsyncTypebox;

export const Uuid = Type.String({ format: 'uuid' });
export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const IdParams = Type.Object({ id: Uuid });

export const NoContent = Type.Null({ description: 'No content' });

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor from the previous page' }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, description: 'Alternative to cursor' })),
});
export type PageQuery = Static<typeof PageQuery>;

export function pageOf<T extends ReturnType<typeof Type.Object>>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
  });
}

/** Position in a (created_at, id) ordering; microseconds keep it exact (a JS Date would round to ms). */
export interface Cursor {
  createdUs: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdUs}:${cursor.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  const match = /^(\d{1,20}):([0-9a-f-]{36})$/.exec(decoded);
  if (!match?.[1] || !match[2]) {
    throw new AppError('validation_failed', 'querystring.cursor is not a cursor returned by this API', {
      field: 'cursor',
      location: 'querystring',
    });
  }
  return { createdUs: match[1], id: match[2] };
}

/** SQL selecting the cursor column; pair with keysetClause(). */
export const CREATED_US_SQL = `(extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us`;

/**
 * WHERE fragment and params continuing after `cursor` (or skipping `offset` rows), ordered by created_at, id.
 * `next` is the first free parameter number.
 */
export function keyset(query: PageQuery, next: number): { where: string; tail: string; params: unknown[] } {
  const limit = query.limit ?? 50;
  const params: unknown[] = [];
  let where = 'TRUE';
  if (query.cursor !== undefined) {
    const cursor = decodeCursor(query.cursor);
    where = `(created_at, id) > (timestamptz 'epoch' + $${next}::bigint * interval '1 microsecond', $${next + 1}::uuid)`;
    params.push(cursor.createdUs, cursor.id);
    next += 2;
  }
  let tail = `ORDER BY created_at, id LIMIT $${next}`;
  params.push(limit + 1);
  if (query.offset !== undefined && query.cursor === undefined) {
    tail += ` OFFSET $${next + 1}`;
    params.push(query.offset);
  }
  return { where, tail, params };
}

/** Rows fetched with LIMIT limit+1 → one page and the cursor of its last row when there is more. */
export function toPage<Row extends { id: string; created_us: string }, Item>(
  rows: Row[],
  query: PageQuery,
  toItem: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const limit = query.limit ?? 50;
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(toItem),
    nextCursor:
      rows.length > limit && last ? encodeCursor({ createdUs: last.created_us, id: last.id }) : null,
  };
}

/**
 * One page of an org's rows of `table` in keyset order: `column = value` for each defined entry of `equal`, and the
 * parameterless `conditions` (e.g. `revoked_at IS NULL`). Table, columns and conditions are code, never user input.
 */
export async function listOrgPage<Row extends { id: string; created_us: string }, Item>(
  tx: Tx,
  from: { table: string; columns: string },
  orgId: string,
  query: PageQuery,
  toItem: (row: Row) => Item,
  equal: Record<string, unknown> = {},
  conditions: string[] = [],
): Promise<{ items: Item[]; nextCursor: string | null }> {
  const params: unknown[] = [orgId];
  const filters = ['org_id = $1', ...conditions];
  for (const [column, value] of Object.entries(equal)) {
    if (value === undefined) continue;
    params.push(value);
    filters.push(`${column} = $${params.length}`);
  }
  const page = keyset(query, params.length + 1);
  const { rows } = await tx.query<Row>(
    `SELECT ${from.columns} FROM ${from.table} WHERE ${[page.where, ...filters].join(' AND ')} ${page.tail}`,
    [...params, ...page.params],
  );
  return toPage(rows, query, toItem);
}

/** `%`/`_` in a user's filter are literal characters, not wildcards. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

export function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}
