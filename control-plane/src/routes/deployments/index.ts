// Routing deployments: read by any member, written by admins. Each change republishes the snapshot.
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import { IdParams, NoContent, type RoutePlugin } from '../common.js';
import {
  createDeployment,
  deleteDeployment,
  getDeployment,
  listDeployments,
  updateDeployment,
} from './repository.js';
import {
  CreateDeploymentBody,
  Deployment,
  DeploymentList,
  DeploymentListQuery,
  UpdateDeploymentBody,
} from './schemas.js';

const tags = ['routing'];

const deploymentRoutes: RoutePlugin = async (app) => {
  app.get(
    '/routing/deployments',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'List routing deployments',
        querystring: DeploymentListQuery,
        response: { 200: DeploymentList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => listDeployments(tx, orgId, request.query));
    },
  );

  app.get(
    '/routing/deployments/:id',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Get a routing deployment',
        params: IdParams,
        response: { 200: Deployment, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => getDeployment(tx, orgId, request.params.id));
    },
  );

  app.post(
    '/routing/deployments',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Create a routing deployment',
        body: CreateDeploymentBody,
        response: { 201: Deployment, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await app.db.withTenant(principal.orgId, (tx) =>
        createDeployment(tx, principal.orgId, principal, request.body),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(201).send(created);
    },
  );

  app.patch(
    '/routing/deployments/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Change a deployment (renaming one a rule names is refused)',
        params: IdParams,
        body: UpdateDeploymentBody,
        response: { 200: Deployment, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const updated = await app.db.withTenant(principal.orgId, (tx) =>
        updateDeployment(tx, principal.orgId, principal, request.params.id, request.body),
      );
      await app.policyChanged(principal.orgId);
      return updated;
    },
  );

  app.delete(
    '/routing/deployments/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Delete a deployment no rule names',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await app.db.withTenant(principal.orgId, (tx) =>
        deleteDeployment(tx, principal.orgId, principal, request.params.id),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(204).send(null);
    },
  );
};

export default deploymentRoutes;
