// How far along its budgets a request's subject is, as routing rules see it (`request.key_utilisation`,
// `request.budget["team"]`, …). Read on the hot path, so an implementation answers from memory: the figures are as of
// the last reservation or settlement it saw, not a fresh read of the counters.
import type { GatewayIdentity } from '../pipeline/auth.js';

export interface BudgetUtilisationView {
  /**
   * Spent (settled plus reserved) / limit of the tightest applicable budget per scope (`org`, `team`, `user`, `key`,
   * `agent`, and `tag` when the request carries tags); scopes without a budget are absent. With `request`, budgets
   * that count only some models count when the request's model is one of them; without it, only budgets that count
   * every model do.
   */
  utilisation(
    identity: GatewayIdentity,
    agent: string | null,
    request?: { model: string; tags: readonly string[] },
  ): Readonly<Record<string, number>>;
}

/** No budgets known: every scope reads as unused. */
export const NO_UTILISATION: BudgetUtilisationView = { utilisation: () => ({}) };
