import { Type } from 'typebox';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../config.js';
import { NullableTimestamp, PageQuery, pageOf, Timestamp, Uuid } from '../common.js';

export const RoleSchema = Type.Union(
  [Type.Literal('owner'), Type.Literal('admin'), Type.Literal('editor'), Type.Literal('viewer')],
  { description: 'owner > admin > editor > viewer' },
);

export const Email = Type.String({ format: 'email', maxLength: 320 });
export const Password = Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH });
export const UserName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });

export const User = Type.Object(
  {
    id: Uuid,
    orgId: Uuid,
    email: Type.String(),
    name: Type.String(),
    role: RoleSchema,
    teamId: Type.Union([Uuid, Type.Null()]),
    createdAt: Timestamp,
    disabledAt: NullableTimestamp,
  },
  { $id: 'User' },
);

export const UserList = pageOf(User);

export const UserListQuery = Type.Object({
  ...PageQuery.properties,
  email: Type.Optional(
    Type.String({ minLength: 1, maxLength: 320, description: 'Case-insensitive substring' }),
  ),
  role: Type.Optional(RoleSchema),
  teamId: Type.Optional(Uuid),
});

export const CreateUserBody = Type.Object(
  {
    email: Email,
    name: UserName,
    password: Password,
    role: RoleSchema,
    teamId: Type.Optional(Type.Union([Uuid, Type.Null()])),
  },
  { additionalProperties: false },
);

export const UpdateUserBody = Type.Object(
  {
    name: Type.Optional(UserName),
    email: Type.Optional(Email),
    password: Type.Optional(Password),
    role: Type.Optional(RoleSchema),
    teamId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    disabled: Type.Optional(
      Type.Boolean({ description: 'true disables login and ends sessions and API tokens' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
