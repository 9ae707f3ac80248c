// The ledger sink extproc's configuration calls for: Redis when REDIS_URL is set, else the control plane's endpoint,
// else none (a gateway without a control plane has no ledger to write to).
import type { ExtprocConfig } from '../config.js';
import type { Logger } from '../log.js';
import { ControlPlaneLedgerSink } from './control-plane-sink.js';
import { LedgerJournal } from './journal.js';
import type { LedgerMetrics } from './metrics.js';
import type { SpoolingLedgerSink } from './sink.js';
import { LedgerSpool } from './spool.js';

export async function createLedgerSink(
  config: ExtprocConfig,
  log: Logger,
  metrics: LedgerMetrics,
): Promise<SpoolingLedgerSink | null> {
  if (!config.redisUrl && !(config.controlPlaneUrl && config.internalToken)) return null;
  const spool = new LedgerSpool({ dir: config.ledgerSpoolDir });
  const ledgerLog = log.child({ component: 'ledger' });
  // Opens its first file lazily, after sink.start() has created the directory.
  const journal = new LedgerJournal({
    dir: config.ledgerSpoolDir,
    instance: spool.instance,
    log: ledgerLog,
    metrics,
  });
  const options = { spool, journal, log: ledgerLog, metrics };
  let sink: SpoolingLedgerSink;
  if (config.redisUrl) {
    // ioredis is loaded only when used, as for the policy source.
    const { RedisStreamLedgerSink } = await import('./redis-sink.js');
    sink = new RedisStreamLedgerSink(config.redisUrl, options);
  } else {
    sink = new ControlPlaneLedgerSink({
      ...options,
      baseUrl: config.controlPlaneUrl as string,
      token: config.internalToken as string,
    });
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
