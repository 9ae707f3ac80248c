// Wires the policy publisher into the app: app.policyChanged feeds it, its metrics join /metrics, it publishes once
// when the app is ready and stops (answering parked long-polls) before the server closes. Also serves extproc's
// long-poll, GET /internal/v1/policy/snapshot, for deployments without Redis.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { type Static, Type } from 'typebox';
import { requireInternalToken } from '../auth/internal-token.js';
import { PolicyPublisher, type PublisherOptions } from './publisher.js';

export const SNAPSHOT_PATH = '/internal/v1/policy/snapshot';
export const MAX_WAIT_MS = 30_000;

export type PolicyPublicationOptions = Partial<
  Pick<PublisherOptions, 'keepVersions' | 'debounceMs' | 'retryInitialMs' | 'retryMaxMs' | 'pollIntervalMs'>
>;

declare module 'fastify' {
  interface FastifyInstance {
    /** null when the app was built without `policy` (tests that only record policyChanged calls). */
    policyPublisher: PolicyPublisher | null;
  }
}

const SnapshotQuery = Type.Object({
  after: Type.Optional(
    Type.Integer({ minimum: 0, description: 'The version the caller runs; default 0 = none' }),
  ),
  waitMs: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: `Long-poll up to this long; default 0, capped at ${MAX_WAIT_MS}`,
    }),
  ),
});

export function installPolicyPublication(
  app: FastifyInstance,
  options: PolicyPublicationOptions | undefined,
  registry: Registry,
): PolicyPublisher | null {
  if (!options) {
    app.decorate('policyPublisher', null);
    return null;
  }
  const publisher = new PolicyPublisher({
    ...options,
    db: app.db,
    redis: app.redis,
    log: app.log.child({ component: 'policy-publisher' }),
    registry,
  });
  app.decorate('policyPublisher', publisher);
  app.addHook('onReady', async () => publisher.start());
  app.addHook('preClose', async () => publisher.close());

  const token = app.config.internalToken;
  // No token configured = no long-poll endpoint (extproc then needs Redis).
  if (token === null) return publisher;
  // One serialisation per version, however many extprocs poll.
  let cached: { version: number; json: string } | null = null;

  app.get<{ Querystring: Static<typeof SnapshotQuery> }>(
    SNAPSHOT_PATH,
    {
      schema: { hide: true, querystring: SnapshotQuery },
      onRequest: requireInternalToken(token),
    },
    async (request, reply) => {
      const controller = new AbortController();
      // The client may already be gone (its 'close' came while the token was checked): don't park for nothing.
      if (reply.raw.destroyed) controller.abort();
      else reply.raw.once('close', () => controller.abort());
      const { after = 0, waitMs = 0 } = request.query;
      const snapshot = await publisher.waitForNewer(after, Math.min(waitMs, MAX_WAIT_MS), controller.signal);
      reply.header('cache-control', 'no-store');
      if (!snapshot) return reply.code(204).send();
      if (cached?.version !== snapshot.version)
        cached = { version: snapshot.version, json: JSON.stringify(snapshot) };
      return reply.type('application/json; charset=utf-8').send(cached.json);
    },
  );
  return publisher;
}
