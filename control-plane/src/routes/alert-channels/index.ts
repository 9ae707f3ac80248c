// Alert channels: read by any member, managed and tested by admins. A webhook's signing secret appears once, in
// the create response. Channels are not part of the policy snapshot: only the control plane sends alerts.
import { randomUUID } from 'node:crypto';
import { testEvent } from '../../alerts/events.js';
import { sendEvent } from '../../alerts/send.js';
import { principalOf, requireRole } from '../../auth/principal.js';
import { errorResponses } from '../../errors.js';
import { IdParams, NoContent, type RoutePlugin } from '../common.js';
import {
  channelTarget,
  createAlertChannel,
  deleteAlertChannel,
  getAlertChannel,
  listAlertChannels,
  updateAlertChannel,
} from './repository.js';
import {
  AlertChannel,
  AlertChannelList,
  AlertChannelListQuery,
  ChannelTestResult,
  CreateAlertChannelBody,
  CreatedAlertChannel,
  UpdateAlertChannelBody,
} from './schemas.js';

const tags = ['alert channels'];

const alertChannelRoutes: RoutePlugin = async (app) => {
  app.get(
    '/alert-channels',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'List alert channels (never the signing secret)',
        querystring: AlertChannelListQuery,
        response: { 200: AlertChannelList, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => listAlertChannels(tx, orgId, request.query));
    },
  );

  app.get(
    '/alert-channels/:id',
    {
      preHandler: requireRole('viewer'),
      schema: {
        tags,
        summary: 'Get an alert channel',
        params: IdParams,
        response: { 200: AlertChannel, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return app.db.withTenant(orgId, (tx) => getAlertChannel(tx, orgId, request.params.id));
    },
  );

  app.post(
    '/alert-channels',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Add a webhook or Slack channel; a webhook signing secret is shown only in this response',
        body: CreateAlertChannelBody,
        response: { 201: CreatedAlertChannel, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const created = await app.db.withTenant(principal.orgId, (tx) =>
        createAlertChannel(tx, principal.orgId, principal, app.config.masterKey, request.body),
      );
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...created.channel, signingSecret: created.signingSecret });
    },
  );

  app.patch(
    '/alert-channels/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Rename a channel or change its URL (the signing secret stays)',
        params: IdParams,
        body: UpdateAlertChannelBody,
        response: { 200: AlertChannel, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return app.db.withTenant(principal.orgId, (tx) =>
        updateAlertChannel(tx, principal.orgId, principal, request.params.id, request.body),
      );
    },
  );

  app.delete(
    '/alert-channels/:id',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Remove a channel (its pending deliveries are dropped)',
        params: IdParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await app.db.withTenant(principal.orgId, (tx) =>
        deleteAlertChannel(tx, principal.orgId, principal, request.params.id),
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/alert-channels/:id/test',
    {
      preHandler: requireRole('admin'),
      schema: {
        tags,
        summary: 'Send a test event now and report how the channel answered',
        params: IdParams,
        response: { 200: ChannelTestResult, ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      const target = await app.db.withTenant(orgId, (tx) =>
        channelTarget(tx, orgId, request.params.id, app.config.masterKey),
      );
      const event = testEvent(randomUUID(), orgId, new Date());
      const result = await sendEvent(target, event, { timeoutMs: app.config.alerts.timeoutMs });
      return { delivered: result.ok, status: result.status, error: result.error };
    },
  );
};

export default alertChannelRoutes;
