// GET /budgets/:id/alerts: the alerts a budget fired and whether each reached its channels. Read by any member.
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import type { RoutePlugin } from '../common.js';
import { listBudgetAlerts } from './repository.js';
import { BudgetAlertList, BudgetAlertParams, BudgetAlertQuery } from './schemas.js';

const budgetAlertRoutes: RoutePlugin = async (app) => {
  app.get(
    '/budgets/:id/alerts',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags: ['budgets'],
        summary: 'Alerts fired by a budget (newest first) with their delivery status per channel',
        params: BudgetAlertParams,
        querystring: BudgetAlertQuery,
        response: { 200: BudgetAlertList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      const items = await app.db.withTenant(orgId, (tx) =>
        listBudgetAlerts(tx, orgId, request.params.id, request.query.limit ?? 50),
      );
      return { items };
    },
  );
};

export default budgetAlertRoutes;
