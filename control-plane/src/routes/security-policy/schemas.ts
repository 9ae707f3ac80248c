// ClawShield policy shapes. The schema checks structure; regular expressions and tool names are checked again by
// extproc's own validator (parseSecurityOverrides), the one extproc applies to snapshots.
import { DETECTOR_IDS, POLICY_LIMITS, SECURITY_ACTIONS, SEVERITIES } from '@acc/extproc/policy';
import { type TSchema, Type } from 'typebox';
import { NullableTimestamp, Uuid } from '../common.js';

const Action = Type.Union(
  SECURITY_ACTIONS.map((action) => Type.Literal(action)),
  {
    description:
      'block: refuse (403); redact: mask the span and forward; flag: forward and record; off: ignore',
  },
);
const FailMode = Type.Union([Type.Literal('open'), Type.Literal('closed')], {
  description: 'A scanner failure forwards unscanned (open) or refuses with 503 (closed)',
});
const ToolName = Type.String({
  minLength: 1,
  maxLength: POLICY_LIMITS.toolNameLength,
  pattern: '^[A-Za-z0-9_.:\\-/*?]+$',
  description: 'Tool name, case-insensitive; a glob with * (any run) and ? (one character)',
});
const ToolList = Type.Array(ToolName, { maxItems: POLICY_LIMITS.toolNames });
const Pattern = Type.String({
  minLength: 1,
  maxLength: POLICY_LIMITS.patternLength,
  description: 'JavaScript regular expression, matched case-insensitively against tool-call arguments',
});

function bySeverity(required: boolean) {
  const entries = SEVERITIES.map((severity) => [severity, required ? Action : Type.Optional(Action)]);
  return Type.Object(Object.fromEntries(entries) as Record<string, TSchema>, { additionalProperties: false });
}

function byDetector(required: boolean) {
  const row = bySeverity(required);
  const entries = DETECTOR_IDS.map((detector) => [detector, required ? row : Type.Optional(row)]);
  return Type.Object(Object.fromEntries(entries) as Record<string, TSchema>, { additionalProperties: false });
}

const Window = POLICY_LIMITS.windowSeconds;
const Repeat = POLICY_LIMITS.repeatThreshold;
const Velocity = POLICY_LIMITS.velocityFactor;
const runawayFields = {
  enabled: Type.Boolean(),
  windowSeconds: Type.Integer({ minimum: Window.min, maximum: Window.max }),
  repeatThreshold: Type.Integer({ minimum: Repeat.min, maximum: Repeat.max }),
  velocityFactor: Type.Number({ minimum: Velocity.min, maximum: Velocity.max }),
};

/** What an org or team stores: every field optional, absent = inherit. */
export const SecurityPolicyOverrides = Type.Object(
  {
    actions: Type.Optional(byDetector(false)),
    deniedTools: Type.Optional(ToolList),
    deniedArgumentPatterns: Type.Optional(Type.Array(Pattern, { maxItems: POLICY_LIMITS.patterns })),
    allowedTools: Type.Optional(Type.Union([ToolList, Type.Null()])),
    scanResponses: Type.Optional(Type.Boolean()),
    blockStreamingResponses: Type.Optional(Type.Boolean()),
    failMode: Type.Optional(FailMode),
    runaway: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(runawayFields.enabled),
          windowSeconds: Type.Optional(runawayFields.windowSeconds),
          repeatThreshold: Type.Optional(runawayFields.repeatThreshold),
          velocityFactor: Type.Optional(runawayFields.velocityFactor),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The complete policy a request runs under. */
export const SecurityPolicySettings = Type.Object(
  {
    actions: byDetector(true),
    deniedTools: ToolList,
    deniedArgumentPatterns: Type.Array(Pattern),
    allowedTools: Type.Union([ToolList, Type.Null()]),
    scanResponses: Type.Boolean(),
    blockStreamingResponses: Type.Boolean(),
    failMode: FailMode,
    runaway: Type.Object(runawayFields),
  },
  { additionalProperties: false },
);

export const SecurityPolicyView = Type.Object({
  orgId: Uuid,
  teamId: Type.Union([Uuid, Type.Null()], { description: 'null: the org default' }),
  configured: Type.Union([SecurityPolicyOverrides, Type.Null()], {
    description: 'What this org / team stores; null when it has no policy of its own',
  }),
  effective: SecurityPolicySettings,
  updatedAt: NullableTimestamp,
});

export const TeamParams = Type.Object({ teamId: Uuid });
