// Redis key names of the budget store; the schema is documented in redis-store.ts. Every key of one org carries
// the org id as a Redis Cluster hash tag, so the multi-key scripts of a request (always within one org) stay in
// one slot.
export const DEFAULT_BUDGET_PREFIX = 'acc:budget:';

const base = (prefix: string, orgId: string) => `${prefix}{${orgId}}:`;

/** `counter` as in ReservedBudget.counter: `w:<budgetId>:<windowId>` or `r:<budgetId>:<seconds>`. */
export const counterKey = (prefix: string, orgId: string, counter: string) =>
  `${base(prefix, orgId)}${counter}`;

export const reservationsKey = (counterKeyName: string) => `${counterKeyName}:res`;

export const minuteKey = (prefix: string, orgId: string, limitId: string, minute: number) =>
  `${base(prefix, orgId)}l:${limitId}:${minute}`;

export const markerKey = (prefix: string, orgId: string, requestId: string) =>
  `${base(prefix, orgId)}d:${requestId}`;

/** Reservation zset member: the amount travels in it so expiry cleanup knows what to free without a lookup. */
export const reservationMember = (costNanos: number, requestId: string) => `${costNanos}:${requestId}`;
