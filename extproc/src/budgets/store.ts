// The contract of a budget store, and the validation and bookkeeping both stores (memory, Redis) share.
//
// A request reserves its maximum cost against every applicable budget window and rate limit before it is
// forwarded, all or nothing; when it ends it settles to the actual cost (or releases the reservation). Reservations
// carry a TTL so that those of a crashed replica free themselves.
import type { BudgetScope, RateLimitScope, SnapshotBudget, SnapshotRateLimit } from './types.js';
import { usdToNanos } from './types.js';
import { currentWindow, type WindowInstance } from './windows.js';

/** Counters outlive their window by this much, so a request settling just after the window ended still lands. */
export const WINDOW_GRACE_MS = 3_600_000;
/** Rate-limit minute counters are kept this long after the minute starts. */
export const MINUTE_KEEP_MS = 120_000;
/** Settle/release markers (duplicate protection) live at least this long, longer for longer reservation TTLs. */
export const DEFAULT_MARKER_TTL_MS = 15 * 60_000;

export interface BudgetTarget {
  budget: SnapshotBudget;
  /** currentWindow(budget.window, now): see `budgetTargets`. */
  window: WindowInstance;
}

export interface ReserveInput {
  /** Unique per request (e.g. x-request-id): settle and release are idempotent on it. */
  requestId: string;
  /** Estimated maximum cost, integer nano-USD. */
  costNanos: number;
  /** Estimated input + maximum output tokens, for tokens-per-minute limits. */
  tokens: number;
  budgets: readonly BudgetTarget[];
  rateLimits: readonly SnapshotRateLimit[];
  /** After this the reservation frees itself (replica died, settle lost): longer than the longest request. */
  ttlMs: number;
}

export interface ReservedBudget {
  budgetId: string;
  name: string;
  scope: BudgetScope;
  enforcement: 'hard' | 'soft';
  windowId: string;
  resetsAtMs: number;
  /** The counter holding the reservation: `w:<budgetId>:<windowId>` (calendar) or `r:<budgetId>:<seconds>`. */
  counter: string;
  /** Rolling windows: their length; null for calendar windows. */
  rollingSeconds: number | null;
  limitNanos: number;
  alertThresholds: readonly number[];
}

export interface ReservedRateLimit {
  limitId: string;
  /** Epoch minute (ms / 60,000) the request and its estimated tokens were counted in. */
  minute: number;
}

export interface Reservation {
  requestId: string;
  /** The org of every budget and limit involved; null when there were none. */
  orgId: string | null;
  costNanos: number;
  tokens: number;
  ttlMs: number;
  expiresAtMs: number;
  budgets: readonly ReservedBudget[];
  rateLimits: readonly ReservedRateLimit[];
  /** Reserved in this process's memory because the shared store was unavailable (fail-open). */
  local: boolean;
}

export type DenyReason = 'budget_exceeded' | 'rate_limit_requests' | 'rate_limit_tokens';

export interface Denial {
  reason: DenyReason;
  /** Budget or rate-limit id. */
  id: string;
  /** Budget name; null for rate limits. */
  name: string | null;
  scope: BudgetScope | RateLimitScope;
  unit: 'usd' | 'requests' | 'tokens';
  limit: number;
  /** What could still be reserved in `unit` (never negative). */
  remaining: number;
  /** When capacity next frees up, epoch ms (for Retry-After). */
  resetsAtMs: number;
}

export type ReserveOutcome =
  | { status: 'admitted'; reservation: Reservation; local: boolean }
  | { status: 'denied'; denial: Denial; local: boolean }
  /** The shared store could not be reached and the failure mode is closed: answer 503. */
  | { status: 'unavailable'; reason: string };

export interface ActualUsage {
  costNanos: number;
  tokens: number;
}

export interface BudgetSpend {
  budgetId: string;
  name: string;
  windowId: string;
  limitNanos: number;
  spentBeforeNanos: number;
  spentAfterNanos: number;
  /** Alert thresholds (percent) this settlement crossed: before < threshold ≤ after. */
  thresholdsCrossed: number[];
}

export interface SettleOutcome {
  /** duplicate: the request was already settled or released; nothing changed. */
  status: 'settled' | 'duplicate';
  /** Recorded only in this process (shared store unavailable); replayed into it later. */
  local: boolean;
  budgets: BudgetSpend[];
}

export interface BudgetStore {
  reserve(input: ReserveInput): Promise<ReserveOutcome>;
  /** Replaces the reservation by the actual cost, which is always recorded, even beyond the limit. */
  settle(reservation: Reservation, actual: ActualUsage): Promise<SettleOutcome>;
  /** Frees the reservation; `billed` (e.g. a stream cut short) is recorded like a settlement. */
  release(reservation: Reservation, billed?: ActualUsage): Promise<void>;
  close(): Promise<void>;
}

export class DuplicateReservationError extends Error {
  constructor(requestId: string) {
    super(`request ${requestId} already holds a reservation`);
    this.name = 'DuplicateReservationError';
  }
}

export function budgetTargets(budgets: readonly SnapshotBudget[], nowMs: number): BudgetTarget[] {
  return budgets.map((budget) => ({ budget, window: currentWindow(budget.window, nowMs) }));
}

export const minuteOf = (ms: number) => Math.floor(ms / 60_000);

export function counterOf(budgetId: string, window: SnapshotBudget['window'], windowId: string): string {
  return window.kind === 'rolling' ? `r:${budgetId}:${window.seconds}` : `w:${budgetId}:${windowId}`;
}

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
}

export function checkActual(actual: ActualUsage): void {
  checkCount('costNanos', actual.costNanos, 0);
  checkCount('tokens', actual.tokens, 0);
}

/** Validates `input` and describes what reserving it holds where. */
export function planReservation(input: ReserveInput, nowMs: number): Reservation {
  if (typeof input.requestId !== 'string' || input.requestId === '')
    throw new RangeError('requestId is empty');
  checkCount('costNanos', input.costNanos, 0);
  checkCount('tokens', input.tokens, 0);
  checkCount('ttlMs', input.ttlMs, 1);
  let orgId: string | null = null;
  const sameOrg = (org: string) => {
    if (orgId !== null && orgId !== org) throw new RangeError('budgets and rate limits of different orgs');
    orgId = org;
  };
  const budgets = input.budgets.map(({ budget, window }): ReservedBudget => {
    sameOrg(budget.orgId);
    return {
      budgetId: budget.id,
      name: budget.name,
      scope: budget.scope,
      enforcement: budget.enforcement,
      windowId: window.id,
      resetsAtMs: window.resetsAtMs,
      counter: counterOf(budget.id, budget.window, window.id),
      rollingSeconds: budget.window.kind === 'rolling' ? budget.window.seconds : null,
      limitNanos: usdToNanos(budget.limitUsd),
      alertThresholds: budget.alertThresholds,
    };
  });
  const minute = minuteOf(nowMs);
  const rateLimits = input.rateLimits.map((limit): ReservedRateLimit => {
    sameOrg(limit.orgId);
    return { limitId: limit.id, minute };
  });
  return {
    requestId: input.requestId,
    orgId,
    costNanos: input.costNanos,
    tokens: input.tokens,
    ttlMs: input.ttlMs,
    expiresAtMs: nowMs + input.ttlMs,
    budgets,
    rateLimits,
    local: false,
  };
}

export function budgetDenial(budget: ReservedBudget, spentNanos: number, reservedNanos: number): Denial {
  return {
    reason: 'budget_exceeded',
    id: budget.budgetId,
    name: budget.name,
    scope: budget.scope,
    unit: 'usd',
    limit: budget.limitNanos / 1e9,
    remaining: Math.max(0, budget.limitNanos - spentNanos - reservedNanos) / 1e9,
    resetsAtMs: budget.resetsAtMs,
  };
}

export function rateLimitDenial(
  limit: SnapshotRateLimit,
  reason: 'rate_limit_requests' | 'rate_limit_tokens',
  used: number,
  minute: number,
): Denial {
  const max = (reason === 'rate_limit_requests' ? limit.requestsPerMinute : limit.tokensPerMinute) ?? 0;
  return {
    reason,
    id: limit.id,
    name: null,
    scope: limit.scope,
    unit: reason === 'rate_limit_requests' ? 'requests' : 'tokens',
    limit: max,
    remaining: Math.max(0, max - used),
    resetsAtMs: (minute + 1) * 60_000,
  };
}

export function budgetSpend(budget: ReservedBudget, beforeNanos: number, addedNanos: number): BudgetSpend {
  const after = beforeNanos + addedNanos;
  // Exact integer comparison: nanos × 100 can pass 2^53.
  const limit = BigInt(budget.limitNanos);
  const [b, a] = [BigInt(beforeNanos) * 100n, BigInt(after) * 100n];
  return {
    budgetId: budget.budgetId,
    name: budget.name,
    windowId: budget.windowId,
    limitNanos: budget.limitNanos,
    spentBeforeNanos: beforeNanos,
    spentAfterNanos: after,
    thresholdsCrossed: budget.alertThresholds.filter((t) => {
      const mark = limit * BigInt(Math.round(t));
      return b < mark && mark <= a;
    }),
  };
}

/** How long a settle marker must live for `reservation`. */
export const markerTtlMs = (reservation: Reservation, minimum: number) =>
  Math.max(reservation.ttlMs, minimum);

/** A budget's state in its current window, as the control plane reports it. */
export interface BudgetUsage {
  spentUsd: number;
  reservedUsd: number;
  spentNanos: number;
  reservedNanos: number;
  windowId: string;
  windowStartMs: number;
  resetsAtMs: number;
}

export function budgetUsage(window: WindowInstance, spentNanos: number, reservedNanos: number): BudgetUsage {
  return {
    spentUsd: spentNanos / 1e9,
    reservedUsd: reservedNanos / 1e9,
    spentNanos,
    reservedNanos,
    windowId: window.id,
    windowStartMs: window.startMs,
    resetsAtMs: window.resetsAtMs,
  };
}

/** When a counter may be dropped: after its calendar window (plus grace) or once nothing in it can still count. */
export function counterExpiresAt(budget: ReservedBudget, nowMs: number): number {
  if (budget.rollingSeconds === null) return budget.resetsAtMs + WINDOW_GRACE_MS;
  return nowMs + budget.rollingSeconds * 1000 * 2 + WINDOW_GRACE_MS;
}
