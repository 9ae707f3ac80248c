// Budget enforcement metrics, registered on the registry the integrator passes (extproc's, normally). Labels stay
// bounded: reasons, modes and operations, never budget, org or key ids.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ActualUsage, BudgetStore, Reservation, ReserveOutcome } from './store.js';

export class BudgetMetrics {
  readonly denials: Counter<'reason'>;
  readonly unavailable: Counter;
  readonly reservationAccuracy: Histogram;
  readonly storeErrors: Counter<'mode' | 'operation'>;
  readonly pendingLocalSettlements: Gauge;
  readonly droppedLocalSettlements: Counter;
  readonly replayedLocalSettlements: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.denials = new Counter({
      name: 'acc_budget_denials_total',
      help: 'Requests denied by budget enforcement, by reason (budget_exceeded, rate_limit_requests, rate_limit_tokens)',
      labelNames: ['reason'] as const,
      registers,
    });
    this.unavailable = new Counter({
      name: 'acc_budget_unavailable_total',
      help: 'Requests refused because the budget store was unreachable and the failure mode is closed',
      registers,
    });
    this.reservationAccuracy = new Histogram({
      name: 'acc_budget_reservation_accuracy_ratio',
      help: 'Actual cost divided by the reserved (estimated maximum) cost of settled requests; above 1 = under-reserved',
      buckets: [0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1, 1.1, 1.5, 2, 5],
      registers,
    });
    this.storeErrors = new Counter({
      name: 'acc_budget_store_errors_total',
      help: 'Shared budget store (Redis) failures, by failure mode and operation',
      labelNames: ['mode', 'operation'] as const,
      registers,
    });
    this.pendingLocalSettlements = new Gauge({
      name: 'acc_budget_pending_local_settlements',
      help: 'Settlements recorded only locally while Redis was unavailable, waiting to be replayed into it',
      registers,
    });
    this.droppedLocalSettlements = new Counter({
      name: 'acc_budget_dropped_local_settlements_total',
      help: 'Local settlements dropped because the pending list was full (reconcile from the ledger to recover)',
      registers,
    });
    this.replayedLocalSettlements = new Counter({
      name: 'acc_budget_replayed_local_settlements_total',
      help: 'Local settlements replayed into Redis after it came back',
      registers,
    });
  }

  recordReserve(outcome: ReserveOutcome): void {
    if (outcome.status === 'denied') this.denials.inc({ reason: outcome.denial.reason });
    else if (outcome.status === 'unavailable') this.unavailable.inc();
  }

  recordSettle(reservation: Reservation, actual: ActualUsage): void {
    if (reservation.costNanos > 0 && reservation.budgets.length > 0) {
      this.reservationAccuracy.observe(actual.costNanos / reservation.costNanos);
    }
  }
}

/** `store` with denials and reservation accuracy recorded on `metrics`. */
export function instrumentBudgetStore(store: BudgetStore, metrics: BudgetMetrics): BudgetStore {
  return {
    async reserve(input) {
      const outcome = await store.reserve(input);
      metrics.recordReserve(outcome);
      return outcome;
    },
    async settle(reservation, actual) {
      const outcome = await store.settle(reservation, actual);
      if (outcome.status === 'settled') metrics.recordSettle(reservation, actual);
      return outcome;
    },
    release: (reservation, billed) => store.release(reservation, billed),
    close: () => store.close(),
  };
}
