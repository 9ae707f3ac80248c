#!/usr/bin/env node
// First step of both README commands on a fresh machine: install npm dependencies when missing or stale, compile
// the TypeScript, and install the pinned Envoy. Only Node built-ins here: it runs before anything is installed.
// Idempotent and quiet when everything is already in place.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (command, args, options = {}) =>
  execFileSync(command, args, { cwd: root, stdio: 'inherit', env: process.env, ...options });

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  console.error(`AgentCostControl needs Node.js 20.12 or newer; this is ${process.versions.node}.`);
  process.exit(1);
}

const lockFile = join(root, 'package-lock.json');
const installedLock = join(root, 'node_modules/.package-lock.json');
if (!existsSync(installedLock) || statSync(installedLock).mtimeMs < statSync(lockFile).mtimeMs) {
  // `npm install`, not `npm ci`: the lock pins every version, but the registry lacks some other platforms' optional
  // packages (e.g. biome's Android builds), which npm ci treats as a lock mismatch and refuses.
  console.log('setup: installing npm dependencies (npm install from package-lock.json)…');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

run(join(root, 'node_modules/.bin/tsc'), ['-b', 'extproc', 'envoy', 'control-plane', 'deploy']);
run(process.execPath, [join(root, 'envoy/dist/install-main.js')]);

// `--test` (the `pretest` step): the test suite also needs PostgreSQL and Redis server binaries (Debian packages),
// from which it starts private throwaway instances. See deploy/test-services.mjs.
if (process.argv.includes('--test')) {
  const { ensureServicePackages } = await import('./test-services.mjs');
  try {
    ensureServicePackages();
  } catch (error) {
    console.error(`setup: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
