// Library entry: start a complete extproc (gRPC processor + ops HTTP server) from a config. main.ts wraps this for
// the command line; tests and the launcher embed it directly.
import { createBudgetFigures, createBudgetStage } from './budgets/create.js';
import type { ExtprocConfig } from './config.js';
import { startExtprocServer } from './grpc/server.js';
import { startOpsServer } from './http-server.js';
import { createLedgerSink } from './ledger/create.js';
import { LedgerMetrics } from './ledger/metrics.js';
import { createLogger, type Logger } from './log.js';
import { ExtprocMetrics } from './metrics.js';
import type { RequestRecord } from './pipeline/stream-context.js';
import { controlPlaneKeyUsageSink, KeyUsageReporter } from './policy/key-usage.js';
import { ControlPlanePolicySource, type PolicySource } from './policy/policy-sources.js';
import { PolicyStore } from './policy/policy-store.js';
import { KEY_LAST_USED_PATH } from './policy/snapshot.js';
import { parsePriceOverrides } from './pricing/pricing.js';
import { createRoutingStage } from './routing/create.js';
import { DeploymentClusterWriter } from './routing/deployment-writer.js';
import { createSecurityStage } from './security/create.js';

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
  /** Clock for budget windows and reservations (tests cross a window boundary without waiting for it). */
  budgetClock?: () => number;
}

export async function startExtproc(
  config: ExtprocConfig,
  options: StartOptions = {},
): Promise<RunningExtproc> {
  const log = options.logger ?? createLogger(config.logLevel);
  const metrics = new ExtprocMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const policyStore = new PolicyStore(
    {
      bootstrapKeys: config.bootstrapKeys,
      providerKeys: config.providerKeys,
      priceOverrides: config.priceOverridesJson ? parsePriceOverrides(config.priceOverridesJson) : undefined,
      security: config.securityPolicy,
    },
    config.masterKeys,
    log,
    metrics.registry,
  );
  let source: PolicySource | null = null;
  let keyUsage: KeyUsageReporter | null = null;
  if (config.redisUrl) {
    // ioredis is loaded only when used: it is a sizeable share of an idle extproc's memory.
    const { RedisPolicySource } = await import('./policy/redis-policy-source.js');
    const redisSource = new RedisPolicySource(config.redisUrl, policyStore);
    keyUsage = new KeyUsageReporter(redisSource.keyUsageSink(), log);
    source = redisSource;
  } else if (config.controlPlaneUrl && config.internalToken) {
    source = new ControlPlanePolicySource(config.controlPlaneUrl, config.internalToken, policyStore);
    keyUsage = new KeyUsageReporter(
      controlPlaneKeyUsageSink(config.controlPlaneUrl, config.internalToken, KEY_LAST_USED_PATH),
      log,
    );
  }
  const ledger = await createLedgerSink(config, log, new LedgerMetrics(metrics.registry));
  const onRecord = (record: RequestRecord) => {
    ledger?.write(record);
    keyUsage?.note(record.keyId);
    options.onRecord?.(record);
  };
  if (!source && config.bootstrapKeys.length === 0) {
    log.warn(
      'no gateway keys (ACC_BOOTSTRAP_KEY) and no policy source (REDIS_URL / ACC_CONTROL_PLANE_URL): every request gets 401',
    );
  }
  // Before the source starts, so the first snapshot's deployment clusters are written as soon as it is applied.
  const deploymentWriter = config.envoyDynamicDir
    ? new DeploymentClusterWriter(config.envoyDynamicDir, config.deploymentClusters, log)
    : null;
  if (deploymentWriter) {
    policyStore.onApplied((policy, snapshot) => void deploymentWriter.update(policy, snapshot));
  }
  await source?.start();
  // Without a policy source there are no deployments. With one, a restart leaves Envoy the clusters it has until a
  // snapshot arrives, rather than emptying them in the meantime.
  if (deploymentWriter && !source) await deploymentWriter.update(policyStore.policy, null);
  const security = await createSecurityStage(config, metrics.registry, log);
  const budgetFigures = createBudgetFigures(() => policyStore.policy, metrics.registry, options.budgetClock);
  const budgets = await createBudgetStage(config, {
    registry: metrics.registry,
    log,
    policy: () => policyStore.policy,
    figures: budgetFigures,
    ...(options.budgetClock ? { now: options.budgetClock } : {}),
  });
  const routing = createRoutingStage(config, metrics.registry, log, { utilisation: budgetFigures });
  const stages = [...(security ? [security] : []), routing, budgets];

  const grpcServer = await startExtprocServer(
    {
      config,
      policy: () => policyStore.policy,
      metrics,
      log,
      stages,
      onForward: ledger ? (provisional) => ledger.begin(provisional) : undefined,
    },
    {
      host: config.grpcHost,
      port: config.grpcPort,
      // The whole buffered request body arrives in one message, plus headers and framing.
      maxMessageBytes: config.maxRequestBytes + 1024 * 1024,
      onRecord,
    },
  );
  const ops = await startOpsServer({
    host: config.metricsHost,
    port: config.metricsPort,
    metrics,
    // With a policy source, not ready until a snapshot is in force: otherwise every managed key would get 401.
    readiness: () => ({
      ready: grpcServer.isServing() && (source === null || policyStore.version > 0),
      grpc: `${config.grpcHost}:${grpcServer.port}`,
      policyVersion: policyStore.version,
      policySource: config.redisUrl ? 'redis' : source ? 'control_plane' : 'environment',
    }),
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
      await keyUsage?.stop();
      await source?.stop();
      await grpcServer.shutdown(graceMs);
      await security?.close();
      // After the streams: their reservations are settled before the store closes.
      await budgets.close();
      // After the streams: the records of requests drained above are in it.
      await ledger?.close();
      await new Promise<void>((resolve) => ops.server.close(() => resolve()));
      ops.server.closeAllConnections();
    },
  };
}
