// Shared fixtures of the budget store tests: budgets, a controllable clock and polling.
import type { SnapshotBudget, SnapshotRateLimit } from '../../src/budgets/types.js';

let counter = 0;
/** Unique per call, so tests sharing one Redis never see each other's keys. */
export const unique = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${++counter}`;

export function makeBudget(over: Partial<SnapshotBudget> = {}): SnapshotBudget {
  return {
    id: unique('budget'),
    orgId: 'org-1',
    name: 'Monthly org budget',
    scope: 'org',
    subject: null,
    window: { kind: 'calendar', period: 'month', timeZone: 'UTC' },
    limitUsd: 1,
    enforcement: 'hard',
    models: null,
    alertThresholds: [50, 80, 100],
    ...over,
  };
}

export function makeRateLimit(over: Partial<SnapshotRateLimit> = {}): SnapshotRateLimit {
  return {
    id: unique('limit'),
    orgId: 'org-1',
    scope: 'key',
    subject: 'key-1',
    requestsPerMinute: null,
    tokensPerMinute: null,
    ...over,
  };
}

/**
 * Runs with real time from a base in the future (Redis key expiries computed from it stay in the future), and
 * can jump forward: to the start of a fresh minute, so rate-limit tests never straddle one, or past a window.
 */
export class TestClock {
  private readonly realStart = Date.now();
  private readonly base = Date.UTC(2031, 0, 15, 12, 0, 0);
  private skip = 0;

  readonly now = (): number => this.base + (Date.now() - this.realStart) + this.skip;

  advance(ms: number): void {
    this.skip += ms;
  }

  /** Moves to 1 ms past the start of the next minute. */
  nextMinute(): void {
    const now = this.now();
    this.skip += Math.floor(now / 60_000) * 60_000 + 60_001 - now;
  }
}

/** Retries `check` until it returns true; fails after `attempts` tries (no assertion on how long it took). */
export async function eventually(check: () => Promise<boolean>, attempts = 400, pauseMs = 25): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error('condition not reached');
}
