import { Type } from 'typebox';
import { PageQuery, pageOf, Timestamp, Uuid } from '../common.js';

const Kind = Type.Union([Type.Literal('webhook'), Type.Literal('slack')], {
  description: 'webhook: signed JSON POST (x-acc-signature); slack: Slack incoming webhook',
});
const ChannelName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const ChannelUrl = Type.String({
  minLength: 8,
  maxLength: 2000,
  pattern: '^https?://\\S+$',
  description: 'Where alerts are POSTed (Slack: https only)',
});

export const AlertChannel = Type.Object(
  {
    id: Uuid,
    orgId: Uuid,
    kind: Kind,
    name: Type.String(),
    url: Type.String({
      description: 'Scheme and host only (paths and queries of webhook URLs hold their tokens)',
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'AlertChannel' },
);

export const CreatedAlertChannel = Type.Object({
  ...AlertChannel.properties,
  signingSecret: Type.Union([Type.String(), Type.Null()], {
    description: 'Webhooks: the HMAC key of x-acc-signature, shown only in this response; null for Slack',
  }),
});

export const AlertChannelList = pageOf(AlertChannel);

export const AlertChannelListQuery = Type.Object({ ...PageQuery.properties, kind: Type.Optional(Kind) });

export const CreateAlertChannelBody = Type.Object(
  { kind: Kind, name: ChannelName, url: ChannelUrl },
  { additionalProperties: false },
);

export const UpdateAlertChannelBody = Type.Object(
  { name: Type.Optional(ChannelName), url: Type.Optional(ChannelUrl) },
  { additionalProperties: false, minProperties: 1 },
);

export const ChannelTestResult = Type.Object({
  delivered: Type.Boolean(),
  status: Type.Union([Type.Integer(), Type.Null()], { description: 'HTTP status, null without an answer' }),
  error: Type.Union([Type.String(), Type.Null()]),
});
