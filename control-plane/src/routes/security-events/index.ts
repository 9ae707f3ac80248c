// Security events: what the scanner found, per request, for every member of the org to review.
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import type { RoutePlugin } from '../common.js';
import { listSecurityEvents } from './repository.js';
import { SecurityEventList, SecurityEventListQuery } from './schemas.js';

const securityEventRoutes: RoutePlugin = async (app) => {
  app.get(
    '/security/events',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags: ['security'],
        summary: 'Security findings, newest first (masked excerpts only, never the matched text)',
        querystring: SecurityEventListQuery,
        response: { 200: SecurityEventList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => listSecurityEvents(tx, orgId, request.query));
    },
  );
};

export default securityEventRoutes;
