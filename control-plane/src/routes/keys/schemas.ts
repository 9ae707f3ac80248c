import { Type } from 'typebox';
import { NullableTimestamp, PageQuery, pageOf, Timestamp, Uuid } from '../common.js';

export const KeyName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const ModelName = Type.String({ minLength: 1, maxLength: 200, pattern: '^\\S+$' });
/** null = every model; otherwise the exact model names clients send. */
export const AllowedModels = Type.Union([
  Type.Array(ModelName, { minItems: 1, maxItems: 200, uniqueItems: true }),
  Type.Null(),
]);
const NullableUuid = Type.Union([Uuid, Type.Null()]);
/** The agent requests are attributed to (budgets by agent); same characters extproc accepts in x-acc-agent. */
const Agent = Type.Union([Type.String({ pattern: '^[A-Za-z0-9._:=-]{1,64}$' }), Type.Null()]);
const AllowAgentHeader = Type.Boolean({
  description: 'Let clients name their agent in the x-acc-agent header (otherwise that header is refused)',
});

export const GatewayKey = Type.Object(
  {
    id: Uuid,
    orgId: Uuid,
    teamId: NullableUuid,
    ownerUserId: NullableUuid,
    ownerServiceAccountId: NullableUuid,
    name: Type.String(),
    prefix: Type.String({ description: 'First 8 characters of the key, to recognise it' }),
    allowedModels: AllowedModels,
    agent: Agent,
    allowAgentHeader: AllowAgentHeader,
    expiresAt: NullableTimestamp,
    revokedAt: NullableTimestamp,
    lastUsedAt: NullableTimestamp,
    createdBy: Uuid,
    createdAt: Timestamp,
  },
  { $id: 'GatewayKey' },
);

export const CreatedGatewayKey = Type.Object({
  ...GatewayKey.properties,
  key: Type.String({ description: 'The full key: shown only in this response, store it now' }),
});

export const GatewayKeyList = pageOf(GatewayKey);

export const GatewayKeyListQuery = Type.Object({
  ...PageQuery.properties,
  teamId: Type.Optional(Uuid),
  revoked: Type.Optional(Type.Boolean({ description: 'true: only revoked keys; false: only active ones' })),
  ownerUserId: Type.Optional(Uuid),
  ownerServiceAccountId: Type.Optional(Uuid),
});

export const CreateGatewayKeyBody = Type.Object(
  {
    name: KeyName,
    teamId: Type.Optional(NullableUuid),
    ownerUserId: Type.Optional(NullableUuid),
    ownerServiceAccountId: Type.Optional(NullableUuid),
    allowedModels: Type.Optional(AllowedModels),
    agent: Type.Optional(Agent),
    allowAgentHeader: Type.Optional(AllowAgentHeader),
    expiresAt: Type.Optional(NullableTimestamp),
  },
  { additionalProperties: false },
);

export const UpdateGatewayKeyBody = Type.Object(
  {
    name: Type.Optional(KeyName),
    teamId: Type.Optional(NullableUuid),
    allowedModels: Type.Optional(AllowedModels),
    agent: Type.Optional(Agent),
    allowAgentHeader: Type.Optional(AllowAgentHeader),
    expiresAt: Type.Optional(NullableTimestamp),
  },
  { additionalProperties: false, minProperties: 1 },
);
