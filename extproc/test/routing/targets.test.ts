// Balancing between deployments serving one model, and the chains (Envoy clusters) a rule set can produce.
import { describe, expect, it } from 'vitest';
import { compileRouting } from '../../src/routing/engine.js';
import { chainOf, DeploymentBalancer, deploymentChains } from '../../src/routing/targets.js';
import { catalogue, deployment, rule } from './fixtures.js';

describe('DeploymentBalancer', () => {
  const a = deployment('a', { weight: 1 });
  const b = deployment('b', { weight: 3 });
  const off = deployment('off', { weight: 0 });

  it('weighted: shares follow the weights over the unit interval; weight 0 never wins', () => {
    const picks = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const point = (i + 0.5) / 400;
      const balancer = new DeploymentBalancer('weighted', () => point);
      const name = balancer.pick([off, a, b])?.name as string;
      picks.set(name, (picks.get(name) ?? 0) + 1);
    }
    expect(Object.fromEntries(picks)).toEqual({ a: 100, b: 300 });
    expect(new DeploymentBalancer('weighted').pick([off])).toBeNull();
    expect(new DeploymentBalancer('weighted').pick([])).toBeNull();
  });

  it('least_outstanding: fewest in flight first, ties by weight, counts return to zero', () => {
    const balancer = new DeploymentBalancer('least_outstanding', () => 0.9);
    expect(balancer.pick([a, b])?.name).toBe('b');
    balancer.acquire(b.id);
    expect(balancer.pick([a, b])?.name).toBe('a');
    balancer.acquire(a.id);
    balancer.acquire(a.id);
    expect(balancer.pick([a, b])?.name).toBe('b');
    balancer.release(a.id);
    balancer.release(a.id);
    balancer.release(a.id);
    expect(balancer.inFlight(a.id)).toBe(0);
    expect(balancer.pick([a, b, off])?.name).toBe('a');
  });
});

describe('deploymentChains', () => {
  it('lists every chain the stage can send to, so Envoy can have a cluster for each', () => {
    const primary = deployment('primary', { model: 'gpt-4o-mini' });
    const backup = deployment('backup', { model: 'gpt-4o-mini', weight: 2 });
    const spare = deployment('spare', { model: 'gpt-4.1-mini' });
    const claudeEu = deployment('claude-eu', { provider: 'anthropic', model: 'claude-sonnet-4-5' });
    const routing = compileRouting(
      [
        rule('request.team == "a"', [
          { type: 'route', deployment: 'primary' },
          { type: 'fallback', chain: ['spare', 'claude-eu'] },
        ]),
        rule('request.team == "b"', [
          { type: 'rewrite_model', model: 'gpt-4o-mini' },
          { type: 'fallback', chain: ['gpt-4.1-mini'] },
        ]),
        rule('request.team == "c"', [{ type: 'route', deployment: 'claude-eu' }]),
        rule('request.team == "d"', [{ type: 'deny', reason: 'no' }]),
      ],
      catalogue(),
      [primary, backup, spare, claudeEu],
    );
    const chains = deploymentChains(routing).map((chain) => chain.join('>'));
    expect(chains.sort()).toEqual(
      [[primary.id, spare.id], [backup.id, spare.id], [claudeEu.id]].map((chain) => chain.join('>')).sort(),
    );
    expect(chainOf(primary, [spare, primary, spare]).deployments.map((d) => d.name)).toEqual([
      'primary',
      'spare',
    ]);
  });
});
