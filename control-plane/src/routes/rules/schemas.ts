import { Type } from 'typebox';
import { Timestamp, Uuid } from '../common.js';

const ModelName = Type.String({ minLength: 1, maxLength: 200, pattern: '^\\S+$' });
export const DeploymentName = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$',
  description: 'Name of a routing deployment of this org',
});

const action = <T extends Parameters<typeof Type.Object>[0]>(properties: T, description: string) =>
  Type.Object(properties, { additionalProperties: false, description });

export const RoutingAction = Type.Union(
  [
    action(
      { type: Type.Literal('rewrite_model'), model: ModelName },
      'Send this model instead of the requested one',
    ),
    action(
      {
        type: Type.Literal('cheapest_capable'),
        allowedModels: Type.Array(ModelName, { minItems: 1, maxItems: 50, uniqueItems: true }),
      },
      'The cheapest listed model of the request provider that fits the request (context, tools, images, JSON)',
    ),
    action({ type: Type.Literal('route'), deployment: DeploymentName }, 'Send to a deployment and its model'),
    action(
      {
        type: Type.Literal('fallback'),
        chain: Type.Array(ModelName, { minItems: 1, maxItems: 10 }),
      },
      'Deployments or models to try in order when the upstream fails',
    ),
    action(
      { type: Type.Literal('cap_max_tokens'), maxTokens: Type.Integer({ minimum: 1, maximum: 10_000_000 }) },
      'Lower max_tokens to this, or set it when the client sent none',
    ),
    action(
      {
        type: Type.Literal('add_headers'),
        headers: Type.Record(
          Type.String({ pattern: "^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$" }),
          Type.String({ maxLength: 1000, pattern: '^[^\\r\\n\\x00]*$' }),
          { minProperties: 1, maxProperties: 20 },
        ),
      },
      'Headers added to the upstream request (lower-case names)',
    ),
    action(
      { type: Type.Literal('deny'), reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }) },
      'Refuse the request with this reason',
    ),
  ],
  { description: 'One action; decisive ones (all but cap_max_tokens and add_headers) end rule evaluation' },
);

const RuleName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Priority = Type.Integer({
  minimum: 0,
  maximum: 1_000_000,
  description: 'Lower runs first; ties by name, then id',
});
const Condition = Type.String({
  minLength: 1,
  maxLength: 4000,
  description: 'CEL over `request` (model, provider, team, key, agent, tags, budget utilisation, …)',
});
const Actions = Type.Array(RoutingAction, { minItems: 1, maxItems: 7 });

export const RoutingRule = Type.Object(
  {
    id: Uuid,
    orgId: Uuid,
    name: RuleName,
    priority: Priority,
    condition: Condition,
    actions: Actions,
    enabled: Type.Boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'RoutingRule' },
);

export const RoutingRuleList = Type.Object({
  items: Type.Array(RoutingRule, { description: 'In evaluation order' }),
});

export const CreateRoutingRuleBody = Type.Object(
  {
    name: RuleName,
    priority: Type.Optional(Priority),
    condition: Condition,
    actions: Actions,
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const UpdateRoutingRuleBody = Type.Object(
  {
    name: Type.Optional(RuleName),
    priority: Type.Optional(Priority),
    condition: Type.Optional(Condition),
    actions: Type.Optional(Actions),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
