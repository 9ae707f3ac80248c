// ClawShield policy: read by any member (so agents' owners can see why a request was blocked), written by admins.
// Every write republishes the snapshot, so a change reaches extproc within the usual propagation time.
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import { NoContent, type RoutePlugin } from '../common.js';
import {
  deleteTeamSecurityPolicy,
  getSecurityPolicy,
  putSecurityPolicy,
  validOverrides,
} from './repository.js';
import { SecurityPolicyOverrides, SecurityPolicyView, TeamParams } from './schemas.js';

const tags = ['security'];

const securityPolicyRoutes: RoutePlugin = async (app) => {
  app.get(
    '/security/policy',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: "The org's default security policy: what it stores and what is in effect",
        response: { 200: SecurityPolicyView, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => getSecurityPolicy(tx, orgId, null));
    },
  );

  app.put(
    '/security/policy',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: "Replace the org's default security policy (absent fields use the built-in default)",
        body: SecurityPolicyOverrides,
        response: { 200: SecurityPolicyView, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const overrides = validOverrides(request.body);
      const view = await app.db.withTenant(principal.orgId, (tx) =>
        putSecurityPolicy(tx, principal.orgId, principal, null, overrides),
      );
      await app.policyChanged(principal.orgId);
      return view;
    },
  );

  app.get(
    '/security/policy/teams/:teamId',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: "A team's security policy: its overrides and the policy in effect for its keys",
        params: TeamParams,
        response: { 200: SecurityPolicyView, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => getSecurityPolicy(tx, orgId, request.params.teamId));
    },
  );

  app.put(
    '/security/policy/teams/:teamId',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: "Replace a team's overrides (absent fields inherit the org's policy)",
        params: TeamParams,
        body: SecurityPolicyOverrides,
        response: { 200: SecurityPolicyView, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const overrides = validOverrides(request.body);
      const view = await app.db.withTenant(principal.orgId, (tx) =>
        putSecurityPolicy(tx, principal.orgId, principal, request.params.teamId, overrides),
      );
      await app.policyChanged(principal.orgId);
      return view;
    },
  );

  app.delete(
    '/security/policy/teams/:teamId',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: "Remove a team's overrides (the org's policy applies to it again)",
        params: TeamParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await app.db.withTenant(principal.orgId, (tx) =>
        deleteTeamSecurityPolicy(tx, principal.orgId, principal, request.params.teamId),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(204).send(null);
    },
  );
};

export default securityPolicyRoutes;
