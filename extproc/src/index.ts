// Library entry: start a complete extproc (gRPC processor + ops HTTP server) from a config. main.ts wraps this for
// the command line; tests and the launcher embed it directly.
import type { ExtprocConfig } from './config.js';
import { startExtprocServer } from './grpc/server.js';
import { startOpsServer } from './http-server.js';
import { createLogger, type Logger } from './log.js';
import { ExtprocMetrics } from './metrics.js';
import { StaticKeyStore } from './pipeline/auth.js';
import type { RequestRecord } from './pipeline/stream-context.js';
import { createPricer, parsePriceOverrides } from './pricing/pricing.js';

export type { ExtprocConfig } from './config.js';
export { ConfigError, loadExtprocConfig, parseBoolean, parseInteger } from './config.js';
export type { RequestRecord } from './pipeline/stream-context.js';

export interface RunningExtproc {
  grpcPort: number;
  metricsPort: number;
  metrics: ExtprocMetrics;
  log: Logger;
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  onRecord?: (record: RequestRecord) => void;
  logger?: Logger;
  /** Process-wide default metrics (event loop, memory); off when several instances share a process in tests. */
  defaultMetrics?: boolean;
}

export async function startExtproc(
  config: ExtprocConfig,
  options: StartOptions = {},
): Promise<RunningExtproc> {
  const log = options.logger ?? createLogger(config.logLevel);
  const metrics = new ExtprocMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const pricer = createPricer(
    config.priceOverridesJson ? parsePriceOverrides(config.priceOverridesJson) : undefined,
  );
  const keys = new StaticKeyStore(config.bootstrapKeys);
  if (config.bootstrapKeys.length === 0)
    log.warn('no gateway keys configured (ACC_BOOTSTRAP_KEY): every request gets 401');

  const grpcServer = await startExtprocServer(
    { config, keys, pricer, metrics, log },
    {
      host: config.grpcHost,
      port: config.grpcPort,
      // The whole buffered request body arrives in one message, plus headers and framing.
      maxMessageBytes: config.maxRequestBytes + 1024 * 1024,
      onRecord: options.onRecord,
    },
  );
  const ops = await startOpsServer({
    host: config.metricsHost,
    port: config.metricsPort,
    metrics,
    readiness: () => ({ ready: grpcServer.isServing(), grpc: `${config.grpcHost}:${grpcServer.port}` }),
  });
  log.info(
    {
      grpc: `${config.grpcHost}:${grpcServer.port}`,
      metrics: `http://${config.metricsHost}:${ops.port}/metrics`,
    },
    'extproc listening',
  );

  return {
    grpcPort: grpcServer.port,
    metricsPort: ops.port,
    metrics,
    log,
    async stop(graceMs = 5000) {
      grpcServer.setServing(false);
      await grpcServer.shutdown(graceMs);
      await new Promise<void>((resolve) => ops.server.close(() => resolve()));
      ops.server.closeAllConnections();
    },
  };
}
