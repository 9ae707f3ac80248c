// Provider credentials: one API key per provider and org, write-only. Members can see which providers are
// configured; only admins set or remove them.
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses, fail } from '../../errors.js';
import { NoContent, type RoutePlugin } from '../common.js';
import {
  deleteProviderCredential,
  getProviderCredential,
  listProviderCredentials,
  putProviderCredential,
} from './repository.js';
import {
  ProviderCredential,
  ProviderCredentialList,
  ProviderParams,
  PutProviderCredentialBody,
} from './schemas.js';

const tags = ['provider credentials'];

const providerCredentialRoutes: RoutePlugin = async (app) => {
  app.get(
    '/provider-credentials',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'List configured providers (never the secret)',
        response: { 200: ProviderCredentialList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return { items: await app.db.withTenant(orgId, (tx) => listProviderCredentials(tx, orgId)) };
    },
  );

  app.get(
    '/provider-credentials/:provider',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: "Get a provider's credential metadata",
        params: ProviderParams,
        response: { 200: ProviderCredential, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      const credential = await app.db.withTenant(orgId, (tx) =>
        getProviderCredential(tx, orgId, request.params.provider),
      );
      if (!credential) throw fail.notFound('Provider credential');
      return credential;
    },
  );

  app.put(
    '/provider-credentials/:provider',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: "Set or replace the org's API key for a provider (sealed under the master key)",
        params: ProviderParams,
        body: PutProviderCredentialBody,
        response: { 200: ProviderCredential, 201: ProviderCredential, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const result = await app.db.withTenant(principal.orgId, (tx) =>
        putProviderCredential(tx, principal.orgId, principal, app.config.masterKey, {
          provider: request.params.provider,
          apiKey: request.body.apiKey,
          name: request.body.name,
        }),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(result.created ? 201 : 200).send(result.credential);
    },
  );

  app.delete(
    '/provider-credentials/:provider',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: "Remove the org's API key for a provider",
        params: ProviderParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await app.db.withTenant(principal.orgId, (tx) =>
        deleteProviderCredential(tx, principal.orgId, principal, request.params.provider),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(204).send(null);
    },
  );
};

export default providerCredentialRoutes;
