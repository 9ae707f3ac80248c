// Values test/global-setup.ts hands to the tests; read them with `inject('DATABASE_URL')` from 'vitest'.
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's private server's `postgres` database; pass to createDatabase() for a per-file database. */
    DATABASE_ADMIN_URL: string;
    /** Superuser URL of the shared `acc_test` database. Prefer a per-file database from createDatabase(). */
    DATABASE_URL: string;
    /** The run's private redis-server. */
    REDIS_URL: string;
  }
}
