// Runaway checks as the stage runs them: shared through Redis by subject, and never able to fail a scan.
/// <reference path="../../../control-plane/test/support/provided.d.ts" />
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, inject, it } from 'vitest';
import { openaiAdapter } from '../../src/providers/index.js';
import { SecurityMetrics } from '../../src/security/metrics.js';
import { DEFAULT_SECURITY_POLICY } from '../../src/security/policy.js';
import { buildScanInput } from '../../src/security/registry.js';
import { redisRunawayMonitor } from '../../src/security/runaway-check.js';

const settings = { ...DEFAULT_SECURITY_POLICY.runaway, repeatThreshold: 3 };
const input = (step: number) =>
  buildScanInput(
    openaiAdapter.parseRequest({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `retry the deployment, attempt ${step}` }],
    }),
  );

describe('runaway checks through Redis', () => {
  it('two gateways on one Redis count one subject together', async () => {
    const url = `${inject('REDIS_URL')}/14`;
    const metrics = new SecurityMetrics(new Registry());
    const log = pino({ level: 'silent' });
    const first = await redisRunawayMonitor(url, metrics, log);
    const second = await redisRunawayMonitor(url, metrics, log);
    const subject = `key-${randomUUID()}:agent`;
    try {
      const seen = [];
      for (let step = 0; step < 3; step++) {
        const monitor = step % 2 === 0 ? first : second;
        seen.push(await monitor.check(subject, input(step), settings));
      }
      expect(seen[0]).toEqual([]);
      expect(seen[1]).toEqual([]);
      expect(seen[2]).toEqual([
        expect.objectContaining({ detector: 'runaway_agent', rule: 'repeated_request' }),
      ]);
      const other = await first.check(`key-${randomUUID()}:agent`, input(9), settings);
      expect(other).toEqual([]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('an unreachable Redis costs only the runaway check, and is counted', async () => {
    const registry = new Registry();
    const metrics = new SecurityMetrics(registry);
    const monitor = await redisRunawayMonitor('redis://127.0.0.1:1', metrics, pino({ level: 'silent' }));
    try {
      expect(await monitor.check('key:agent', input(1), settings)).toEqual([]);
      expect(await registry.getSingleMetricAsString('acc_security_scan_failures_total')).toMatch(
        /phase="runaway"} 1/,
      );
    } finally {
      await monitor.close();
    }
  });
});
