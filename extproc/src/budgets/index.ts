// Budget enforcement engine: windows, cost estimates, applicable budgets and the stores that reserve and settle.
// The control plane imports this entry (`@acc/extproc/budgets`) for the shared window and Redis counter semantics.
export * from './applicable.js';
export {
  ANTHROPIC_TOKEN_SAFETY_FACTOR,
  CostEstimator,
  type EstimatorOptions,
  encodingFor,
  type RequestEstimate,
  withMaxTokens,
} from './estimate.js';
export { MemoryBudgetStore, type MemoryBudgetStoreOptions } from './memory-store.js';
export { BudgetMetrics, instrumentBudgetStore } from './metrics.js';
export { DEFAULT_BUDGET_PREFIX } from './redis-keys.js';
export { RedisBudgetStore, type RedisBudgetStoreOptions } from './redis-store.js';
export { readBudgetUsage, setBudgetSpent } from './redis-usage.js';
export * from './resilient-store.js';
export * from './store.js';
export { type Encoding, preloadTokenizers } from './tokenizers.js';
export * from './types.js';
export * from './windows.js';
