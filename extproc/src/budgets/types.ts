// Budgets and rate limits as published in the policy snapshot, and the contract of the store that enforces them.
// Money is held as integer nano-dollars (1e-9 USD) everywhere counters are kept, so concurrent increments in Redis
// (or in process) add exactly; USD floats appear only at the edges (API, ledger, metrics).

export type BudgetScope = 'org' | 'team' | 'user' | 'key' | 'agent' | 'tag';

/**
 * Calendar windows start at local midnight (day), Monday 00:00 (week) or the 1st 00:00 (month) in `timeZone`
 * (IANA name). Rolling windows cover the last `seconds` seconds.
 */
export type BudgetWindow =
  | { kind: 'calendar'; period: 'day' | 'week' | 'month'; timeZone: string }
  | { kind: 'rolling'; seconds: number };

export interface SnapshotBudget {
  id: string;
  orgId: string;
  name: string;
  scope: BudgetScope;
  /**
   * Who the budget is for: team id, user or service-account id (scope `user`), key id, agent name or tag;
   * null for scope `org`.
   */
  subject: string | null;
  window: BudgetWindow;
  limitUsd: number;
  /** hard: requests that could exceed the limit are denied (429). soft: never denies, only alerts. */
  enforcement: 'hard' | 'soft';
  /** null = counts every model; otherwise only requests for these models (exact names as sent) count. */
  models: string[] | null;
  /** Percentages of the limit that raise an alert once per window, e.g. [50, 80, 100]. */
  alertThresholds: number[];
}

export type RateLimitScope = 'key' | 'team';

export interface SnapshotRateLimit {
  id: string;
  orgId: string;
  scope: RateLimitScope;
  /** Key id or team id. */
  subject: string;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

export const NANOS_PER_USD = 1_000_000_000;

export function usdToNanos(usd: number): number {
  return Math.round(usd * NANOS_PER_USD);
}

export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}
