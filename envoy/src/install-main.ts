#!/usr/bin/env node
/**
 * CLI: make sure the pinned Envoy is installed.
 *   node envoy/dist/install-main.js               # silent when already installed; progress on stderr otherwise
 *   node envoy/dist/install-main.js --print-path  # also prints the binary path on stdout
 * Honors ENVOY_BIN. Exit code 1 with a message on stderr when installation is impossible.
 */
import { ensureEnvoy } from './install.js';

const printPath = process.argv.includes('--print-path');
try {
  const bin = await ensureEnvoy();
  if (printPath) process.stdout.write(`${bin}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
