#!/usr/bin/env node
// `acc`: operator commands against the control plane's database (DATABASE_URL, or the embedded default in the
// state dir; stop the server first in embedded mode: PGlite allows one process). Exit codes: 0 success,
// 1 failure, 2 usage or configuration error.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import {
  createAdmin,
  createKey,
  createOrg,
  embeddedKeyFile,
  publishOnce,
  reconcileBudgetCounters,
  rotateMasterKey,
  UsageError,
} from './cli/commands.js';
import { ConfigError, DEFAULT_STATE_DIR, loadConfig } from './config.js';
import { type Database, openDatabase } from './db/database.js';
import { startEmbeddedPostgres } from './db/embedded.js';
import { migrate } from './db/migrate.js';

export const USAGE = `Usage: acc <command> [options]

Commands:
  migrate up|down [n]                       Apply all (up) or revert n (down, default 1) schema migrations
  create-org --name N [--slug S]            Create an organization; prints its id
  create-admin --org SLUG --email E (--password-stdin | --password P) [--role owner|admin|editor|viewer]
                                            Create a user (default role owner); prints its id
  create-key --org SLUG --name N [--team NAME_OR_ID]
                                            Create a gateway key; prints the key (shown only this once)
  rotate-master-key --new-key-env VAR       Re-seal every provider credential from ACC_MASTER_KEY to the key in
                                            environment variable VAR (one transaction); prints the count
  publish                                   Compile and publish a policy snapshot now; prints the version
  budgets reconcile [--fix] [--org SLUG]    Compare budget counters in Redis with the spend ledger; --fix sets
                                            them to the ledger (needs REDIS_URL)

Environment: DATABASE_URL (default: embedded PostgreSQL in ACC_STATE_DIR), REDIS_URL (publication, budgets reconcile),
ACC_MASTER_KEY (rotate-master-key), ACC_STATE_DIR.`;

type Env = Record<string, string | undefined>;

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  readStdin: () => Promise<string>;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

function stateDirOf(env: Env): string {
  return env.ACC_STATE_DIR?.trim() || DEFAULT_STATE_DIR;
}

async function withDatabase<T>(env: Env, fn: (db: Database, url: string) => Promise<T>): Promise<T> {
  const url = env.DATABASE_URL?.trim();
  if (url) {
    const db = openDatabase({ url, maxConnections: 2 });
    try {
      return await fn(db, url);
    } finally {
      await db.close();
    }
  }
  const embedded = await startEmbeddedPostgres(join(stateDirOf(env), 'pglite'));
  const db = openDatabase({ url: embedded.url, maxConnections: 1, onClose: embedded.stop });
  try {
    // A fresh embedded database has no schema yet; migrating is idempotent.
    await migrate(embedded.url, 'up');
    return await fn(db, embedded.url);
  } finally {
    await db.close();
  }
}

function option(values: Record<string, unknown>, name: string, required: true): string;
function option(values: Record<string, unknown>, name: string, required?: false): string | undefined;
function option(values: Record<string, unknown>, name: string, required = false): string | undefined {
  const value = values[name];
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (required) throw new UsageError(`--${name} is required`);
  return undefined;
}

/** Runs one command; returns the exit code instead of exiting, so tests can call it in-process. */
export async function runCli(argv: string[], env: Env = process.env, io?: Partial<Io>): Promise<number> {
  const out = io?.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io?.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const readStdin = io?.readStdin ?? (() => readAll(process.stdin));
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      (command === undefined ? err : out)(USAGE);
      return command === undefined ? 2 : 0;
    }
    const strings = (names: string[]) =>
      Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])) as Record<
        string,
        { type: 'string' }
      >;
    switch (command) {
      case 'migrate': {
        const { positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true });
        const [direction, countText] = positionals;
        if ((direction !== 'up' && direction !== 'down') || positionals.length > 2) {
          throw new UsageError('usage: acc migrate up|down [n]');
        }
        const count = countText === undefined ? undefined : Number(countText);
        if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
          throw new UsageError('n must be a positive integer');
        }
        const names = await withDatabase(env, (_db, url) => migrate(url, direction, count));
        out(names.length ? names.map((name) => `${direction}: ${name}`).join('\n') : 'no migrations to run');
        return 0;
      }
      case 'create-org': {
        const { values } = parseArgs({ args: rest, options: strings(['name', 'slug']), strict: true });
        const org = await withDatabase(env, (db) =>
          createOrg(db, { name: option(values, 'name', true), slug: option(values, 'slug') }),
        );
        err(`created org "${org.name}" (slug ${org.slug})`);
        out(org.id);
        return 0;
      }
      case 'create-admin': {
        const { values } = parseArgs({
          args: rest,
          options: {
            org: { type: 'string' },
            email: { type: 'string' },
            password: { type: 'string' },
            role: { type: 'string' },
            'password-stdin': { type: 'boolean' },
          },
          strict: true,
        });
        if (values['password-stdin'] && values.password !== undefined) {
          throw new UsageError('give either --password or --password-stdin, not both');
        }
        const password = values['password-stdin']
          ? (await readStdin()).replace(/\r?\n$/, '')
          : option(values, 'password', true);
        const user = await withDatabase(env, (db) =>
          createAdmin(db, {
            orgSlug: option(values, 'org', true),
            email: option(values, 'email', true),
            password,
            role: option(values, 'role') ?? 'owner',
          }),
        );
        out(user.id);
        return 0;
      }
      case 'create-key': {
        const { values } = parseArgs({ args: rest, options: strings(['org', 'name', 'team']), strict: true });
        const created = await withDatabase(env, async (db) => {
          const key = await createKey(db, {
            orgSlug: option(values, 'org', true),
            name: option(values, 'name', true),
            team: option(values, 'team'),
          });
          await publishWhereConfigured(db, env, err);
          return key;
        });
        err(`created gateway key ${created.prefix}… (id ${created.id}); it is not shown again`);
        out(created.key);
        return 0;
      }
      case 'rotate-master-key': {
        const { values } = parseArgs({ args: rest, options: strings(['new-key-env']), strict: true });
        const newKeyEnv = option(values, 'new-key-env', true);
        const config = loadConfig(env);
        const keyFile =
          config.databaseUrl === null && !env.ACC_MASTER_KEY ? embeddedKeyFile(config.stateDir) : null;
        const count = await withDatabase(env, async (db) => {
          const resealed = await rotateMasterKey(db, { current: config.masterKey, newKeyEnv, env, keyFile });
          await publishWhereConfigured(db, env, err);
          return resealed;
        });
        err(
          `re-sealed ${count} provider credential(s); set ACC_MASTER_KEY to the new key for the control plane and extproc`,
        );
        out(String(count));
        return 0;
      }
      case 'publish': {
        parseArgs({ args: rest, strict: true });
        const version = await withDatabase(env, (db) => publishWhereConfigured(db, env, err));
        out(String(version));
        return 0;
      }
      case 'budgets': {
        const [action, ...args] = rest;
        if (action !== 'reconcile') throw new UsageError('usage: acc budgets reconcile [--fix] [--org SLUG]');
        const { values } = parseArgs({
          args,
          options: { fix: { type: 'boolean' }, org: { type: 'string' } },
          strict: true,
        });
        const lines = await withDatabase(env, (db) =>
          reconcileBudgetCounters(db, env.REDIS_URL?.trim() || null, {
            orgSlug: option(values, 'org'),
            fix: values.fix === true,
          }),
        );
        for (const line of lines) out(line);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    const usage = error instanceof UsageError || error instanceof ConfigError || isParseArgsError(error);
    err(`acc ${command ?? ''}: ${(error as Error).message}`);
    if (usage) err('run "acc help" for usage');
    return usage ? 2 : 1;
  }
}

function isParseArgsError(error: unknown): boolean {
  return (
    typeof (error as { code?: unknown })?.code === 'string' &&
    (error as { code: string }).code.startsWith('ERR_PARSE_ARGS')
  );
}

async function publishWhereConfigured(db: Database, env: Env, err: (line: string) => void): Promise<number> {
  const redisUrl = env.REDIS_URL?.trim();
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true }) : null;
  try {
    const snapshot = await publishOnce(db, redis);
    err(
      `published policy snapshot version ${snapshot.version}${redis ? ' (database and Redis)' : ' (database)'}`,
    );
    return snapshot.version;
  } finally {
    redis?.disconnect();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
