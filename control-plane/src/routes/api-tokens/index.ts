// API tokens: everyone manages their own; admins manage every token of the org, including service accounts'.
// A token carries its owner's role, so minting one never grants more than the owner already has.
import type { FastifyRequest } from 'fastify';
import { principalOf, requireRole, roleAtLeast } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import { IdParams, type RoutePlugin } from '../common.js';
import { createApiToken, getApiToken, listApiTokens, revokeApiToken, type TokenOwner } from './repository.js';
import { ApiToken, ApiTokenList, ApiTokenListQuery, CreateApiTokenBody, CreatedApiToken } from './schemas.js';

const tags = ['API tokens'];

/** null for admins (every token of the org), else the caller: the only owner they may see or touch. */
function scopeOf(request: FastifyRequest): TokenOwner | null {
  const principal = principalOf(request);
  return roleAtLeast(principal.role, 'admin') ? null : { kind: principal.kind, id: principal.id };
}

const apiTokenRoutes: RoutePlugin = async (app) => {
  app.get(
    '/api-tokens',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'List API tokens (yours; admins: all of the org)',
        querystring: ApiTokenListQuery,
        response: { 200: ApiTokenList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => listApiTokens(tx, orgId, request.query, scopeOf(request)));
    },
  );

  app.get(
    '/api-tokens/:id',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Get an API token',
        params: IdParams,
        response: { 200: ApiToken, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => getApiToken(tx, orgId, request.params.id, scopeOf(request)));
    },
  );

  app.post(
    '/api-tokens',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary:
          'Create an API token for yourself, or (admin+) for a service account; shown only in this response',
        body: CreateApiTokenBody,
        response: { 201: CreatedApiToken, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { serviceAccountId, name, expiresAt } = request.body;
      const self: TokenOwner = { kind: principal.kind, id: principal.id };
      const owner: TokenOwner = serviceAccountId ? { kind: 'service_account', id: serviceAccountId } : self;
      if (owner.id !== self.id) await requireRole('admin')(request);
      const created = await app.db.withTenant(principal.orgId, (tx) =>
        createApiToken(tx, principal.orgId, principal, owner, { name, expiresAt }),
      );
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...created.apiToken, token: created.token });
    },
  );

  app.post(
    '/api-tokens/:id/revoke',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Revoke an API token (idempotent)',
        params: IdParams,
        response: { 200: ApiToken, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return app.db.withTenant(principal.orgId, (tx) =>
        revokeApiToken(tx, principal.orgId, principal, request.params.id, scopeOf(request)),
      );
    },
  );
};

export default apiTokenRoutes;
