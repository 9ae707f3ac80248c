// The budget utilisation view the routing stage reads: spent + reserved over the limit of the tightest budget per
// scope, answered from what this replica last saw, and the per-budget gauges built on the same figures.
import { describe, expect, it } from 'vitest';
import { LiveBudgetFigures } from '../../src/budgets/live-figures.js';
import {
  answerJson,
  budget,
  COMPLETION,
  COMPLETION_NANOS,
  chat,
  gateway,
  KEY,
  KEY_ID,
  openaiHeaders,
  policyWith,
  send,
  TEAM,
} from './stage-support.js';

describe('budget utilisation view', () => {
  it('reports spent + reserved over the limit of the tightest budget per scope, from memory', async () => {
    let now = Date.UTC(2030, 4, 10, 12);
    const org = budget({ limitUsd: 0.001 });
    const team = budget({ scope: 'team', subject: TEAM, limitUsd: 0.0001 });
    const looseTeam = budget({ scope: 'team', subject: TEAM, limitUsd: 100 });
    const perModel = budget({ scope: 'key', subject: KEY_ID, models: ['gpt-4o-mini'], limitUsd: 0.0001 });
    const policy = policyWith([org, team, looseTeam, perModel]);
    const { open, stage, figures, metrics } = gateway(policy, { now: () => now });
    const identity = policy.keys.resolve(KEY);
    if (identity === null) throw new Error('key not compiled');
    expect(figures.utilisation(identity, null)).toEqual({ org: 0, team: 0 });

    const { context } = await send(open, openaiHeaders(), chat({ max_tokens: 20 }));
    answerJson(context, 200, COMPLETION);
    await stage.idle();
    const seen = figures.utilisation(identity, null);
    expect(seen.org).toBeCloseTo(COMPLETION_NANOS / 1e6, 9);
    expect(seen.team).toBeCloseTo(COMPLETION_NANOS / 1e5, 9);
    expect(seen).not.toHaveProperty('key');
    // Asked for a request, a budget that counts only its model counts too; another model's does not.
    const forMini = figures.utilisation(identity, null, { model: 'gpt-4o-mini', tags: [] });
    expect(forMini.key).toBeCloseTo(COMPLETION_NANOS / 1e5, 9);
    expect(figures.utilisation(identity, null, { model: 'gpt-4o', tags: [] })).not.toHaveProperty('key');

    const gauges = await metrics.registry.getSingleMetricAsString('acc_extproc_budget_utilisation_ratio');
    expect(gauges).toContain(`budget_id="${team.id}"`);

    now = Date.UTC(2030, 5, 1);
    expect(figures.utilisation(identity, null)).toEqual({ org: 0, team: 0 });
  });

  it('counts a live reservation before it settles, and a denial as the fleet-wide figure', async () => {
    const org = budget({ limitUsd: 0.001 });
    const policy = policyWith([org]);
    const { open, figures } = gateway(policy);
    const identity = policy.keys.resolve(KEY);
    if (identity === null) throw new Error('key not compiled');
    await send(open, openaiHeaders(), chat({ max_tokens: 100 }));
    const reserving = figures.utilisation(identity, null).org ?? 0;
    expect(reserving).toBeGreaterThan(0.06);
    await send(open, openaiHeaders(), chat({ max_tokens: 10_000 }));
    expect(figures.utilisation(identity, null).org).toBeCloseTo(reserving, 9);
  });

  it('reports tag budgets for the tags a request carries', () => {
    const now = Date.UTC(2030, 4, 10, 12);
    const window = { kind: 'calendar', period: 'day', timeZone: 'UTC' } as const;
    const tagBudget = budget({ scope: 'tag', subject: 'batch', limitUsd: 4, window });
    const policy = policyWith([tagBudget]);
    const figures = new LiveBudgetFigures({ policy: () => policy, now: () => now });
    const identity = policy.keys.resolve(KEY);
    if (identity === null) throw new Error('key not compiled');
    figures.seeded(tagBudget.id, '2030-05-10', Date.UTC(2030, 4, 11), 4e9, 3e9);
    expect(figures.utilisation(identity, null, { model: 'gpt-4o', tags: ['batch'] })).toEqual({ tag: 0.75 });
    expect(figures.utilisation(identity, null, { model: 'gpt-4o', tags: ['interactive'] })).toEqual({});
    expect(figures.utilisation(identity, null)).toEqual({});
  });

  it('takes seeded spend (the ledger at start) and reports agent budgets for the agent asked about', () => {
    const now = Date.UTC(2030, 4, 10, 12);
    const agentBudget = budget({
      scope: 'agent',
      subject: 'planner',
      limitUsd: 2,
      window: { kind: 'calendar', period: 'day', timeZone: 'UTC' },
    });
    const policy = policyWith([agentBudget]);
    const figures = new LiveBudgetFigures({ policy: () => policy, now: () => now });
    const identity = policy.keys.resolve(KEY);
    if (identity === null) throw new Error('key not compiled');
    figures.seeded(agentBudget.id, '2030-05-10', Date.UTC(2030, 4, 11), 2e9, 5e8);
    expect(figures.utilisation(identity, 'planner')).toEqual({ agent: 0.25 });
    expect(figures.utilisation(identity, 'other-agent')).toEqual({});
    expect(figures.usedNanos(agentBudget.id)).toBe(5e8);
    // A seed never lowers what is known.
    figures.seeded(agentBudget.id, '2030-05-10', Date.UTC(2030, 4, 11), 2e9, 1e8);
    expect(figures.utilisation(identity, 'planner')).toEqual({ agent: 0.25 });
  });
});
