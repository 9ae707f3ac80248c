// What the `acc` commands do, over the same repositories as the API (so the CLI writes the same rows and audit
// entries). Argument parsing and process concerns live in ../cli.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type MasterKey, type PolicySnapshot, parseMasterKey } from '@acc/extproc/policy';
import { Redis } from 'ioredis';
import { recordAudit, SYSTEM_ACTOR } from '../audit/audit.js';
import { ROLES, type Role } from '../auth/principal.js';
import { hashPassword } from '../auth/secrets.js';
import { reconcileBudgets } from '../budgets/reconcile.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../config.js';
import { slugify } from '../db/bootstrap.js';
import type { Database, Tx } from '../db/database.js';
import { PolicyPublisher } from '../policy/publisher.js';
import { resealAlertChannelSecrets } from '../routes/alert-channels/repository.js';
import { createGatewayKey } from '../routes/keys/repository.js';
import { resealAllProviderCredentials } from '../routes/provider-credentials/repository.js';
import { insertUser } from '../routes/users/repository.js';

/** A mistake of the operator (exit code 2), as opposed to a failure (exit code 1). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findOrgId(tx: Tx, slug: string): Promise<string> {
  const { rows } = await tx.query<{ id: string }>('SELECT id FROM orgs WHERE slug = $1', [slug]);
  if (!rows[0]) throw new UsageError(`no org with slug "${slug}"`);
  return rows[0].id;
}

export async function createOrg(db: Database, input: { name: string; slug?: string | undefined }) {
  const slug = input.slug ?? slugify(input.name);
  return db.withAdmin(async (tx) => {
    const { rows } = await tx.query<{ id: string; slug: string; name: string }>(
      'INSERT INTO orgs (slug, name) VALUES ($1, $2) RETURNING id, slug, name',
      [slug, input.name],
    );
    const org = rows[0] as { id: string; slug: string; name: string };
    await recordAudit(tx, {
      orgId: org.id,
      actor: SYSTEM_ACTOR,
      action: 'org.create',
      resourceType: 'org',
      resourceId: org.id,
      after: org,
    });
    return org;
  });
}

export async function createAdmin(
  db: Database,
  input: { orgSlug: string; email: string; password: string; role: string },
): Promise<{ id: string; orgId: string }> {
  if (!(ROLES as readonly string[]).includes(input.role)) {
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  }
  if (input.password.length < PASSWORD_MIN_LENGTH || input.password.length > PASSWORD_MAX_LENGTH) {
    throw new UsageError(
      `the password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`,
    );
  }
  const email = input.email.trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new UsageError('--email is not an email address');
  const passwordHash = await hashPassword(input.password);
  const orgId = await db.withAdmin((tx) => findOrgId(tx, input.orgSlug));
  return db.withTenant(orgId, async (tx) => {
    const user = await insertUser(tx, orgId, {
      email,
      name: email.split('@')[0] ?? email,
      passwordHash,
      role: input.role as Role,
      teamId: null,
    });
    await recordAudit(tx, {
      orgId,
      actor: SYSTEM_ACTOR,
      action: 'user.create',
      resourceType: 'user',
      resourceId: user.id,
      after: user,
    });
    return { id: user.id, orgId };
  });
}

export async function createKey(
  db: Database,
  input: { orgSlug: string; name: string; team?: string | undefined },
): Promise<{ key: string; id: string; prefix: string; orgId: string }> {
  const orgId = await db.withAdmin((tx) => findOrgId(tx, input.orgSlug));
  return db.withTenant(orgId, async (tx) => {
    let teamId: string | null = null;
    if (input.team !== undefined) {
      const byId = UUID.test(input.team);
      const { rows } = await tx.query<{ id: string }>(
        `SELECT id FROM teams WHERE org_id = $1 AND ${byId ? 'id = $2::uuid' : 'name = $2'}`,
        [orgId, input.team],
      );
      if (!rows[0]) throw new UsageError(`no team "${input.team}" in org "${input.orgSlug}"`);
      teamId = rows[0].id;
    }
    const created = await createGatewayKey(tx, orgId, SYSTEM_ACTOR, { name: input.name, teamId });
    return { key: created.key, id: created.gatewayKey.id, prefix: created.gatewayKey.prefix, orgId };
  });
}

/**
 * Re-seals every provider credential from `current` to the key in environment variable `newKeyEnv`, in one
 * transaction. In embedded mode without ACC_MASTER_KEY, the state-dir key file is replaced too (it is the key).
 */
export async function rotateMasterKey(
  db: Database,
  input: {
    current: MasterKey;
    newKeyEnv: string;
    env: Record<string, string | undefined>;
    keyFile: string | null;
  },
): Promise<number> {
  const text = input.env[input.newKeyEnv];
  if (!text) throw new UsageError(`environment variable ${input.newKeyEnv} is not set`);
  let next: MasterKey;
  try {
    next = parseMasterKey(text, input.newKeyEnv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const count = await db.withAdmin(async (tx) => {
    const resealed = await resealAllProviderCredentials(tx, input.current, next);
    await resealAlertChannelSecrets(tx, input.current, next);
    return resealed;
  });
  if (input.keyFile) writeFileSync(input.keyFile, `${text.trim()}\n`, { mode: 0o600 });
  return count;
}

export function embeddedKeyFile(stateDir: string): string {
  return join(stateDir, 'master-key');
}

/** One publication now (DB + Redis when given); running control planes pick it up from either. */
export async function publishOnce(db: Database, redis: Redis | null): Promise<PolicySnapshot> {
  const publisher = new PolicyPublisher({
    db,
    redis,
    log: { info: () => {}, error: (obj, msg) => console.error(msg, (obj as { err?: unknown }).err ?? '') },
  });
  try {
    return await publisher.publishNow();
  } finally {
    await publisher.close();
  }
}

/** `acc budgets reconcile`: one line per budget, then a summary; without Redis, says why there is nothing to do. */
export async function reconcileBudgetCounters(
  db: Database,
  redisUrl: string | null,
  input: { orgSlug?: string | undefined; fix: boolean },
): Promise<string[]> {
  const orgId =
    input.orgSlug === undefined ? null : await db.withAdmin((tx) => findOrgId(tx, input.orgSlug as string));
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true }) : null;
  try {
    const report = await reconcileBudgets(db, redis, { orgId, fix: input.fix, actor: SYSTEM_ACTOR });
    const usd = (value: number) => value.toFixed(9).replace(/\.?0+$/, '');
    const lines = report.budgets.map(
      (entry) =>
        `${entry.budgetId} ${JSON.stringify(entry.name)} window ${entry.windowId}: counter ${usd(entry.counterUsd)} ` +
        `ledger ${usd(entry.ledgerUsd)} drift ${usd(entry.driftUsd)}${entry.fixed ? ' (fixed)' : ''}`,
    );
    return [...lines, report.message];
  } finally {
    redis?.disconnect();
  }
}
