import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
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

  readonly phaseSeconds = new Histogram({
    name: 'acc_extproc_phase_seconds',
    help: 'Time extproc spends handling one ext_proc message, by phase',
    labelNames: ['phase'] as const,
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [this.registry],
  });

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
