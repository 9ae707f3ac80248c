// `acc` against a real database: the smoke path is spawned through tsx exactly as an operator runs it; argument
// errors are checked in-process (runCli) to keep the file fast.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { digestKey, openSecret, parseMasterKey, type SealedSecret } from '@acc/extproc/policy';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/audit/audit.js';
import { verifyPassword } from '../src/auth/secrets.js';
import { runCli } from '../src/cli.js';
import { openDatabase } from '../src/db/database.js';
import { putProviderCredential } from '../src/routes/provider-credentials/repository.js';
import { freshDatabaseUrl } from './support/fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;
const CLI = `${ROOT}control-plane/src/cli.ts`;
const OLD_KEY = '1'.repeat(64);
const NEW_KEY = '2'.repeat(64);

let url: string;
let client: pg.Client;

function acc(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(TSX, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: url, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: stdout.trim(), stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

beforeAll(async () => {
  url = await freshDatabaseUrl();
  client = new pg.Client({ connectionString: url });
  await client.connect();
});
afterAll(async () => client?.end());

const one = async (sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows[0];

describe('acc CLI (spawned)', () => {
  it('migrates, creates an org, an owner, a key, and publishes', async () => {
    const migrated = await acc(['migrate', 'up']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain('initial-schema');

    const org = await acc(['create-org', '--name', 'Acme Corp', '--slug', 'acme']);
    expect(org.code, org.stderr).toBe(0);
    expect(await one('SELECT slug, name FROM orgs WHERE id = $1', [org.stdout])).toEqual({
      slug: 'acme',
      name: 'Acme Corp',
    });

    const admin = await acc(
      ['create-admin', '--org', 'acme', '--email', 'Root@Example.com', '--password-stdin'],
      {
        stdin: 'a long enough password\n',
      },
    );
    expect(admin.code, admin.stderr).toBe(0);
    const user = await one('SELECT email, role, password_hash, org_id FROM users WHERE id = $1', [
      admin.stdout,
    ]);
    expect(user).toMatchObject({ email: 'root@example.com', role: 'owner', org_id: org.stdout });
    expect(await verifyPassword(user.password_hash, 'a long enough password')).toBe(true);

    await client.query(`INSERT INTO teams (org_id, name) VALUES ($1, 'Platform')`, [org.stdout]);
    const key = await acc(['create-key', '--org', 'acme', '--name', 'ci', '--team', 'Platform']);
    expect(key.code, key.stderr).toBe(0);
    expect(key.stdout).toMatch(/^acc-[0-9A-Za-z]{40}$/);
    const row = await one('SELECT id, prefix, team_id FROM gateway_keys WHERE key_digest = $1', [
      digestKey(key.stdout),
    ]);
    expect(row?.prefix).toBe(key.stdout.slice(0, 8));
    expect(row?.team_id).not.toBeNull();
    // create-key publishes, so the key is in the latest snapshot.
    const latest = await one('SELECT snapshot FROM policy_versions ORDER BY version DESC LIMIT 1');
    expect(latest?.snapshot.keys.map((k: { digest: string }) => k.digest)).toContain(digestKey(key.stdout));
    const audit = await one(`SELECT actor_kind FROM audit_log WHERE resource_id = $1`, [row?.id]);
    expect(audit).toEqual({ actor_kind: 'system' });

    const published = await acc(['publish']);
    expect(published.code, published.stderr).toBe(0);
    expect(Number(published.stdout)).toBe(latest?.snapshot.version + 1);
  });

  it('rotate-master-key re-seals every credential; only the new key opens them', async () => {
    const db = openDatabase({ url, maxConnections: 1 });
    const orgId = (await one(`SELECT id FROM orgs WHERE slug = 'acme'`))?.id as string;
    await db.withTenant(orgId, (tx) =>
      putProviderCredential(tx, orgId, SYSTEM_ACTOR, parseMasterKey(OLD_KEY), {
        provider: 'openai',
        apiKey: 'sk-rotate-me',
      }),
    );
    await db.close();

    const rotated = await acc(['rotate-master-key', '--new-key-env', 'ACC_NEW_MASTER_KEY'], {
      env: { ACC_MASTER_KEY: OLD_KEY, ACC_NEW_MASTER_KEY: NEW_KEY },
    });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toBe('1');
    const sealed = (await one(`SELECT sealed FROM provider_credentials WHERE org_id = $1`, [orgId]))
      ?.sealed as SealedSecret;
    expect(openSecret(sealed, [parseMasterKey(NEW_KEY)])).toBe('sk-rotate-me');
    expect(() => openSecret(sealed, [parseMasterKey(OLD_KEY)])).toThrow();
    const snapshot = (await one('SELECT snapshot FROM policy_versions ORDER BY version DESC LIMIT 1'))
      ?.snapshot;
    expect(snapshot.providerCredentials[0].secret.keyId).toBe(parseMasterKey(NEW_KEY).id);

    // Running it again changes nothing; a wrong current key fails without touching anything.
    const again = await acc(['rotate-master-key', '--new-key-env', 'ACC_NEW_MASTER_KEY'], {
      env: { ACC_MASTER_KEY: OLD_KEY, ACC_NEW_MASTER_KEY: NEW_KEY },
    });
    expect(again.stdout).toBe('0');
    const wrong = await acc(['rotate-master-key', '--new-key-env', 'NEXT'], {
      env: { ACC_MASTER_KEY: '3'.repeat(64), NEXT: '4'.repeat(64) },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/master key/);
    const unchanged = (await one(`SELECT sealed FROM provider_credentials WHERE org_id = $1`, [orgId]))
      ?.sealed;
    expect(unchanged).toEqual(sealed);
  });

  it('exits 2 with usage on operator mistakes', async () => {
    const none = await acc([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: acc');
  });
});

describe('acc argument errors (in-process)', () => {
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const lines: string[] = [];
    const code = await runCli(
      args,
      { DATABASE_URL: url, ...env },
      { out: (l) => lines.push(l), err: (l) => lines.push(l) },
    );
    return { code, text: lines.join('\n') };
  };

  it.each([
    [['bogus'], 'unknown command'],
    [['migrate', 'sideways'], 'acc migrate up|down'],
    [['migrate', 'down', 'zero'], 'positive integer'],
    [['create-org'], '--name is required'],
    [['create-org', '--name', 'x', '--colour', 'red'], 'colour'],
    [['create-key', '--org', 'nope', '--name', 'k'], 'no org with slug "nope"'],
    [['create-key', '--org', 'acme', '--name', 'k', '--team', 'Nope'], 'no team "Nope"'],
    [['create-admin', '--org', 'acme', '--email', 'a@b.c', '--password', 'short'], 'characters long'],
    [
      ['create-admin', '--org', 'acme', '--email', 'a@b.c', '--password', 'x'.repeat(20), '--role', 'god'],
      '--role',
    ],
    [['rotate-master-key', '--new-key-env', 'UNSET_VAR'], 'UNSET_VAR is not set'],
    [['rotate-master-key', '--new-key-env', 'BAD'], 'BAD must be 32 bytes'],
  ])('%j → exit 2: %s', async (args, message) => {
    const result = await run(args, { ACC_MASTER_KEY: OLD_KEY, BAD: 'short' });
    expect(result.text).toContain(message);
    expect(result.code).toBe(2);
  });

  it('help exits 0; migrate down reverts', async () => {
    expect((await run(['help'])).code).toBe(0);
    const down = await run(['migrate', 'down', '1']);
    expect(down.code, down.text).toBe(0);
    expect(down.text).toContain('down: 1767398400000_routing');
    expect((await client.query(`SELECT to_regclass('public.routing_rules') AS t`)).rows[0]?.t).toBeNull();
    expect((await client.query(`SELECT to_regclass('public.gateway_keys') AS t`)).rows[0]?.t).not.toBeNull();
  });
});
