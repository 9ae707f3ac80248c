// Reconciliation compares the Redis counters extproc enforces with against the spend ledger over the same window,
// reports the drift per budget and, with fix, sets each counter to the ledger value (audited). Through the API
// (admin only) and the CLI.
import { currentWindow, readBudgetUsage, type SnapshotBudget, setBudgetSpent } from '@acc/extproc/budgets';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { NO_REDIS_MESSAGE } from '../src/budgets/reconcile.js';
import { runCli } from '../src/cli.js';
import { insertLedgerRecord, monthStartUtc } from './support/budget-fixtures.js';
import { createOrg, createUser, setupApp, type TestContext, type TestOrg } from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;
let redis: Redis;
let app: Awaited<ReturnType<typeof buildApp>>;
let slug: string;
let teamBudget: SnapshotBudget;
let orgBudget: SnapshotBudget;
const now = Date.now();

const withRedis = (method: 'GET' | 'POST', url: string, headers = org.owner.bearer) =>
  app.inject({ method, url: `/api/v1${url}`, headers });

async function createBudget(payload: object): Promise<SnapshotBudget> {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/budgets',
    headers: org.owner.bearer,
    payload,
  });
  expect(response.statusCode, response.body).toBe(201);
  const { id, orgId, name, scope, subject, window, limitUsd, enforcement, models, alertThresholds } =
    response.json();
  return { id, orgId, name, scope, subject, window, limitUsd, enforcement, models, alertThresholds };
}

const windowId = (budget: SnapshotBudget) => currentWindow(budget.window, Date.now()).id;

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
  slug = (await ctx.db.pool.query('SELECT slug FROM orgs WHERE id = $1', [org.id])).rows[0].slug;
  redis = new Redis(inject('REDIS_URL'));
  app = await buildApp({
    config: ctx.config,
    db: ctx.db,
    redis,
    logger: false,
    publishPolicy: async () => {},
  });
  const teamId = (
    await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: org.owner.bearer,
      payload: { name: 'T' },
    })
  ).json().id;
  const monthly = { kind: 'calendar', period: 'month', timeZone: 'UTC' };
  teamBudget = await createBudget({
    name: 'Team',
    scope: 'team',
    subject: teamId,
    window: monthly,
    limitUsd: 100,
  });
  orgBudget = await createBudget({ name: 'Org', scope: 'org', window: monthly, limitUsd: 100 });
  const startedAt = new Date(monthStartUtc(now).getTime() + 1000);
  await insertLedgerRecord(ctx.db, { orgId: org.id, costUsd: 4.000000001, startedAt, teamId });
  await insertLedgerRecord(ctx.db, { orgId: org.id, costUsd: 1, startedAt });
  // The team counter lost a settle; the org counter counted one twice.
  await setBudgetSpent(redis, teamBudget, windowId(teamBudget), 3_000_000_000);
  await setBudgetSpent(redis, orgBudget, windowId(orgBudget), 6_000_000_002);
});
afterAll(async () => {
  await app?.close();
  redis?.disconnect();
  await ctx?.close();
});

describe('budget reconciliation', () => {
  it('reports drift per budget without changing anything', async () => {
    const response = await withRedis('POST', '/budgets/reconcile');
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json();
    expect(report).toMatchObject({ redis: true, fixed: false, message: '2 budget(s) checked, 2 drifting' });
    const byName = Object.fromEntries(report.budgets.map((entry: { name: string }) => [entry.name, entry]));
    expect(byName.Team).toEqual({
      budgetId: teamBudget.id,
      name: 'Team',
      windowId: windowId(teamBudget),
      counterUsd: 3,
      ledgerUsd: 4.000000001,
      driftUsd: -1.000000001,
      fixed: false,
    });
    expect(byName.Org).toMatchObject({
      counterUsd: 6.000000002,
      ledgerUsd: 5.000000001,
      driftUsd: 1.000000001,
    });
    expect((await readBudgetUsage(redis, teamBudget, Date.now())).spentUsd).toBe(3);
  });

  it('sets the counters to the ledger with fix=true, audited, after which nothing drifts', async () => {
    const response = await withRedis('POST', '/budgets/reconcile?fix=true');
    expect(response.json()).toMatchObject({
      fixed: true,
      message: '2 budget(s) checked, 2 drifting, set to the ledger',
    });
    expect((await readBudgetUsage(redis, teamBudget, Date.now())).spentUsd).toBe(4.000000001);
    expect((await readBudgetUsage(redis, orgBudget, Date.now())).spentUsd).toBe(5.000000001);
    const again = (await withRedis('POST', '/budgets/reconcile')).json();
    expect(again.message).toBe('2 budget(s) checked, no drift');
    expect(again.budgets.every((entry: { driftUsd: number }) => entry.driftUsd === 0)).toBe(true);
    const { rows } = await ctx.db.pool.query(
      `SELECT resource_id, actor_id, before, after FROM audit_log WHERE action = 'budget.reconcile' AND org_id = $1`,
      [org.id],
    );
    expect(rows.find((row) => row.resource_id === teamBudget.id)).toMatchObject({
      actor_id: org.owner.id,
      before: { spentUsd: 3 },
      after: { spentUsd: 4.000000001 },
    });
  });

  it('is for admins only, and says there is nothing to reconcile without Redis', async () => {
    const editor = await createUser(ctx.db, org.id, 'editor');
    expect((await withRedis('POST', '/budgets/reconcile', editor.bearer)).statusCode).toBe(403);
    const noRedis = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/budgets/reconcile',
      headers: org.owner.bearer,
    });
    expect(noRedis.json()).toEqual({ redis: false, message: NO_REDIS_MESSAGE, fixed: false, budgets: [] });
  });

  it('runs from the CLI: acc budgets reconcile [--fix] [--org SLUG]', async () => {
    await setBudgetSpent(redis, teamBudget, windowId(teamBudget), 1_500_000_000);
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: () => {} };
    const env = { DATABASE_URL: ctx.url, REDIS_URL: inject('REDIS_URL') };
    expect(await runCli(['budgets', 'reconcile', '--org', slug], env, io)).toBe(0);
    expect(lines).toContain(
      `${teamBudget.id} "Team" window ${windowId(teamBudget)}: counter 1.5 ledger 4.000000001 drift -2.500000001`,
    );
    expect(lines.at(-1)).toBe('2 budget(s) checked, 1 drifting');

    lines.length = 0;
    expect(await runCli(['budgets', 'reconcile', '--fix', '--org', slug], env, io)).toBe(0);
    expect(lines.at(-1)).toBe('2 budget(s) checked, 1 drifting, set to the ledger');
    expect((await readBudgetUsage(redis, teamBudget, Date.now())).spentUsd).toBe(4.000000001);

    lines.length = 0;
    expect(await runCli(['budgets', 'reconcile'], { DATABASE_URL: ctx.url }, io)).toBe(0);
    expect(lines).toEqual([NO_REDIS_MESSAGE]);
    expect(await runCli(['budgets', 'frobnicate'], env, io)).toBe(2);
  });
});
