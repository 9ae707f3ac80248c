// Budgets and rate limits in the request path: reserve → forward → settle.
//
// Before forwarding, a request that counts against any budget or rate limit reserves its maximum cost (input
// estimate + output cap, see estimate.ts) against all of them at once; a request that would not fit is answered
// 429 and never reaches the provider, so concurrent requests cannot overshoot a hard limit. When the exchange ends
// the reservation is replaced by what the provider billed:
//   complete 2xx with a price      → settled to the record's cost;
//   upstream error (non-2xx)       → released, charging the record's cost when the answer carried usage;
//   2xx cut short (client_closed, upstream_error_event, …), usage or cost unknown, or no response at all
//                                  → charged the full reservation (or the record's cost if higher): what the provider
//                                    generated after the last byte seen is unknown, and the reservation is the only
//                                    figure known to be at least what it billed. `acc budgets reconcile --fix` brings
//                                    the counter down to the ledger's figure when that matters.
import type { Logger } from '../log.js';
import { renderGatewayError } from '../pipeline/gateway-errors.js';
import type { RequestRecord } from '../pipeline/request-record.js';
import type { Rejection, RequestContext, RequestStage } from '../pipeline/stages.js';
import type { Pricer } from '../pricing/pricing.js';
import { applicableBudgets, applicableRateLimits, type BudgetSubject } from './applicable.js';
import { CostEstimator, withMaxTokens } from './estimate.js';
import type { LiveBudgetFigures } from './live-figures.js';
import type { BudgetMetrics } from './metrics.js';
import {
  type ActualUsage,
  type BudgetStore,
  type BudgetTarget,
  budgetTargets,
  type Denial,
  DuplicateReservationError,
  type Reservation,
} from './store.js';
import { nanosToUsd, type SnapshotBudget, type SnapshotRateLimit, usdToNanos } from './types.js';

export interface BudgetStageOptions {
  store: BudgetStore;
  metrics: BudgetMetrics;
  log: Logger;
  /** Output cap injected when the client set none (ACC_BUDGET_DEFAULT_MAX_TOKENS). */
  defaultMaxTokens: number;
  /** Reservations free themselves after this (ACC_BUDGET_RESERVATION_TTL_MS). */
  reservationTtlMs: number;
  /** Admit unpriced models under dollar budgets, reserving and charging $0 (ACC_BUDGET_ALLOW_UNPRICED). */
  allowUnpriced: boolean;
  figures?: LiveBudgetFigures;
  now?: () => number;
}

function subjectOf(context: RequestContext): BudgetSubject {
  const { identity } = context;
  return {
    orgId: identity.orgId,
    teamId: identity.teamId,
    userId: identity.ownerId,
    keyId: identity.keyId,
    agent: context.agent,
    tags: context.tags,
  };
}

/** Dollars to the nano-dollar the counters keep, without exponent notation or trailing zeros. */
const usd = (value: number) => value.toFixed(9).replace(/\.?0+$/, '');

export class BudgetStage implements RequestStage {
  readonly name = 'budgets';
  private readonly reservations = new WeakMap<RequestContext, Reservation>();
  /** One estimator per pricer (per org and snapshot), so tokenizer caches outlive a request. */
  private readonly estimators = new WeakMap<Pricer, CostEstimator>();
  private readonly settling = new Set<Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly options: BudgetStageOptions) {
    this.now = options.now ?? Date.now;
  }

  onRequest(context: RequestContext): Promise<Rejection | null> | null {
    const subject = subjectOf(context);
    const model = context.annotations.routedModel ?? context.request.model;
    const compiled = context.policy.budgets;
    const budgets = applicableBudgets(compiled, subject, model);
    const rateLimits = applicableRateLimits(compiled, subject);
    // Nothing to enforce: stay synchronous and leave the forwarded body alone.
    if (budgets.length === 0 && rateLimits.length === 0) return null;
    // An estimator or store failure is answered in the caller's shape, never left to reject the stream.
    return this.admit(context, subject, model, budgets, rateLimits).catch((error: unknown) =>
      this.reserveFailed(context, error),
    );
  }

  private async admit(
    context: RequestContext,
    subject: BudgetSubject,
    model: string,
    budgets: SnapshotBudget[],
    rateLimits: SnapshotRateLimit[],
  ): Promise<Rejection | null> {
    // A fallback chain over several models may be answered by its priciest one: reserve for that (routing sets it).
    const sized = context.annotations.reservationModel ?? model;
    const request = sized === context.request.model ? context.request : { ...context.request, model: sized };
    const estimate = await this.estimator(context.policy.pricer(subject.orgId)).estimate(request);
    if (!estimate.priced && budgets.length > 0 && !this.options.allowUnpriced) {
      return renderGatewayError(
        context.adapter,
        'budget_unpriced_model',
        `The model '${sized}' has no known price, so its cost cannot be bounded against this key's budgets.`,
        'model',
      );
    }
    if (estimate.injectMaxTokens !== null) {
      const capped = withMaxTokens(context.provider, {}, estimate.injectMaxTokens);
      for (const [field, value] of Object.entries(capped)) context.plan.bodyFields.set(field, value);
    }

    const targets = budgetTargets(budgets, this.now());
    const outcome = await this.options.store.reserve({
      requestId: context.requestId,
      costNanos: estimate.costNanos ?? 0,
      tokens: estimate.tokens,
      budgets: targets,
      rateLimits,
      ttlMs: this.options.reservationTtlMs,
    });
    if (outcome.status === 'unavailable') {
      return renderGatewayError(
        context.adapter,
        'budget_unavailable',
        'The gateway cannot check budgets right now and does not forward unchecked requests. Retry shortly.',
      );
    }
    if (outcome.status === 'denied') return this.deny(context, outcome.denial, targets);

    const { reservation } = outcome;
    this.reservations.set(context, reservation);
    context.annotations.reservedCostUsd = nanosToUsd(reservation.costNanos);
    this.options.figures?.reserved(reservation);
    this.remainingHeader(context, reservation);
    return null;
  }

  onFinish(context: RequestContext, record: RequestRecord): void {
    const reservation = this.reservations.get(context);
    if (reservation === undefined) return;
    this.reservations.delete(context);
    const done = this.finish(reservation, record)
      .catch((error: unknown) => {
        this.options.metrics.storeErrors.inc({ mode: 'stage', operation: 'finish' });
        this.options.log.error({ err: error, requestId: record.requestId }, 'budget settlement failed');
      })
      .finally(() => this.settling.delete(done));
    this.settling.add(done);
  }

  /** Resolves once every settlement started so far has reached the store (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.settling.size > 0) await Promise.all([...this.settling]);
  }

  async close(): Promise<void> {
    await this.idle();
    await this.options.store.close();
  }

  private async finish(reservation: Reservation, record: RequestRecord): Promise<void> {
    const { store, figures } = this.options;
    const known = record.costUsd === null ? null : usdToNanos(record.costUsd);
    const tokens = record.usage ? record.usage.inputTokens + record.usage.outputTokens : null;
    const answered = record.status > 0;
    const succeeded = record.status >= 200 && record.status < 300;
    if (answered && !succeeded) {
      // The provider refused or failed: it bills only what its answer reports (usually nothing).
      const billed: ActualUsage | undefined =
        known === null ? undefined : { costNanos: known, tokens: tokens ?? 0 };
      await store.release(reservation, billed);
      figures?.finished(reservation, []);
      return;
    }
    const exact = succeeded && record.outcome === 'complete' && known !== null;
    const actual: ActualUsage = exact
      ? { costNanos: known, tokens: tokens ?? reservation.tokens }
      : {
          costNanos: Math.max(reservation.costNanos, known ?? 0),
          tokens: Math.max(reservation.tokens, tokens ?? 0),
        };
    const outcome = await store.settle(reservation, actual);
    figures?.finished(reservation, outcome.budgets);
  }

  private estimator(pricer: Pricer): CostEstimator {
    let estimator = this.estimators.get(pricer);
    if (estimator === undefined) {
      estimator = new CostEstimator(pricer, { defaultMaxOutputTokens: this.options.defaultMaxTokens });
      this.estimators.set(pricer, estimator);
    }
    return estimator;
  }

  private deny(context: RequestContext, denial: Denial, targets: readonly BudgetTarget[]): Rejection {
    const retryAfter = Math.max(1, Math.ceil((denial.resetsAtMs - this.now()) / 1000));
    const reset = new Date(denial.resetsAtMs).toISOString();
    if (denial.reason === 'budget_exceeded') {
      const target = targets.find((t) => t.budget.id === denial.id);
      if (target) this.options.figures?.denied(denial, target.window.id);
      const rendered = renderGatewayError(
        context.adapter,
        'budget_exceeded',
        `This request could cost more than the ${denial.scope} budget '${denial.name}' has left: ` +
          `$${usd(denial.remaining)} of $${usd(denial.limit)} remain until ${reset}.`,
      );
      return {
        ...rendered,
        headers: [
          ['x-acc-budget-id', denial.id],
          ['x-acc-budget-name', encodeURIComponent(denial.name ?? '')],
          ['x-acc-budget-scope', denial.scope],
          ['x-acc-budget-limit-usd', usd(denial.limit)],
          ['x-acc-budget-remaining-usd', usd(denial.remaining)],
          ['x-acc-budget-reset', reset],
          ['retry-after', String(retryAfter)],
        ],
      };
    }
    const rendered = renderGatewayError(
      context.adapter,
      'rate_limited',
      `Rate limit of the ${denial.scope} reached: ${denial.limit} ${denial.unit} per minute, ` +
        `${denial.remaining} left until ${reset}.`,
    );
    return {
      ...rendered,
      headers: [
        ['x-acc-rate-limit-id', denial.id],
        ['x-acc-rate-limit-scope', denial.scope],
        ['x-acc-rate-limit-unit', denial.unit],
        ['x-acc-rate-limit-limit', String(denial.limit)],
        ['x-acc-rate-limit-remaining', String(denial.remaining)],
        ['x-acc-rate-limit-reset', reset],
        ['retry-after', String(retryAfter)],
      ],
    };
  }

  /** From this replica's last-seen figures, so it costs no extra read; omitted when none are known yet. */
  private remainingHeader(context: RequestContext, reservation: Reservation): void {
    const figures = this.options.figures;
    if (figures === undefined) return;
    let tightest: number | null = null;
    for (const budget of reservation.budgets) {
      if (budget.enforcement !== 'hard') continue;
      const used = figures.usedNanos(budget.budgetId);
      if (used === null) continue;
      const remaining = Math.max(0, budget.limitNanos - used);
      tightest = tightest === null ? remaining : Math.min(tightest, remaining);
    }
    if (tightest !== null)
      context.plan.responseHeaders.push(['x-acc-budget-remaining-usd', usd(tightest / 1e9)]);
  }

  private reserveFailed(context: RequestContext, error: unknown): Rejection {
    if (error instanceof DuplicateReservationError) {
      return renderGatewayError(
        context.adapter,
        'duplicate_request_id',
        'Another request with the same x-request-id is in progress.',
      );
    }
    this.options.metrics.storeErrors.inc({ mode: 'stage', operation: 'reserve' });
    this.options.log.error({ err: error, requestId: context.requestId }, 'budget reservation failed');
    return renderGatewayError(
      context.adapter,
      'budget_unavailable',
      'The gateway could not check this request against its budgets. Retry shortly.',
    );
  }
}
