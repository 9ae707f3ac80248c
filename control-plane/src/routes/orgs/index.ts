// The caller's organization. There is no cross-org listing in the API: orgs are created by bootstrap and the CLI.
import { recordAudit } from '../../audit/audit.js';
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses, fail } from '../../errors.js';
import type { RoutePlugin } from '../common.js';
import { getCurrentOrg, updateCurrentOrg } from './repository.js';
import { Org, UpdateOrgBody } from './schemas.js';

const tags = ['orgs'];

const orgRoutes: RoutePlugin = async (app) => {
  app.get(
    '/orgs/current',
    {
      preHandler: requireRole('viewer'),
      schema: { tags, summary: 'The organization of the caller', response: { 200: Org, ...errorResponses } },
    },
    async (request) => {
      const principal = principalOf(request);
      const org = await app.db.withTenant(principal.orgId, (tx) => getCurrentOrg(tx));
      if (!org) throw fail.notFound('Organization');
      return org;
    },
  );

  app.patch(
    '/orgs/current',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Rename the organization or change its slug',
        body: UpdateOrgBody,
        response: { 200: Org, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const org = await app.db.withTenant(principal.orgId, async (tx) => {
        const before = await getCurrentOrg(tx, true);
        if (!before) throw fail.notFound('Organization');
        const after = await updateCurrentOrg(tx, {
          name: request.body.name?.trim(),
          slug: request.body.slug,
        });
        if (!after) throw fail.notFound('Organization');
        await recordAudit(tx, {
          orgId: principal.orgId,
          actor: principal,
          action: 'org.update',
          resourceType: 'org',
          resourceId: after.id,
          before,
          after,
        });
        return after;
      });
      await app.policyChanged(principal.orgId);
      return org;
    },
  );
};

export default orgRoutes;
