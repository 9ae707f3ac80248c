// Budget counters in this process: the store when there is no Redis (one extproc), and the local fallback of the
// resilient store. Same semantics as the Redis store. Every operation runs to completion without awaiting, so it is
// atomic on the event loop. Memory stays bounded: expired reservations are freed in expiry order before each
// reserve, and counters, rate-limit minutes and settle markers past their lifetime are swept periodically.
import { ExpiryHeap } from './expiry-heap.js';
import {
  type ActualUsage,
  type BudgetStore,
  type BudgetUsage,
  budgetDenial,
  budgetSpend,
  budgetUsage,
  checkActual,
  counterExpiresAt,
  counterOf,
  DEFAULT_MARKER_TTL_MS,
  DuplicateReservationError,
  MINUTE_KEEP_MS,
  markerTtlMs,
  minuteOf,
  planReservation,
  type Reservation,
  type ReservedBudget,
  type ReserveInput,
  type ReserveOutcome,
  rateLimitDenial,
  type SettleOutcome,
  WINDOW_GRACE_MS,
} from './store.js';
import type { SnapshotBudget } from './types.js';
import { currentWindow, rollingBuckets, rollingSecondsOfId } from './windows.js';

interface Counter {
  spent: number;
  reserved: number;
  /** Rolling windows: spend per bucket index. */
  buckets: Map<number, number> | null;
  expiresAtMs: number;
}

interface Minute {
  requests: number;
  tokens: number;
  expiresAtMs: number;
}

export interface MemoryBudgetStoreOptions {
  now?: () => number;
  /** Minimum lifetime of settle markers. Default 15 minutes. */
  markerTtlMs?: number;
  /** How often lifetimes are swept. Default 30 s. */
  sweepIntervalMs?: number;
}

/** Longest calendar window (31-day month) plus grace: seeded counters no reserve has touched yet live this long. */
const SEEDED_COUNTER_MS = 32 * 86_400_000 + WINDOW_GRACE_MS;

export class MemoryBudgetStore implements BudgetStore {
  private readonly now: () => number;
  private readonly markerTtlMs: number;
  private readonly sweepIntervalMs: number;
  private readonly counters = new Map<string, Counter>();
  private readonly minutes = new Map<string, Minute>();
  private readonly reservations = new Map<string, Reservation>();
  private readonly expiries = new ExpiryHeap();
  private readonly markers = new Map<string, number>();
  private nextSweepMs = 0;

  constructor(options: MemoryBudgetStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.markerTtlMs = options.markerTtlMs ?? DEFAULT_MARKER_TTL_MS;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
  }

  async reserve(input: ReserveInput): Promise<ReserveOutcome> {
    const now = this.now();
    const plan = planReservation(input, now);
    if (plan.budgets.length === 0 && plan.rateLimits.length === 0) {
      return { status: 'admitted', reservation: plan, local: false };
    }
    this.housekeep(now);
    if (this.reservations.has(plan.requestId)) throw new DuplicateReservationError(plan.requestId);

    for (const budget of plan.budgets) {
      if (budget.enforcement !== 'hard') continue;
      const counter = this.counters.get(budget.counter);
      const spent = counter ? this.spentOf(counter, budget.rollingSeconds, now) : 0;
      const reserved = counter?.reserved ?? 0;
      if (spent + reserved + plan.costNanos > budget.limitNanos) {
        return { status: 'denied', denial: budgetDenial(budget, spent, reserved), local: false };
      }
    }
    const minute = minuteOf(now);
    for (const limit of input.rateLimits) {
      const used = this.minutes.get(`${limit.id}:${minute}`);
      const requests = used?.requests ?? 0;
      const tokens = used?.tokens ?? 0;
      if (limit.requestsPerMinute !== null && requests + 1 > limit.requestsPerMinute) {
        return {
          status: 'denied',
          denial: rateLimitDenial(limit, 'rate_limit_requests', requests, minute),
          local: false,
        };
      }
      if (limit.tokensPerMinute !== null && tokens + plan.tokens > limit.tokensPerMinute) {
        return {
          status: 'denied',
          denial: rateLimitDenial(limit, 'rate_limit_tokens', tokens, minute),
          local: false,
        };
      }
    }

    for (const budget of plan.budgets) this.counter(budget, now).reserved += plan.costNanos;
    for (const limit of plan.rateLimits) {
      const m = this.minute(limit.limitId, limit.minute);
      m.requests += 1;
      m.tokens += plan.tokens;
    }
    this.reservations.set(plan.requestId, plan);
    this.expiries.push({ atMs: plan.expiresAtMs, id: plan.requestId });
    return { status: 'admitted', reservation: plan, local: false };
  }

  async settle(reservation: Reservation, actual: ActualUsage): Promise<SettleOutcome> {
    checkActual(actual);
    return this.finish(reservation, actual, true);
  }

  async release(reservation: Reservation, billed?: ActualUsage): Promise<void> {
    if (billed !== undefined) checkActual(billed);
    this.finish(reservation, billed ?? null, billed !== undefined);
  }

  async close(): Promise<void> {}

  /**
   * Restores a window's spend (e.g. from the ledger at start). Never lowers what this process already counted:
   * the true spend is at least the larger of the two. Rolling windows get the spend in their newest bucket.
   */
  seed(budgetId: string, windowId: string, spentNanos: number): void {
    if (!Number.isSafeInteger(spentNanos) || spentNanos < 0) {
      throw new RangeError(`spentNanos must be an integer >= 0, got ${spentNanos}`);
    }
    const now = this.now();
    const seconds = rollingSecondsOfId(windowId);
    const id = seconds === null ? `w:${budgetId}:${windowId}` : `r:${budgetId}:${seconds}`;
    let counter = this.counters.get(id);
    if (counter === undefined) {
      counter = { spent: 0, reserved: 0, buckets: seconds === null ? null : new Map(), expiresAtMs: 0 };
      this.counters.set(id, counter);
    }
    counter.expiresAtMs = Math.max(counter.expiresAtMs, now + SEEDED_COUNTER_MS);
    if (seconds === null) {
      counter.spent = Math.max(counter.spent, spentNanos);
      return;
    }
    const missing = spentNanos - this.spentOf(counter, seconds, now);
    if (missing > 0) {
      const bucket = rollingBuckets(seconds, now).current;
      counter.buckets?.set(bucket, (counter.buckets.get(bucket) ?? 0) + missing);
    }
  }

  /** `budget`'s spend and live reservations in its current window. */
  usage(budget: SnapshotBudget, nowMs = this.now()): BudgetUsage {
    this.housekeep(nowMs);
    const window = currentWindow(budget.window, nowMs);
    const counter = this.counters.get(counterOf(budget.id, budget.window, window.id));
    if (counter === undefined) return budgetUsage(window, 0, 0);
    const seconds = budget.window.kind === 'rolling' ? budget.window.seconds : null;
    return budgetUsage(window, this.spentOf(counter, seconds, nowMs), counter.reserved);
  }

  private finish(reservation: Reservation, actual: ActualUsage | null, keepRequest: boolean): SettleOutcome {
    const local = false;
    if (reservation.budgets.length === 0 && reservation.rateLimits.length === 0) {
      return { status: 'settled', local, budgets: [] };
    }
    const now = this.now();
    const marker = this.markers.get(reservation.requestId);
    if (marker !== undefined && marker > now) return { status: 'duplicate', local, budgets: [] };
    this.markers.set(reservation.requestId, now + markerTtlMs(reservation, this.markerTtlMs));

    const live = this.reservations.get(reservation.requestId);
    if (live !== undefined) {
      this.reservations.delete(reservation.requestId);
      this.unreserve(live);
      for (const limit of live.rateLimits) {
        const m = this.minutes.get(`${limit.limitId}:${limit.minute}`);
        if (m === undefined) continue;
        m.tokens = Math.max(0, m.tokens - live.tokens);
        if (!keepRequest) m.requests = Math.max(0, m.requests - 1);
      }
    }
    if (actual === null) return { status: 'settled', local, budgets: [] };

    const spends = reservation.budgets.map((budget) => {
      const counter = this.counter(budget, now);
      const before = this.spentOf(counter, budget.rollingSeconds, now);
      if (budget.rollingSeconds === null) {
        counter.spent += actual.costNanos;
      } else if (actual.costNanos > 0) {
        const bucket = rollingBuckets(budget.rollingSeconds, now).current;
        counter.buckets?.set(bucket, (counter.buckets.get(bucket) ?? 0) + actual.costNanos);
      }
      return budgetSpend(budget, before, actual.costNanos);
    });
    if (actual.tokens > 0) {
      for (const limit of reservation.rateLimits)
        this.minute(limit.limitId, minuteOf(now)).tokens += actual.tokens;
    }
    return { status: 'settled', local, budgets: spends };
  }

  private unreserve(reservation: Reservation): void {
    for (const budget of reservation.budgets) {
      const counter = this.counters.get(budget.counter);
      if (counter !== undefined) counter.reserved = Math.max(0, counter.reserved - reservation.costNanos);
    }
  }

  private spentOf(counter: Counter, rollingSeconds: number | null, nowMs: number): number {
    if (rollingSeconds === null || counter.buckets === null) return counter.spent;
    const { oldest } = rollingBuckets(rollingSeconds, nowMs);
    let sum = 0;
    for (const [bucket, nanos] of counter.buckets) {
      if (bucket < oldest) counter.buckets.delete(bucket);
      else sum += nanos;
    }
    return sum;
  }

  private counter(budget: ReservedBudget, nowMs: number): Counter {
    let counter = this.counters.get(budget.counter);
    if (counter === undefined) {
      counter = {
        spent: 0,
        reserved: 0,
        buckets: budget.rollingSeconds === null ? null : new Map(),
        expiresAtMs: 0,
      };
      this.counters.set(budget.counter, counter);
    }
    counter.expiresAtMs = Math.max(counter.expiresAtMs, counterExpiresAt(budget, nowMs));
    return counter;
  }

  private minute(limitId: string, minute: number): Minute {
    const key = `${limitId}:${minute}`;
    let m = this.minutes.get(key);
    if (m === undefined) {
      m = { requests: 0, tokens: 0, expiresAtMs: minute * 60_000 + MINUTE_KEEP_MS };
      this.minutes.set(key, m);
    }
    return m;
  }

  private housekeep(nowMs: number): void {
    for (let due = this.expiries.popDue(nowMs); due; due = this.expiries.popDue(nowMs)) {
      const reservation = this.reservations.get(due.id);
      // A settled-then-reused id has a newer reservation with a later expiry: leave it.
      if (reservation === undefined || reservation.expiresAtMs !== due.atMs) continue;
      this.reservations.delete(due.id);
      this.unreserve(reservation);
    }
    if (nowMs < this.nextSweepMs) return;
    this.nextSweepMs = nowMs + this.sweepIntervalMs;
    for (const map of [this.counters, this.minutes] as Map<string, { expiresAtMs: number }>[]) {
      for (const [key, entry] of map) if (entry.expiresAtMs <= nowMs) map.delete(key);
    }
    for (const [key, expiresAtMs] of this.markers) if (expiresAtMs <= nowMs) this.markers.delete(key);
  }
}
