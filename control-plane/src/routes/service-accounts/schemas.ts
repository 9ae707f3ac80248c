import { Type } from 'typebox';
import { NullableTimestamp, PageQuery, pageOf, Timestamp, Uuid } from '../common.js';

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
// Never owner: ownership of an org belongs to people.
const ServiceAccountRole = Type.Union([
  Type.Literal('admin'),
  Type.Literal('editor'),
  Type.Literal('viewer'),
]);
const NullableUuid = Type.Union([Uuid, Type.Null()]);

export const ServiceAccount = Type.Object(
  {
    id: Uuid,
    orgId: Uuid,
    name: Name,
    role: ServiceAccountRole,
    teamId: NullableUuid,
    createdAt: Timestamp,
    disabledAt: NullableTimestamp,
  },
  { $id: 'ServiceAccount' },
);

export const ServiceAccountList = pageOf(ServiceAccount);

export const ServiceAccountListQuery = Type.Object({
  ...PageQuery.properties,
  teamId: Type.Optional(Uuid),
  disabled: Type.Optional(Type.Boolean()),
});

export const CreateServiceAccountBody = Type.Object(
  { name: Name, role: ServiceAccountRole, teamId: Type.Optional(NullableUuid) },
  { additionalProperties: false },
);

export const UpdateServiceAccountBody = Type.Object(
  {
    name: Type.Optional(Name),
    role: Type.Optional(ServiceAccountRole),
    teamId: Type.Optional(NullableUuid),
    disabled: Type.Optional(
      Type.Boolean({ description: 'Disabled accounts cannot use their API tokens or their gateway keys' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
