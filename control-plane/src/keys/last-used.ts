// "Last used" of gateway keys, reported in batches by extproc (never per request): through a Redis hash that is
// drained here every few seconds, or, without Redis, posted to an internal endpoint. Stored as the latest time seen.
import { KEY_LAST_USED_PATH, REDIS_KEY_LAST_USED } from '@acc/extproc/policy';
import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { requireInternalToken } from '../auth/internal-token.js';
import type { Database } from '../db/database.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Reads and clears the hash in one step, so a report arriving meanwhile is never lost.
const DRAIN_SCRIPT = "local v = redis.call('HGETALL', KEYS[1]); redis.call('DEL', KEYS[1]); return v";

const Report = Type.Object({
  lastUsed: Type.Record(Type.String(), Type.String({ format: 'date-time' }), { maxProperties: 100_000 }),
});

/** Applies a batch; unknown or malformed ids are ignored (a key may have been deleted since). */
export async function recordKeyUsage(db: Database, lastUsed: Record<string, string>): Promise<number> {
  const ids: string[] = [];
  const times: string[] = [];
  for (const [id, at] of Object.entries(lastUsed)) {
    if (UUID.test(id) && !Number.isNaN(Date.parse(at))) {
      ids.push(id);
      times.push(at);
    }
  }
  if (ids.length === 0) return 0;
  return db.withAdmin(async (tx) => {
    const result = await tx.query(
      `UPDATE gateway_keys k
          SET last_used_at = GREATEST(COALESCE(k.last_used_at, '-infinity'::timestamptz), u.at)
         FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at)
        WHERE k.id = u.id`,
      [ids, times],
    );
    return result.rowCount ?? 0;
  });
}

export function installKeyUsage(app: FastifyInstance, db: Database, intervalMs = 5000): void {
  const redis = app.redis;
  if (redis) {
    let draining: Promise<void> | null = null;
    const drain = () => {
      draining ??= (async () => {
        try {
          const flat = (await redis.eval(DRAIN_SCRIPT, 1, REDIS_KEY_LAST_USED)) as string[];
          const lastUsed: Record<string, string> = {};
          for (let i = 0; i + 1 < flat.length; i += 2) lastUsed[flat[i] as string] = flat[i + 1] as string;
          await recordKeyUsage(db, lastUsed);
        } catch (error) {
          app.log.warn({ err: error }, 'could not record key usage from Redis; will retry');
        } finally {
          draining = null;
        }
      })();
      return draining;
    };
    const timer = setInterval(() => void drain(), intervalMs);
    timer.unref();
    app.addHook('preClose', async () => {
      clearInterval(timer);
      await drain();
    });
  }

  const token = app.config.internalToken;
  if (token === null) return;
  app.post<{ Body: Static<typeof Report> }>(
    KEY_LAST_USED_PATH,
    {
      schema: { hide: true, body: Report },
      onRequest: requireInternalToken(token),
    },
    async (request, reply) => {
      await recordKeyUsage(db, request.body.lastUsed);
      return reply.code(204).send();
    },
  );
}
