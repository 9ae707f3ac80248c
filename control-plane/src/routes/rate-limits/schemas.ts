import { Type } from 'typebox';
import { PageQuery, pageOf, Timestamp, Uuid } from '../common.js';

const Scope = Type.Union([Type.Literal('key'), Type.Literal('team')], {
  description: 'key: each gateway key alone; team: all keys of the team together',
});
const PerMinute = Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), Type.Null()]);

export const RateLimit = Type.Object(
  {
    id: Uuid,
    orgId: Uuid,
    scope: Scope,
    subject: Uuid,
    requestsPerMinute: PerMinute,
    tokensPerMinute: PerMinute,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'RateLimit' },
);

export const RateLimitList = pageOf(RateLimit);

export const RateLimitListQuery = Type.Object({
  ...PageQuery.properties,
  scope: Type.Optional(Scope),
  subject: Type.Optional(Uuid),
});

export const CreateRateLimitBody = Type.Object(
  {
    scope: Scope,
    subject: Type.String({ minLength: 1, maxLength: 200, description: 'The key id or team id' }),
    requestsPerMinute: Type.Optional(PerMinute),
    tokensPerMinute: Type.Optional(PerMinute),
  },
  { additionalProperties: false },
);

export const UpdateRateLimitBody = Type.Object(
  {
    requestsPerMinute: Type.Optional(PerMinute),
    tokensPerMinute: Type.Optional(PerMinute),
  },
  { additionalProperties: false, minProperties: 1 },
);
