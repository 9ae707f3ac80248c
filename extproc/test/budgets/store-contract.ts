// One behavioural contract for every BudgetStore (memory and Redis): the same tests run against each.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ActualUsage,
  type BudgetStore,
  type BudgetUsage,
  budgetTargets,
  DuplicateReservationError,
  type Reservation,
  type ReserveInput,
  type ReserveOutcome,
} from '../../src/budgets/store.js';
import type { SnapshotBudget, SnapshotRateLimit } from '../../src/budgets/types.js';
import { eventually, makeBudget, makeRateLimit, TestClock, unique } from './support.js';

export interface StoreHarness {
  store: BudgetStore;
  usage(budget: SnapshotBudget): Promise<BudgetUsage>;
  close(): Promise<void>;
}

export type HarnessFactory = (clock: TestClock) => Promise<StoreHarness>;

const DIME = 100_000_000; // $0.10 in nanos

export function budgetStoreContract(name: string, factory: HarnessFactory): void {
  describe(`${name}: BudgetStore contract`, () => {
    let clock: TestClock;
    let h: StoreHarness;

    beforeEach(async () => {
      clock = new TestClock();
      h = await factory(clock);
    });
    afterEach(async () => {
      await h.close();
    });

    function input(
      budgets: SnapshotBudget[],
      over: Partial<Omit<ReserveInput, 'budgets'>> & { rateLimits?: SnapshotRateLimit[] } = {},
    ): ReserveInput {
      return {
        requestId: unique('req'),
        costNanos: DIME,
        tokens: 100,
        budgets: budgetTargets(budgets, clock.now()),
        rateLimits: [],
        ttlMs: 60_000,
        ...over,
      };
    }

    async function admit(i: ReserveInput): Promise<Reservation> {
      const outcome = await h.store.reserve(i);
      if (outcome.status !== 'admitted')
        throw new Error(`expected admission, got ${JSON.stringify(outcome)}`);
      return outcome.reservation;
    }

    const settle = (r: Reservation, costNanos: number, tokens = 0) =>
      h.store.settle(r, { costNanos, tokens });
    const count = (outcomes: ReserveOutcome[], status: string) =>
      outcomes.filter((o) => o.status === status).length;

    it('admits exactly as many concurrent requests as fit', async () => {
      const budget = makeBudget({ limitUsd: 1 });
      const outcomes = await Promise.all(Array.from({ length: 200 }, () => h.store.reserve(input([budget]))));
      expect(count(outcomes, 'admitted')).toBe(10);
      expect(count(outcomes, 'denied')).toBe(190);
      const denied = outcomes.find((o) => o.status === 'denied');
      expect(denied).toMatchObject({
        status: 'denied',
        denial: {
          reason: 'budget_exceeded',
          id: budget.id,
          name: budget.name,
          scope: 'org',
          unit: 'usd',
          limit: 1,
          remaining: 0,
          resetsAtMs: budgetTargets([budget], clock.now())[0]?.window.resetsAtMs,
        },
      });
      expect(await h.usage(budget)).toMatchObject({ spentNanos: 0, reservedNanos: 10 * DIME });
    });

    it('frees the difference when the actual cost is lower than reserved', async () => {
      const budget = makeBudget({ limitUsd: 1 });
      const first = await admit(input([budget]));
      const outcome = await settle(first, 40_000_000, 50);
      expect(outcome).toMatchObject({
        status: 'settled',
        local: false,
        budgets: [
          { budgetId: budget.id, spentBeforeNanos: 0, spentAfterNanos: 40_000_000, thresholdsCrossed: [] },
        ],
      });
      expect(await h.usage(budget)).toMatchObject({ spentNanos: 40_000_000, reservedNanos: 0 });
      for (let i = 0; i < 9; i++) await admit(input([budget]));
      const over = await h.store.reserve(input([budget]));
      expect(over).toMatchObject({ status: 'denied', denial: { remaining: 0.06 } });
    });

    it('records an actual cost above the reservation, even beyond the limit', async () => {
      const budget = makeBudget({ limitUsd: 1 });
      const r = await admit(input([budget]));
      const outcome = await settle(r, 1_500_000_000);
      expect(outcome.budgets[0]).toMatchObject({
        spentBeforeNanos: 0,
        spentAfterNanos: 1_500_000_000,
        thresholdsCrossed: [50, 80, 100],
      });
      expect(await h.usage(budget)).toMatchObject({ spentUsd: 1.5, reservedUsd: 0 });
      expect(await h.store.reserve(input([budget], { costNanos: 1 }))).toMatchObject({
        status: 'denied',
        denial: { remaining: 0 },
      });
    });

    it('reports only the thresholds a settlement crosses', async () => {
      const budget = makeBudget({ limitUsd: 1 });
      await settle(await admit(input([budget])), 450_000_000);
      const outcome = await settle(await admit(input([budget])), 100_000_000);
      expect(outcome.budgets[0]?.thresholdsCrossed).toEqual([50]);
    });

    it('returns everything on release, and records what was billed', async () => {
      const budget = makeBudget({ limitUsd: 1 });
      const r = await admit(input([budget], { costNanos: 1_000_000_000 }));
      await h.store.release(r);
      expect(await h.usage(budget)).toMatchObject({ spentNanos: 0, reservedNanos: 0 });
      const billed = await admit(input([budget], { costNanos: 1_000_000_000 }));
      await h.store.release(billed, { costNanos: 30_000_000, tokens: 10 });
      expect(await h.usage(budget)).toMatchObject({ spentNanos: 30_000_000, reservedNanos: 0 });
      expect(await settle(billed, 5)).toMatchObject({ status: 'duplicate', budgets: [] });
    });

    it('adds a settlement exactly once', async () => {
      const budget = makeBudget();
      const r = await admit(input([budget]));
      expect((await settle(r, 70_000_000)).status).toBe('settled');
      expect((await settle(r, 70_000_000)).status).toBe('duplicate');
      await h.store.release(r);
      expect(await h.usage(budget)).toMatchObject({ spentNanos: 70_000_000, reservedNanos: 0 });
    });

    it('frees the reservations of a dead replica after their TTL, and still settles them once', async () => {
      const budget = makeBudget({ limitUsd: 1 });
      const dead = await Promise.all(
        Array.from({ length: 10 }, () => admit(input([budget], { ttlMs: 200 }))),
      );
      expect((await h.store.reserve(input([budget]))).status).toBe('denied');
      let revived: ReserveOutcome | undefined;
      await eventually(async () => {
        revived = await h.store.reserve(input([budget], { costNanos: 3 * DIME }));
        return revived.status === 'admitted';
      });
      expect(await h.usage(budget)).toMatchObject({ spentNanos: 0, reservedNanos: 3 * DIME });

      const late = dead[0] as Reservation;
      await settle(late, 20_000_000);
      expect((await settle(late, 20_000_000)).status).toBe('duplicate');
      expect(await h.usage(budget)).toMatchObject({ spentNanos: 20_000_000, reservedNanos: 3 * DIME });
    });

    it('counts rolling windows by bucket and lets old spend age out', async () => {
      const budget = makeBudget({ limitUsd: 1, window: { kind: 'rolling', seconds: 60 } });
      await settle(await admit(input([budget], { costNanos: 5 * DIME })), 5 * DIME);
      clock.advance(20_000);
      await settle(await admit(input([budget], { costNanos: 5 * DIME })), 5 * DIME);
      expect((await h.store.reserve(input([budget], { costNanos: 1 }))).status).toBe('denied');
      expect(await h.usage(budget)).toMatchObject({ spentNanos: 10 * DIME });

      clock.advance(42_000); // the first spend is now more than a window (plus one bucket) old
      expect(await h.usage(budget)).toMatchObject({ spentNanos: 5 * DIME });
      await admit(input([budget], { costNanos: 5 * DIME }));
      clock.advance(21_000);
      expect(await h.usage(budget)).toMatchObject({ spentNanos: 0, reservedNanos: 5 * DIME });
    });

    it('never denies on a soft budget but still counts it', async () => {
      const soft = makeBudget({ limitUsd: 0.1, enforcement: 'soft' });
      const reservations = await Promise.all(Array.from({ length: 5 }, () => admit(input([soft]))));
      const outcomes = [];
      for (const r of reservations) outcomes.push(await settle(r, DIME));
      expect(await h.usage(soft)).toMatchObject({ spentNanos: 5 * DIME, reservedNanos: 0 });
      expect(outcomes[0]?.budgets[0]?.thresholdsCrossed).toEqual([50, 80, 100]);
      expect(outcomes[1]?.budgets[0]?.thresholdsCrossed).toEqual([]);
    });

    it('reserves across budgets all or nothing', async () => {
      const small = makeBudget({ limitUsd: 0.3, scope: 'team', subject: 'team-a', name: 'Team A' });
      const large = makeBudget({ limitUsd: 1 });
      const outcomes: ReserveOutcome[] = [];
      for (let i = 0; i < 5; i++) outcomes.push(await h.store.reserve(input([large, small])));
      expect(count(outcomes, 'admitted')).toBe(3);
      expect(outcomes[3]).toMatchObject({
        status: 'denied',
        denial: { id: small.id, name: 'Team A', scope: 'team', reason: 'budget_exceeded' },
      });
      expect(await h.usage(large)).toMatchObject({ reservedNanos: 3 * DIME });
      expect(await h.usage(small)).toMatchObject({ reservedNanos: 3 * DIME });
    });

    it('reserves nothing anywhere when a rate limit denies', async () => {
      const budget = makeBudget({ limitUsd: 1 });
      const limit = makeRateLimit({ requestsPerMinute: 2 });
      clock.nextMinute();
      await admit(input([budget], { rateLimits: [limit] }));
      await admit(input([budget], { rateLimits: [limit] }));
      const third = await h.store.reserve(input([budget], { rateLimits: [limit] }));
      expect(third).toMatchObject({
        status: 'denied',
        denial: { reason: 'rate_limit_requests', id: limit.id },
      });
      expect(await h.usage(budget)).toMatchObject({ reservedNanos: 2 * DIME });
    });

    it('limits requests per minute', async () => {
      const limit = makeRateLimit({ requestsPerMinute: 3, scope: 'team', subject: 'team-a' });
      clock.nextMinute();
      const minuteEnd = (Math.floor(clock.now() / 60_000) + 1) * 60_000;
      const admitted = [];
      for (let i = 0; i < 3; i++) admitted.push(await admit(input([], { rateLimits: [limit] })));
      expect(await h.store.reserve(input([], { rateLimits: [limit] }))).toEqual({
        status: 'denied',
        local: false,
        denial: {
          reason: 'rate_limit_requests',
          id: limit.id,
          name: null,
          scope: 'team',
          unit: 'requests',
          limit: 3,
          remaining: 0,
          resetsAtMs: minuteEnd,
        },
      });
      // A request released unbilled never reached the provider: it does not count.
      await h.store.release(admitted[0] as Reservation);
      await admit(input([], { rateLimits: [limit] }));
      // Billed requests keep counting.
      await h.store.release(admitted[1] as Reservation, { costNanos: 1, tokens: 1 });
      expect((await h.store.reserve(input([], { rateLimits: [limit] }))).status).toBe('denied');
      clock.nextMinute();
      await admit(input([], { rateLimits: [limit] }));
    });

    it('limits tokens per minute, settling estimates to actual tokens', async () => {
      const limit = makeRateLimit({ tokensPerMinute: 1000 });
      clock.nextMinute();
      const first = await admit(input([], { tokens: 400, rateLimits: [limit] }));
      await admit(input([], { tokens: 400, rateLimits: [limit] }));
      expect(await h.store.reserve(input([], { tokens: 400, rateLimits: [limit] }))).toMatchObject({
        status: 'denied',
        denial: { reason: 'rate_limit_tokens', unit: 'tokens', limit: 1000, remaining: 200 },
      });
      await settle(first, 0, 100);
      await admit(input([], { tokens: 400, rateLimits: [limit] }));
      expect((await h.store.reserve(input([], { tokens: 101, rateLimits: [limit] }))).status).toBe('denied');
      await admit(input([], { tokens: 100, rateLimits: [limit] }));
    });

    it('keeps windows apart: a new month starts from zero', async () => {
      const budget = makeBudget({ limitUsd: 1 });
      await settle(await admit(input([budget], { costNanos: 10 * DIME })), 10 * DIME);
      expect((await h.store.reserve(input([budget], { costNanos: 1 }))).status).toBe('denied');
      clock.advance(31 * 86_400_000);
      await admit(input([budget], { costNanos: 10 * DIME }));
    });

    it('rejects a second reservation under the same request id', async () => {
      const budget = makeBudget();
      const i = input([budget]);
      await admit(i);
      await expect(h.store.reserve(i)).rejects.toBeInstanceOf(DuplicateReservationError);
      expect(await h.usage(budget)).toMatchObject({ reservedNanos: DIME });
    });

    it('admits requests with nothing to enforce, and rejects malformed input', async () => {
      const r = await admit(input([]));
      expect(r).toMatchObject({ orgId: null, budgets: [], rateLimits: [] });
      expect((await settle(r, 5)).status).toBe('settled');
      await expect(h.store.reserve(input([makeBudget()], { costNanos: 1.5 }))).rejects.toBeInstanceOf(
        RangeError,
      );
      await expect(
        h.store.reserve(input([makeBudget()], { rateLimits: [makeRateLimit({ orgId: 'org-2' })] })),
      ).rejects.toBeInstanceOf(RangeError);
      const ok = await admit(input([makeBudget()]));
      const negative: ActualUsage = { costNanos: -1, tokens: 0 };
      await expect(h.store.settle(ok, negative)).rejects.toBeInstanceOf(RangeError);
    });
  });
}
