// Budget responses carry their live state; this joins configuration and state into the API shape.
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { budgetStates } from '../../budgets/usage.js';
import type { BudgetConfig } from './repository.js';
import type { Budget } from './schemas.js';

export type BudgetView = Static<typeof Budget>;

export async function withState(
  app: FastifyInstance,
  orgId: string,
  budgets: BudgetConfig[],
): Promise<BudgetView[]> {
  const states = await budgetStates((fn) => app.db.withTenant(orgId, fn), app.redis, budgets, Date.now());
  return budgets.map((budget) => {
    const state = states.get(budget.id);
    if (!state) throw new Error(`no state computed for budget ${budget.id}`);
    return {
      id: budget.id,
      orgId: budget.orgId,
      name: budget.name,
      scope: budget.scope,
      subject: budget.subject,
      window: budget.window,
      limitUsd: budget.limitUsd,
      enforcement: budget.enforcement,
      models: budget.models,
      alertThresholds: budget.alertThresholds,
      spentUsd: state.spentUsd,
      reservedUsd: state.reservedUsd,
      remainingUsd: state.remainingUsd,
      utilisation: state.utilisation,
      windowStart: new Date(state.windowStartMs).toISOString(),
      resetsAt: new Date(state.resetsAtMs).toISOString(),
      createdAt: budget.createdAt,
      updatedAt: budget.updatedAt,
    };
  });
}

export async function oneWithState(
  app: FastifyInstance,
  orgId: string,
  budget: BudgetConfig,
): Promise<BudgetView> {
  const [view] = await withState(app, orgId, [budget]);
  return view as BudgetView;
}
