// Reading and correcting budget counters in Redis from outside the request path: the control plane's budget
// API, alert evaluator and reconcile command use these, so they interpret the keys exactly as extproc writes them.
import type { Redis } from 'ioredis';
import { counterKey, DEFAULT_BUDGET_PREFIX, reservationsKey } from './redis-keys.js';
import { SET_ROLLING_SPENT } from './redis-scripts.js';
import { type BudgetUsage, budgetUsage, counterOf, WINDOW_GRACE_MS } from './store.js';
import type { SnapshotBudget } from './types.js';
import { calendarWindowById, currentWindow, rollingBuckets, rollingSecondsOfId } from './windows.js';

function sumAmounts(members: string[]): number {
  let sum = 0;
  for (const m of members) sum += Number(m.slice(0, m.indexOf(':')));
  return sum;
}

/**
 * Spend and live reservations of `budget` in the window containing `nowMs`. Read-only: reservations past their
 * expiry (not yet cleaned up by a reserve) are not counted.
 */
export async function readBudgetUsage(
  redis: Redis,
  budget: SnapshotBudget,
  nowMs: number,
  prefix = DEFAULT_BUDGET_PREFIX,
): Promise<BudgetUsage> {
  const window = currentWindow(budget.window, nowMs);
  const key = counterKey(prefix, budget.orgId, counterOf(budget.id, budget.window, window.id));
  const [fields, live] = await Promise.all([
    redis.hgetall(key),
    redis.zrangebyscore(reservationsKey(key), `(${nowMs}`, '+inf'),
  ]);
  let spent = 0;
  if (budget.window.kind === 'calendar') {
    spent = Number(fields.spent ?? 0);
  } else {
    const { oldest } = rollingBuckets(budget.window.seconds, nowMs);
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith('b:') && Number(field.slice(2)) >= oldest) spent += Number(value);
    }
  }
  return budgetUsage(window, spent, sumAmounts(live));
}

/**
 * Overwrites the spend of `budget` in window `windowId` (reservations are kept). A rolling window's spend is put
 * in its newest bucket, so it counts for the window's full length from now: the conservative side.
 */
export async function setBudgetSpent(
  redis: Redis,
  budget: SnapshotBudget,
  windowId: string,
  spentNanos: number,
  prefix = DEFAULT_BUDGET_PREFIX,
  nowMs = Date.now(),
): Promise<void> {
  if (!Number.isSafeInteger(spentNanos) || spentNanos < 0) {
    throw new RangeError(`spentNanos must be an integer >= 0, got ${spentNanos}`);
  }
  const key = counterKey(prefix, budget.orgId, counterOf(budget.id, budget.window, windowId));
  if (budget.window.kind === 'calendar') {
    const window = calendarWindowById(budget.window, windowId);
    if (window === null) throw new RangeError(`${windowId} is not a window of budget ${budget.id}`);
    const results = await redis
      .multi()
      .hset(key, 'spent', spentNanos)
      .pexpireat(key, window.resetsAtMs + WINDOW_GRACE_MS)
      .exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed) throw failed[0];
    return;
  }
  const seconds = budget.window.seconds;
  if (rollingSecondsOfId(windowId) !== seconds) {
    throw new RangeError(`${windowId} is not a window of budget ${budget.id}`);
  }
  const expiresAt = nowMs + seconds * 2000 + WINDOW_GRACE_MS;
  const bucket = rollingBuckets(seconds, nowMs).current;
  await redis.eval(SET_ROLLING_SPENT.source, 1, key, spentNanos, bucket, expiresAt);
}
