// Schema migrations through node-pg-migrate's programmatic runner; run on every start and by `acc migrate`.
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

/** control-plane/migrations, the same from src/db (tests) and dist/db (built). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface MigrateOptions {
  /** Default: silent. */
  log?: (message: string) => void;
}

/** Applies (up) or reverts (down) migrations; `count` defaults to all for up and one for down. */
export async function migrate(
  databaseUrl: string,
  direction: 'up' | 'down',
  count?: number,
  options: MigrateOptions = {},
): Promise<string[]> {
  const log = options.log ?? (() => {});
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction,
    count: count ?? (direction === 'up' ? Number.POSITIVE_INFINITY : 1),
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    singleTransaction: true,
    // Several instances may start together: the second waits for the first instead of failing.
    advisoryLockMode: 'wait',
    logger: { debug: () => {}, info: log, warn: log, error: log },
  });
  return applied.map((migration) => migration.name);
}
