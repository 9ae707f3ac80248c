// POST /routing/test: what the org's routing would do with a sample request, and what it would cost, without calling
// any provider. Read-only, so any member may run it.
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import type { RoutePlugin } from '../common.js';
import { dryRun } from './dry-run.js';
import { RoutingTestBody, RoutingTestResult } from './schemas.js';

const routingTestRoutes: RoutePlugin = async (app) => {
  app.post(
    '/routing/test',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags: ['routing'],
        summary:
          "Dry run: the routing decision and estimated cost for a sample request under the org's rules",
        body: RoutingTestBody,
        response: { 200: RoutingTestResult, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => dryRun(tx, orgId, request.body));
    },
  );
};

export default routingTestRoutes;
