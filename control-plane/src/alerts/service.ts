// The alert loop of a control-plane server: every interval, evaluate budgets (fire alerts) then deliver what is
// due. Passes never overlap; a failed pass is logged and counted, and the next one starts over.
import type { MasterKey } from '@acc/extproc/policy';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import { type DeliveryOptions, type DeliveryReport, deliverDueAlerts } from './delivery.js';
import { type EvaluationResult, evaluateBudgetAlerts } from './evaluator.js';
import { type AlertMetrics, createAlertMetrics, recordBudgetGauges, recordDelivery } from './metrics.js';

export interface AlertSettings {
  intervalMs: number;
  maxAttempts: number;
  timeoutMs: number;
  metricsTopN: number;
}

export interface AlertServiceOptions extends AlertSettings {
  db: Database;
  redis: Redis | null;
  masterKey: MasterKey;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  registry?: Registry;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export class AlertService {
  readonly metrics: AlertMetrics;
  private readonly delivery: DeliveryOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: AlertServiceOptions) {
    this.metrics = createAlertMetrics(options.registry ?? new Registry());
    this.delivery = {
      masterKey: options.masterKey,
      timeoutMs: options.timeoutMs,
      maxAttempts: options.maxAttempts,
      retryBaseMs: options.retryBaseMs ?? 30_000,
      retryMaxMs: options.retryMaxMs ?? 3_600_000,
      batchSize: 50,
    };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  async evaluate(nowMs = Date.now()): Promise<EvaluationResult> {
    const result = await evaluateBudgetAlerts(this.options.db, this.options.redis, nowMs);
    recordBudgetGauges(this.metrics, result.budgets, this.options.metricsTopN);
    this.metrics.fired.inc(result.fired.length);
    return result;
  }

  async deliver(nowMs = Date.now()): Promise<DeliveryReport[]> {
    const reports = await deliverDueAlerts(this.options.db, this.delivery, nowMs);
    for (const report of reports) {
      recordDelivery(this.metrics, report.channelKind, report.outcome);
      if (report.outcome !== 'delivered')
        this.options.log.warn(
          { deliveryId: report.deliveryId, attempt: report.attempt, error: report.result.error },
          report.outcome === 'failed'
            ? 'alert delivery failed, giving up'
            : 'alert delivery failed, will retry',
        );
    }
    return reports;
  }

  private tick(): Promise<void> {
    this.running ??= (async () => {
      try {
        await this.evaluate();
      } catch (error) {
        this.metrics.evaluationErrors.inc();
        this.options.log.error({ err: error }, 'budget alert evaluation failed; retrying next interval');
      }
      try {
        await this.deliver();
      } catch (error) {
        this.options.log.error({ err: error }, 'alert delivery pass failed; retrying next interval');
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
