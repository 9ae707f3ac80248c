// Builds budget enforcement for a running extproc. With REDIS_URL every replica reserves in Redis (atomic Lua),
// through the resilient store and its failure mode; without, one extproc counts in memory, seeded from (and
// periodically topped up from) the control plane's ledger so a restart does not forget the window's spend.
import type { Registry } from 'prom-client';
import type { ExtprocConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { BUDGET_SPEND_PATH, type BudgetSpendReport } from '../policy/snapshot.js';
import { LiveBudgetFigures } from './live-figures.js';
import { MemoryBudgetStore } from './memory-store.js';
import { BudgetMetrics, instrumentBudgetStore } from './metrics.js';
import { ResilientBudgetStore } from './resilient-store.js';
import { BudgetStage } from './stage.js';
import type { BudgetStore } from './store.js';
import type { SnapshotBudget } from './types.js';
import { currentWindow } from './windows.js';

export interface BudgetStageDeps {
  registry: Registry;
  log: Logger;
  policy: () => CompiledPolicy;
  /** From createBudgetFigures: the same figures the routing stage reads. */
  figures: LiveBudgetFigures;
  /** Clock for windows and reservation expiry (tests move it across a window boundary). */
  now?: () => number;
}

/** The budget utilisation view for the routing stage, and the per-budget gauges on `registry`. */
export function createBudgetFigures(
  policy: () => CompiledPolicy,
  registry: Registry,
  now?: () => number,
): LiveBudgetFigures {
  return new LiveBudgetFigures({ policy, registry, ...(now ? { now } : {}) });
}

export async function createBudgetStage(config: ExtprocConfig, deps: BudgetStageDeps): Promise<BudgetStage> {
  const metrics = new BudgetMetrics(deps.registry);
  const now = deps.now ?? Date.now;
  const store = config.redisUrl
    ? await sharedStore(config, config.redisUrl, metrics, deps.log, now)
    : await memoryStore(config, deps, now);
  return new BudgetStage({
    store: instrumentBudgetStore(store, metrics),
    metrics,
    log: deps.log,
    defaultMaxTokens: config.budgetDefaultMaxTokens,
    reservationTtlMs: config.budgetReservationTtlMs,
    allowUnpriced: config.budgetAllowUnpriced,
    figures: deps.figures,
    now,
  });
}

async function sharedStore(
  config: ExtprocConfig,
  url: string,
  metrics: BudgetMetrics,
  log: Logger,
  now: () => number,
): Promise<BudgetStore> {
  // ioredis is loaded only when used (see index.ts).
  const { RedisBudgetStore } = await import('./redis-store.js');
  const redis = new RedisBudgetStore({
    url,
    now,
    onError: (error) => log.debug({ err: error }, 'budget store connection error'),
  });
  try {
    await redis.connect();
  } catch (error) {
    // The client keeps reconnecting; until then the failure mode decides.
    log.warn({ err: error, mode: config.budgetFailureMode }, 'budget store (Redis) unreachable at start');
  }
  return new ResilientBudgetStore({
    redis,
    mode: config.budgetFailureMode,
    local: new MemoryBudgetStore({ now }),
    metrics,
    now,
    onError: (error, operation) =>
      log.warn({ err: error, operation, mode: config.budgetFailureMode }, 'budget store (Redis) failed'),
  });
}

function budgetsById(policy: CompiledPolicy): Map<string, SnapshotBudget> {
  const byId = new Map<string, SnapshotBudget>();
  for (const index of policy.budgets.orgs.values()) {
    for (const { budget } of index.org) byId.set(budget.id, budget);
    for (const entries of index.bySubject.values())
      for (const { budget } of entries) byId.set(budget.id, budget);
  }
  return byId;
}

async function memoryStore(
  config: ExtprocConfig,
  deps: BudgetStageDeps,
  now: () => number,
): Promise<BudgetStore> {
  const store = new MemoryBudgetStore({ now });
  const { controlPlaneUrl, internalToken } = config;
  if (!controlPlaneUrl || !internalToken) return store;

  const seed = async () => {
    const response = await fetch(`${controlPlaneUrl}${BUDGET_SPEND_PATH}`, {
      headers: { authorization: `Bearer ${internalToken}` },
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) throw new Error(`budget spend: control plane answered ${response.status}`);
    const report = (await response.json()) as BudgetSpendReport;
    const budgets = budgetsById(deps.policy());
    const at = now();
    for (const { budgetId, windowId, spentNanos } of report.budgets) {
      // Never lowers a counter: spend settled here but not yet in the ledger stays counted.
      store.seed(budgetId, windowId, spentNanos);
      const budget = budgets.get(budgetId);
      if (budget === undefined) continue;
      const window = currentWindow(budget.window, at);
      if (window.id !== windowId) continue;
      deps.figures.seeded(
        budgetId,
        windowId,
        window.resetsAtMs,
        Math.round(budget.limitUsd * 1e9),
        spentNanos,
      );
    }
  };
  const seedLogged = () =>
    seed().catch((error: unknown) =>
      deps.log.warn({ err: error }, 'could not seed budget counters from the control plane'),
    );
  await seedLogged();
  const timer = setInterval(seedLogged, config.budgetSeedIntervalMs);
  timer.unref();
  return {
    reserve: (input) => store.reserve(input),
    settle: (reservation, actual) => store.settle(reservation, actual),
    release: (reservation, billed) => store.release(reservation, billed),
    async close() {
      clearInterval(timer);
      await store.close();
    },
  };
}
