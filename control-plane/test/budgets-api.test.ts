// Budgets through the API: CRUD with validation and audit, and the live state each response carries, read from
// the Redis counters extproc enforces with or, without Redis, summed from the spend ledger.
import { randomUUID } from 'node:crypto';
import { currentWindow, RedisBudgetStore, type SnapshotBudget, setBudgetSpent } from '@acc/extproc/budgets';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { insertLedgerRecord, monthStartUtc } from './support/budget-fixtures.js';
import {
  createOrg,
  createUser,
  errorOf,
  setupApp,
  type TestContext,
  type TestOrg,
  type TestUser,
} from './support/fixtures.js';

const INTERNAL_TOKEN = 'i'.repeat(40);

let ctx: TestContext;
let org: TestOrg;
let other: TestOrg;
let teamId: string;
let otherTeamId: string;
let editor: TestUser;
let viewer: TestUser;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const api = (method: Method, url: string, payload?: object, headers = org.owner.bearer) =>
  ctx.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

const monthly = { kind: 'calendar', period: 'month', timeZone: 'UTC' };

beforeAll(async () => {
  ctx = await setupApp({ ACC_INTERNAL_TOKEN: INTERNAL_TOKEN });
  [org, other] = await Promise.all([createOrg(ctx.db), createOrg(ctx.db)]);
  teamId = (await api('POST', '/teams', { name: 'Platform' })).json().id;
  otherTeamId = (await api('POST', '/teams', { name: 'Platform' }, other.owner.bearer)).json().id;
  editor = await createUser(ctx.db, org.id, 'editor');
  viewer = await createUser(ctx.db, org.id, 'viewer');
});
afterAll(async () => ctx?.close());

describe('budget CRUD', () => {
  it('creates with defaults, reads, lists, updates, deletes, audits and republishes', async () => {
    const published = ctx.published.length;
    const created = await api('POST', '/budgets', {
      name: 'Platform monthly',
      scope: 'team',
      subject: teamId,
      window: { kind: 'calendar', period: 'month' },
      limitUsd: 100,
    });
    expect(created.statusCode, created.body).toBe(201);
    const budget = created.json();
    expect(budget).toMatchObject({
      orgId: org.id,
      name: 'Platform monthly',
      scope: 'team',
      subject: teamId,
      window: { kind: 'calendar', period: 'month', timeZone: 'UTC' },
      limitUsd: 100,
      enforcement: 'hard',
      models: null,
      alertThresholds: [50, 80, 100],
      spentUsd: 0,
      reservedUsd: 0,
      remainingUsd: 100,
      utilisation: 0,
    });
    expect(ctx.published.slice(published)).toEqual([org.id]);

    expect((await api('GET', `/budgets/${budget.id}`, undefined, viewer.bearer)).json()).toMatchObject({
      id: budget.id,
      name: 'Platform monthly',
    });
    const listed = (
      await api('GET', `/budgets?scope=team&subject=${teamId}`, undefined, viewer.bearer)
    ).json();
    expect(listed.items.map((item: { id: string }) => item.id)).toEqual([budget.id]);
    expect((await api('GET', '/budgets?scope=agent')).json().items).toEqual([]);

    const updated = await api('PATCH', `/budgets/${budget.id}`, {
      limitUsd: 250.5,
      enforcement: 'soft',
      alertThresholds: [120, 25, 75],
      models: ['gpt-4o'],
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({
      limitUsd: 250.5,
      enforcement: 'soft',
      alertThresholds: [25, 75, 120],
      models: ['gpt-4o'],
      remainingUsd: 250.5,
    });

    expect((await api('DELETE', `/budgets/${budget.id}`)).statusCode).toBe(204);
    expect((await api('GET', `/budgets/${budget.id}`)).statusCode).toBe(404);
    expect(ctx.published.slice(published)).toEqual([org.id, org.id, org.id]);

    const { rows } = await ctx.db.pool.query(
      'SELECT action, actor_id FROM audit_log WHERE resource_id = $1 ORDER BY id',
      [budget.id],
    );
    expect(rows).toEqual(
      ['budget.create', 'budget.update', 'budget.delete'].map((action) => ({
        action,
        actor_id: org.owner.id,
      })),
    );
  });

  it('lets members read and only admins write', async () => {
    const body = { name: 'Editors try', scope: 'org', window: monthly, limitUsd: 1 };
    expect((await api('POST', '/budgets', body, editor.bearer)).statusCode).toBe(403);
    expect((await api('GET', '/budgets', undefined, viewer.bearer)).statusCode).toBe(200);
  });

  it('keeps orgs apart', async () => {
    const mine = (
      await api('POST', '/budgets', { name: 'Mine', scope: 'org', window: monthly, limitUsd: 5 })
    ).json();
    const theirs = await api('GET', `/budgets/${mine.id}`, undefined, other.owner.bearer);
    expect(theirs.statusCode).toBe(404);
    expect((await api('GET', '/budgets', undefined, other.owner.bearer)).json().items).toEqual([]);
    expect((await api('DELETE', `/budgets/${mine.id}`, undefined, other.owner.bearer)).statusCode).toBe(404);
    // At the SQL level too: the other org's tenant transaction sees none of this org's budgets.
    const seen = await ctx.db.withTenant(other.id, (tx) => tx.query('SELECT id FROM budgets'));
    expect(seen.rows).toEqual([]);
  });
});

describe('budget validation', () => {
  const base = { name: 'Checked', scope: 'org', window: monthly, limitUsd: 10 };
  const cases: [string, object, number, string][] = [
    ['unknown time zone', { window: { ...monthly, timeZone: 'Mars/Olympus' } }, 400, 'window.timeZone'],
    ['subject on an org budget', { subject: 'x' }, 400, 'subject'],
    ['team budget without subject', { scope: 'team' }, 400, 'subject'],
    ['team subject that is not an id', { scope: 'team', subject: 'platform' }, 400, 'subject'],
    ['agent name with spaces', { scope: 'agent', subject: 'my agent' }, 400, 'subject'],
    ['threshold 0', { alertThresholds: [0] }, 400, 'alertThresholds.0'],
    ['threshold 1001', { alertThresholds: [50, 1001] }, 400, 'alertThresholds.1'],
    ['duplicate thresholds', { alertThresholds: [50, 50] }, 400, 'alertThresholds'],
    ['zero limit', { limitUsd: 0 }, 400, 'limitUsd'],
    ['rolling window under a minute', { window: { kind: 'rolling', seconds: 10 } }, 400, 'window'],
  ];
  for (const [label, change, status, field] of cases) {
    it(`refuses ${label}`, async () => {
      const response = await api('POST', '/budgets', { ...base, ...change });
      expect(response.statusCode, response.body).toBe(status);
      expect(errorOf(response)).toMatchObject({ code: 'validation_failed' });
      expect(String(errorOf(response).details.field)).toContain(field);
    });
  }

  it('refuses subjects that do not exist in the org (404, like a foreign id)', async () => {
    const foreignTeam = await api('POST', '/budgets', { ...base, scope: 'team', subject: otherTeamId });
    expect(foreignTeam.statusCode).toBe(404);
    expect(errorOf(foreignTeam).message).toBe('Team not found');
    const missingKey = await api('POST', '/budgets', {
      ...base,
      scope: 'key',
      subject: '00000000-0000-4000-8000-000000000000',
    });
    expect(missingKey.statusCode).toBe(404);
    const user = await api('POST', '/budgets', {
      ...base,
      name: 'Viewer spend',
      scope: 'user',
      subject: viewer.id,
    });
    expect(user.statusCode, user.body).toBe(201);
  });

  it('stores time zones in their IANA spelling', async () => {
    const window = { kind: 'calendar', period: 'week', timeZone: 'europe/paris' };
    const created = await api('POST', '/budgets', { ...base, name: 'Paris weekly', window });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().window).toEqual({ kind: 'calendar', period: 'week', timeZone: 'Europe/Paris' });
  });

  it('keeps scope, subject and window fixed after creation, and names unique', async () => {
    const created = (await api('POST', '/budgets', { ...base, name: 'Fixed' })).json();
    const patch = await api('PATCH', `/budgets/${created.id}`, {
      window: { kind: 'rolling', seconds: 3600 },
    });
    expect(patch.statusCode).toBe(400);
    expect(errorOf(patch).details.field).toBe('window');
    const duplicate = await api('POST', '/budgets', { ...base, name: 'Fixed' });
    expect(duplicate.statusCode).toBe(409);
    expect(errorOf(duplicate).details.field).toBe('name');
  });
});

describe('live state from the spend ledger (no Redis)', () => {
  it('sums priced records of the current window that match scope and models', async () => {
    const nowMs = Date.now();
    const inWindow = new Date(monthStartUtc(nowMs).getTime() + 1000);
    const beforeWindow = new Date(monthStartUtc(nowMs).getTime() - 1000);
    const record = (costUsd: number | null, extra: object = {}, startedAt = inWindow) =>
      insertLedgerRecord(ctx.db, { orgId: org.id, costUsd, startedAt, ...extra });
    await record(1.25, { teamId, tags: ['support'], agent: 'triage', modelRequested: 'gpt-4o' });
    await record(2.5, { teamId, modelRequested: 'gpt-4o-mini' });
    await record(null, { teamId, modelRequested: 'gpt-4o' }); // unpriced: cannot be charged
    await record(7, { teamId, modelRequested: 'gpt-4o' }, beforeWindow); // previous month
    await record(0.125, { tags: ['support', 'eu'], agent: 'triage' }); // no team
    await insertLedgerRecord(ctx.db, {
      orgId: other.id,
      costUsd: 50,
      startedAt: inWindow,
      teamId: otherTeamId,
    });

    const create = async (name: string, fields: object) => {
      const response = await api('POST', '/budgets', { name, window: monthly, limitUsd: 10, ...fields });
      expect(response.statusCode, response.body).toBe(201);
      return response.json();
    };
    const team = await create('Team', { scope: 'team', subject: teamId });
    expect(team).toMatchObject({ spentUsd: 3.75, reservedUsd: 0, remainingUsd: 6.25, utilisation: 0.375 });
    expect(team.windowStart).toBe(monthStartUtc(nowMs).toISOString());
    expect(Date.parse(team.resetsAt)).toBeGreaterThan(nowMs);
    expect((await create('Team 4o', { scope: 'team', subject: teamId, models: ['gpt-4o'] })).spentUsd).toBe(
      1.25,
    );
    expect((await create('Whole org', { scope: 'org' })).spentUsd).toBe(3.875);
    expect((await create('Support tag', { scope: 'tag', subject: 'support' })).spentUsd).toBe(1.375);
    expect((await create('EU tag', { scope: 'tag', subject: 'eu' })).spentUsd).toBe(0.125);
    expect((await create('Triage agent', { scope: 'agent', subject: 'triage' })).spentUsd).toBe(1.375);
    const listed = (await api('GET', '/budgets?scope=team')).json().items;
    expect(listed.find((item: { id: string }) => item.id === team.id).spentUsd).toBe(3.75);
  });

  it('serves each current window spend to extproc on the internal endpoint, with the internal token only', async () => {
    const denied = await ctx.app.inject({ url: '/internal/v1/budgets/spend' });
    expect(denied.statusCode).toBe(401);
    const response = await ctx.app.inject({
      url: '/internal/v1/budgets/spend',
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}` },
    });
    expect(response.statusCode).toBe(200);
    const { budgets } = response.json() as {
      budgets: { budgetId: string; windowId: string; spentNanos: number }[];
    };
    const team = (await api('GET', '/budgets?scope=team'))
      .json()
      .items.find((b: { name: string }) => b.name === 'Team');
    const entry = budgets.find((b) => b.budgetId === team.id);
    expect(entry).toEqual({
      budgetId: team.id,
      windowId: currentWindow(team.window, Date.now()).id,
      spentNanos: 3_750_000_000,
    });
  });
});

describe('live state from Redis', () => {
  it('reads spent and in-flight reservations from the enforcement counters', async () => {
    const redis = new Redis(inject('REDIS_URL'));
    const app = await buildApp({
      config: ctx.config,
      db: ctx.db,
      redis,
      logger: false,
      publishPolicy: async () => {},
    });
    try {
      const create = await app.inject({
        method: 'POST',
        url: '/api/v1/budgets',
        headers: org.owner.bearer,
        payload: {
          name: 'Redis daily',
          scope: 'org',
          window: { kind: 'calendar', period: 'day' },
          limitUsd: 20,
        },
      });
      expect(create.statusCode, create.body).toBe(201);
      // Whatever the ledger holds, Redis is the source when there is Redis: a fresh counter reads 0.
      expect(create.json()).toMatchObject({ spentUsd: 0, remainingUsd: 20 });
      const view = create.json();
      const budget: SnapshotBudget = {
        id: view.id,
        orgId: view.orgId,
        name: view.name,
        scope: view.scope,
        subject: view.subject,
        window: view.window,
        limitUsd: view.limitUsd,
        enforcement: view.enforcement,
        models: view.models,
        alertThresholds: view.alertThresholds,
      };
      await setBudgetSpent(redis, budget, currentWindow(budget.window, Date.now()).id, 15_000_000_000);
      // A request in flight, reserved the way extproc does before forwarding it.
      const store = new RedisBudgetStore({ client: redis });
      const reserved = await store.reserve({
        requestId: randomUUID(),
        costNanos: 2_000_000_000,
        tokens: 100,
        budgets: [{ budget, window: currentWindow(budget.window, Date.now()) }],
        rateLimits: [],
        ttlMs: 60_000,
      });
      expect(reserved.status).toBe('admitted');
      const read = await app.inject({ url: `/api/v1/budgets/${view.id}`, headers: org.owner.bearer });
      expect(read.json()).toMatchObject({ spentUsd: 15, reservedUsd: 2, remainingUsd: 3, utilisation: 0.75 });
    } finally {
      await app.close();
      redis.disconnect();
    }
  });
});
