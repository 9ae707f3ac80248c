#!/usr/bin/env node
// Command-line entry: configuration from the environment, graceful shutdown on SIGTERM/SIGINT.
import { setFlagsFromString } from 'node:v8';
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
  // V8 sizes the old generation from how fast its last full collection seemed against the allocation rate. On a
  // busy machine one slow-looking collection can let the heap grow to four times the live data (under load about
  // 25 MB live became 100 MB of old space and 200+ MB of RSS in some runs, 140 MB in others). A fixed factor makes
  // the ceiling predictable; `--heap-growing-percent` is not allowed in NODE_OPTIONS, hence here.
  if (config.heapGrowingPercent > 0)
    setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
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
