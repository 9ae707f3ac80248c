// The schema migration runs up, down and up again on a fresh database, and leaves the security properties the
// application relies on: RLS on every org-scoped table, least-privilege grants for acc_app.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { bootstrap } from '../src/db/bootstrap.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { freshDatabaseUrl, MASTER_KEY } from './support/fixtures.js';

const TABLES = [
  'orgs',
  'users',
  'teams',
  'service_accounts',
  'api_tokens',
  'sessions',
  'gateway_keys',
  'provider_credentials',
  'pricing_overrides',
  'audit_log',
  'policy_versions',
  'spend_ledger',
  'budgets',
  'rate_limits',
  'alert_channels',
  'budget_alerts',
  'alert_deliveries',
  'security_policies',
  'security_events',
  'routing_rules',
  'routing_deployments',
  'model_overrides',
];

const MIGRATIONS = [
  '1767225600000_initial-schema',
  '1767312000000_spend-ledger',
  '1767312000001_budgets',
  '1767312000002_security',
  '1767398400000_routing',
];

let url: string;
let client: pg.Client;

beforeAll(async () => {
  url = await freshDatabaseUrl();
  client = new pg.Client({ connectionString: url });
  await client.connect();
});
afterAll(async () => client?.end());

async function tables(): Promise<string[]> {
  const { rows } = await client.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'pgmigrations' ORDER BY tablename`,
  );
  return rows.map((row) => row.tablename);
}

describe('migrations', () => {
  it('go up, down and up again', async () => {
    expect(await migrate(url, 'up')).toEqual(MIGRATIONS);
    expect(await tables()).toEqual([...TABLES].sort());
    expect(await migrate(url, 'up')).toEqual([]);

    expect(await migrate(url, 'down', MIGRATIONS.length)).toEqual([...MIGRATIONS].reverse());
    expect(await tables()).toEqual([]);
    const { rows: functions } = await client.query(
      `SELECT proname FROM pg_proc WHERE proname LIKE 'acc_%' OR proname LIKE 'audit_log_%'`,
    );
    expect(functions).toEqual([]);

    expect(await migrate(url, 'up')).toEqual(MIGRATIONS);
    expect(await tables()).toEqual([...TABLES].sort());
  });

  it('enable row-level security with a tenant policy on every org-scoped table', async () => {
    const { rows } = await client.query<{ relname: string; relrowsecurity: boolean; policies: number }>(
      `SELECT c.relname, c.relrowsecurity, (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY($1)`,
      [TABLES],
    );
    for (const table of TABLES.filter((name) => name !== 'policy_versions')) {
      expect(
        rows.find((row) => row.relname === table),
        table,
      ).toMatchObject({ relrowsecurity: true, policies: 1 });
    }
  });

  it('grant acc_app only what it needs', async () => {
    const privilege = async (table: string, kind: string) =>
      (await client.query(`SELECT has_table_privilege('acc_app', $1, $2) AS ok`, [table, kind])).rows[0]?.ok;
    expect(await privilege('teams', 'DELETE')).toBe(true);
    expect(await privilege('audit_log', 'INSERT')).toBe(true);
    expect(await privilege('audit_log', 'UPDATE')).toBe(false);
    expect(await privilege('audit_log', 'DELETE')).toBe(false);
    expect(await privilege('orgs', 'INSERT')).toBe(false);
    expect(await privilege('orgs', 'DELETE')).toBe(false);
    expect(await privilege('policy_versions', 'SELECT')).toBe(false);
    expect(await privilege('pgmigrations', 'SELECT')).toBe(false);
    const { rows } = await client.query(
      `SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'acc_app'`,
    );
    expect(rows[0]).toEqual({ rolcanlogin: false, rolsuper: false, rolbypassrls: false });
  });
});

describe('bootstrap', () => {
  let db: Database;
  beforeAll(async () => {
    const fresh = await freshDatabaseUrl();
    await migrate(fresh, 'up');
    db = openDatabase({ url: fresh });
  });
  afterAll(async () => db?.close());

  it('creates the first org, owner and hashed admin token once, on an empty database only', async () => {
    const token = `accp_${'b'.repeat(40)}`;
    const config = loadConfig({
      DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
      ACC_MASTER_KEY: MASTER_KEY,
      ACC_ADMIN_EMAIL: 'Admin@Example.com',
      ACC_ADMIN_PASSWORD: 'a long admin password',
      ACC_ADMIN_TOKEN: token,
      ACC_ORG_NAME: 'Acme Corp',
    });
    const first = await bootstrap(db, config);
    expect(first.created).toBe(true);
    expect(await bootstrap(db, config)).toEqual({ created: false });

    const { rows: orgs } = await db.pool.query('SELECT slug, name FROM orgs');
    expect(orgs).toEqual([{ slug: 'acme-corp', name: 'Acme Corp' }]);
    const { rows: users } = await db.pool.query('SELECT email, role, password_hash FROM users');
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ email: 'admin@example.com', role: 'owner' });
    expect(users[0]?.password_hash).toMatch(/^\$argon2id\$/);
    const { rows: tokens } = await db.pool.query('SELECT token_digest, prefix FROM api_tokens');
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.token_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens[0]?.token_digest).not.toContain(token);
    expect(tokens[0]?.prefix).toBe(token.slice(0, 13));
    const { rows: audit } = await db.pool.query(`SELECT action, actor_kind FROM audit_log ORDER BY id`);
    expect(audit.map((row) => row.action)).toEqual(['org.create', 'user.create', 'api_token.create']);
    expect(new Set(audit.map((row) => row.actor_kind))).toEqual(new Set(['system']));
  });
});
