// The ledger's HTTP side: extproc's internal endpoint (no-Redis mode) and the tenant API reading it back, with
// filters, pagination, grouped totals and org isolation.
import { LEDGER_MAX_BATCH, LEDGER_PATH } from '@acc/extproc/ledger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRecord } from '../../extproc/test/ledger/support.js';
import { createOrg, createUser, setupApp, type TestContext, type TestOrg } from './support/fixtures.js';

const TOKEN = 'ledger-internal-token-0123456789abcdef';
const TEAM = 'aaaaaaaa-0000-4000-8000-000000000001';
const USER = 'bbbbbbbb-0000-4000-8000-000000000002';
const DAY = 86_400_000;

let ctx: TestContext;
let a: TestOrg;
let b: TestOrg;

/** A's six requests over two days, two keys, two models; one unpriced. */
function orgARecords(orgId: string) {
  const base = Date.UTC(2026, 2, 1, 10);
  return [
    makeRecord(1, { orgId, startedAt: base, keyId: 'key-1', teamId: TEAM, agent: 'planner', tags: ['prod'] }),
    makeRecord(2, { orgId, startedAt: base + 1000, keyId: 'key-1', teamId: TEAM, userId: USER }),
    makeRecord(3, { orgId, startedAt: base + 2000, keyId: 'key-2', model: 'gpt-4o', tags: ['prod', 'eval'] }),
    makeRecord(4, { orgId, startedAt: base + DAY, keyId: 'key-2', model: 'gpt-4o', agent: 'planner' }),
    makeRecord(5, { orgId, startedAt: base + DAY + 1000, keyId: 'key-2', costUsd: null }),
    makeRecord(6, {
      orgId,
      startedAt: base + DAY + 2000,
      keyId: 'key-1',
      usage: null,
      costUsd: null,
      status: 429,
    }),
  ];
}

function postLedger(records: unknown[], token: string | null = TOKEN) {
  return ctx.app.inject({
    method: 'POST',
    url: LEDGER_PATH,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    payload: { records },
  });
}

function get(org: TestOrg, url: string, query: Record<string, string> = {}) {
  return ctx.app.inject({ method: 'GET', url, query, headers: org.owner.bearer });
}

beforeAll(async () => {
  ctx = await setupApp({ ACC_INTERNAL_TOKEN: TOKEN });
  a = await createOrg(ctx.db);
  b = await createOrg(ctx.db);
  const records = [
    ...orgARecords(a.id),
    makeRecord(100, { orgId: b.id, keyId: 'key-b' }),
    makeRecord(101, { orgId: b.id, keyId: 'key-b' }),
    // A bootstrap key: no org, visible to nobody through the API.
    makeRecord(200, { orgId: null, keyId: 'bootstrap-1' }),
  ];
  const response = await postLedger(records);
  expect(response.statusCode).toBe(200);
  expect(response.json()).toEqual({ inserted: 9, rejected: [] });
});

afterAll(async () => {
  await ctx.close();
});

describe('POST /internal/v1/ledger', () => {
  it('needs the internal token', async () => {
    expect((await postLedger([makeRecord(300)], null)).statusCode).toBe(401);
    expect((await postLedger([makeRecord(300)], 'x'.repeat(40))).statusCode).toBe(401);
    const { rows } = await ctx.db.pool.query(`SELECT 1 FROM spend_ledger WHERE request_id = 'req-300'`);
    expect(rows).toEqual([]);
  });

  it('is idempotent on the request id', async () => {
    const again = await postLedger(orgARecords(a.id));
    expect(again.json()).toEqual({ inserted: 0, rejected: [] });
    const { rows } = await ctx.db.pool.query('SELECT count(*) AS n FROM spend_ledger WHERE org_id = $1', [
      a.id,
    ]);
    expect(rows[0]?.n).toBe(6);
  });

  it('refuses an invalid record alone and stores the rest of the batch', async () => {
    const response = await postLedger([
      makeRecord(400, { orgId: null, keyId: 'key-c' }),
      { ...makeRecord(401), orgId: 'not-a-uuid' },
      { requestId: 'req-402' },
    ]);
    expect(response.statusCode).toBe(200);
    const body = response.json<{ inserted: number; rejected: Array<{ index: number; message: string }> }>();
    expect(body.inserted).toBe(1);
    expect(body.rejected.map((entry) => entry.index)).toEqual([1, 2]);
    expect(body.rejected[0]?.message).toMatch(/orgId/);
    const { rows } = await ctx.db.pool.query(
      `SELECT request_id FROM spend_ledger WHERE request_id LIKE 'req-40_'`,
    );
    expect(rows).toEqual([{ request_id: 'req-400' }]);
    await ctx.db.pool.query(`DELETE FROM spend_ledger WHERE request_id = 'req-400'`);
  });

  it('refuses a batch larger than LEDGER_MAX_BATCH', async () => {
    const records = Array.from({ length: LEDGER_MAX_BATCH + 1 }, (_, i) => makeRecord(1000 + i));
    expect((await postLedger(records)).statusCode).toBe(400);
  });
});

interface Page {
  items: Array<{ requestId: string; costUsd: number | null; usage: unknown; tags: string[] }>;
  nextCursor: string | null;
}

describe('GET /api/v1/spend', () => {
  it("lists only the caller's org, newest first, with the record's fields", async () => {
    const page = (await get(a, '/api/v1/spend')).json<Page>();
    expect(page.items.map((item) => item.requestId)).toEqual([
      'req-6',
      'req-5',
      'req-4',
      'req-3',
      'req-2',
      'req-1',
    ]);
    expect(page.nextCursor).toBeNull();
    expect(page.items[5]).toMatchObject({
      requestId: 'req-1',
      startedAt: new Date(Date.UTC(2026, 2, 1, 10)).toISOString(),
      keyId: 'key-1',
      teamId: TEAM,
      agent: 'planner',
      tags: ['prod'],
      model: 'gpt-4o-mini',
      usage: {
        inputTokens: 101,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 10,
        reasoningTokens: 0,
      },
      costUsd: makeRecord(1).costUsd,
    });
    expect(page.items[0]).toMatchObject({ usage: null, costUsd: null, status: 429 });
    const other = (await get(b, '/api/v1/spend')).json<Page>();
    expect(other.items.map((item) => item.requestId)).toEqual(['req-101', 'req-100']);
  });

  it('filters by key, team, user, agent, tag, model and time', async () => {
    const ids = async (query: Record<string, string>) =>
      (await get(a, '/api/v1/spend', query)).json<Page>().items.map((item) => item.requestId);
    expect(await ids({ key: 'key-1' })).toEqual(['req-6', 'req-2', 'req-1']);
    expect(await ids({ team: TEAM })).toEqual(['req-2', 'req-1']);
    expect(await ids({ user: USER })).toEqual(['req-2']);
    expect(await ids({ agent: 'planner' })).toEqual(['req-4', 'req-1']);
    expect(await ids({ tag: 'prod' })).toEqual(['req-3', 'req-1']);
    expect(await ids({ model: 'gpt-4o' })).toEqual(['req-4', 'req-3']);
    const secondDay = new Date(Date.UTC(2026, 2, 2)).toISOString();
    expect(await ids({ from: secondDay })).toEqual(['req-6', 'req-5', 'req-4']);
    expect(await ids({ to: secondDay, key: 'key-2' })).toEqual(['req-3']);
    // Another org's key id finds nothing here.
    expect(await ids({ key: 'key-b' })).toEqual([]);
  });

  it('pages with a cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { limit: '4' };
      if (cursor) query.cursor = cursor;
      const page: Page = (await get(a, '/api/v1/spend', query)).json<Page>();
      seen.push(...page.items.map((item) => item.requestId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['req-6', 'req-5', 'req-4', 'req-3', 'req-2', 'req-1']);
    const bad = await get(a, '/api/v1/spend', { cursor: 'bm9wZQ' });
    expect(bad.statusCode).toBe(400);
  });

  it('is readable by viewers and not without credentials', async () => {
    const viewer = await createUser(ctx.db, a.id, 'viewer');
    const response = await ctx.app.inject({ method: 'GET', url: '/api/v1/spend', headers: viewer.bearer });
    expect(response.statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/v1/spend' })).statusCode).toBe(401);
  });
});

interface Totals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  unpricedRequests: number;
}
interface Summary {
  groupBy: string;
  groups: Array<Totals & { key: string | null }>;
  totals: Totals;
}

const cost = (...ids: number[]) => ids.reduce((sum, i) => sum + (makeRecord(i).costUsd ?? 0), 0);

describe('GET /api/v1/spend/summary', () => {
  it('totals tokens and known cost per model, largest cost first', async () => {
    const summary = (await get(a, '/api/v1/spend/summary', { groupBy: 'model' })).json<Summary>();
    expect(summary.groupBy).toBe('model');
    expect(summary.groups.map((group) => group.key)).toEqual(['gpt-4o', 'gpt-4o-mini']);
    const [large, small] = summary.groups;
    expect(large).toMatchObject({
      requests: 2,
      inputTokens: 103 + 104,
      outputTokens: 20,
      unpricedRequests: 0,
    });
    expect(large?.costUsd).toBeCloseTo(cost(3, 4), 9);
    // req-5 has usage but no price; req-6 has neither.
    expect(small).toMatchObject({ requests: 4, inputTokens: 101 + 102 + 105, unpricedRequests: 1 });
    expect(small?.costUsd).toBeCloseTo(cost(1, 2), 9);
    expect(summary.totals).toMatchObject({ requests: 6, inputTokens: 101 + 102 + 103 + 104 + 105 });
    expect(summary.totals.costUsd).toBeCloseTo(cost(1, 2, 3, 4), 9);
  });

  it('groups by key, team, user, agent and UTC day', async () => {
    const keys = async (groupBy: string) =>
      (await get(a, '/api/v1/spend/summary', { groupBy }))
        .json<Summary>()
        .groups.map((group): [string | null, number] => [group.key, group.requests]);
    expect(await keys('day')).toEqual([
      ['2026-03-01', 3],
      ['2026-03-02', 3],
    ]);
    expect(new Map(await keys('key'))).toEqual(
      new Map([
        ['key-1', 3],
        ['key-2', 3],
      ]),
    );
    expect(new Map(await keys('team'))).toEqual(
      new Map([
        [TEAM, 2],
        [null, 4],
      ]),
    );
    expect(new Map(await keys('user'))).toEqual(
      new Map([
        [USER, 1],
        [null, 5],
      ]),
    );
    expect(new Map(await keys('agent'))).toEqual(
      new Map([
        ['planner', 2],
        [null, 4],
      ]),
    );
  });

  it('applies the filters and the time range', async () => {
    const summary = (
      await get(a, '/api/v1/spend/summary', {
        groupBy: 'key',
        from: new Date(Date.UTC(2026, 2, 1)).toISOString(),
        to: new Date(Date.UTC(2026, 2, 2)).toISOString(),
        model: 'gpt-4o-mini',
      })
    ).json<Summary>();
    expect(summary.groups.map((group) => [group.key, group.requests])).toEqual([['key-1', 2]]);
    expect(summary.totals.requests).toBe(2);
  });

  it('keeps each org to its own totals', async () => {
    const summary = (await get(b, '/api/v1/spend/summary', { groupBy: 'key' })).json<Summary>();
    expect(summary.groups.map((group) => group.key)).toEqual(['key-b']);
    expect(summary.totals.requests).toBe(2);
    expect(summary.totals.costUsd).toBeCloseTo(cost(100, 101), 9);
  });

  it('rejects an unknown groupBy', async () => {
    expect((await get(a, '/api/v1/spend/summary', { groupBy: 'tag' })).statusCode).toBe(400);
  });
});

describe('spend_ledger row-level security', () => {
  it('shows a tenant only its org rows, never rows without an org', async () => {
    const rows = await ctx.db.withTenant(
      a.id,
      async (tx) => (await tx.query('SELECT org_id FROM spend_ledger')).rows,
    );
    expect(rows).toHaveLength(6);
    expect(rows.every((row) => row.org_id === a.id)).toBe(true);
    const { rows: all } = await ctx.db.pool.query('SELECT count(*) AS n FROM spend_ledger');
    expect(all[0]?.n).toBe(9);
    await expect(
      ctx.db.withTenant(a.id, (tx) => tx.query(`DELETE FROM spend_ledger WHERE request_id = 'req-1'`)),
    ).rejects.toThrow(/permission denied/);
  });
});

describe('routing to deployments in the ledger', () => {
  it('stores and lists the deployment chain, the deployment that answered and the attempts', async () => {
    const c = await createOrg(ctx.db);
    const routed = makeRecord(500, {
      orgId: c.id,
      startedAt: Date.UTC(2026, 2, 3),
      deploymentChain: ['dep-primary', 'dep-fallback'],
      upstreamDeployment: 'dep-fallback',
      upstreamAttempts: 2,
    });
    const unrouted = makeRecord(501, { orgId: c.id, startedAt: Date.UTC(2026, 2, 2) });
    const tooLong = { ...makeRecord(502, { orgId: c.id }), deploymentChain: ['x'.repeat(201)] };
    const zeroAttempts = { ...makeRecord(503, { orgId: c.id }), upstreamAttempts: 0 };
    const response = await postLedger([routed, unrouted, tooLong, zeroAttempts]);
    expect(response.json<{ inserted: number; rejected: Array<{ index: number }> }>()).toMatchObject({
      inserted: 2,
      rejected: [{ index: 2 }, { index: 3 }],
    });
    try {
      const page = (await get(c, '/api/v1/spend')).json<{ items: Array<Record<string, unknown>> }>();
      expect(page.items.map((item) => item.requestId)).toEqual(['req-500', 'req-501']);
      expect(page.items[0]).toMatchObject({
        deploymentChain: ['dep-primary', 'dep-fallback'],
        upstreamDeployment: 'dep-fallback',
        upstreamAttempts: 2,
      });
      expect(page.items[1]).toMatchObject({
        deploymentChain: [],
        upstreamDeployment: null,
        upstreamAttempts: null,
      });
    } finally {
      await ctx.db.pool.query('DELETE FROM spend_ledger WHERE org_id = $1', [c.id]);
    }
  });
});
