// Budgets: read by any member, with their live state; created, changed and deleted by admins. Every change
// republishes the policy snapshot, which is how extproc learns the limits it enforces.
import { principalOf, requireRole } from '../../auth/principal.js';
import { reconcileBudgets } from '../../budgets/reconcile.js';
import { errorResponses } from '../../errors.js';
import { IdParams, NoContent, type RoutePlugin } from '../common.js';
import { createBudget, deleteBudget, getBudget, listBudgets, updateBudget } from './repository.js';
import {
  Budget,
  BudgetList,
  BudgetListQuery,
  CreateBudgetBody,
  ReconcileQuery,
  ReconcileReport,
  UpdateBudgetBody,
} from './schemas.js';
import { oneWithState, withState } from './state.js';

const tags = ['budgets'];

const budgetRoutes: RoutePlugin = async (app) => {
  app.get(
    '/budgets',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'List budgets with their spend in the current window',
        querystring: BudgetListQuery,
        response: { 200: BudgetList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      const page = await app.db.withTenant(orgId, (tx) => listBudgets(tx, orgId, request.query));
      return { items: await withState(app, orgId, page.items), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/budgets/:id',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Get a budget with its spend in the current window',
        params: IdParams,
        response: { 200: Budget, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      const budget = await app.db.withTenant(orgId, (tx) => getBudget(tx, orgId, request.params.id));
      return oneWithState(app, orgId, budget);
    },
  );

  app.post(
    '/budgets',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Create a budget: a spend limit per window for the org, a team, user, key, agent or tag',
        body: CreateBudgetBody,
        response: { 201: Budget, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await app.db.withTenant(principal.orgId, (tx) =>
        createBudget(tx, principal.orgId, principal, request.body),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(201).send(await oneWithState(app, principal.orgId, created));
    },
  );

  app.patch(
    '/budgets/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Change the name, limit, enforcement, models or alert thresholds of a budget',
        params: IdParams,
        body: UpdateBudgetBody,
        response: { 200: Budget, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const updated = await app.db.withTenant(principal.orgId, (tx) =>
        updateBudget(tx, principal.orgId, principal, request.params.id, request.body),
      );
      await app.policyChanged(principal.orgId);
      return oneWithState(app, principal.orgId, updated);
    },
  );

  app.delete(
    '/budgets/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Delete a budget (its alerts go with it)',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await app.db.withTenant(principal.orgId, (tx) =>
        deleteBudget(tx, principal.orgId, principal, request.params.id),
      );
      await app.policyChanged(principal.orgId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/budgets/reconcile',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary:
          "Compare each budget's enforcement counter with the spend ledger; fix=true sets it to the ledger",
        querystring: ReconcileQuery,
        response: { 200: ReconcileReport, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return reconcileBudgets(app.db, app.redis, {
        orgId: principal.orgId,
        fix: request.query.fix ?? false,
        actor: principal,
      });
    },
  );
};

export default budgetRoutes;
