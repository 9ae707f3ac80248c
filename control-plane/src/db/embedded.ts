// Zero-setup default: with no DATABASE_URL the control plane runs PGlite (PostgreSQL compiled to WASM) in-process
// behind its wire-protocol socket, so pg, node-pg-migrate and row-level security work exactly as on a real server.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** postgres://… on a loopback port. */
  url: string;
  /** PGlite serves one connection at a time: the pool must not open more. */
  maxConnections: 1;
  stop(): Promise<void>;
}

/** `dataDir` null = in-memory (tests). */
export async function startEmbeddedPostgres(dataDir: string | null): Promise<EmbeddedPostgres> {
  if (dataDir !== null) mkdirSync(dataDir, { recursive: true });
  const db = dataDir === null ? new PGlite() : new PGlite(dataDir);
  await db.waitReady;
  // The pool uses one connection, but a client that just closed is only released by the server on a later tick: a
  // second slot keeps a quick close-then-connect (migrations, then the pool) from being refused.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 2 });
  await server.start();
  const [, port] = server.getServerConn().split(':');
  let stopped = false;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    maxConnections: 1,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
    },
  };
}
