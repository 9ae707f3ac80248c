// How far along its budgets a request's subject is, as routing rules see it (`request.key_utilisation`,
// `request.budget["team"]`, …). Read on the hot path, so an implementation answers from memory: the figures are as of
// the last reservation or settlement it saw, not a fresh read of the counters.
import type { GatewayIdentity } from '../pipeline/auth.js';

export interface BudgetUtilisationView {
  /**
   * Spent (settled plus reserved) / limit of the tightest applicable budget per scope (`org`, `team`, `user`, `key`,
   * `agent`); scopes without a budget are absent.
   */
  utilisation(identity: GatewayIdentity, agent: string | null): Readonly<Record<string, number>>;
}

/** No budgets known: every scope reads as unused. */
export const NO_UTILISATION: BudgetUtilisationView = { utilisation: () => ({}) };
