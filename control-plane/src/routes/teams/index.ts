// Teams: read by any member, written by editors and above.
import { recordAudit } from '../../audit/audit.js';
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses, fail } from '../../errors.js';
import { IdParams, NoContent, type RoutePlugin } from '../common.js';
import { deleteTeam, getTeam, insertTeam, listTeams, updateTeam } from './repository.js';
import { CreateTeamBody, Team, TeamList, TeamListQuery, UpdateTeamBody } from './schemas.js';

const tags = ['teams'];

const teamRoutes: RoutePlugin = async (app) => {
  app.get(
    '/teams',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'List teams',
        querystring: TeamListQuery,
        response: { 200: TeamList, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return app.db.withTenant(principal.orgId, (tx) => listTeams(tx, request.query));
    },
  );

  app.get(
    '/teams/:id',
    {
      preHandler: requireRole('viewer'),
      schema: { tags, summary: 'Get a team', params: IdParams, response: { 200: Team, ...errorResponses } },
    },
    async (request) => {
      const principal = principalOf(request);
      const team = await app.db.withTenant(principal.orgId, (tx) => getTeam(tx, request.params.id));
      if (!team) throw fail.notFound('Team');
      return team;
    },
  );

  app.post(
    '/teams',
    {
      preHandler: requireRole('editor'),
      schema: {
        tags,
        summary: 'Create a team',
        body: CreateTeamBody,
        response: { 201: Team, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const team = await app.db.withTenant(principal.orgId, async (tx) => {
        const created = await insertTeam(tx, principal.orgId, request.body.name.trim());
        await recordAudit(tx, {
          orgId: principal.orgId,
          actor: principal,
          action: 'team.create',
          resourceType: 'team',
          resourceId: created.id,
          after: created,
        });
        return created;
      });
      await app.policyChanged(principal.orgId);
      return reply.code(201).send(team);
    },
  );

  app.patch(
    '/teams/:id',
    {
      preHandler: requireRole('editor'),
      schema: {
        tags,
        summary: 'Rename a team',
        params: IdParams,
        body: UpdateTeamBody,
        response: { 200: Team, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const team = await app.db.withTenant(principal.orgId, async (tx) => {
        const before = await getTeam(tx, request.params.id, true);
        if (!before) throw fail.notFound('Team');
        const after = await updateTeam(tx, before.id, { name: request.body.name?.trim() });
        if (!after) throw fail.notFound('Team');
        await recordAudit(tx, {
          orgId: principal.orgId,
          actor: principal,
          action: 'team.update',
          resourceType: 'team',
          resourceId: after.id,
          before,
          after,
        });
        return after;
      });
      await app.policyChanged(principal.orgId);
      return team;
    },
  );

  app.delete(
    '/teams/:id',
    {
      preHandler: requireRole('editor'),
      schema: {
        tags,
        summary: 'Delete a team (members, service accounts and keys keep working, without a team)',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await app.db.withTenant(principal.orgId, async (tx) => {
        const before = await getTeam(tx, request.params.id, true);
        if (!before || !(await deleteTeam(tx, before.id))) throw fail.notFound('Team');
        await recordAudit(tx, {
          orgId: principal.orgId,
          actor: principal,
          action: 'team.delete',
          resourceType: 'team',
          resourceId: before.id,
          before,
        });
      });
      await app.policyChanged(principal.orgId);
      return reply.code(204).send(null);
    },
  );
};

export default teamRoutes;
