import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import {
  createOrg,
  createUser,
  errorOf,
  login,
  MASTER_KEY,
  PASSWORD,
  setupApp,
  type TestContext,
  type TestOrg,
} from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
});
afterAll(async () => ctx?.close());

const loginRequest = (email: string, password: string) =>
  ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });

describe('login', () => {
  it('returns the user and a CSRF token and sets an httpOnly SameSite=Strict session cookie', async () => {
    const response = await loginRequest(org.owner.email.toUpperCase(), PASSWORD);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.user).toMatchObject({
      id: org.owner.id,
      email: org.owner.email,
      role: 'owner',
      orgId: org.id,
    });
    expect(JSON.stringify(body)).not.toMatch(/password|hash/i);
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);

    const header = String(response.headers['set-cookie']);
    expect(header).toMatch(/^acc_session=[A-Za-z0-9_-]{40,};/);
    expect(header).toContain('HttpOnly');
    expect(header).toContain('SameSite=Strict');
    expect(header).toContain('Path=/');
    expect(header).toContain('Expires=');
    expect(header).not.toContain('Secure');

    // Only the digest of the session id is stored.
    const cookie = response.cookies.find((c) => c.name === 'acc_session')?.value as string;
    const { rows } = await ctx.db.pool.query('SELECT id_digest FROM sessions WHERE user_id = $1', [
      org.owner.id,
    ]);
    const digests = rows.map((row) => row.id_digest);
    expect(digests).toContain(createHash('sha256').update(cookie).digest('hex'));
    expect(digests).not.toContain(cookie);
  });

  it('marks the cookie Secure when the request came over https', async () => {
    const config = loadConfig({
      DATABASE_URL: ctx.url,
      ACC_MASTER_KEY: MASTER_KEY,
      ACC_LOG_LEVEL: 'silent',
      ACC_CP_TRUST_PROXY: 'true',
    });
    const app = await buildApp({ config, db: ctx.db, logger: false });
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-forwarded-proto': 'https' },
        payload: { email: org.owner.email, password: PASSWORD },
      });
      expect(response.statusCode).toBe(200);
      expect(String(response.headers['set-cookie'])).toContain('Secure');
    } finally {
      await app.close();
    }
  });

  it('answers a wrong password, an unknown email and a disabled user identically', async () => {
    const disabled = await createUser(ctx.db, org.id, 'viewer');
    await ctx.db.withTenant(org.id, (tx) =>
      tx.query('UPDATE users SET disabled_at = now() WHERE id = $1', [disabled.id]),
    );
    const responses = await Promise.all([
      loginRequest(org.owner.email, 'wrong password!!'),
      loginRequest('nobody-at-all@example.com', PASSWORD),
      loginRequest(disabled.email, PASSWORD),
    ]);
    for (const response of responses) {
      expect(response.statusCode).toBe(401);
      expect(response.cookies).toHaveLength(0);
    }
    const bodies = new Set(responses.map((response) => response.body));
    expect(bodies.size).toBe(1);
    expect(errorOf(responses[0] as never)).toEqual({
      code: 'invalid_credentials',
      message: 'Email or password is incorrect',
      details: {},
    });
  });

  it('rejects a body without a password with the field at fault', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'a@b.c' },
    });
    expect(response.statusCode).toBe(400);
    expect(errorOf(response)).toMatchObject({ code: 'validation_failed', details: { field: 'password' } });
  });
});

describe('session and CSRF', () => {
  it('GET /auth/session returns the principal and the same CSRF token', async () => {
    const session = await login(ctx.app, org.owner.email);
    const response = await ctx.app.inject({
      url: '/api/v1/auth/session',
      headers: { cookie: session.cookie },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      principal: { kind: 'user', id: org.owner.id, orgId: org.id, role: 'owner' },
      authenticatedBy: 'session',
      csrfToken: session.csrfToken,
    });
  });

  it('requires x-csrf-token on cookie-authenticated state changes, but not on reads', async () => {
    const session = await login(ctx.app, org.owner.email);
    const post = (headers: Record<string, string>) =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/v1/teams',
        headers,
        payload: { name: `csrf-${Math.random()}` },
      });

    const missing = await post({ cookie: session.cookie });
    expect(missing.statusCode).toBe(403);
    expect(errorOf(missing).code).toBe('csrf_failed');
    const wrong = await post({ cookie: session.cookie, 'x-csrf-token': `${session.csrfToken.slice(1)}x` });
    expect(wrong.statusCode).toBe(403);
    expect(errorOf(wrong).code).toBe('csrf_failed');
    expect((await post(session.headers)).statusCode).toBe(201);

    const read = await ctx.app.inject({ url: '/api/v1/teams', headers: { cookie: session.cookie } });
    expect(read.statusCode).toBe(200);
    for (const method of ['PATCH', 'DELETE'] as const) {
      const response = await ctx.app.inject({
        method,
        url: '/api/v1/orgs/current',
        headers: { cookie: session.cookie },
        payload: {},
      });
      expect(response.statusCode).toBe(method === 'PATCH' ? 403 : 404);
    }
  });

  it('does not require CSRF for bearer API tokens', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: org.owner.bearer,
      payload: { name: 'bearer-team' },
    });
    expect(response.statusCode).toBe(201);
  });

  it('logout ends the session for good', async () => {
    const session = await login(ctx.app, org.owner.email);
    const logout = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: session.headers,
    });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toMatch(/acc_session=;.*Expires=Thu, 01 Jan 1970/);
    const after = await ctx.app.inject({ url: '/api/v1/auth/session', headers: { cookie: session.cookie } });
    expect(after.statusCode).toBe(401);
    expect(errorOf(after).code).toBe('unauthenticated');
  });

  it('refuses expired sessions and sessions of disabled users', async () => {
    const user = await createUser(ctx.db, org.id, 'editor');
    const expired = await login(ctx.app, user.email);
    await ctx.db.pool.query(
      `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    expect(
      (await ctx.app.inject({ url: '/api/v1/teams', headers: { cookie: expired.cookie } })).statusCode,
    ).toBe(401);

    const live = await login(ctx.app, user.email);
    await ctx.db.pool.query('UPDATE users SET disabled_at = now() WHERE id = $1', [user.id]);
    expect(
      (await ctx.app.inject({ url: '/api/v1/teams', headers: { cookie: live.cookie } })).statusCode,
    ).toBe(401);
    expect((await ctx.app.inject({ url: '/api/v1/teams', headers: user.bearer })).statusCode).toBe(401);
  });
});

describe('API tokens', () => {
  it('authenticates and records last use at most once a minute', async () => {
    const user = await createUser(ctx.db, org.id, 'viewer');
    const lastUsed = async () =>
      (await ctx.db.pool.query('SELECT last_used_at FROM api_tokens WHERE user_id = $1', [user.id])).rows[0]
        ?.last_used_at as Date | null;
    expect(await lastUsed()).toBeNull();
    expect((await ctx.app.inject({ url: '/api/v1/teams', headers: user.bearer })).statusCode).toBe(200);
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    expect((await ctx.app.inject({ url: '/api/v1/teams', headers: user.bearer })).statusCode).toBe(200);
    expect((await lastUsed())?.getTime()).toBe(first?.getTime());
  });

  it('rejects unknown, malformed, revoked and expired tokens', async () => {
    const user = await createUser(ctx.db, org.id, 'viewer');
    const get = (authorization: string) =>
      ctx.app.inject({ url: '/api/v1/teams', headers: { authorization } });
    expect((await get(`Bearer accp_${'x'.repeat(43)}`)).statusCode).toBe(401);
    expect((await get('Bearer not-a-token')).statusCode).toBe(401);
    expect((await get(`Basic ${Buffer.from('a:b').toString('base64')}`)).statusCode).toBe(401);

    await ctx.db.pool.query(
      `UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    expect((await get(user.bearer.authorization)).statusCode).toBe(401);
    await ctx.db.pool.query(
      'UPDATE api_tokens SET expires_at = NULL, revoked_at = now() WHERE user_id = $1',
      [user.id],
    );
    const revoked = await get(user.bearer.authorization);
    expect(revoked.statusCode).toBe(401);
    expect(errorOf(revoked)).toMatchObject({ code: 'unauthenticated' });
  });

  it('requires a principal on every /api/v1 route except login', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/teams'],
      ['GET', '/api/v1/users'],
      ['GET', '/api/v1/orgs/current'],
      ['GET', '/api/v1/auth/session'],
      ['POST', '/api/v1/auth/logout'],
    ] as const) {
      const response = await ctx.app.inject({ method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
      expect(errorOf(response).code).toBe('unauthenticated');
    }
  });
});
