import { LEDGER_MAX_ID_LENGTH, LEDGER_MAX_TEXT_LENGTH } from '@acc/extproc/ledger';
import { type TSchema, Type } from 'typebox';
import { NullableTimestamp, pageOf, Timestamp, Uuid } from '../common.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Filter = (max: number, description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: max, description }));

/** The filters both the list and the summary take. */
export const SpendFilters = Type.Object({
  key: Filter(LEDGER_MAX_ID_LENGTH, 'Gateway key id'),
  team: Type.Optional(Uuid),
  user: Type.Optional(Type.String({ format: 'uuid', description: 'User or service account owning the key' })),
  agent: Filter(LEDGER_MAX_TEXT_LENGTH, 'Exact agent name'),
  tag: Filter(LEDGER_MAX_TEXT_LENGTH, 'Requests carrying this tag'),
  model: Filter(LEDGER_MAX_TEXT_LENGTH, 'Model that served the request, exactly'),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Started at or after (inclusive)' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Started before (exclusive)' })),
});

export const SpendListQuery = Type.Object({
  ...SpendFilters.properties,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 1000, description: 'nextCursor of the previous page' }),
  ),
});

const Usage = Type.Object({
  inputTokens: Type.Integer({ description: 'Total input, cached included' }),
  cacheReadTokens: Type.Integer(),
  cacheWriteTokens: Type.Integer(),
  outputTokens: Type.Integer({ description: 'Total output, reasoning included' }),
  reasoningTokens: Type.Integer(),
});

const NullableUsd = Nullable(Type.Number());

export const SpendRecord = Type.Object(
  {
    requestId: Type.String(),
    startedAt: Timestamp,
    recordedAt: Timestamp,
    keyId: Nullable(Type.String()),
    teamId: Nullable(Uuid),
    userId: Nullable(Uuid),
    agent: Nullable(Type.String()),
    tags: Type.Array(Type.String()),
    provider: Type.String(),
    endpoint: Type.String(),
    requestedModel: Nullable(Type.String()),
    model: Nullable(Type.String()),
    stream: Type.Boolean(),
    status: Type.Integer(),
    decision: Type.String(),
    outcome: Type.String(),
    usage: Type.Union([Usage, Type.Null()], { description: 'null when the provider reported no usage' }),
    costUsd: Type.Union([Type.Number(), Type.Null()], {
      description: 'null when unknown: no usage, or a model without a price',
    }),
    reservedCostUsd: NullableUsd,
    counterfactualCostUsd: NullableUsd,
    route: Nullable(Type.String()),
    securityStatus: Nullable(Type.String()),
    deploymentChain: Type.Array(Type.String(), {
      description:
        'Deployment ids the request was routed to, in the order tried; empty: the provider default',
    }),
    upstreamDeployment: Nullable(
      Type.String({ description: 'Id of the deployment that answered (Envoy reported), else null' }),
    ),
    upstreamAttempts: Nullable(Type.Integer({ description: 'Upstream attempts, fallbacks included' })),
    policyVersion: Type.Integer(),
    durationMs: Type.Number(),
  },
  { $id: 'SpendRecord' },
);

export const SpendPage = pageOf(SpendRecord);

export type GroupBy = 'model' | 'key' | 'team' | 'user' | 'agent' | 'day';

export const SpendSummaryQuery = Type.Object({
  ...SpendFilters.properties,
  groupBy: Type.Optional(
    Type.Union(
      [
        Type.Literal('model'),
        Type.Literal('key'),
        Type.Literal('team'),
        Type.Literal('user'),
        Type.Literal('agent'),
        Type.Literal('day'),
      ],
      { description: 'Default model; day is the UTC calendar day (YYYY-MM-DD)' },
    ),
  ),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Most groups returned' }),
  ),
});

const Totals = {
  requests: Type.Integer(),
  inputTokens: Type.Integer(),
  cacheReadTokens: Type.Integer(),
  cacheWriteTokens: Type.Integer(),
  outputTokens: Type.Integer(),
  reasoningTokens: Type.Integer(),
  costUsd: Type.Number({ description: 'Known cost only: unpriced requests are not in it' }),
  unpricedRequests: Type.Integer({ description: 'Requests with usage but no known price' }),
};

export const SpendSummary = Type.Object(
  {
    groupBy: Type.String(),
    from: NullableTimestamp,
    to: NullableTimestamp,
    groups: Type.Array(
      Type.Object({
        key: Type.Union([Type.String(), Type.Null()], { description: 'null: requests without one' }),
        ...Totals,
      }),
      { description: 'Largest cost first (by day: oldest first)' },
    ),
    totals: Type.Object(Totals),
  },
  { $id: 'SpendSummary' },
);
