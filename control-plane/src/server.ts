#!/usr/bin/env node
// Process entry point: config → database (URL or embedded PGlite) → migrations → bootstrap → listen, and a graceful
// shutdown on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close pools).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { type BuildAppOptions, buildApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { bootstrap } from './db/bootstrap.js';
import { type Database, openDatabase } from './db/database.js';
import { startEmbeddedPostgres } from './db/embedded.js';
import { migrate } from './db/migrate.js';
import { installLedgerWriter } from './ledger/install.js';

/** Opens the configured database; embedded mode keeps PGlite data in `<stateDir>/pglite` (or memory). */
export async function openConfiguredDatabase(
  config: Config,
  options: { inMemory?: boolean } = {},
): Promise<{
  db: Database;
  url: string;
}> {
  if (config.databaseUrl !== null)
    return { db: openDatabase({ url: config.databaseUrl }), url: config.databaseUrl };
  const embedded = await startEmbeddedPostgres(options.inMemory ? null : join(config.stateDir, 'pglite'));
  const db = openDatabase({
    url: embedded.url,
    maxConnections: embedded.maxConnections,
    idleTimeoutMillis: 0,
    onClose: embedded.stop,
  });
  return { db, url: embedded.url };
}

/**
 * Lets the HTTP server close without waiting on idle clients. Node's server.close(), which app.close() calls after
 * the preClose hooks, only drops connections idle *between* keep-alive requests: a connection that has not sent a
 * request yet counts as busy until headersTimeout ends it (60 s, checked every 30 s), and a keep-alive connection
 * whose response goes out after close() stays open for keepAliveTimeout (72 s). Node's fetch opens such a spare
 * connection when a request is aborted, e.g. extproc's long-poll when extproc stops: the control plane stopped
 * after it then took 60–90 s to close. The returned drain(), run just before server.close(), drops every connection
 * without a request in flight (and any that opens later) and lets the others finish their requests, answered with
 * "Connection: close", then closes them.
 */
export function connectionDrainer(server: Server): () => void {
  const inFlight = new Map<Socket, Set<ServerResponse>>();
  let draining = false;
  server.on('connection', (socket: Socket) => {
    if (draining) {
      socket.destroy();
      return;
    }
    inFlight.set(socket, new Set());
    socket.once('close', () => inFlight.delete(socket));
  });
  // First, so the response is seen before any handler can finish it.
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    const responses = inFlight.get(socket);
    if (!responses) return;
    responses.add(response);
    if (draining) response.setHeader('connection', 'close');
    response.once('close', () => {
      responses.delete(response);
      // The response is out (or its connection gone): close once everything written has been flushed.
      if (draining && responses.size === 0 && !socket.destroyed) socket.end(() => socket.destroy());
    });
  });
  return () => {
    draining = true;
    for (const [socket, responses] of inFlight) {
      if (responses.size === 0) socket.destroy();
      for (const response of responses) if (!response.headersSent) response.setHeader('connection', 'close');
    }
  };
}

export interface RunningServer {
  address: string;
  close(): Promise<void>;
}

export async function startServer(
  config: Config,
  extra: Pick<BuildAppOptions, 'publishPolicy' | 'logger'> = {},
): Promise<RunningServer> {
  const { db, url } = await openConfiguredDatabase(config);
  let redis: Redis | null = null;
  try {
    await migrate(url, 'up');
    await bootstrap(db, config);
    if (config.redisUrl) redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false });
    const app = await buildApp({ config, db, redis, policy: {}, alerts: true, ...extra });
    // ioredis reconnects by itself; without a listener every outage would print as an "unhandled error event".
    redis?.on('error', (error: unknown) => app.log.warn({ err: error }, 'redis connection error'));
    if (redis) installLedgerWriter(app, redis, { claimIdleMs: config.ledgerClaimIdleMs });
    // Added last, so it runs after the other preClose hooks (the policy publisher answers parked long-polls there),
    // right before Fastify calls server.close().
    const drainConnections = connectionDrainer(app.server);
    app.addHook('preClose', async () => drainConnections());
    const address = await app.listen({ host: config.host, port: config.port });
    if (config.databaseUrl === null)
      app.log.info({ dataDir: join(config.stateDir, 'pglite') }, 'embedded database');
    let closing: Promise<void> | null = null;
    return {
      address,
      close() {
        closing ??= (async () => {
          await app.close();
          redis?.disconnect();
          await db.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    redis?.disconnect();
    await db.close();
    throw error;
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const server = await startServer(config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error('shutdown failed', error);
          process.exit(1);
        },
      );
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
