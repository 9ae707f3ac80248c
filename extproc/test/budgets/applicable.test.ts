import { describe, expect, it } from 'vitest';
import {
  applicableBudgets,
  applicableRateLimits,
  type BudgetSubject,
  compileBudgets,
} from '../../src/budgets/applicable.js';
import type { SnapshotBudget, SnapshotRateLimit } from '../../src/budgets/types.js';

function budget(id: string, over: Partial<SnapshotBudget>): SnapshotBudget {
  return {
    id,
    orgId: 'org-1',
    name: id,
    scope: 'org',
    subject: null,
    window: { kind: 'calendar', period: 'month', timeZone: 'UTC' },
    limitUsd: 100,
    enforcement: 'hard',
    models: null,
    alertThresholds: [],
    ...over,
  };
}

const budgets = [
  budget('org', {}),
  budget('other-org', { orgId: 'org-2' }),
  budget('team', { scope: 'team', subject: 'team-a' }),
  budget('other-team', { scope: 'team', subject: 'team-b' }),
  budget('user', { scope: 'user', subject: 'user-1' }),
  budget('service-account', { scope: 'user', subject: 'sa-1' }),
  budget('key', { scope: 'key', subject: 'key-1' }),
  budget('agent', { scope: 'agent', subject: 'researcher' }),
  budget('tag', { scope: 'tag', subject: 'batch' }),
  budget('gpt4o-only', { models: ['gpt-4o'] }),
  budget('claude-team', {
    scope: 'team',
    subject: 'team-a',
    models: ['claude-sonnet-4-5', 'claude-opus-4-1'],
  }),
  budget('bad-zone', { window: { kind: 'calendar', period: 'day', timeZone: 'Nowhere/Land' } }),
];

const limits: SnapshotRateLimit[] = [
  {
    id: 'rl-key',
    orgId: 'org-1',
    scope: 'key',
    subject: 'key-1',
    requestsPerMinute: 10,
    tokensPerMinute: null,
  },
  {
    id: 'rl-team',
    orgId: 'org-1',
    scope: 'team',
    subject: 'team-a',
    requestsPerMinute: null,
    tokensPerMinute: 1000,
  },
  {
    id: 'rl-other',
    orgId: 'org-2',
    scope: 'key',
    subject: 'key-1',
    requestsPerMinute: 1,
    tokensPerMinute: null,
  },
];

const compiled = compileBudgets(budgets, limits);
const subject: BudgetSubject = {
  orgId: 'org-1',
  teamId: 'team-a',
  userId: 'user-1',
  keyId: 'key-1',
  agent: 'researcher',
  tags: ['batch', 'nightly', 'batch'],
};
const ids = (list: { id: string }[]) => list.map((b) => b.id).sort();

describe('applicableBudgets', () => {
  it('collects every scope the request belongs to, within its org', () => {
    expect(ids(applicableBudgets(compiled, subject, 'gpt-4o-mini'))).toEqual(
      ['agent', 'key', 'org', 'tag', 'team', 'user'].sort(),
    );
  });

  it('counts per-model budgets only for their models', () => {
    expect(ids(applicableBudgets(compiled, subject, 'gpt-4o'))).toContain('gpt4o-only');
    expect(ids(applicableBudgets(compiled, subject, 'claude-opus-4-1'))).toContain('claude-team');
    expect(ids(applicableBudgets(compiled, subject, 'gpt-4o'))).not.toContain('claude-team');
  });

  it('matches service accounts, agents and tags by subject', () => {
    const other: BudgetSubject = {
      orgId: 'org-1',
      teamId: null,
      userId: 'sa-1',
      keyId: 'key-9',
      agent: null,
      tags: ['nightly'],
    };
    expect(ids(applicableBudgets(compiled, other, 'gpt-4o-mini'))).toEqual(['org', 'service-account']);
  });

  it('gives nothing to keys without an org or orgs without budgets', () => {
    expect(applicableBudgets(compiled, { ...subject, orgId: null }, 'gpt-4o')).toEqual([]);
    expect(applicableBudgets(compiled, { ...subject, orgId: 'org-3' }, 'gpt-4o')).toEqual([]);
  });

  it('reports budgets it cannot enforce instead of failing every request', () => {
    expect(compiled.rejected).toEqual([{ id: 'bad-zone', reason: 'unknown time zone Nowhere/Land' }]);
  });
});

describe('applicableRateLimits', () => {
  it("applies the key's and the team's limits of the request's org", () => {
    expect(ids(applicableRateLimits(compiled, subject))).toEqual(['rl-key', 'rl-team']);
    expect(ids(applicableRateLimits(compiled, { ...subject, teamId: null }))).toEqual(['rl-key']);
    expect(ids(applicableRateLimits(compiled, { ...subject, orgId: 'org-2' }))).toEqual(['rl-other']);
  });
});
