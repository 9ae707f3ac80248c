// Rate limits: read by any member, set by admins; every change republishes the snapshot extproc enforces from.
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import { IdParams, NoContent, type RoutePlugin } from '../common.js';
import {
  createRateLimit,
  deleteRateLimit,
  getRateLimit,
  listRateLimits,
  updateRateLimit,
} from './repository.js';
import {
  CreateRateLimitBody,
  RateLimit,
  RateLimitList,
  RateLimitListQuery,
  UpdateRateLimitBody,
} from './schemas.js';

const tags = ['rate limits'];

const rateLimitRoutes: RoutePlugin = async (app) => {
  app.get(
    '/rate-limits',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'List rate limits',
        querystring: RateLimitListQuery,
        response: { 200: RateLimitList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => listRateLimits(tx, orgId, request.query));
    },
  );

  app.get(
    '/rate-limits/:id',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Get a rate limit',
        params: IdParams,
        response: { 200: RateLimit, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => getRateLimit(tx, orgId, request.params.id));
    },
  );

  app.post(
    '/rate-limits',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Limit requests and/or tokens per minute for a key or a team',
        body: CreateRateLimitBody,
        response: { 201: RateLimit, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await app.db.withTenant(principal.orgId, (tx) =>
        createRateLimit(tx, principal.orgId, principal, request.body),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(201).send(created);
    },
  );

  app.patch(
    '/rate-limits/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Change the rates of a limit (null removes one of them)',
        params: IdParams,
        body: UpdateRateLimitBody,
        response: { 200: RateLimit, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const updated = await app.db.withTenant(principal.orgId, (tx) =>
        updateRateLimit(tx, principal.orgId, principal, request.params.id, request.body),
      );
      await app.policyChanged(principal.orgId);
      return updated;
    },
  );

  app.delete(
    '/rate-limits/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Remove a rate limit',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await app.db.withTenant(principal.orgId, (tx) =>
        deleteRateLimit(tx, principal.orgId, principal, request.params.id),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(204).send(null);
    },
  );
};

export default rateLimitRoutes;
