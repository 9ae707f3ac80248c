import { SECURITY_ACTIONS, SEVERITIES, type SecurityAction, type Severity } from '@acc/extproc/policy';
import { type TLiteral, type TUnion, Type } from 'typebox';
import { pageOf, Timestamp, Uuid } from '../common.js';

const SeveritySchema: TUnion<TLiteral<Severity>[]> = Type.Union(
  SEVERITIES.map((severity) => Type.Literal(severity)),
);
const AppliedAction: TUnion<TLiteral<SecurityAction>[]> = Type.Union(
  SECURITY_ACTIONS.filter((action) => action !== 'off').map((action) => Type.Literal(action)),
);
const NullableText = Type.Union([Type.String(), Type.Null()]);

export const SecurityEvent = Type.Object({
  id: Uuid,
  requestId: Type.String(),
  orgId: Uuid,
  teamId: Type.Union([Uuid, Type.Null()]),
  keyId: NullableText,
  agent: NullableText,
  detector: Type.String(),
  rule: Type.String(),
  severity: SeveritySchema,
  confidence: Type.Number(),
  action: AppliedAction,
  fingerprint: Type.String({
    description: 'Correlates repeats of the same matched text; cannot be reversed',
  }),
  location: Type.Object({
    kind: Type.String({
      description: 'system, message, tool_result, tool_call_arguments, tool_definition, response',
    }),
    messageIndex: Type.Integer({ description: '-1 for system prompts, tool definitions and responses' }),
    role: Type.String(),
    partIndex: Type.Integer(),
    spanStart: Type.Integer(),
    spanLength: Type.Integer(),
  }),
  maskedExcerpt: Type.String(),
  createdAt: Timestamp,
  recordedAt: Timestamp,
});

export const SecurityEventList = pageOf(SecurityEvent);

export const SecurityEventListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor from the previous page' }),
  ),
  detector: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  severity: Type.Optional(SeveritySchema),
  action: Type.Optional(AppliedAction),
  keyId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  teamId: Type.Optional(Uuid),
  agent: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  requestId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Requests started at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Requests started before' })),
});
