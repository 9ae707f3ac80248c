// Liveness and readiness for orchestrators: /healthz says the process runs, /readyz that its dependencies answer.
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.js';

const READY_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function installOps(app: FastifyInstance, db: Database, redis: Redis | null): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    const checks: Record<string, 'ok' | 'failed'> = {};
    try {
      await withTimeout(db.pool.query('SELECT 1'), 'database');
      checks.database = 'ok';
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: database check failed');
      checks.database = 'failed';
    }
    if (redis) {
      try {
        await withTimeout(redis.ping(), 'redis');
        checks.redis = 'ok';
      } catch (error) {
        request.log.warn({ err: error }, 'readiness: redis check failed');
        checks.redis = 'failed';
      }
    }
    const ready = Object.values(checks).every((state) => state === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
  });
}
