import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ProviderId, Usage } from './providers/types.js';

/** Labels stay bounded: provider, model (as reported), status class and decision; never keys, agents or tags. */
export class ExtprocMetrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'acc_requests_total',
    help: 'LLM requests seen by extproc, by provider, endpoint, model, HTTP status and gateway decision',
    labelNames: ['provider', 'endpoint', 'model', 'status', 'decision'] as const,
    registers: [this.registry],
  });

  readonly tokens = new Counter({
    name: 'acc_tokens_total',
    help: 'Tokens reported by the provider; type is input (total, cached included), cached_input, cache_write, output (reasoning included) or reasoning',
    labelNames: ['provider', 'model', 'type'] as const,
    registers: [this.registry],
  });

  readonly costUsd = new Counter({
    name: 'acc_cost_usd_total',
    help: 'Spend in US dollars computed from provider-reported usage',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });

  readonly unpriced = new Counter({
    name: 'acc_unpriced_requests_total',
    help: 'Requests whose model has no known price: their spend is NOT in acc_cost_usd_total',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });

  readonly usageMissing = new Counter({
    name: 'acc_usage_missing_total',
    help: 'Successful responses that ended without usage (client disconnect, truncated or oversized body)',
    labelNames: ['provider', 'reason'] as const,
    registers: [this.registry],
  });

  readonly rejected = new Counter({
    name: 'acc_rejected_requests_total',
    help: 'Requests answered by the gateway itself, by provider and error code',
    labelNames: ['provider', 'code'] as const,
    registers: [this.registry],
  });

  readonly phaseSeconds = new PhaseHistogram(
    {
      name: 'acc_extproc_phase_seconds',
      help: 'Time extproc spends handling one ext_proc message, by phase',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    },
    this.registry,
  );

  readonly activeStreams = new Gauge({
    name: 'acc_extproc_active_streams',
    help: 'ext_proc gRPC streams currently open (one per HTTP request in flight)',
    registers: [this.registry],
  });

  readonly internalErrors = new Counter({
    name: 'acc_extproc_internal_errors_total',
    help: 'Unexpected errors inside extproc, by phase',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'acc_extproc_' });
  }

  recordUsage(provider: ProviderId, model: string, usage: Usage): void {
    const tokens = this.tokens;
    tokens.inc({ provider, model, type: 'input' }, usage.inputTokens);
    tokens.inc({ provider, model, type: 'output' }, usage.outputTokens);
    if (usage.cacheReadTokens) tokens.inc({ provider, model, type: 'cached_input' }, usage.cacheReadTokens);
    if (usage.cacheWriteTokens) tokens.inc({ provider, model, type: 'cache_write' }, usage.cacheWriteTokens);
    if (usage.reasoningTokens) tokens.inc({ provider, model, type: 'reasoning' }, usage.reasoningTokens);
  }
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: { phase: string };
  value: number;
  metricName: string;
  exemplar?: null;
}

interface ExportedMetric {
  name: string;
  help: string;
  type: 'histogram';
  values: ExportedValue[];
  aggregator: 'sum';
}

interface PhaseSeries {
  readonly labels: { phase: string };
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram labelled by phase, exported exactly like prom-client's Histogram (same series,
 * bucket, _sum and _count lines). It exists because it is observed for every ext_proc message: prom-client
 * validates and hashes the label set on each observation, this one resolves the series once per phase.
 */
export class PhaseHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly buckets: readonly number[];
  private series = new Map<string, PhaseSeries>();

  constructor(config: { name: string; help: string; buckets: number[] }, registry: Registry) {
    this.name = config.name;
    this.help = config.help;
    this.buckets = Object.freeze([...config.buckets].sort((a, b) => a - b));
    registry.registerMetric(this as never);
  }

  /** The observer for one phase; its series appears in the output once it has observed a value. */
  labels(labels: { phase: string }): { observe(seconds: number): void } {
    const { phase } = labels;
    return { observe: (seconds) => this.observe(phase, seconds) };
  }

  observe(phase: string, seconds: number): void {
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${seconds}`);
    let series = this.series.get(phase);
    if (!series) {
      series = { labels: { phase }, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
      this.series.set(phase, series);
    }
    const buckets = this.buckets;
    let i = 0;
    while (i < buckets.length && seconds > (buckets[i] as number)) i++;
    series.counts[i] = (series.counts[i] as number) + 1;
    series.sum += seconds;
    series.count += 1;
  }

  reset(): void {
    this.series = new Map();
  }

  /** What the registry formats: the shape prom-client's Histogram produces, labels not yet merged. */
  async getForPromString(): Promise<ExportedMetric> {
    const name = this.name;
    const values: ExportedValue[] = [];
    for (const series of this.series.values()) {
      const sharedLabels = series.labels;
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += series.counts[i] as number;
        values.push({
          labels: { le },
          sharedLabels,
          value: cumulative,
          metricName: `${name}_bucket`,
          exemplar: null,
        });
      });
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels,
          value: series.count,
          metricName: `${name}_bucket`,
          exemplar: null,
        },
        { labels: {}, sharedLabels, value: series.sum, metricName: `${name}_sum` },
        { labels: {}, sharedLabels, value: series.count, metricName: `${name}_count` },
      );
    }
    return { name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  async get(): Promise<ExportedMetric> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, labels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels },
    }));
    return data;
  }
}
