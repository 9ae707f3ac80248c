// Service accounts, managed by admins. Disabling one stops its API tokens and (from the next snapshot) its keys.
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import { IdParams, NoContent, type RoutePlugin } from '../common.js';
import {
  createServiceAccount,
  deleteServiceAccount,
  getServiceAccount,
  listServiceAccounts,
  updateServiceAccount,
} from './repository.js';
import {
  CreateServiceAccountBody,
  ServiceAccount,
  ServiceAccountList,
  ServiceAccountListQuery,
  UpdateServiceAccountBody,
} from './schemas.js';

const tags = ['service accounts'];
const admin = requireRole('admin');

const serviceAccountRoutes: RoutePlugin = async (app) => {
  app.get(
    '/service-accounts',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'List service accounts',
        querystring: ServiceAccountListQuery,
        response: { 200: ServiceAccountList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => listServiceAccounts(tx, orgId, request.query));
    },
  );

  app.get(
    '/service-accounts/:id',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Get a service account',
        params: IdParams,
        response: { 200: ServiceAccount, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => getServiceAccount(tx, orgId, request.params.id));
    },
  );

  app.post(
    '/service-accounts',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Create a service account',
        body: CreateServiceAccountBody,
        response: { 201: ServiceAccount, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await app.db.withTenant(principal.orgId, (tx) =>
        createServiceAccount(tx, principal.orgId, principal, request.body),
      );
      return reply.code(201).send(created);
    },
  );

  app.patch(
    '/service-accounts/:id',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Rename, change the role or team of, disable or re-enable a service account',
        params: IdParams,
        body: UpdateServiceAccountBody,
        response: { 200: ServiceAccount, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const updated = await app.db.withTenant(principal.orgId, (tx) =>
        updateServiceAccount(tx, principal.orgId, principal, request.params.id, request.body),
      );
      // Keys of a disabled account leave the snapshot.
      if (request.body.disabled !== undefined) await app.policyChanged(principal.orgId);
      return updated;
    },
  );

  app.delete(
    '/service-accounts/:id',
    {
      preHandler: admin,
      schema: {
        tags,
        summary: 'Delete a service account, its API tokens, and revoke its gateway keys',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await app.db.withTenant(principal.orgId, (tx) =>
        deleteServiceAccount(tx, principal.orgId, principal, request.params.id),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(204).send(null);
    },
  );
};

export default serviceAccountRoutes;
