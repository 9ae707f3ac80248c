import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrg,
  createUser,
  errorOf,
  login,
  PASSWORD,
  setupApp,
  type TestContext,
  type TestOrg,
  type TestUser,
} from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;
let admin: TestUser;
let editor: TestUser;
let viewer: TestUser;

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
  [admin, editor, viewer] = await Promise.all([
    createUser(ctx.db, org.id, 'admin'),
    createUser(ctx.db, org.id, 'editor'),
    createUser(ctx.db, org.id, 'viewer'),
  ]);
});
afterAll(async () => ctx?.close());

const as = (user: TestUser, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  ctx.app.inject({ method, url: `/api/v1${url}`, headers: user.bearer, ...(payload ? { payload } : {}) });

const newUser = (role: string) => ({
  email: `new-${role}-${Math.random().toString(36).slice(2)}@example.com`,
  name: `New ${role}`,
  password: PASSWORD,
  role,
});

describe('teams', () => {
  it('viewers read but cannot create; editors can create, rename and delete', async () => {
    expect((await as(viewer, 'GET', '/teams')).statusCode).toBe(200);
    const denied = await as(viewer, 'POST', '/teams', { name: 'by viewer' });
    expect(denied.statusCode).toBe(403);
    expect(errorOf(denied)).toMatchObject({
      code: 'forbidden',
      details: { requiredRole: 'editor', role: 'viewer' },
    });

    const created = await as(editor, 'POST', '/teams', { name: 'by editor' });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    expect((await as(viewer, 'PATCH', `/teams/${id}`, { name: 'renamed' })).statusCode).toBe(403);
    expect((await as(viewer, 'DELETE', `/teams/${id}`)).statusCode).toBe(403);
    expect((await as(editor, 'PATCH', `/teams/${id}`, { name: 'renamed' })).statusCode).toBe(200);
    expect((await as(editor, 'DELETE', `/teams/${id}`)).statusCode).toBe(204);
  });
});

describe('org', () => {
  it('only admins and owners change the org', async () => {
    expect((await as(viewer, 'GET', '/orgs/current')).json().id).toBe(org.id);
    expect((await as(editor, 'PATCH', '/orgs/current', { name: 'Edited' })).statusCode).toBe(403);
    const response = await as(admin, 'PATCH', '/orgs/current', { name: 'Renamed Org' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: org.id, name: 'Renamed Org' });
  });
});

describe('users', () => {
  it('editors and viewers cannot manage users', async () => {
    expect((await as(viewer, 'GET', '/users')).statusCode).toBe(200);
    expect((await as(editor, 'POST', '/users', newUser('viewer'))).statusCode).toBe(403);
    expect((await as(editor, 'PATCH', `/users/${viewer.id}`, { role: 'editor' })).statusCode).toBe(403);
    expect((await as(editor, 'DELETE', `/users/${viewer.id}`)).statusCode).toBe(403);
  });

  it('admins create, update, disable and delete non-owners', async () => {
    for (const role of ['viewer', 'editor', 'admin']) {
      const response = await as(admin, 'POST', '/users', newUser(role));
      expect(response.statusCode, role).toBe(201);
      expect(response.json().role).toBe(role);
    }
    const created = (await as(admin, 'POST', '/users', newUser('viewer'))).json();
    const promoted = await as(admin, 'PATCH', `/users/${created.id}`, { role: 'editor', name: 'Promoted' });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json()).toMatchObject({ role: 'editor', name: 'Promoted', disabledAt: null });

    const disabled = await as(admin, 'PATCH', `/users/${created.id}`, { disabled: true });
    expect(disabled.json().disabledAt).not.toBeNull();
    const loginResponse = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: created.email, password: PASSWORD },
    });
    expect(loginResponse.statusCode).toBe(401);
    expect(
      (await as(admin, 'PATCH', `/users/${created.id}`, { disabled: false })).json().disabledAt,
    ).toBeNull();

    expect((await as(admin, 'DELETE', `/users/${created.id}`)).statusCode).toBe(204);
    expect((await as(admin, 'GET', `/users/${created.id}`)).statusCode).toBe(404);
  });

  it('only an owner creates, promotes to, changes or deletes an owner', async () => {
    const denied = await as(admin, 'POST', '/users', newUser('owner'));
    expect(denied.statusCode).toBe(403);
    expect(errorOf(denied).details).toMatchObject({ requiredRole: 'owner' });
    expect((await as(admin, 'PATCH', `/users/${editor.id}`, { role: 'owner' })).statusCode).toBe(403);
    expect((await as(admin, 'PATCH', `/users/${admin.id}`, { role: 'owner' })).statusCode).toBe(403);

    const owner2 = await as(org.owner, 'POST', '/users', newUser('owner'));
    expect(owner2.statusCode).toBe(201);
    const id = owner2.json().id;
    expect((await as(admin, 'PATCH', `/users/${id}`, { role: 'viewer' })).statusCode).toBe(403);
    expect((await as(admin, 'PATCH', `/users/${id}`, { password: 'a brand new password' })).statusCode).toBe(
      403,
    );
    expect((await as(admin, 'DELETE', `/users/${id}`)).statusCode).toBe(403);
    expect((await as(org.owner, 'DELETE', `/users/${id}`)).statusCode).toBe(204);
  });

  it('keeps at least one active owner', async () => {
    const demote = await as(org.owner, 'PATCH', `/users/${org.owner.id}`, { role: 'admin' });
    expect(demote.statusCode).toBe(409);
    expect(errorOf(demote).code).toBe('last_owner');

    const other = (await as(org.owner, 'POST', '/users', newUser('owner'))).json();
    expect((await as(org.owner, 'PATCH', `/users/${other.id}`, { disabled: true })).statusCode).toBe(200);
    // A disabled owner does not count.
    expect((await as(org.owner, 'PATCH', `/users/${org.owner.id}`, { role: 'admin' })).statusCode).toBe(409);
    expect((await as(org.owner, 'PATCH', `/users/${other.id}`, { disabled: false })).statusCode).toBe(200);
    const otherOwner = { ...org.owner, id: other.id };
    expect((await as(org.owner, 'DELETE', `/users/${otherOwner.id}`)).statusCode).toBe(204);
    expect((await as(org.owner, 'DELETE', `/users/${org.owner.id}`)).statusCode).toBe(409);
  });

  it('lets anyone change their own name and password, nothing else', async () => {
    const self = await createUser(ctx.db, org.id, 'viewer');
    const other = await login(ctx.app, self.email);
    const renamed = await as(self, 'PATCH', `/users/${self.id}`, {
      name: 'Me',
      password: 'my new passphrase 1',
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().name).toBe('Me');
    // A password change ends existing sessions.
    expect(
      (await ctx.app.inject({ url: '/api/v1/auth/session', headers: { cookie: other.cookie } })).statusCode,
    ).toBe(401);
    expect((await login(ctx.app, self.email, 'my new passphrase 1')).response.statusCode).toBe(200);

    expect((await as(self, 'PATCH', `/users/${self.id}`, { role: 'admin' })).statusCode).toBe(403);
    expect((await as(self, 'PATCH', `/users/${viewer.id}`, { name: 'Not me' })).statusCode).toBe(403);
    expect((await as(admin, 'PATCH', `/users/${admin.id}`, { disabled: true })).statusCode).toBe(409);
    expect((await as(admin, 'DELETE', `/users/${admin.id}`)).statusCode).toBe(409);
  });

  it('never returns password hashes', async () => {
    const responses = [
      await as(admin, 'GET', '/users?limit=200'),
      await as(admin, 'GET', `/users/${viewer.id}`),
      await as(admin, 'POST', '/users', newUser('viewer')),
      await as(admin, 'PATCH', `/users/${viewer.id}`, { password: 'another long password' }),
      await ctx.app.inject({ url: '/api/v1/auth/session', headers: admin.bearer }),
    ];
    for (const response of responses) {
      expect(response.statusCode).toBeLessThan(300);
      expect(response.body).not.toMatch(/password|argon2/i);
    }
  });
});
