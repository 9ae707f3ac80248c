// Runs the alert loop inside a control-plane server: started once the app is ready, stopped (waiting for a pass in
// progress) before it closes, with its metrics on the app's registry.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { AlertService } from './service.js';

export function installAlerts(app: FastifyInstance, registry: Registry): AlertService {
  const service = new AlertService({
    ...app.config.alerts,
    db: app.db,
    redis: app.redis,
    masterKey: app.config.masterKey,
    log: app.log.child({ component: 'alerts' }),
    registry,
  });
  app.addHook('onReady', async () => service.start());
  app.addHook('preClose', async () => service.stop());
  return service;
}
