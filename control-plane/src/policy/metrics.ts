// Publication metrics, registered in the app's registry so they appear on /metrics.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type PublisherMetrics = ReturnType<typeof createPublisherMetrics>;

export function createPublisherMetrics(registry: Registry) {
  const registers = [registry];
  return {
    version: new Gauge({
      name: 'acc_cp_policy_version',
      help: 'Latest policy snapshot version',
      registers,
    }),
    seconds: new Histogram({
      name: 'acc_cp_policy_publish_seconds',
      help: 'Time to compile, store and push one policy snapshot',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    errors: new Counter({
      name: 'acc_cp_policy_publish_errors_total',
      help: 'Failed policy publication attempts (retried), by stage: compile (database) or redis',
      labelNames: ['stage'] as const,
      registers,
    }),
    lag: new Histogram({
      name: 'acc_cp_policy_publish_lag_seconds',
      help: 'Time from a committed policy change to the publication of a snapshot containing it',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
  };
}
