// The one way the application touches PostgreSQL. Tenant work runs as the non-owner role `acc_app` with the org in
// a transaction-local setting, so row-level security, not WHERE clauses, is what keeps orgs apart.
import pg from 'pg';

// Numeric columns (prices) come back as JS numbers, bigint (audit ids, snapshot versions) too: both stay far
// below 2^53 here, and strings would leak into every API shape.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Tx = pg.PoolClient;

export interface Database {
  pool: pg.Pool;
  /** A transaction as `acc_app` scoped to one org by RLS. */
  withTenant<T>(orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** A transaction as the owner role (RLS bypassed): login lookups, bootstrap, CLI, snapshot compilation only. */
  withAdmin<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  /** PGlite behind its socket serves one connection at a time. */
  maxConnections?: number;
  /** Close idle connections after this long; 0 = keep them (embedded mode: reconnecting buys nothing). */
  idleTimeoutMillis?: number;
  /** Called after the pool is closed (e.g. stop the embedded server). */
  onClose?: () => Promise<void>;
}

export function openDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection (database restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});

  async function transaction<T>(setup: (tx: Tx) => Promise<void>, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      await setup(client);
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  let closed = false;
  return {
    pool,
    withTenant(orgId, fn) {
      return transaction(async (tx) => {
        await tx.query('SET LOCAL ROLE acc_app');
        await tx.query(`SELECT set_config('acc.org_id', $1, true)`, [orgId]);
      }, fn);
    },
    withAdmin(fn) {
      return transaction(async () => {}, fn);
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
      await options.onClose?.();
    },
  };
}
