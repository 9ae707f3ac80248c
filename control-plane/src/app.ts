// The control plane's HTTP application, without side effects on the outside world: server.ts opens the database and
// listens, tests call buildApp() and use fastify.inject().
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { installAlerts } from './alerts/install.js';
import { installBudgetSpend } from './budgets/internal-spend.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { AppError, installErrorHandling } from './errors.js';
import { installKeyUsage } from './keys/last-used.js';
import { installLedgerEndpoint } from './ledger/install.js';
import { API_PREFIX, installAuth } from './plugins/auth.js';
import { installMetrics } from './plugins/metrics.js';
import { installOps } from './plugins/ops.js';
import { installPolicyPublication, type PolicyPublicationOptions } from './policy/install.js';
import { routes } from './routes/index.js';

export type { Config } from './config.js';
export type { Database, Tx } from './db/database.js';

/** Republishes the policy snapshot after a committed change of `orgId`'s policy-relevant state. */
export type PolicyPublisher = (orgId: string) => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Database;
    redis: Redis | null;
    /**
     * Call after every committed mutation. Never throws: the change is already committed, so a failed publish is
     * logged and left to the publisher's own retry/resync instead of turning a success into a 500.
     */
    policyChanged(orgId: string): Promise<void>;
  }
}

export interface BuildAppOptions {
  config: Config;
  db: Database;
  redis?: Redis | null;
  logger?: boolean | object;
  /** Default: no-op, or the snapshot publisher when `policy` is set. */
  publishPolicy?: PolicyPublisher;
  /** Compile and publish policy snapshots and serve extproc's long-poll (policy/install.ts); server.ts sets it. */
  policy?: PolicyPublicationOptions;
  /** Run the budget alert evaluator and delivery worker (alerts/, config.alerts); server.ts sets it. */
  alerts?: boolean;
}

export type App = FastifyInstance;

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config, db } = options;
  const redis = options.redis ?? null;
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    trustProxy: config.trustProxy,
    bodyLimit: 1_048_576,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', config);
  app.decorate('db', db);
  app.decorate('redis', redis);
  let publishPolicy = options.publishPolicy ?? (async () => {});
  app.decorate('policyChanged', async (orgId: string) => {
    try {
      await publishPolicy(orgId);
    } catch (error) {
      app.log.error({ err: error, orgId }, 'policy snapshot publish failed');
    }
  });

  // TypeBox's own validator: bodies are checked strictly (Fastify's default Ajv would coerce 42 into "42" and
  // silently drop unknown fields); querystring and params are still converted from their string form.
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  installErrorHandling(app);
  await app.register(fastifySwagger, {
    // Shared schemas appear under their $id (ErrorResponse, Team, …) instead of def-0, def-1.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'AgentCostControl control plane',
        version: '0.1.0',
        description: 'Orgs, teams, users, gateway keys and policy for the AgentCostControl gateway.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'acc_session' },
          apiToken: { type: 'http', scheme: 'bearer', description: 'API token (accp_…)' },
        },
      },
      security: [{ session: [] }, { apiToken: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    // Only routes that ask for it (login); the API itself is authenticated.
    global: false,
    ...(redis ? { redis, nameSpace: 'acc:cp:ratelimit:' } : {}),
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `Too many attempts, retry in ${Math.ceil(context.ttl / 1000)} s`, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });
  installAuth(app, db);
  const metricsRegistry = installMetrics(app, db);
  // Policy publication: once installed, committed changes reach extproc through it (keys helper, policy/).
  const snapshotPublisher = installPolicyPublication(app, options.policy, metricsRegistry);
  if (snapshotPublisher && !options.publishPolicy)
    publishPolicy = async (orgId) => snapshotPublisher.changed(orgId);
  installOps(app, db, redis);
  installKeyUsage(app, db);
  installLedgerEndpoint(app, db);
  installBudgetSpend(app);
  if (options.alerts) installAlerts(app, metricsRegistry);

  await app.register(routes, { prefix: API_PREFIX });
  return app;
}
