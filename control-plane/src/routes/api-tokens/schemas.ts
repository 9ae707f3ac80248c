import { Type } from 'typebox';
import { NullableTimestamp, PageQuery, pageOf, Timestamp, Uuid } from '../common.js';

const NullableUuid = Type.Union([Uuid, Type.Null()]);

export const ApiToken = Type.Object(
  {
    id: Uuid,
    orgId: Uuid,
    userId: NullableUuid,
    serviceAccountId: NullableUuid,
    name: Type.String(),
    prefix: Type.String({ description: 'Start of the token, to recognise it' }),
    createdAt: Timestamp,
    lastUsedAt: NullableTimestamp,
    expiresAt: NullableTimestamp,
    revokedAt: NullableTimestamp,
  },
  { $id: 'ApiToken' },
);

export const CreatedApiToken = Type.Object({
  ...ApiToken.properties,
  token: Type.String({ description: 'The full token: shown only in this response, store it now' }),
});

export const ApiTokenList = pageOf(ApiToken);

export const ApiTokenListQuery = Type.Object({
  ...PageQuery.properties,
  userId: Type.Optional(Uuid),
  serviceAccountId: Type.Optional(Uuid),
  revoked: Type.Optional(Type.Boolean()),
});

export const CreateApiTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    serviceAccountId: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'Mint for this service account (admin+); default: for yourself',
      }),
    ),
    expiresAt: Type.Optional(NullableTimestamp),
  },
  { additionalProperties: false },
);
