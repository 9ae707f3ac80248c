// What this replica last saw of each budget: spend as reported by the store's last settlement (or a denial, or a
// seed from the ledger) plus the reservations this replica holds itself. It answers the routing stage's
// utilisation questions and the per-budget gauges from memory, so neither ever waits on Redis. With several
// replicas the figures lag what the others spent since this one last settled; that is the price of no round trip.
import { Gauge, type Registry } from 'prom-client';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { applicableBudgets } from './applicable.js';
import type { BudgetSpend, Denial, Reservation } from './store.js';
import type { BudgetUtilisationView } from './utilisation.js';

interface Figure {
  budgetId: string;
  windowId: string;
  /** The window's end: after it the figure describes a past window and reads as unused. */
  resetsAtMs: number;
  limitNanos: number;
  spentNanos: number;
  /** Whether spentNanos came from the store (settlement, denial, seed) rather than being a fresh zero. */
  spentKnown: boolean;
  reservedNanos: number;
}

/** A model name no budget lists: asked without a request, only budgets that count every model take part. */
const NO_MODEL = '\u0000';
const NO_TAGS: readonly string[] = [];

export interface LiveBudgetFiguresOptions {
  policy: () => CompiledPolicy;
  now?: () => number;
  /** Registers gauges for the `topN` most used budgets on this registry. */
  registry?: Registry;
  topN?: number;
}

export class LiveBudgetFigures implements BudgetUtilisationView {
  private readonly policy: () => CompiledPolicy;
  private readonly now: () => number;
  private readonly figures = new Map<string, Figure>();
  private readonly topN: number;

  constructor(options: LiveBudgetFiguresOptions) {
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
    this.topN = options.topN ?? 20;
    if (options.registry) this.registerGauges(options.registry);
  }

  reserved(reservation: Reservation): void {
    for (const budget of reservation.budgets) {
      const figure = this.figure(budget.budgetId, budget.windowId, budget.resetsAtMs, budget.limitNanos);
      figure.reservedNanos += reservation.costNanos;
    }
  }

  /** The reservation ended; `spends` are the store's figures after the settlement (empty when released unbilled). */
  finished(reservation: Reservation, spends: readonly BudgetSpend[]): void {
    for (const budget of reservation.budgets) {
      const figure = this.figures.get(budget.budgetId);
      if (figure === undefined || figure.windowId !== budget.windowId) continue;
      figure.reservedNanos = Math.max(0, figure.reservedNanos - reservation.costNanos);
    }
    for (const spend of spends) {
      const figure = this.figures.get(spend.budgetId);
      if (figure === undefined || figure.windowId !== spend.windowId) continue;
      figure.spentNanos = spend.spentAfterNanos;
      figure.spentKnown = true;
    }
  }

  /** A denial tells how full the budget is across the fleet: limit − remaining. */
  denied(denial: Denial, windowId: string): void {
    if (denial.unit !== 'usd') return;
    const limitNanos = Math.round(denial.limit * 1e9);
    const figure = this.figure(denial.id, windowId, denial.resetsAtMs, limitNanos);
    const used = limitNanos - Math.round(denial.remaining * 1e9);
    figure.spentNanos = Math.max(figure.spentNanos, used - figure.reservedNanos);
    figure.spentKnown = true;
  }

  seeded(
    budgetId: string,
    windowId: string,
    resetsAtMs: number,
    limitNanos: number,
    spentNanos: number,
  ): void {
    const figure = this.figure(budgetId, windowId, resetsAtMs, limitNanos);
    figure.spentNanos = Math.max(figure.spentNanos, spentNanos);
    figure.spentKnown = true;
  }

  utilisation(
    identity: Parameters<BudgetUtilisationView['utilisation']>[0],
    agent: string | null,
    request?: Parameters<BudgetUtilisationView['utilisation']>[2],
  ): Readonly<Record<string, number>> {
    const subject = {
      orgId: identity.orgId,
      teamId: identity.teamId,
      userId: identity.ownerId,
      keyId: identity.keyId,
      agent,
      tags: request?.tags ?? NO_TAGS,
    };
    const budgets = applicableBudgets(this.policy().budgets, subject, request?.model ?? NO_MODEL);
    const out: Record<string, number> = {};
    if (budgets.length === 0) return out;
    const now = this.now();
    for (const budget of budgets) {
      const used = this.ratio(this.figures.get(budget.id), budget.limitUsd, now);
      out[budget.scope] = Math.max(out[budget.scope] ?? 0, used);
    }
    return out;
  }

  /** Spent + reserved of `budgetId` as last seen, in nano-USD; null when unknown or the window has passed. */
  usedNanos(budgetId: string): number | null {
    const figure = this.figures.get(budgetId);
    if (figure === undefined || !figure.spentKnown || this.now() >= figure.resetsAtMs) return null;
    return figure.spentNanos + figure.reservedNanos;
  }

  private ratio(figure: Figure | undefined, limitUsd: number, now: number): number {
    if (figure === undefined || now >= figure.resetsAtMs) return 0;
    const used = figure.spentNanos + figure.reservedNanos;
    if (limitUsd <= 0) return used > 0 ? Number.POSITIVE_INFINITY : 0;
    return used / (limitUsd * 1e9);
  }

  /** The figure of the budget's window `windowId`; a newer window replaces an older one. */
  private figure(budgetId: string, windowId: string, resetsAtMs: number, limitNanos: number): Figure {
    let figure = this.figures.get(budgetId);
    if (figure === undefined || (figure.windowId !== windowId && resetsAtMs >= figure.resetsAtMs)) {
      figure = {
        budgetId,
        windowId,
        resetsAtMs,
        limitNanos,
        spentNanos: 0,
        spentKnown: false,
        reservedNanos: 0,
      };
      this.figures.set(budgetId, figure);
    }
    figure.limitNanos = limitNanos;
    // A rolling window's end moves on with every bucket.
    figure.resetsAtMs = Math.max(figure.resetsAtMs, resetsAtMs);
    return figure;
  }

  /** The most used budgets only: per-budget labels must stay bounded however many budgets exist. */
  private top(): Figure[] {
    const now = this.now();
    const live: Figure[] = [];
    for (const [id, figure] of this.figures) {
      if (now >= figure.resetsAtMs) this.figures.delete(id);
      else live.push(figure);
    }
    const used = (f: Figure) => (f.spentNanos + f.reservedNanos) / Math.max(1, f.limitNanos);
    return live.sort((a, b) => used(b) - used(a)).slice(0, this.topN);
  }

  private registerGauges(registry: Registry): void {
    const figures = this;
    new Gauge({
      name: 'acc_extproc_budget_utilisation_ratio',
      help: 'Spent plus reserved over the limit, as this replica last saw it, for its most used budgets',
      labelNames: ['budget_id'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const f of figures.top()) {
          this.set({ budget_id: f.budgetId }, (f.spentNanos + f.reservedNanos) / Math.max(1, f.limitNanos));
        }
      },
    });
    new Gauge({
      name: 'acc_extproc_budget_remaining_usd',
      help: 'Limit minus spent and reserved, as this replica last saw it, for its most used budgets',
      labelNames: ['budget_id'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const f of figures.top()) {
          this.set(
            { budget_id: f.budgetId },
            Math.max(0, f.limitNanos - f.spentNanos - f.reservedNanos) / 1e9,
          );
        }
      },
    });
  }
}
