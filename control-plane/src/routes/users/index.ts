// Users of the caller's org. Admins manage users; only an owner may create, promote to, or modify an owner; users
// may change their own name and password; an org always keeps one active owner.
import type { FastifyRequest } from 'fastify';
import { recordAudit } from '../../audit/audit.js';
import { type Principal, principalOf, requireRole, roleAtLeast } from '../../auth/principal.js';
import { hashPassword } from '../../auth/secrets.js';
import type { Tx } from '../../db/database.js';
import { AppError, errorResponses, fail } from '../../errors.js';
import { IdParams, NoContent, type RoutePlugin } from '../common.js';
import { getTeam } from '../teams/repository.js';
import {
  deleteUser,
  endSessions,
  getUser,
  insertUser,
  listUsers,
  otherActiveOwners,
  type UserView,
  updateUser,
} from './repository.js';
import { CreateUserBody, UpdateUserBody, User, UserList, UserListQuery } from './schemas.js';

const tags = ['users'];
const SELF_SERVICE_FIELDS = new Set(['name', 'password']);

function isSelf(principal: Principal, userId: string): boolean {
  return principal.kind === 'user' && principal.id === userId;
}

async function assertTeamExists(tx: Tx, teamId: string | null | undefined): Promise<void> {
  if (teamId && !(await getTeam(tx, teamId))) {
    throw new AppError('validation_failed', 'body.teamId does not name a team of this organization', {
      field: 'teamId',
      location: 'body',
    });
  }
}

function assertOwnerPower(principal: Principal, message: string): void {
  if (principal.role !== 'owner') throw new AppError('forbidden', message, { requiredRole: 'owner' });
}

async function assertNotLastOwner(tx: Tx, target: UserView): Promise<void> {
  if (
    target.role === 'owner' &&
    target.disabledAt === null &&
    (await otherActiveOwners(tx, target.id)) === 0
  ) {
    throw new AppError('last_owner');
  }
}

function sessionDigest(request: FastifyRequest): string | null {
  return request.credential?.type === 'session' ? request.credential.idDigest : null;
}

const userRoutes: RoutePlugin = async (app) => {
  app.get(
    '/users',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'List users',
        querystring: UserListQuery,
        response: { 200: UserList, ...errorResponses },
      },
    },
    async (request) => app.db.withTenant(principalOf(request).orgId, (tx) => listUsers(tx, request.query)),
  );

  app.get(
    '/users/:id',
    {
      preHandler: requireRole('viewer'),
      schema: { tags, summary: 'Get a user', params: IdParams, response: { 200: User, ...errorResponses } },
    },
    async (request) => {
      const user = await app.db.withTenant(principalOf(request).orgId, (tx) =>
        getUser(tx, request.params.id),
      );
      if (!user) throw fail.notFound('User');
      return user;
    },
  );

  app.post(
    '/users',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Create a user',
        body: CreateUserBody,
        response: { 201: User, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      if (body.role === 'owner') assertOwnerPower(principal, 'Only an owner can create an owner');
      const passwordHash = await hashPassword(body.password);
      const user = await app.db.withTenant(principal.orgId, async (tx) => {
        await assertTeamExists(tx, body.teamId);
        const created = await insertUser(tx, principal.orgId, {
          email: body.email.trim().toLowerCase(),
          name: body.name.trim(),
          passwordHash,
          role: body.role,
          teamId: body.teamId ?? null,
        });
        await recordAudit(tx, {
          orgId: principal.orgId,
          actor: principal,
          action: 'user.create',
          resourceType: 'user',
          resourceId: created.id,
          after: created,
        });
        return created;
      });
      await app.policyChanged(principal.orgId);
      return reply.code(201).send(user);
    },
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'Update a user (admins; anyone for their own name and password)',
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: User, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const body = request.body;
      const self = isSelf(principal, request.params.id);
      const selfService = self && Object.keys(body).every((field) => SELF_SERVICE_FIELDS.has(field));
      if (!selfService && !roleAtLeast(principal.role, 'admin')) {
        throw new AppError('forbidden', 'This action requires the admin role or higher', {
          requiredRole: 'admin',
        });
      }
      if (body.role === 'owner') assertOwnerPower(principal, 'Only an owner can make a user an owner');
      if (self && body.disabled === true) throw fail.conflict('You cannot disable yourself');
      const passwordHash = body.password === undefined ? undefined : await hashPassword(body.password);

      const user = await app.db.withTenant(principal.orgId, async (tx) => {
        const before = await getUser(tx, request.params.id, true);
        if (!before) throw fail.notFound('User');
        if (before.role === 'owner' && !self)
          assertOwnerPower(principal, 'Only an owner can change an owner');
        if ((body.role !== undefined && body.role !== 'owner') || body.disabled === true) {
          await assertNotLastOwner(tx, before);
        }
        await assertTeamExists(tx, body.teamId);
        const after = await updateUser(tx, before.id, {
          email: body.email?.trim().toLowerCase(),
          name: body.name?.trim(),
          passwordHash,
          role: body.role,
          teamId: body.teamId,
          disabled: body.disabled,
        });
        if (!after) throw fail.notFound('User');
        // A new password or a disable ends existing sessions (except the one making the change).
        if (passwordHash !== undefined || body.disabled === true) {
          await endSessions(tx, before.id, self ? sessionDigest(request) : null);
        }
        await recordAudit(tx, {
          orgId: principal.orgId,
          actor: principal,
          action: 'user.update',
          resourceType: 'user',
          resourceId: after.id,
          before,
          after: passwordHash === undefined ? after : { ...after, passwordChanged: true },
        });
        return after;
      });
      await app.policyChanged(principal.orgId);
      return user;
    },
  );

  app.delete(
    '/users/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Delete a user (their sessions and API tokens go too; their gateway keys lose their owner)',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (isSelf(principal, request.params.id)) throw fail.conflict('You cannot delete yourself');
      await app.db.withTenant(principal.orgId, async (tx) => {
        const before = await getUser(tx, request.params.id, true);
        if (!before) throw fail.notFound('User');
        if (before.role === 'owner') assertOwnerPower(principal, 'Only an owner can delete an owner');
        await assertNotLastOwner(tx, before);
        if (!(await deleteUser(tx, before.id))) throw fail.notFound('User');
        await recordAudit(tx, {
          orgId: principal.orgId,
          actor: principal,
          action: 'user.delete',
          resourceType: 'user',
          resourceId: before.id,
          before,
        });
      });
      await app.policyChanged(principal.orgId);
      return reply.code(204).send(null);
    },
  );
};

export default userRoutes;
