import { Type } from 'typebox';
import { Provider } from '../provider-credentials/schemas.js';
import { RoutingRule } from '../rules/schemas.js';

const Position = Type.Object({ line: Type.Integer(), column: Type.Integer(), offset: Type.Integer() });

export const RoutingTestBody = Type.Object(
  {
    provider: Type.Optional(Provider),
    request: Type.Record(Type.String(), Type.Unknown(), {
      description: 'A chat request body in OpenAI (chat completions) or Anthropic (messages) shape',
    }),
    context: Type.Optional(
      Type.Object(
        {
          team: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Team name or id' })),
          key: Type.Optional(
            Type.String({ format: 'uuid', description: 'Gateway key id (its team and agent apply)' }),
          ),
          agent: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:=-]{1,64}$' })),
          tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20 })),
          utilisation: Type.Optional(
            Type.Record(
              Type.String({ pattern: '^[a-z_]{1,32}$' }),
              Type.Number({ minimum: 0, maximum: 100 }),
              {
                description: 'Budget utilisation by scope (key, team, …): 0.85 = 85% of the limit spent',
              },
            ),
          ),
          estimatedInputTokens: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 100_000_000,
              description: 'Default: estimated from the request',
            }),
          ),
          now: Type.Optional(
            Type.String({ format: 'date-time', description: 'Default: now (hour, weekday)' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Decision = Type.Object({
  ruleId: Type.String({ description: "The deciding rule, or 'default'" }),
  ruleName: Type.String(),
  model: Type.String(),
  requestedModel: Type.String(),
  provider: Provider,
  deployment: Type.Union([Type.String(), Type.Null()]),
  fallbackChain: Type.Array(Type.String()),
  maxTokensCap: Type.Union([Type.Integer(), Type.Null()]),
  addHeaders: Type.Record(Type.String(), Type.String()),
  deny: Type.Union([Type.Object({ reason: Type.String() }), Type.Null()]),
  appliedRuleIds: Type.Array(Type.String()),
  evaluated: Type.Array(
    Type.Object({
      ruleId: Type.String(),
      ruleName: Type.String(),
      matched: Type.Boolean(),
      error: Type.Optional(
        Type.Object({ message: Type.String(), position: Type.Union([Position, Type.Null()]) }),
      ),
    }),
  ),
  warnings: Type.Array(Type.String()),
});

const Attributes = Type.Object({
  model: Type.String(),
  provider: Provider,
  endpoint: Type.String(),
  team: Type.Union([Type.String(), Type.Null()]),
  teamId: Type.Union([Type.String(), Type.Null()]),
  key: Type.Union([Type.String(), Type.Null()]),
  agent: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Array(Type.String()),
  estimatedInputTokens: Type.Integer(),
  maxTokens: Type.Union([Type.Integer(), Type.Null()]),
  stream: Type.Boolean(),
  hasTools: Type.Boolean(),
  hasImages: Type.Boolean(),
  jsonMode: Type.Boolean(),
  reasoning: Type.Boolean(),
  hour: Type.Integer(),
  weekday: Type.Integer(),
  utilisation: Type.Record(Type.String(), Type.Number()),
});

const CallCost = Type.Object({
  provider: Provider,
  model: Type.String(),
  outputTokens: Type.Integer({
    description: 'max_tokens (after any cap), or the default assumed when unset',
  }),
  estimatedUsd: Type.Union([Type.Number(), Type.Null()], { description: 'null: the model has no price' }),
});

export const RoutingTestResult = Type.Object({
  decision: Decision,
  matchedRule: Type.Union([RoutingRule, Type.Null()], { description: 'The deciding rule as stored' }),
  attributes: Attributes,
  cost: Type.Object({
    inputTokens: Type.Integer(),
    requested: CallCost,
    chosen: CallCost,
    savingsUsd: Type.Union([Type.Number(), Type.Null()], {
      description: 'requested − chosen; negative = dearer',
    }),
  }),
});
