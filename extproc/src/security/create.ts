// Builds the security stage for a running extproc: its metrics on extproc's registry, and runaway tracking shared
// through Redis when the gateway has one (a fleet must count one agent's loop together), else in memory.
import type { Registry } from 'prom-client';
import type { ExtprocConfig } from '../config.js';
import type { Logger } from '../log.js';
import { SecurityMetrics } from './metrics.js';
import { memoryRunawayMonitor, redisRunawayMonitor } from './runaway-check.js';
import { SecurityStage } from './stage.js';
import { warmUpScanner } from './warm-up.js';

/** null when ACC_SECURITY_ENABLED is off: the request path then has no scanner at all. */
export async function createSecurityStage(
  config: ExtprocConfig,
  registry: Registry,
  log: Logger,
): Promise<SecurityStage | null> {
  if (!config.securityEnabled) return null;
  // Before the gRPC server listens: the first requests would otherwise compile the rules.
  log.info({ ms: Math.round(warmUpScanner()) }, 'security scanner warmed up');
  const metrics = new SecurityMetrics(registry);
  const runaway = config.redisUrl
    ? await redisRunawayMonitor(config.redisUrl, metrics, log)
    : memoryRunawayMonitor(metrics, log);
  return new SecurityStage({ metrics, log, runaway });
}
