// CRUD behaviour of teams and users: pagination, filters, conflicts, and references between them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrg,
  errorOf,
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

const as = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  ctx.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: org.owner.bearer,
    ...(payload ? { payload } : {}),
  });

describe('teams', () => {
  const names = ['Alpha', 'beta', 'Gamma', '100% done', 'under_score', 'Delta'];
  let created: { id: string; name: string }[] = [];

  beforeAll(async () => {
    created = [];
    for (const name of names) created.push((await as('POST', '/teams', { name })).json());
  });

  it('creates, reads, renames and deletes', async () => {
    const team = (await as('POST', '/teams', { name: '  Padded  ' })).json();
    expect(team).toMatchObject({ name: 'Padded', orgId: org.id });
    expect((await as('GET', `/teams/${team.id}`)).json()).toEqual(team);
    const renamed = await as('PATCH', `/teams/${team.id}`, { name: 'Renamed' });
    expect(renamed.json()).toEqual({ ...team, name: 'Renamed' });
    expect((await as('PATCH', `/teams/${team.id}`, {})).json().name).toBe('Renamed');
    expect((await as('DELETE', `/teams/${team.id}`)).statusCode).toBe(204);
    expect((await as('GET', `/teams/${team.id}`)).statusCode).toBe(404);
    expect((await as('DELETE', `/teams/${team.id}`)).statusCode).toBe(404);
  });

  it('refuses duplicate names within the org with 409 naming the field', async () => {
    const response = await as('POST', '/teams', { name: 'Alpha' });
    expect(response.statusCode).toBe(409);
    expect(errorOf(response)).toMatchObject({ code: 'conflict', details: { field: 'name' } });
    const rename = await as('PATCH', `/teams/${created[1]?.id}`, { name: 'Alpha' });
    expect(rename.statusCode).toBe(409);
  });

  it('pages with a cursor through every team exactly once, in creation order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=4&cursor=${cursor}` : '?limit=4';
      const page = (await as('GET', `/teams${query}`)).json();
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((team: { id: string }) => team.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    const all = (await as('GET', '/teams?limit=200')).json();
    expect(all.nextCursor).toBeNull();
    expect(seen).toEqual(all.items.map((team: { id: string }) => team.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(created.map((team) => team.id)));
    expect(pages).toBeGreaterThan(1);
  });

  it('pages with an offset too', async () => {
    const all = (await as('GET', '/teams?limit=200')).json().items;
    const page = (await as('GET', '/teams?limit=2&offset=2')).json();
    expect(page.items).toEqual(all.slice(2, 4));
    expect(page.nextCursor).not.toBeNull();
    expect((await as('GET', `/teams?offset=${all.length}`)).json()).toEqual({ items: [], nextCursor: null });
  });

  it('filters by name, case-insensitively, with % and _ taken literally', async () => {
    const names = async (filter: string) =>
      (await as('GET', `/teams?name=${encodeURIComponent(filter)}`))
        .json()
        .items.map((t: { name: string }) => t.name);
    expect(await names('ALPHA')).toEqual(['Alpha']);
    expect((await names('ta')).sort()).toEqual(['Delta', 'beta']);
    expect(await names('%')).toEqual(['100% done']);
    expect(await names('_')).toEqual(['under_score']);
  });
});

describe('users', () => {
  it('creates with a lower-cased email and a team, filters, updates and deletes', async () => {
    const team = (await as('POST', '/teams', { name: 'Users team' })).json();
    const response = await as('POST', '/users', {
      email: 'Mixed.Case@Example.com',
      name: 'Mixed',
      password: PASSWORD,
      role: 'editor',
      teamId: team.id,
    });
    expect(response.statusCode).toBe(201);
    const user = response.json();
    expect(user).toMatchObject({
      email: 'mixed.case@example.com',
      role: 'editor',
      teamId: team.id,
      disabledAt: null,
    });
    expect((await as('GET', `/users/${user.id}`)).json()).toEqual(user);

    const byRole = (await as('GET', '/users?role=editor')).json().items.map((u: { id: string }) => u.id);
    expect(byRole).toEqual([user.id]);
    expect((await as('GET', `/users?teamId=${team.id}`)).json().items).toHaveLength(1);
    expect((await as('GET', '/users?email=MIXED')).json().items).toHaveLength(1);

    const moved = await as('PATCH', `/users/${user.id}`, { teamId: null, email: 'Moved@Example.com' });
    expect(moved.json()).toMatchObject({ teamId: null, email: 'moved@example.com' });
    expect((await as('DELETE', `/users/${user.id}`)).statusCode).toBe(204);
    expect((await as('GET', `/users/${user.id}`)).statusCode).toBe(404);
  });

  it('deleting a team leaves its members without a team', async () => {
    const team = (await as('POST', '/teams', { name: 'Doomed' })).json();
    const user = (
      await as('POST', '/users', {
        email: 'member@example.com',
        name: 'M',
        password: PASSWORD,
        role: 'viewer',
        teamId: team.id,
      })
    ).json();
    expect((await as('DELETE', `/teams/${team.id}`)).statusCode).toBe(204);
    expect((await as('GET', `/users/${user.id}`)).json().teamId).toBeNull();
  });

  it('rejects duplicate emails, unknown teams, weak passwords and empty updates', async () => {
    const duplicate = await as('POST', '/users', {
      email: org.owner.email.toUpperCase(),
      name: 'Dup',
      password: PASSWORD,
      role: 'viewer',
    });
    expect(duplicate.statusCode).toBe(409);
    expect(errorOf(duplicate).details.field).toBe('email');

    const unknownTeam = await as('POST', '/users', {
      email: 'ghost@example.com',
      name: 'G',
      password: PASSWORD,
      role: 'viewer',
      teamId: crypto.randomUUID(),
    });
    expect(unknownTeam.statusCode).toBe(400);
    expect(errorOf(unknownTeam).details).toMatchObject({ field: 'teamId' });

    const weak = await as('POST', '/users', {
      email: 'weak@example.com',
      name: 'W',
      password: 'short',
      role: 'viewer',
    });
    expect(errorOf(weak).details).toMatchObject({ field: 'password' });

    const empty = await as('PATCH', `/users/${org.owner.id}`, {});
    expect(empty.statusCode).toBe(400);
    const unknownField = await as('PATCH', `/users/${org.owner.id}`, { passwordHash: 'x' });
    expect(errorOf(unknownField).details).toMatchObject({ field: 'passwordHash' });
    expect((await as('PATCH', `/users/${crypto.randomUUID()}`, { name: 'x' })).statusCode).toBe(404);
  });
});
