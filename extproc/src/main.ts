#!/usr/bin/env node
// Command-line entry: configuration from the environment, graceful shutdown on SIGTERM/SIGINT.
import { initErrorReporting } from './error-reporting.js';
import { ConfigError, loadExtprocConfig, startExtproc } from './index.js';
import { createLogger } from './log.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadExtprocConfig>;
  try {
    config = loadExtprocConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`extproc: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const onError = await initErrorReporting();
  const log = createLogger(config.logLevel, { onError });
  if (onError) log.info('reporting errors to Sentry');
  const extproc = await startExtproc(config, { logger: log });

  // One bad request must never take the gateway down: log, count, keep serving.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (error) => log.error({ err: error }, 'uncaught exception'));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining ext_proc streams');
    extproc.stop(10_000).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `extproc: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
