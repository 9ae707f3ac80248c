#!/usr/bin/env node
// Process entry point: config → database (URL or embedded PGlite) → migrations → bootstrap → listen, and a graceful
// shutdown on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close pools).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { type BuildAppOptions, buildApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { bootstrap } from './db/bootstrap.js';
import { type Database, openDatabase } from './db/database.js';
import { startEmbeddedPostgres } from './db/embedded.js';
import { migrate } from './db/migrate.js';

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
    const app = await buildApp({ config, db, redis, policy: {}, ...extra });
    // ioredis reconnects by itself; without a listener every outage would print as an "unhandled error event".
    redis?.on('error', (error: unknown) => app.log.warn({ err: error }, 'redis connection error'));
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
