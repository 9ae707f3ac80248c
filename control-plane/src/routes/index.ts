// Every /api/v1 route plugin, one line each (registered under the /api/v1 prefix by app.ts).
import type { FastifyPluginAsync } from 'fastify';
import alertChannelRoutes from './alert-channels/index.js';
import apiTokenRoutes from './api-tokens/index.js';
import auditLogRoutes from './audit-log/index.js';
import authRoutes from './auth/index.js';
import budgetAlertRoutes from './budget-alerts/index.js';
import budgetRoutes from './budgets/index.js';
import deploymentRoutes from './deployments/index.js';
import keyRoutes from './keys/index.js';
import modelOverrideRoutes from './model-overrides/index.js';
import orgRoutes from './orgs/index.js';
import pricingRoutes from './pricing/index.js';
import providerCredentialRoutes from './provider-credentials/index.js';
import rateLimitRoutes from './rate-limits/index.js';
import routingTestRoutes from './routing-test/index.js';
import ruleRoutes from './rules/index.js';
import securityEventRoutes from './security-events/index.js';
import securityPolicyRoutes from './security-policy/index.js';
import serviceAccountRoutes from './service-accounts/index.js';
import spendRoutes from './spend/index.js';
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
  budgetRoutes, // /budgets, /budgets/reconcile
  budgetAlertRoutes, // /budgets/:id/alerts
  rateLimitRoutes, // /rate-limits
  alertChannelRoutes, // /alert-channels
  spendRoutes, // /spend, /spend/summary
  securityPolicyRoutes, // /security/policy, /security/policy/teams/:teamId
  securityEventRoutes, // /security/events
  ruleRoutes, // /rules
  deploymentRoutes, // /routing/deployments
  modelOverrideRoutes, // /routing/model-overrides
  routingTestRoutes, // /routing/test
];

export const routes: FastifyPluginAsync = async (app) => {
  for (const plugin of routePlugins) await app.register(plugin);
};
