// Model catalogue overrides: read by any member, written by admins. Each change republishes the snapshot.
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import { IdParams, NoContent, type RoutePlugin } from '../common.js';
import {
  createModelOverride,
  deleteModelOverride,
  getModelOverride,
  listModelOverrides,
  updateModelOverride,
} from './repository.js';
import {
  CreateModelOverrideBody,
  ModelOverride,
  ModelOverrideList,
  ModelOverrideListQuery,
  UpdateModelOverrideBody,
} from './schemas.js';

const tags = ['routing'];

const modelOverrideRoutes: RoutePlugin = async (app) => {
  app.get(
    '/routing/model-overrides',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'List model catalogue overrides',
        querystring: ModelOverrideListQuery,
        response: { 200: ModelOverrideList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => listModelOverrides(tx, orgId, request.query));
    },
  );

  app.get(
    '/routing/model-overrides/:id',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Get a model catalogue override',
        params: IdParams,
        response: { 200: ModelOverride, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => getModelOverride(tx, orgId, request.params.id));
    },
  );

  app.post(
    '/routing/model-overrides',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Correct or add a model in the catalogue cheapest_capable chooses from',
        body: CreateModelOverrideBody,
        response: { 201: ModelOverride, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await app.db.withTenant(principal.orgId, (tx) =>
        createModelOverride(tx, principal.orgId, principal, request.body),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(201).send(created);
    },
  );

  app.patch(
    '/routing/model-overrides/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Change a model override (null fields fall back to the built-in value)',
        params: IdParams,
        body: UpdateModelOverrideBody,
        response: { 200: ModelOverride, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const updated = await app.db.withTenant(principal.orgId, (tx) =>
        updateModelOverride(tx, principal.orgId, principal, request.params.id, request.body),
      );
      await app.policyChanged(principal.orgId);
      return updated;
    },
  );

  app.delete(
    '/routing/model-overrides/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Remove a model override',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await app.db.withTenant(principal.orgId, (tx) =>
        deleteModelOverride(tx, principal.orgId, principal, request.params.id),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(204).send(null);
    },
  );
};

export default modelOverrideRoutes;
