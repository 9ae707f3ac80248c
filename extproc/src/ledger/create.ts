// The ledger sink extproc's configuration calls for: Redis when REDIS_URL is set, else the control plane's endpoint,
// else none (a gateway without a control plane has no ledger to write to).
import type { ExtprocConfig } from '../config.js';
import type { Logger } from '../log.js';
import { ControlPlaneLedgerSink } from './control-plane-sink.js';
import type { LedgerMetrics } from './metrics.js';
import type { SpoolingLedgerSink } from './sink.js';
import { LedgerSpool } from './spool.js';

export async function createLedgerSink(
  config: ExtprocConfig,
  log: Logger,
  metrics: LedgerMetrics,
): Promise<SpoolingLedgerSink | null> {
  const spool = new LedgerSpool({ dir: config.ledgerSpoolDir });
  const options = { spool, log: log.child({ component: 'ledger' }), metrics };
  let sink: SpoolingLedgerSink;
  if (config.redisUrl) {
    // ioredis is loaded only when used, as for the policy source.
    const { RedisStreamLedgerSink } = await import('./redis-sink.js');
    sink = new RedisStreamLedgerSink(config.redisUrl, options);
  } else if (config.controlPlaneUrl && config.internalToken) {
    sink = new ControlPlaneLedgerSink({
      ...options,
      baseUrl: config.controlPlaneUrl,
      token: config.internalToken,
    });
  } else {
    return null;
  }
  try {
    await sink.start();
  } catch (error) {
    await sink.close().catch(() => {});
    throw new Error(
      `ledger spool directory ${config.ledgerSpoolDir} is not usable (ACC_LEDGER_SPOOL_DIR): ${(error as Error).message}`,
    );
  }
  return sink;
}
