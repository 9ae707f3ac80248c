// Private, throwaway PostgreSQL and Redis servers for the test suite: real Debian-packaged binaries (installed by
// `node deploy/setup.mjs --test`, i.e. `npm test`'s pretest), started on free 127.0.0.1 ports in fresh temp
// directories, no Docker. Started once per run by test/global-setup.ts; test files get their own database from
// createDatabase().
//
// PostgreSQL's initdb and postgres refuse to run as root; when we are root they run as the `postgres` system user
// (created by the Debian package), which then owns the temp directory.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  accessSync,
  chownSync,
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../../envoy/src/process.js';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PostgresServer {
  /** Superuser connection to the `acc_test` database. */
  url: string;
  /** Superuser connection to the `postgres` maintenance database, for createDatabase(). */
  adminUrl: string;
  stop(): Promise<void>;
}

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'run `node deploy/setup.mjs --test` (or `node deploy/test-services.mjs install`), or install by hand: ' +
  'apt-get install -y --no-install-recommends postgresql redis-server';

const isExecutable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const searchDirs = () => {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of ['/usr/local/bin', '/usr/bin', '/usr/local/sbin', '/usr/sbin'])
    if (!dirs.includes(dir)) dirs.push(dir);
  return dirs;
};

/** Directory holding both `initdb` and `postgres`: PATH first, then the newest /usr/lib/postgresql/<major>/bin. */
export function findPostgresBinDir(): string | undefined {
  const hasServer = (dir: string) => isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'postgres'));
  const fromPath = searchDirs().find(hasServer);
  if (fromPath) return fromPath;
  let majors: string[] = [];
  try {
    majors = readdirSync('/usr/lib/postgresql').filter((name) => /^\d+(\.\d+)?$/.test(name));
  } catch {
    return undefined;
  }
  majors.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return majors.map((major) => `/usr/lib/postgresql/${major}/bin`).find(hasServer);
}

export function findRedisServer(): string | undefined {
  return searchDirs()
    .map((dir) => join(dir, 'redis-server'))
    .find(isExecutable);
}

const tail = (file: string, bytes = 4000) => {
  try {
    const text = readFileSync(file, 'utf8');
    return text.length > bytes ? `…${text.slice(-bytes)}` : text;
  } catch {
    return '(no log)';
  }
};

/** Resolves when the child exits (immediately if it already has). */
const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const done = exited(child);
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    done.then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (!inTime) {
    child.kill('SIGKILL');
    await done;
  }
}

/** Safety net: a server must never outlive the test process, even when teardown is skipped. */
function killOnExit(child: ChildProcess, dir: string): () => void {
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  return () => process.off('exit', onExit);
}

/**
 * A fresh temp dir `<base>/<prefix>XXXXXX` stamped with our pid. Dirs with that prefix left behind by test processes
 * that died without teardown (their servers die with them, see launcher()) are removed first.
 */
function makeRunDir(base: string, prefix: string): string {
  let names: string[] = [];
  try {
    names = readdirSync(base).filter((name) => name.startsWith(prefix));
  } catch {
    // unreadable base: nothing to sweep
  }
  for (const name of names) {
    const dir = join(base, name);
    try {
      const owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
      if (owner > 0 && isAlive(owner)) continue;
    } catch {
      // no owner stamp (yet?): only sweep when clearly old
      try {
        if (Date.now() - statSync(dir).mtimeMs < 10 * 60_000) continue;
      } catch {
        continue;
      }
    }
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // someone else's: leave it
    }
  }
  const dir = mkdtempSync(join(base, prefix));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  return dir;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const findTool = (name: string) =>
  searchDirs()
    .map((dir) => join(dir, name))
    .find(isExecutable);

/**
 * How to launch a server: through util-linux `setpriv` when present, which execs in place (the child we hold and
 * signal is the server itself), optionally drops to another user, and sets a parent-death signal so the server dies
 * with the test process even if that is SIGKILLed. Without setpriv: plain exec, or `runuser` to change user.
 */
function launcher(user?: { name: string; uid: number; gid: number }) {
  const setpriv = findTool('setpriv');
  const runuser = user && !setpriv ? findTool('runuser') : undefined;
  if (user && !setpriv && !runuser) {
    throw new Error(
      `Running as root, but neither setpriv nor runuser is available to run as the ${user.name} user.`,
    );
  }
  return (command: string, args: string[], deathSignal?: NodeJS.Signals): [string, string[]] => {
    if (setpriv) {
      const drop = user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups'] : [];
      const death = deathSignal ? ['--pdeathsig', deathSignal] : [];
      return [setpriv, [...drop, ...death, '--', command, ...args]];
    }
    if (runuser && user) return [runuser, ['-u', user.name, '--', command, ...args]];
    return [command, args];
  };
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL

/** When we are root: the `postgres` system user (created by the Debian package) to run initdb/postgres as. */
function postgresUser(): { name: string; uid: number; gid: number; home: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let entry: string | undefined;
  try {
    entry = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('postgres:'));
  } catch {
    // fall through
  }
  const fields = entry?.split(':');
  const uid = Number(fields?.[2]);
  const gid = Number(fields?.[3]);
  if (!fields || !Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) {
    throw new Error(
      'Running as root, and there is no `postgres` system user to run PostgreSQL as (initdb/postgres refuse to run ' +
        `as root). It is created by the Debian package: ${INSTALL_HINT}`,
    );
  }
  return { name: 'postgres', uid, gid, home: fields[5] || '/var/lib/postgresql' };
}

/** Whether every directory from `dir` up to / lets other users through (the postgres user must reach our dir). */
function traversableByOthers(dir: string): boolean {
  for (let current = dir; ; current = dirname(current)) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (dirname(current) === current) return true;
  }
}

function postgresEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // PGDATA, PGPORT, PGHOST… from the caller's environment must not leak into the private cluster.
    if (!key.startsWith('PG')) env[key] = value;
  }
  return { ...env, LC_ALL: 'C', ...extra };
}

async function waitForPostgres(
  adminUrl: string,
  dataDir: string,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new PostgresExited(
        `postgres exited (${child.signalCode ?? child.exitCode}) during start-up:\n${tail(logFile)}`,
      );
    }
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      // Ours, and not some other server that grabbed the port between freePort() and our bind?
      const { rows } = await client.query<{ dir: string }>("SELECT current_setting('data_directory') AS dir");
      if (rows[0]?.dir === dataDir) return;
      lastError = new Error(`port taken by another PostgreSQL (${rows[0]?.dir})`);
    } catch (error) {
      lastError = error;
    } finally {
      await client.end().catch(() => {});
    }
    await sleep(50);
  }
  throw new Error(
    `postgres did not accept connections within ${timeoutMs} ms (${String(lastError)}):\n${tail(logFile)}`,
  );
}

class PostgresExited extends Error {}

/**
 * Starts a private PostgreSQL cluster (trust auth, Unix socket in its temp dir + 127.0.0.1 on a free port, durability
 * off for speed) and creates the database `acc_test`.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  if (!binDir) throw new Error(`PostgreSQL server binaries (initdb, postgres) not found; ${INSTALL_HINT}`);
  const runAs = postgresUser();
  const launch = launcher(runAs);
  const base = runAs && !traversableByOthers(tmpdir()) ? '/tmp' : tmpdir();
  const dir = makeRunDir(base, 'acc-pg-');
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const env = postgresEnv(runAs && { HOME: runAs.home, USER: runAs.name, LOGNAME: runAs.name });

  let child: ChildProcess | undefined;
  let forgetExitHook = () => {};
  try {
    if (runAs) chownSync(dir, runAs.uid, runAs.gid);
    const [initdb, initdbArgs] = launch(join(binDir, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ]);
    try {
      await execFileAsync(initdb, initdbArgs, { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`initdb failed: ${String(error)}\n${stdout}${stderr}`);
    }

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
      const [postgres, postgresArgs] = launch(
        join(binDir, 'postgres'),
        [
          '-D',
          dataDir,
          '-p',
          String(port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `unix_socket_directories=${dir}`,
          '-c',
          'fsync=off',
          '-c',
          'synchronous_commit=off',
          '-c',
          'full_page_writes=off',
          '-c',
          'max_connections=200',
          '-c',
          'log_min_messages=warning',
        ],
        'SIGQUIT',
      );
      const logFd = openSync(logFile, 'a');
      try {
        child = spawn(postgres, postgresArgs, { cwd: dir, env, stdio: ['ignore', logFd, logFd] });
      } finally {
        closeSync(logFd);
      }
      forgetExitHook = killOnExit(child, dir);
      try {
        await waitForPostgres(adminUrl, dataDir, child, logFile, 30_000);
      } catch (error) {
        const portTaken =
          error instanceof PostgresExited &&
          /could not (bind|create listen)|already in use/i.test(error.message);
        if (portTaken && attempt < 5) {
          forgetExitHook();
          continue;
        }
        throw error;
      }

      const url = `postgres://postgres@127.0.0.1:${port}/acc_test`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query('CREATE DATABASE acc_test');
      } finally {
        await admin.end();
      }

      const running = child;
      const forget = forgetExitHook;
      let stopping: Promise<void> | undefined;
      return {
        url,
        adminUrl,
        stop: () => {
          // SIGQUIT = immediate shutdown: the data is thrown away anyway, and open client connections don't delay it.
          stopping ??= terminate(running, 'SIGQUIT', 5000).finally(() => {
            forget();
            rmSync(dir, { recursive: true, force: true });
          });
          return stopping;
        },
      };
    }
  } catch (error) {
    if (child) await terminate(child, 'SIGQUIT', 5000);
    forgetExitHook();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates a fresh, empty database (dropping any leftover of the same name, e.g. from a watch-mode rerun) on the
 * server behind `adminUrl` and returns its URL. Without a name, a unique one is generated.
 */
export async function createDatabase(
  adminUrl: string,
  name = `acc_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`,
): Promise<string> {
  if (!DATABASE_NAME.test(name))
    throw new Error(`createDatabase: invalid database name ${JSON.stringify(name)}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

// ---------------------------------------------------------------------------------------------------------------
// Redis

/**
 * Over a raw socket (RESP): PING, and CONFIG GET dir to be sure it is *our* server answering on that port (another
 * process may have grabbed the port between freePort() and our bind, in which case ours exits and we retry).
 */
function isOurRedis(port: number, dir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
    socket.once('connect', () =>
      socket.write('*1\r\n$4\r\nPING\r\n*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$3\r\ndir\r\n'),
    );
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (!reply.startsWith('+PONG\r\n'.slice(0, reply.length))) finish(false);
      else if (reply.includes(`\r\n${dir}\r\n`)) finish(true);
    });
  });
}

/** Starts a private redis-server on a free 127.0.0.1 port, no persistence. */
export async function startRedis(): Promise<RedisServer> {
  const redisServer = findRedisServer();
  if (!redisServer) throw new Error(`redis-server not found; ${INSTALL_HINT}`);
  const launch = launcher();
  const dir = makeRunDir(tmpdir(), 'acc-redis-');
  const realDir = realpathSync(dir);
  const logFile = join(dir, 'redis.log');
  let child: ChildProcess | undefined;
  let forgetExitHook = () => {};
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const logFd = openSync(logFile, 'a');
      const [command, args] = launch(
        redisServer,
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
          '--dir',
          dir,
        ],
        'SIGTERM',
      );
      try {
        child = spawn(command, args, { cwd: dir, stdio: ['ignore', logFd, logFd] });
      } finally {
        closeSync(logFd);
      }
      forgetExitHook = killOnExit(child, dir);
      const deadline = Date.now() + 10_000;
      let up = false;
      while (!up && Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
        up = await isOurRedis(port, realDir);
        if (!up) await sleep(20);
      }
      if (!up) {
        const log = tail(logFile);
        const exitedEarly = child.exitCode !== null || child.signalCode !== null;
        await terminate(child, 'SIGKILL', 1000);
        forgetExitHook();
        if (exitedEarly && /address already in use/i.test(log) && attempt < 5) continue;
        throw new Error(`redis-server did not answer PING on port ${port}:\n${log}`);
      }
      const running = child;
      const forget = forgetExitHook;
      let stopping: Promise<void> | undefined;
      return {
        url: `redis://127.0.0.1:${port}`,
        stop: () => {
          stopping ??= terminate(running, 'SIGTERM', 5000).finally(() => {
            forget();
            rmSync(dir, { recursive: true, force: true });
          });
          return stopping;
        },
      };
    }
  } catch (error) {
    if (child) await terminate(child, 'SIGKILL', 1000);
    forgetExitHook();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
