// Every /api/v1 route plugin, one line each (registered under the /api/v1 prefix by app.ts).
import type { FastifyPluginAsync } from 'fastify';
import apiTokenRoutes from './api-tokens/index.js';
import auditLogRoutes from './audit-log/index.js';
import authRoutes from './auth/index.js';
import keyRoutes from './keys/index.js';
import orgRoutes from './orgs/index.js';
import pricingRoutes from './pricing/index.js';
import providerCredentialRoutes from './provider-credentials/index.js';
import serviceAccountRoutes from './service-accounts/index.js';
import teamRoutes from './teams/index.js';
import userRoutes from './users/index.js';

export const routePlugins: FastifyPluginAsync[] = [
  authRoutes, // /auth/login, /auth/logout, /auth/session
  orgRoutes, // /orgs/current
  teamRoutes, // /teams
  userRoutes, // /users
  keyRoutes, // /keys
  providerCredentialRoutes, // /provider-credentials
  pricingRoutes, // /pricing
  serviceAccountRoutes, // /service-accounts
  apiTokenRoutes, // /api-tokens
  auditLogRoutes, // /audit-log
];

export const routes: FastifyPluginAsync = async (app) => {
  for (const plugin of routePlugins) await app.register(plugin);
};
