import { Type } from 'typebox';
import { IdParams, NullableTimestamp, Timestamp, Uuid } from '../common.js';

export const AlertDelivery = Type.Object({
  channelId: Uuid,
  channelName: Type.String(),
  channelKind: Type.Union([Type.Literal('webhook'), Type.Literal('slack')]),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  nextAttemptAt: NullableTimestamp,
  lastError: Type.Union([Type.String(), Type.Null()]),
  deliveredAt: NullableTimestamp,
});

export const BudgetAlert = Type.Object(
  {
    id: Uuid,
    budgetId: Uuid,
    windowId: Type.String(),
    threshold: Type.Integer({ description: 'Percent of the limit' }),
    spentUsd: Type.Number({ description: 'Spent in the window when the alert fired' }),
    limitUsd: Type.Number(),
    firedAt: Timestamp,
    deliveries: Type.Array(AlertDelivery),
  },
  { $id: 'BudgetAlert' },
);

export const BudgetAlertList = Type.Object({ items: Type.Array(BudgetAlert) });

export const BudgetAlertParams = IdParams;

export const BudgetAlertQuery = Type.Object({
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Most recent first' }),
  ),
});
