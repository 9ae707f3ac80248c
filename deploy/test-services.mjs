#!/usr/bin/env node
// Makes sure the PostgreSQL and Redis *server binaries* the test suite needs are installed (Debian packages
// `postgresql` and `redis-server`). The tests start private, throwaway instances of both themselves
// (control-plane/test/support/services.ts); the system services are never started here.
//
//   node deploy/test-services.mjs install   # install what is missing (apt-get; as root or via `sudo -n`)
//   node deploy/test-services.mjs check     # only report what is found; exit 1 when something is missing
//
// Used by `node deploy/setup.mjs --test` (the `pretest` step). Only Node built-ins here: it runs before anything
// else is installed.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = { postgres: 'postgresql', redis: 'redis-server' };
const INSTALL_HINT = 'apt-get install -y --no-install-recommends';

const isExecutable = (file) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const pathDirs = () => {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  // Non-root PATHs often lack the sbin directories; the Debian packages install into /usr/bin and /usr/lib anyway.
  for (const dir of ['/usr/local/bin', '/usr/bin', '/usr/local/sbin', '/usr/sbin'])
    if (!dirs.includes(dir)) dirs.push(dir);
  return dirs;
};

const whichIn = (dirs, name) => {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
};

/** PostgreSQL server binary directory (holding both `initdb` and `postgres`), or undefined. PATH first, then the
 * newest `/usr/lib/postgresql/<major>/bin` (Debian keeps the server binaries out of PATH). */
export function findPostgresBinDir() {
  for (const dir of pathDirs()) {
    if (isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres'))) return dir;
  }
  let majors = [];
  try {
    majors = readdirSync('/usr/lib/postgresql').filter((name) => /^\d+(\.\d+)?$/.test(name));
  } catch {
    // no /usr/lib/postgresql
  }
  majors.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  for (const major of majors) {
    const dir = `/usr/lib/postgresql/${major}/bin`;
    if (isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres'))) return dir;
  }
  return undefined;
}

/** Absolute path of `redis-server`, or undefined. */
export function findRedisServer() {
  return whichIn(pathDirs(), 'redis-server');
}

/** What is installed right now. */
export function findServiceBinaries() {
  return { postgresBinDir: findPostgresBinDir(), redisServer: findRedisServer() };
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

const fail = (why, packages) => {
  throw new Error(
    `${why}\nThe test suite needs the PostgreSQL and Redis servers. Install them by hand, then re-run:\n` +
      `  sudo ${INSTALL_HINT} ${packages.join(' ')}\n` +
      '(the tests start their own private instances; the system services do not need to run)',
  );
};

// invoke-rc.d / deb-systemd-invoke consult /usr/sbin/policy-rc.d before starting a service from a package's
// maintainer scripts; exit status 101 means "not allowed". We only add one when there is none, and remove only ours.
const POLICY_RC_D = '/usr/sbin/policy-rc.d';
const POLICY_MARK = '# agentcostcontrol: temporary, blocks service starts during apt-get install';
const POLICY_BODY = `#!/bin/sh\n${POLICY_MARK}\nexit 101\n`;

/**
 * Installs the Debian packages `postgresql` and/or `redis-server` when their server binaries are missing.
 * Synchronous; quiet when nothing is missing. Throws with instructions when it cannot install.
 * @returns {{ postgresBinDir: string, redisServer: string }}
 */
export function ensureServicePackages({ log = (line) => console.log(line) } = {}) {
  const found = findServiceBinaries();
  const missing = [];
  if (!found.postgresBinDir) missing.push(PACKAGES.postgres);
  if (!found.redisServer) missing.push(PACKAGES.redis);
  if (missing.length === 0) return found;

  if (process.platform !== 'linux' || !whichIn(pathDirs(), 'apt-get')) {
    fail(`Missing: ${missing.join(', ')}, and there is no apt-get here to install them with.`, missing);
  }
  let prefix = [];
  if (!isRoot()) {
    const sudo = whichIn(pathDirs(), 'sudo');
    const probe = sudo ? spawnSync(sudo, ['-n', 'true'], { stdio: 'ignore' }) : undefined;
    if (!sudo || probe?.status !== 0) {
      fail(
        `Missing: ${missing.join(', ')}; not running as root and \`sudo -n\` is not available to install them.`,
        missing,
      );
    }
    prefix = [sudo, '-n'];
  }
  const asRoot = (command, args, options = {}) => {
    const [cmd, ...rest] = [...prefix, command, ...args];
    return spawnSync(cmd, rest, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      ...options,
    });
  };
  const runAsRoot = (command, args) => {
    const result = asRoot(command, args);
    if (result.error) fail(`Could not run ${command}: ${result.error.message}`, missing);
    if (result.status !== 0) {
      fail(`\`${command} ${args.join(' ')}\` failed (${result.signal ?? `exit ${result.status}`}).`, missing);
    }
  };

  // Block service starts from the packages' maintainer scripts (they would start system-wide servers on the
  // default ports). Ctrl-C is held off while our policy file is in place, so it is always removed again.
  let addedPolicy = false;
  let interrupted;
  const onSignal = (signal) => {
    interrupted = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (!existsSync(POLICY_RC_D)) {
      if (prefix.length === 0) writeFileSync(POLICY_RC_D, POLICY_BODY, { mode: 0o755 });
      else
        runAsRoot('sh', ['-c', `printf '%s' '${POLICY_BODY}' > ${POLICY_RC_D} && chmod 755 ${POLICY_RC_D}`]);
      addedPolicy = true;
    }
    log(`setup: installing ${missing.join(' ')} (Debian packages; the tests run private instances)…`);
    const lockWait = ['-o', 'DPkg::Lock::Timeout=300'];
    runAsRoot('apt-get', ['-q', ...lockWait, 'update']);
    runAsRoot('apt-get', ['-q', ...lockWait, 'install', '-y', '--no-install-recommends', ...missing]);
  } finally {
    if (addedPolicy) {
      let ours = false;
      try {
        ours = readFileSync(POLICY_RC_D, 'utf8').includes(POLICY_MARK);
      } catch {
        // gone already
      }
      if (ours) {
        if (prefix.length === 0) rmSync(POLICY_RC_D, { force: true });
        else asRoot('rm', ['-f', POLICY_RC_D]);
      }
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (interrupted) process.kill(process.pid, interrupted);

  const after = findServiceBinaries();
  if (!after.postgresBinDir || !after.redisServer) {
    fail(
      'apt-get finished but the server binaries (initdb/postgres, redis-server) are still not found.',
      missing,
    );
  }
  return after;
}

const isMain = (() => {
  try {
    return (
      process.argv[1] !== undefined &&
      realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
})();

if (isMain) {
  const command = process.argv[2] ?? 'install';
  try {
    if (command === 'install') {
      const { postgresBinDir, redisServer } = ensureServicePackages();
      console.log(`PostgreSQL: ${postgresBinDir}\nRedis: ${redisServer}`);
    } else if (command === 'check') {
      const { postgresBinDir, redisServer } = findServiceBinaries();
      console.log(`PostgreSQL: ${postgresBinDir ?? 'missing'}\nRedis: ${redisServer ?? 'missing'}`);
      if (!postgresBinDir || !redisServer) process.exitCode = 1;
    } else {
      console.error('usage: node deploy/test-services.mjs [install|check]');
      process.exitCode = 2;
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
