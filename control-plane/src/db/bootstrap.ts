// First start on an empty database: create the org and its owner from ACC_ADMIN_EMAIL/ACC_ADMIN_PASSWORD, and
// optionally seed ACC_ADMIN_TOKEN as that owner's API token (stored as a digest like any other).
import { recordAudit, SYSTEM_ACTOR } from '../audit/audit.js';
import { apiTokenPrefix, digest, hashPassword } from '../auth/secrets.js';
import type { Config } from '../config.js';
import type { Database, Tx } from './database.js';

export interface BootstrapResult {
  created: boolean;
  orgId?: string;
  userId?: string;
}

export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return slug || 'org';
}

export interface NewOrg {
  orgName: string;
  slug?: string;
  email: string;
  password: string;
  userName?: string;
  apiToken?: string | null;
}

/** Creates an org with its owner (and API token); used by bootstrap, the CLI and tests. */
export async function createOrgWithOwner(tx: Tx, input: NewOrg): Promise<{ orgId: string; userId: string }> {
  const { rows: orgRows } = await tx.query<{ id: string; slug: string; name: string }>(
    'INSERT INTO orgs (slug, name) VALUES ($1, $2) RETURNING id, slug, name',
    [input.slug ?? slugify(input.orgName), input.orgName],
  );
  const org = orgRows[0];
  if (!org) throw new Error('org insert returned no row');
  const email = input.email.toLowerCase();
  const name = input.userName ?? email.split('@')[0] ?? email;
  const { rows: userRows } = await tx.query<{ id: string }>(
    `INSERT INTO users (org_id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, 'owner') RETURNING id`,
    [org.id, email, name, await hashPassword(input.password)],
  );
  const user = userRows[0];
  if (!user) throw new Error('user insert returned no row');
  await recordAudit(tx, {
    orgId: org.id,
    actor: SYSTEM_ACTOR,
    action: 'org.create',
    resourceType: 'org',
    resourceId: org.id,
    after: org,
  });
  await recordAudit(tx, {
    orgId: org.id,
    actor: SYSTEM_ACTOR,
    action: 'user.create',
    resourceType: 'user',
    resourceId: user.id,
    after: { id: user.id, orgId: org.id, email, name, role: 'owner' },
  });
  if (input.apiToken) {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO api_tokens (org_id, user_id, name, token_digest, prefix) VALUES ($1, $2, 'bootstrap', $3, $4)
       RETURNING id`,
      [org.id, user.id, digest(input.apiToken), apiTokenPrefix(input.apiToken)],
    );
    await recordAudit(tx, {
      orgId: org.id,
      actor: SYSTEM_ACTOR,
      action: 'api_token.create',
      resourceType: 'api_token',
      resourceId: rows[0]?.id ?? null,
      after: { name: 'bootstrap', userId: user.id, prefix: apiTokenPrefix(input.apiToken) },
    });
  }
  return { orgId: org.id, userId: user.id };
}

/** Does nothing unless the database has no org yet and an admin is configured. */
export async function bootstrap(db: Database, config: Config): Promise<BootstrapResult> {
  const admin = config.admin;
  if (!admin) return { created: false };
  return db.withAdmin(async (tx) => {
    // Two instances starting together on an empty database must not both create an org.
    await tx.query('LOCK TABLE orgs IN EXCLUSIVE MODE');
    const { rows } = await tx.query('SELECT 1 FROM orgs LIMIT 1');
    if (rows.length > 0) return { created: false };
    const created = await createOrgWithOwner(tx, {
      orgName: config.orgName,
      email: admin.email,
      password: admin.password,
      apiToken: config.adminToken,
    });
    return { created: true, ...created };
  });
}
