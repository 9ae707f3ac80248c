import { Type } from 'typebox';
import { PASSWORD_MAX_LENGTH } from '../../config.js';
import { Uuid } from '../common.js';
import { User } from '../users/schemas.js';

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 320 }),
    // Length is checked on password set, not here: a login with a short password is just a wrong password.
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
  },
  { additionalProperties: false },
);

export const LoginResponse = Type.Object({
  user: User,
  csrfToken: Type.String({ description: 'Send as the x-csrf-token header on POST/PUT/PATCH/DELETE' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

export const PrincipalSchema = Type.Object({
  kind: Type.Union([Type.Literal('user'), Type.Literal('service_account')]),
  id: Uuid,
  orgId: Uuid,
  role: Type.Union([
    Type.Literal('owner'),
    Type.Literal('admin'),
    Type.Literal('editor'),
    Type.Literal('viewer'),
  ]),
});

export const SessionResponse = Type.Object({
  principal: PrincipalSchema,
  /** null for a service account. */
  user: Type.Union([User, Type.Null()]),
  authenticatedBy: Type.Union([Type.Literal('session'), Type.Literal('api_token')]),
  /** null when authenticated by an API token (no CSRF protection needed). */
  csrfToken: Type.Union([Type.String(), Type.Null()]),
});
