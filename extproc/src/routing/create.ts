// Builds the routing stage for a running extproc: its metrics on extproc's registry, the balancing strategy from
// ACC_ROUTING_BALANCE, and the budget utilisation rules read (the budget stage's live figures when budgets run).
import type { Registry } from 'prom-client';
import type { BudgetUtilisationView } from '../budgets/utilisation.js';
import type { ExtprocConfig } from '../config.js';
import type { Logger } from '../log.js';
import { RoutingMetrics } from './metrics.js';
import { RoutingStage } from './stage.js';
import { DeploymentBalancer } from './targets.js';

export interface CreateRoutingStageOptions {
  /** Default: no budgets known, every utilisation reads 0. */
  utilisation?: BudgetUtilisationView;
}

export function createRoutingStage(
  config: ExtprocConfig,
  registry: Registry,
  log: Logger,
  options: CreateRoutingStageOptions = {},
): RoutingStage {
  return new RoutingStage({
    metrics: new RoutingMetrics(registry),
    log,
    balancer: new DeploymentBalancer(config.routingBalance),
    ...(options.utilisation ? { utilisation: options.utilisation } : {}),
  });
}
