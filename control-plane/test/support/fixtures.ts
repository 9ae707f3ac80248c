// Per-file test harness: a fresh database on the run's PostgreSQL, migrated, with the app built on it, plus helpers
// to create orgs, users with API tokens, and logged-in browser sessions.
/// <reference path="./provided.d.ts" />
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { inject } from 'vitest';
import { buildApp, type PolicyPublisher } from '../../src/app.js';
import type { Role } from '../../src/auth/principal.js';
import { hashPassword, newApiToken } from '../../src/auth/secrets.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createOrgWithOwner } from '../../src/db/bootstrap.js';
import { type Database, openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { createDatabase } from './services.js';

export const MASTER_KEY = 'a'.repeat(64);
export const PASSWORD = 'correct horse battery staple';

export interface TestContext {
  app: FastifyInstance;
  db: Database;
  url: string;
  config: Config;
  /** Orgs whose policy changed, in order (app.policyChanged calls). */
  published: string[];
  close(): Promise<void>;
}

export async function freshDatabaseUrl(): Promise<string> {
  return createDatabase(inject('DATABASE_ADMIN_URL'));
}

export async function setupApp(env: Record<string, string> = {}): Promise<TestContext> {
  const url = await freshDatabaseUrl();
  await migrate(url, 'up');
  const db = openDatabase({ url, maxConnections: 5 });
  const config = loadConfig({
    DATABASE_URL: url,
    ACC_MASTER_KEY: MASTER_KEY,
    ACC_LOG_LEVEL: 'silent',
    ...env,
  });
  const published: string[] = [];
  const publishPolicy: PolicyPublisher = async (orgId) => {
    published.push(orgId);
  };
  const app = await buildApp({ config, db, logger: false, publishPolicy });
  await app.ready();
  return {
    app,
    db,
    url,
    config,
    published,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

export interface TestUser {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  token: string;
  /** `Authorization` header value. */
  bearer: { authorization: string };
}

export interface TestOrg {
  id: string;
  owner: TestUser;
}

let counter = 0;
const unique = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${++counter}`;

export async function createOrg(db: Database, name = unique('org')): Promise<TestOrg> {
  const email = `${unique('owner')}@example.com`;
  const minted = newApiToken();
  const { orgId, userId } = await db.withAdmin((tx) =>
    createOrgWithOwner(tx, {
      orgName: name,
      slug: name.toLowerCase(),
      email,
      password: PASSWORD,
      apiToken: minted.token,
    }),
  );
  const owner: TestUser = {
    id: userId,
    orgId,
    email,
    role: 'owner',
    token: minted.token,
    bearer: { authorization: `Bearer ${minted.token}` },
  };
  return { id: orgId, owner };
}

/** A user of `orgId` with `role`, the shared PASSWORD and an API token; inserted directly, not through the API. */
export async function createUser(
  db: Database,
  orgId: string,
  role: Role,
  email = `${unique(role)}@example.com`,
) {
  const minted = newApiToken();
  const passwordHash = await hashPassword(PASSWORD);
  const id = await db.withTenant(orgId, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO users (org_id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [orgId, email, email.split('@')[0], passwordHash, role],
    );
    const userId = rows[0]?.id as string;
    await tx.query(
      `INSERT INTO api_tokens (org_id, user_id, name, token_digest, prefix) VALUES ($1, $2, 'test', $3, $4)`,
      [orgId, userId, minted.digest, minted.prefix],
    );
    return userId;
  });
  const user: TestUser = {
    id,
    orgId,
    email,
    role,
    token: minted.token,
    bearer: { authorization: `Bearer ${minted.token}` },
  };
  return user;
}

export interface BrowserSession {
  cookie: string;
  csrfToken: string;
  /** Headers for a state-changing request: cookie + CSRF token. */
  headers: { cookie: string; 'x-csrf-token': string };
  response: LightMyRequestResponse;
}

export async function login(
  app: FastifyInstance,
  email: string,
  password = PASSWORD,
): Promise<BrowserSession> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  const cookie = response.cookies.find((candidate) => candidate.name === 'acc_session');
  if (!cookie) throw new Error('login set no acc_session cookie');
  const csrfToken = response.json<{ csrfToken: string }>().csrfToken;
  const header = `acc_session=${cookie.value}`;
  return { cookie: header, csrfToken, headers: { cookie: header, 'x-csrf-token': csrfToken }, response };
}

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export function errorOf(response: LightMyRequestResponse): ErrorBody['error'] {
  return response.json<ErrorBody>().error;
}
