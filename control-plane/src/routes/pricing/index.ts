// Price overrides: read by any member (spend reports depend on them), written by admins.
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import { IdParams, NoContent, type RoutePlugin } from '../common.js';
import {
  createPriceOverride,
  deletePriceOverride,
  getPriceOverride,
  listPriceOverrides,
  updatePriceOverride,
} from './repository.js';
import {
  CreatePriceOverrideBody,
  PriceOverride,
  PriceOverrideList,
  PriceOverrideListQuery,
  UpdatePriceOverrideBody,
} from './schemas.js';

const tags = ['pricing'];

const pricingRoutes: RoutePlugin = async (app) => {
  app.get(
    '/pricing',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'List price overrides',
        querystring: PriceOverrideListQuery,
        response: { 200: PriceOverrideList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => listPriceOverrides(tx, orgId, request.query));
    },
  );

  app.get(
    '/pricing/:id',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Get a price override',
        params: IdParams,
        response: { 200: PriceOverride, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => getPriceOverride(tx, orgId, request.params.id));
    },
  );

  app.post(
    '/pricing',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Price a provider:model for this org (USD per million tokens)',
        body: CreatePriceOverrideBody,
        response: { 201: PriceOverride, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await app.db.withTenant(principal.orgId, (tx) =>
        createPriceOverride(tx, principal.orgId, principal, request.body),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(201).send(created);
    },
  );

  app.patch(
    '/pricing/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Change the prices of an override',
        params: IdParams,
        body: UpdatePriceOverrideBody,
        response: { 200: PriceOverride, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const updated = await app.db.withTenant(principal.orgId, (tx) =>
        updatePriceOverride(tx, principal.orgId, principal, request.params.id, request.body),
      );
      await app.policyChanged(principal.orgId);
      return updated;
    },
  );

  app.delete(
    '/pricing/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Remove an override (the built-in price applies again)',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await app.db.withTenant(principal.orgId, (tx) =>
        deletePriceOverride(tx, principal.orgId, principal, request.params.id),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(204).send(null);
    },
  );
};

export default pricingRoutes;
