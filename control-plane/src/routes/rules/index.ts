// Routing rules: read by any member, written by admins (they decide which model serves every request and what it
// costs). Conditions are CEL, checked with extproc's compiler at write time; each change republishes the snapshot.
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import { IdParams, NoContent, type RoutePlugin } from '../common.js';
import {
  createRoutingRule,
  deleteRoutingRule,
  getRoutingRule,
  listRoutingRules,
  updateRoutingRule,
} from './repository.js';
import { CreateRoutingRuleBody, RoutingRule, RoutingRuleList, UpdateRoutingRuleBody } from './schemas.js';

const tags = ['routing'];

const ruleRoutes: RoutePlugin = async (app) => {
  app.get(
    '/rules',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'List routing rules in evaluation order',
        response: { 200: RoutingRuleList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => listRoutingRules(tx, orgId));
    },
  );

  app.get(
    '/rules/:id',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Get a routing rule',
        params: IdParams,
        response: { 200: RoutingRule, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => getRoutingRule(tx, orgId, request.params.id));
    },
  );

  app.post(
    '/rules',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Create a routing rule (invalid CEL: 400 invalid_condition with the position)',
        body: CreateRoutingRuleBody,
        response: { 201: RoutingRule, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await app.db.withTenant(principal.orgId, (tx) =>
        createRoutingRule(tx, principal.orgId, principal, request.body),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(201).send(created);
    },
  );

  app.patch(
    '/rules/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Change a routing rule',
        params: IdParams,
        body: UpdateRoutingRuleBody,
        response: { 200: RoutingRule, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const updated = await app.db.withTenant(principal.orgId, (tx) =>
        updateRoutingRule(tx, principal.orgId, principal, request.params.id, request.body),
      );
      await app.policyChanged(principal.orgId);
      return updated;
    },
  );

  app.delete(
    '/rules/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Delete a routing rule',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await app.db.withTenant(principal.orgId, (tx) =>
        deleteRoutingRule(tx, principal.orgId, principal, request.params.id),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(204).send(null);
    },
  );
};

export default ruleRoutes;
