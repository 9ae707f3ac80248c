// The spend ledger, read-only for every member of the org: one record per gateway request, and totals grouped by
// model, key, team, user, agent or day. Records are written by the ledger writer (control-plane/src/ledger).
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import type { RoutePlugin } from '../common.js';
import { listSpend, summariseSpend } from './repository.js';
import { SpendListQuery, SpendPage, SpendSummary, SpendSummaryQuery } from './schemas.js';

const tags = ['spend'];

const spendRoutes: RoutePlugin = async (app) => {
  app.get(
    '/spend',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Spend records, newest first',
        querystring: SpendListQuery,
        response: { 200: SpendPage, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => listSpend(tx, orgId, request.query));
    },
  );

  app.get(
    '/spend/summary',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Token and cost totals, grouped',
        querystring: SpendSummaryQuery,
        response: { 200: SpendSummary, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => summariseSpend(tx, orgId, request.query));
    },
  );
};

export default spendRoutes;
