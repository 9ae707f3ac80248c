// The Redis store with a failure policy (ACC_BUDGET_FAILURE_MODE) for when Redis cannot be reached:
//   closed (default): reserve answers `unavailable` (the caller answers 503), so no budget can be overshot;
//   open: requests are reserved and settled in this process's memory (`local: true`), each replica enforcing
//         only what it saw itself, and service continues.
// After a failure Redis is not tried again for `retryAfterMs`, so a dead Redis costs one command timeout, not one
// per request. Settlements that could not reach Redis (in either mode: the upstream billed them regardless) are
// kept in a bounded list and replayed into Redis when it answers again; settle is idempotent on the request id.

import { MemoryBudgetStore } from './memory-store.js';
import type { BudgetMetrics } from './metrics.js';
import type { RedisBudgetStore } from './redis-store.js';
import {
  type ActualUsage,
  type BudgetStore,
  checkActual,
  DuplicateReservationError,
  type Reservation,
  type ReserveInput,
  type ReserveOutcome,
  type SettleOutcome,
} from './store.js';

export type BudgetFailureMode = 'closed' | 'open';

export function parseBudgetFailureMode(value: string | undefined): BudgetFailureMode {
  if (value === undefined || value === '' || value === 'closed') return 'closed';
  if (value === 'open') return 'open';
  throw new RangeError(`ACC_BUDGET_FAILURE_MODE must be "closed" or "open", got "${value}"`);
}

export interface PendingSettlement {
  reservation: Reservation;
  actual: ActualUsage;
}

export interface ResilientBudgetStoreOptions {
  redis: RedisBudgetStore;
  mode: BudgetFailureMode;
  /** Where fail-open accounting happens; one is created when omitted. */
  local?: MemoryBudgetStore;
  metrics?: BudgetMetrics;
  /** Settlements kept for replay; beyond this the oldest are dropped (reconcile recovers them). Default 10,000. */
  maxPending?: number;
  /** After a Redis failure, how long requests skip Redis. Default 1 s. */
  retryAfterMs?: number;
  now?: () => number;
  onError?: (error: unknown, operation: string) => void;
}

/** Mistakes of the caller, not of Redis: they must surface, not flip the store into its failure mode. */
const isCallerError = (error: unknown) =>
  error instanceof RangeError || error instanceof TypeError || error instanceof DuplicateReservationError;

export class ResilientBudgetStore implements BudgetStore {
  readonly mode: BudgetFailureMode;
  private readonly redis: RedisBudgetStore;
  private readonly local: MemoryBudgetStore;
  private readonly metrics: BudgetMetrics | undefined;
  private readonly maxPending: number;
  private readonly retryAfterMs: number;
  private readonly now: () => number;
  private readonly onError: (error: unknown, operation: string) => void;
  private readonly pending: PendingSettlement[] = [];
  private skipRedisUntil = 0;
  private replaying: Promise<number> | null = null;
  private readonly onReady = () => void this.replay();

  constructor(options: ResilientBudgetStoreOptions) {
    this.mode = options.mode;
    this.redis = options.redis;
    this.local = options.local ?? new MemoryBudgetStore({ now: options.now ?? Date.now });
    this.metrics = options.metrics;
    this.maxPending = options.maxPending ?? 10_000;
    this.retryAfterMs = options.retryAfterMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => {});
    this.redis.client.on('ready', this.onReady);
  }

  /** Settlements waiting to be replayed into Redis. */
  get pendingCount(): number {
    return this.pending.length;
  }

  async reserve(input: ReserveInput): Promise<ReserveOutcome> {
    const nothingToEnforce = input.budgets.length === 0 && input.rateLimits.length === 0;
    if (nothingToEnforce || this.now() >= this.skipRedisUntil) {
      try {
        const outcome = await this.redis.reserve(input);
        this.recovered();
        return outcome;
      } catch (error) {
        this.failed(error, 'reserve');
      }
    }
    if (this.mode === 'closed') return { status: 'unavailable', reason: 'budget store unavailable' };
    const outcome = await this.local.reserve(input);
    if (outcome.status === 'admitted') {
      return { status: 'admitted', reservation: { ...outcome.reservation, local: true }, local: true };
    }
    return outcome.status === 'denied' ? { ...outcome, local: true } : outcome;
  }

  async settle(reservation: Reservation, actual: ActualUsage): Promise<SettleOutcome> {
    checkActual(actual);
    if (reservation.orgId === null) return this.redis.settle(reservation, actual);
    if (!reservation.local && this.now() >= this.skipRedisUntil) {
      try {
        const outcome = await this.redis.settle(reservation, actual);
        this.recovered();
        return outcome;
      } catch (error) {
        this.failed(error, 'settle');
      }
    }
    const outcome = await this.local.settle(reservation, actual);
    if (outcome.status === 'settled') this.keep({ reservation, actual });
    return { ...outcome, local: true };
  }

  async release(reservation: Reservation, billed?: ActualUsage): Promise<void> {
    if (billed !== undefined) checkActual(billed);
    if (!reservation.local && this.now() >= this.skipRedisUntil) {
      try {
        await this.redis.release(reservation, billed);
        this.recovered();
        return;
      } catch (error) {
        this.failed(error, 'release');
      }
    }
    // An unbilled Redis reservation that cannot be released frees itself at its TTL.
    await this.local.release(reservation, billed);
    if (billed !== undefined) this.keep({ reservation, actual: billed });
  }

  /** Replays pending settlements into Redis, oldest first, until one fails. Resolves to how many were replayed. */
  replay(): Promise<number> {
    if (this.replaying) return this.replaying;
    if (this.pending.length === 0) return Promise.resolve(0);
    this.replaying = (async () => {
      let replayed = 0;
      try {
        for (let entry = this.pending[0]; entry !== undefined; entry = this.pending[0]) {
          await this.redis.settle(entry.reservation, entry.actual);
          this.pending.shift();
          replayed++;
          this.metrics?.replayedLocalSettlements.inc();
        }
        this.skipRedisUntil = 0;
      } catch (error) {
        if (isCallerError(error)) {
          this.pending.shift(); // malformed entry: replaying it again would block the rest forever
          this.onError(error, 'replay');
        } else {
          this.failed(error, 'replay');
        }
      } finally {
        this.metrics?.pendingLocalSettlements.set(this.pending.length);
        this.replaying = null;
      }
      return replayed;
    })();
    return this.replaying;
  }

  async close(): Promise<void> {
    this.redis.client.off('ready', this.onReady);
    await this.replaying;
    await Promise.all([this.redis.close(), this.local.close()]);
  }

  private keep(entry: PendingSettlement): void {
    this.pending.push(entry);
    if (this.pending.length > this.maxPending) {
      this.pending.shift();
      this.metrics?.droppedLocalSettlements.inc();
    }
    this.metrics?.pendingLocalSettlements.set(this.pending.length);
  }

  private recovered(): void {
    if (this.pending.length > 0 && !this.replaying) void this.replay();
  }

  private failed(error: unknown, operation: string): void {
    if (isCallerError(error)) throw error;
    this.skipRedisUntil = this.now() + this.retryAfterMs;
    this.metrics?.storeErrors.inc({ mode: this.mode, operation });
    this.onError(error, operation);
  }
}
