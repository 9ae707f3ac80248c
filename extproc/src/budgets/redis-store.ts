// Budget enforcement shared by every extproc replica through Redis. Each reserve and each settle is ONE Lua script
// (EVALSHA, falling back to EVAL when Redis lost its script cache), so checks and increments across all of a
// request's budgets and rate limits are atomic: all or nothing, whatever the concurrency.
//
// Key schema (prefix default `acc:budget:`, `{org}` = the org id as a Redis Cluster hash tag):
//   {prefix}{org}:w:<budgetId>:<windowId>      HASH  spent, reserved           calendar window, integer nano-USD;
//                                                                              expires 1 h after the window ends
//   {prefix}{org}:r:<budgetId>:<seconds>       HASH  reserved, b:<bucket>      rolling window: spend per fixed
//                                                                              bucket (index = epoch ms / bucket
//                                                                              ms, ≤ 61 summed), stale ones dropped
//   <counter key>:res                          ZSET  "<nanos>:<requestId>"     live reservations scored by expiry
//                                                     → expiry epoch ms        (epoch ms); expired ones are freed by
//                                                                              the next reserve before it checks
//   {prefix}{org}:l:<limitId>:<minute>         HASH  req, tok                  rate limit, minute = epoch ms /
//                                                                              60,000; kept 2 minutes
//   {prefix}{org}:d:<requestId>                STRING "1"                      settled/released marker: makes settle
//                                                                              and release idempotent; lives
//                                                                              max(reservation TTL, 15 min)
//
// Rate limits count per calendar minute: a client can fit up to twice a limit into 60 s spanning a minute
// boundary, the usual trade for an exact Retry-After.
import { Redis } from 'ioredis';
import {
  counterKey,
  DEFAULT_BUDGET_PREFIX,
  markerKey,
  minuteKey,
  reservationMember,
  reservationsKey,
} from './redis-keys.js';
import { RESERVE, type Script, SETTLE } from './redis-scripts.js';
import {
  type ActualUsage,
  type BudgetStore,
  budgetDenial,
  budgetSpend,
  checkActual,
  counterExpiresAt,
  DEFAULT_MARKER_TTL_MS,
  DuplicateReservationError,
  MINUTE_KEEP_MS,
  markerTtlMs,
  minuteOf,
  planReservation,
  type Reservation,
  type ReserveInput,
  type ReserveOutcome,
  rateLimitDenial,
  type SettleOutcome,
} from './store.js';
import { rollingBuckets } from './windows.js';

export { readBudgetUsage, setBudgetSpent } from './redis-usage.js';

export interface RedisBudgetStoreOptions {
  /** A client to use (left open by close()); otherwise `url` is connected with fail-fast settings. */
  client?: Redis;
  url?: string;
  prefix?: string;
  /** Per-command timeout for the client created from `url`: requests must never hang on Redis. Default 500 ms. */
  commandTimeoutMs?: number;
  now?: () => number;
  /** Minimum lifetime of settle markers. Default 15 minutes. */
  markerTtlMs?: number;
  /** Expired reservations freed per counter per reserve (bounds script time; the rest go next time). */
  cleanupBatch?: number;
  onError?: (error: unknown) => void;
}

export class RedisBudgetStore implements BudgetStore {
  readonly client: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly markerTtlMs: number;
  private readonly cleanupBatch: number;

  constructor(options: RedisBudgetStoreOptions) {
    if (options.client) {
      this.client = options.client;
      this.owned = false;
    } else if (options.url) {
      this.client = new Redis(options.url, {
        lazyConnect: true,
        // Fail at once while disconnected instead of queueing: the caller's failure mode decides.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: options.commandTimeoutMs ?? 500,
        connectTimeout: 2_000,
        connectionName: 'acc-extproc-budgets',
      });
      this.owned = true;
    } else {
      throw new TypeError('RedisBudgetStore needs a client or a url');
    }
    const onError = options.onError ?? (() => {});
    if (this.owned) this.client.on('error', onError);
    this.prefix = options.prefix ?? DEFAULT_BUDGET_PREFIX;
    this.now = options.now ?? Date.now;
    this.markerTtlMs = options.markerTtlMs ?? DEFAULT_MARKER_TTL_MS;
    this.cleanupBatch = options.cleanupBatch ?? 256;
  }

  /** Connects a client created from a url (rejects if Redis is unreachable; it keeps retrying in the background). */
  async connect(): Promise<void> {
    if (this.client.status === 'wait') await this.client.connect();
  }

  async reserve(input: ReserveInput): Promise<ReserveOutcome> {
    const now = this.now();
    const plan = planReservation(input, now);
    const orgId = plan.orgId;
    if (orgId === null) return { status: 'admitted', reservation: plan, local: false };

    const keys: string[] = [];
    const args: (string | number)[] = [
      now,
      plan.expiresAtMs,
      reservationMember(plan.costNanos, plan.requestId),
      plan.costNanos,
      plan.tokens,
      plan.budgets.length,
      plan.rateLimits.length,
      this.cleanupBatch,
    ];
    for (const budget of plan.budgets) {
      const key = counterKey(this.prefix, orgId, budget.counter);
      keys.push(key, reservationsKey(key));
      const oldest = budget.rollingSeconds === null ? -1 : rollingBuckets(budget.rollingSeconds, now).oldest;
      args.push(
        budget.enforcement === 'hard' ? 1 : 0,
        budget.limitNanos,
        counterExpiresAt(budget, now),
        oldest,
      );
    }
    const minute = minuteOf(now);
    for (const limit of input.rateLimits) {
      keys.push(minuteKey(this.prefix, orgId, limit.id, minute));
      args.push(limit.requestsPerMinute ?? -1, limit.tokensPerMinute ?? -1, minute * 60_000 + MINUTE_KEEP_MS);
    }

    const reply = (await this.run(RESERVE, keys, args)) as number[];
    const [status, kind, index, used, reserved] = reply;
    if (status === 1) return { status: 'admitted', reservation: plan, local: false };
    if (status === -1) throw new DuplicateReservationError(plan.requestId);
    const i = (index as number) - 1;
    if (kind === 1) {
      const budget = plan.budgets[i];
      if (budget) {
        return {
          status: 'denied',
          denial: budgetDenial(budget, used as number, reserved as number),
          local: false,
        };
      }
    } else {
      const limit = input.rateLimits[i];
      const reason = kind === 2 ? 'rate_limit_requests' : 'rate_limit_tokens';
      if (limit)
        return {
          status: 'denied',
          denial: rateLimitDenial(limit, reason, used as number, minute),
          local: false,
        };
    }
    throw new Error(`unexpected reserve reply ${JSON.stringify(reply)}`);
  }

  async settle(reservation: Reservation, actual: ActualUsage): Promise<SettleOutcome> {
    checkActual(actual);
    return this.finish(reservation, actual);
  }

  async release(reservation: Reservation, billed?: ActualUsage): Promise<void> {
    if (billed !== undefined) checkActual(billed);
    await this.finish(reservation, billed ?? null);
  }

  async close(): Promise<void> {
    if (this.owned) this.client.disconnect();
  }

  /**
   * One script: drop the reservation (unless it already expired), add the actual cost and tokens, exactly once per
   * request id. A `local` reservation (fail-open, replayed here) was never in Redis: only its spend is added.
   */
  private async finish(reservation: Reservation, actual: ActualUsage | null): Promise<SettleOutcome> {
    const orgId = reservation.orgId;
    if (orgId === null) return { status: 'settled', local: false, budgets: [] };
    const now = this.now();
    const keys = [markerKey(this.prefix, orgId, reservation.requestId)];
    const args: (string | number)[] = [
      reservationMember(reservation.costNanos, reservation.requestId),
      reservation.costNanos,
      actual === null ? -1 : actual.costNanos,
      actual === null ? 0 : actual.tokens,
      markerTtlMs(reservation, this.markerTtlMs),
      reservation.budgets.length,
      reservation.rateLimits.length,
      reservation.local ? 1 : 0,
      reservation.tokens,
    ];
    for (const budget of reservation.budgets) {
      const key = counterKey(this.prefix, orgId, budget.counter);
      keys.push(key, reservationsKey(key));
      const buckets = budget.rollingSeconds === null ? null : rollingBuckets(budget.rollingSeconds, now);
      args.push(buckets?.oldest ?? -1, buckets?.current ?? -1, counterExpiresAt(budget, now));
    }
    const minute = minuteOf(now);
    for (const limit of reservation.rateLimits) {
      keys.push(
        minuteKey(this.prefix, orgId, limit.limitId, limit.minute),
        minuteKey(this.prefix, orgId, limit.limitId, minute),
      );
    }
    for (const _ of reservation.rateLimits) args.push(minute * 60_000 + MINUTE_KEEP_MS);

    const reply = (await this.run(SETTLE, keys, args)) as number[];
    if (reply[0] === -1) return { status: 'duplicate', local: false, budgets: [] };
    const added = actual?.costNanos ?? 0;
    const budgets =
      actual === null
        ? []
        : reservation.budgets.map((budget, i) => budgetSpend(budget, reply[i + 1] as number, added));
    return { status: 'settled', local: false, budgets };
  }

  private async run(script: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.client.eval(script.source, keys.length, ...keys, ...args);
    }
  }
}
