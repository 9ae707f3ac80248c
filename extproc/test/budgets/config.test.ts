// The budget settings of extproc's configuration: defaults, and a clear error for a bad value at start.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadExtprocConfig } from '../../src/config.js';

describe('budget configuration', () => {
  it('defaults to fail-closed, a 15-minute reservation TTL and a 4096-token output cap', () => {
    expect(loadExtprocConfig({})).toMatchObject({
      budgetFailureMode: 'closed',
      budgetReservationTtlMs: 900_000,
      budgetDefaultMaxTokens: 4096,
      budgetAllowUnpriced: false,
      budgetSeedIntervalMs: 60_000,
    });
  });

  it('reads every variable', () => {
    const config = loadExtprocConfig({
      ACC_BUDGET_FAILURE_MODE: 'open',
      ACC_BUDGET_RESERVATION_TTL_MS: '3600000',
      ACC_BUDGET_DEFAULT_MAX_TOKENS: '1024',
      ACC_BUDGET_ALLOW_UNPRICED: 'true',
      ACC_BUDGET_SEED_INTERVAL_MS: '5000',
    });
    expect(config).toMatchObject({
      budgetFailureMode: 'open',
      budgetReservationTtlMs: 3_600_000,
      budgetDefaultMaxTokens: 1024,
      budgetAllowUnpriced: true,
      budgetSeedIntervalMs: 5000,
    });
  });

  it.each([
    ['ACC_BUDGET_FAILURE_MODE', 'sometimes', /"closed" or "open"/],
    ['ACC_BUDGET_RESERVATION_TTL_MS', '500', /between 10000 and/],
    ['ACC_BUDGET_DEFAULT_MAX_TOKENS', '0', /between 1 and/],
    ['ACC_BUDGET_ALLOW_UNPRICED', 'maybe', /true or false/],
    ['ACC_BUDGET_SEED_INTERVAL_MS', '-1', /whole number/],
  ])('refuses %s=%s', (name, value, message) => {
    expect(() => loadExtprocConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadExtprocConfig({ [name]: value })).toThrow(message);
  });
});
