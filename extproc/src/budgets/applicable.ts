// Which budgets and rate limits a request counts against. Indexed once per policy snapshot by org and
// (scope, subject), so a request does a handful of map lookups however many budgets exist.
import type { RateLimitScope, SnapshotBudget, SnapshotRateLimit } from './types.js';
import { isValidTimeZone } from './windows.js';

export interface BudgetSubject {
  orgId: string | null;
  teamId: string | null;
  /** The key's owner: a user or a service account. */
  userId: string | null;
  keyId: string;
  agent: string | null;
  tags: readonly string[];
}

interface IndexedBudget {
  budget: SnapshotBudget;
  models: ReadonlySet<string> | null;
}

interface OrgIndex {
  org: IndexedBudget[];
  /** `${scope}\n${subject}` → budgets. */
  bySubject: Map<string, IndexedBudget[]>;
  rateLimits: Map<string, SnapshotRateLimit[]>;
}

export interface RejectedBudget {
  id: string;
  reason: string;
}

export interface CompiledBudgets {
  readonly orgs: ReadonlyMap<string, OrgIndex>;
  /** Budgets left out because they cannot be enforced (bad window); the control plane validates the same way. */
  readonly rejected: readonly RejectedBudget[];
}

const subjectKey = (scope: string, subject: string) => `${scope}\n${subject}`;

function windowProblem(budget: SnapshotBudget): string | null {
  const w = budget.window;
  if (w.kind === 'rolling') {
    return Number.isInteger(w.seconds) && w.seconds >= 1 ? null : `invalid rolling seconds ${w.seconds}`;
  }
  if (w.period !== 'day' && w.period !== 'week' && w.period !== 'month') return `invalid period ${w.period}`;
  return isValidTimeZone(w.timeZone) ? null : `unknown time zone ${w.timeZone}`;
}

function orgIndex(orgs: Map<string, OrgIndex>, orgId: string): OrgIndex {
  let index = orgs.get(orgId);
  if (index === undefined) {
    index = { org: [], bySubject: new Map(), rateLimits: new Map() };
    orgs.set(orgId, index);
  }
  return index;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

export function compileBudgets(
  budgets: readonly SnapshotBudget[] = [],
  rateLimits: readonly SnapshotRateLimit[] = [],
): CompiledBudgets {
  const orgs = new Map<string, OrgIndex>();
  const rejected: RejectedBudget[] = [];
  for (const budget of budgets) {
    const problem =
      windowProblem(budget) ??
      (Number.isFinite(budget.limitUsd) && budget.limitUsd >= 0
        ? null
        : `invalid limit ${budget.limitUsd}`) ??
      (budget.scope !== 'org' && budget.subject === null ? `scope ${budget.scope} without a subject` : null);
    if (problem !== null) {
      rejected.push({ id: budget.id, reason: problem });
      continue;
    }
    const entry = { budget, models: budget.models === null ? null : new Set(budget.models) };
    const index = orgIndex(orgs, budget.orgId);
    if (budget.scope === 'org') index.org.push(entry);
    else push(index.bySubject, subjectKey(budget.scope, budget.subject as string), entry);
  }
  for (const limit of rateLimits) {
    push(orgIndex(orgs, limit.orgId).rateLimits, subjectKey(limit.scope, limit.subject), limit);
  }
  return { orgs, rejected };
}

function collect(out: SnapshotBudget[], entries: IndexedBudget[] | undefined, model: string): void {
  if (entries === undefined) return;
  for (const { budget, models } of entries) {
    if (models === null || models.has(model)) out.push(budget);
  }
}

export function applicableBudgets(
  compiled: CompiledBudgets,
  subject: BudgetSubject,
  model: string,
): SnapshotBudget[] {
  if (subject.orgId === null) return [];
  const index = compiled.orgs.get(subject.orgId);
  if (index === undefined) return [];
  const out: SnapshotBudget[] = [];
  const { bySubject } = index;
  collect(out, index.org, model);
  if (subject.teamId !== null) collect(out, bySubject.get(subjectKey('team', subject.teamId)), model);
  if (subject.userId !== null) collect(out, bySubject.get(subjectKey('user', subject.userId)), model);
  collect(out, bySubject.get(subjectKey('key', subject.keyId)), model);
  if (subject.agent !== null) collect(out, bySubject.get(subjectKey('agent', subject.agent)), model);
  for (const tag of new Set(subject.tags)) collect(out, bySubject.get(subjectKey('tag', tag)), model);
  return out;
}

export function applicableRateLimits(compiled: CompiledBudgets, subject: BudgetSubject): SnapshotRateLimit[] {
  if (subject.orgId === null) return [];
  const index = compiled.orgs.get(subject.orgId);
  if (index === undefined) return [];
  const scopes: [RateLimitScope, string | null][] = [
    ['key', subject.keyId],
    ['team', subject.teamId],
  ];
  const out: SnapshotRateLimit[] = [];
  for (const [scope, id] of scopes) {
    if (id !== null) out.push(...(index.rateLimits.get(subjectKey(scope, id)) ?? []));
  }
  return out;
}
