// Gateway keys: read by any member, created and changed by editors and above. The full key appears once, in the
// create response; every change republishes the policy snapshot so extproc accepts or refuses the key at once.
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import { IdParams, type RoutePlugin } from '../common.js';
import {
  createGatewayKey,
  getGatewayKey,
  listGatewayKeys,
  revokeGatewayKey,
  updateGatewayKey,
} from './repository.js';
import {
  CreatedGatewayKey,
  CreateGatewayKeyBody,
  GatewayKey,
  GatewayKeyList,
  GatewayKeyListQuery,
  UpdateGatewayKeyBody,
} from './schemas.js';

const tags = ['gateway keys'];

const keyRoutes: RoutePlugin = async (app) => {
  app.get(
    '/keys',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'List gateway keys (never the key itself)',
        querystring: GatewayKeyListQuery,
        response: { 200: GatewayKeyList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => listGatewayKeys(tx, orgId, request.query));
    },
  );

  app.get(
    '/keys/:id',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Get a gateway key',
        params: IdParams,
        response: { 200: GatewayKey, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => getGatewayKey(tx, orgId, request.params.id));
    },
  );

  app.post(
    '/keys',
    {
      preHandler: requireRole('editor'),
      schema: {
        tags,
        summary: 'Create a gateway key; the response is the only time the key is shown',
        body: CreateGatewayKeyBody,
        response: { 201: CreatedGatewayKey, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await app.db.withTenant(principal.orgId, (tx) =>
        createGatewayKey(tx, principal.orgId, principal, request.body),
      );
      await app.policyChanged(principal.orgId);
      // The key must not sit in any shared cache on its way to the client.
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...created.gatewayKey, key: created.key });
    },
  );

  app.patch(
    '/keys/:id',
    {
      preHandler: requireRole('editor'),
      schema: {
        tags,
        summary: 'Rename a key, move it to a team, or change its models, agent or expiry',
        params: IdParams,
        body: UpdateGatewayKeyBody,
        response: { 200: GatewayKey, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const updated = await app.db.withTenant(principal.orgId, (tx) =>
        updateGatewayKey(tx, principal.orgId, principal, request.params.id, request.body),
      );
      await app.policyChanged(principal.orgId);
      return updated;
    },
  );

  app.post(
    '/keys/:id/revoke',
    {
      preHandler: requireRole('editor'),
      schema: {
        tags,
        summary: 'Revoke a key (idempotent); extproc refuses it once the next snapshot is out',
        params: IdParams,
        response: { 200: GatewayKey, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const revoked = await app.db.withTenant(principal.orgId, (tx) =>
        revokeGatewayKey(tx, principal.orgId, principal, request.params.id),
      );
      if (revoked.changed) await app.policyChanged(principal.orgId);
      return revoked.gatewayKey;
    },
  );
};

export default keyRoutes;
