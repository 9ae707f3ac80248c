import { Type } from 'typebox';
import { PageQuery, pageOf, Timestamp, Uuid } from '../common.js';
import { AllowedModels } from '../keys/schemas.js';

export const Scope = Type.Union(
  [
    Type.Literal('org'),
    Type.Literal('team'),
    Type.Literal('user'),
    Type.Literal('key'),
    Type.Literal('agent'),
    Type.Literal('tag'),
  ],
  {
    description:
      'Whose spend counts: the whole org, a team, a user or service account, a key, an agent or a tag',
  },
);
// Rolling windows are kept by extproc in time buckets; a minute is the finest, a quarter the longest that stays cheap.
export const ROLLING_MIN_SECONDS = 60;
export const ROLLING_MAX_SECONDS = 92 * 86_400;

export const BudgetWindow = Type.Union(
  [
    Type.Object(
      {
        kind: Type.Literal('calendar'),
        period: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]),
        timeZone: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 100,
            description: 'IANA time zone where days start (weeks start on Monday); default UTC',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        kind: Type.Literal('rolling'),
        seconds: Type.Integer({ minimum: ROLLING_MIN_SECONDS, maximum: ROLLING_MAX_SECONDS }),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description: 'calendar: resets at the start of each day/week/month; rolling: the last `seconds` seconds',
  },
);

const LimitUsd = Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000_000, description: 'USD per window' });
const Enforcement = Type.Union([Type.Literal('hard'), Type.Literal('soft')], {
  description: 'hard: requests that could exceed the limit are refused (429); soft: alerts only',
});
const Subject = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], {
  description: 'Team, user/service-account or key id, agent name or tag; null for scope org',
});
const Thresholds = Type.Array(Type.Integer({ minimum: 1, maximum: 1000 }), {
  maxItems: 20,
  uniqueItems: true,
  description: 'Percentages of the limit that raise an alert once per window; default [50, 80, 100]',
});

export const Budget = Type.Object(
  {
    id: Uuid,
    orgId: Uuid,
    name: Type.String(),
    scope: Scope,
    subject: Subject,
    window: BudgetWindow,
    limitUsd: Type.Number(),
    enforcement: Enforcement,
    models: AllowedModels,
    alertThresholds: Type.Array(Type.Integer()),
    spentUsd: Type.Number({ description: 'Spent in the current window' }),
    reservedUsd: Type.Number({ description: 'Held by requests in flight (0 without Redis)' }),
    remainingUsd: Type.Number({ description: 'limit − spent − reserved, not below 0' }),
    utilisation: Type.Number({ description: 'spent / limit (1 = limit reached)' }),
    windowStart: Timestamp,
    resetsAt: Timestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Budget' },
);

export const BudgetList = pageOf(Budget);

export const BudgetListQuery = Type.Object({
  ...PageQuery.properties,
  scope: Type.Optional(Scope),
  subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

const BudgetName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });

export const CreateBudgetBody = Type.Object(
  {
    name: BudgetName,
    scope: Scope,
    subject: Type.Optional(Subject),
    window: BudgetWindow,
    limitUsd: LimitUsd,
    enforcement: Type.Optional(Enforcement),
    models: Type.Optional(AllowedModels),
    alertThresholds: Type.Optional(Thresholds),
  },
  { additionalProperties: false },
);

// Scope, subject and window are fixed: they decide which counter a budget is, so changing them is a new budget.
export const UpdateBudgetBody = Type.Object(
  {
    name: Type.Optional(BudgetName),
    limitUsd: Type.Optional(LimitUsd),
    enforcement: Type.Optional(Enforcement),
    models: Type.Optional(AllowedModels),
    alertThresholds: Type.Optional(Thresholds),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ReconcileQuery = Type.Object({
  fix: Type.Optional(Type.Boolean({ description: 'Set each counter to the ledger value' })),
});

export const BudgetDrift = Type.Object({
  budgetId: Uuid,
  name: Type.String(),
  windowId: Type.String(),
  counterUsd: Type.Number({ description: 'What the enforcement counter holds' }),
  ledgerUsd: Type.Number({ description: 'What the spend ledger sums to over the same window' }),
  driftUsd: Type.Number({ description: 'counter − ledger' }),
  fixed: Type.Boolean(),
});

export const ReconcileReport = Type.Object({
  redis: Type.Boolean({ description: 'false: no Redis, the ledger is the only count and nothing can drift' }),
  message: Type.String(),
  fixed: Type.Boolean(),
  budgets: Type.Array(BudgetDrift),
});
