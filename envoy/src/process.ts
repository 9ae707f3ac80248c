/**
 * Running Envoy as a child process: spawn, wait for admin `/ready` = LIVE, stop (SIGTERM then SIGKILL).
 *
 * Several Envoys can run side by side: each gets `--use-dynamic-base-id` (or the `baseId` you pass) and its own
 * temp directory. Ports: pick them with `freePort()`; port 0 also works (the real admin port is read from
 * `--admin-address-path`, the real listener port from admin `/listeners?format=json`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { ensureEnvoy } from './install.js';

export type EnvoyLogLevel = 'trace' | 'debug' | 'info' | 'warning' | 'warn' | 'error' | 'critical' | 'off';

export interface StartEnvoyOptions {
  /** Path to a bootstrap file (.json, or .yaml/.yml). Exactly one of configPath / bootstrap. */
  configPath?: string;
  /** A rendered bootstrap object (see renderBootstrap); written to a private temp file. */
  bootstrap?: Record<string, unknown>;
  /** Envoy binary; default `await ensureEnvoy()`. */
  binPath?: string;
  /** Default 'warn'. */
  logLevel?: EnvoyLogLevel;
  /** Fixed `--base-id`; default `--use-dynamic-base-id`. */
  baseId?: number;
  /** Worker threads (`--concurrency`); default 2. */
  concurrency?: number;
  /** How long to wait for admin `/ready` to answer LIVE; default 20 s. */
  startupTimeoutMs?: number;
  /** How often Envoy flushes the (stdout) access log, `--file-flush-interval-msec`; default 1000. */
  fileFlushIntervalMs?: number;
  /** Extra command-line arguments. */
  extraArgs?: string[];
  /** Forward Envoy's stdout/stderr to this process' stderr as well as capturing them (default false). */
  echo?: boolean;
}

export interface RunningEnvoy {
  readonly pid: number;
  /** e.g. http://127.0.0.1:9901 (Prometheus stats: `${adminUrl}/stats/prometheus`). */
  readonly adminUrl: string;
  /** e.g. http://127.0.0.1:10000 */
  readonly listenUrl: string;
  readonly configPath: string;
  /** Captured stdout (access log when enabled) so far (last 4 MiB). */
  stdout(): string;
  /** Captured stderr (Envoy's own log) so far (last 4 MiB). */
  stderr(): string;
  /** stdout + stderr interleaved in arrival order (last 4 MiB). */
  logs(): string;
  /** Resolves with the exit code / signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5000). Idempotent. Removes temp files. */
  stop(graceMs?: number): Promise<void>;
}

/** The kernel's range for outgoing connections' local ports (Linux; the common default elsewhere). */
function ephemeralRangeStart(): number {
  try {
    const low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'), 10);
    return Number.isFinite(low) && low > 2048 ? low : 32768;
  } catch {
    return 32768;
  }
}
const EPHEMERAL_START = ephemeralRangeStart();

/** Whether `port` can be bound on `host` right now (bound exclusively, then released). */
function canBind(host: string, port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(null));
    srv.listen({ host, port, exclusive: true }, () => {
      const addr = srv.address();
      const bound = addr !== null && typeof addr !== 'string' ? addr.port : null;
      srv.close(() => resolve(bound));
    });
  });
}

/**
 * Returns a TCP port that was free a moment ago. Picked below the ephemeral range: a port from `:0` comes from that
 * range, where any outgoing connection (Envoy to an upstream, a gRPC client) may take it before the listener binds
 * ("Address already in use" in a parallel test run). Falls back to `:0` if no candidate binds.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const low = Math.max(1024, EPHEMERAL_START - 12_000);
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await canBind(host, low + Math.floor(Math.random() * (EPHEMERAL_START - low)));
    if (port !== null) return port;
  }
  const port = await canBind(host, 0);
  if (port === null) throw new Error('freePort: no port could be bound');
  return port;
}

const LOG_CAP = 4 * 1024 * 1024;

class Capture {
  private text = '';
  append(s: string): void {
    this.text += s;
    if (this.text.length > LOG_CAP) this.text = this.text.slice(-LOG_CAP);
  }
  get(): string {
    return this.text;
  }
}

interface HttpResult {
  status: number;
  body: string;
}

function httpGet(url: string, timeoutMs: number): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function formatHost(host: string): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return h.includes(':') ? `[${h}]` : h;
}

interface SocketAddr {
  address?: string;
  port_value?: number;
}

function firstListenerAddress(cfg: Record<string, unknown>): SocketAddr | undefined {
  const listeners = (cfg.static_resources as { listeners?: { address?: { socket_address?: SocketAddr } }[] })
    ?.listeners;
  return listeners?.[0]?.address?.socket_address;
}

async function loadConfig(path: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, 'utf8');
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') {
    const yaml = await import('yaml');
    return yaml.parse(text) as Record<string, unknown>;
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/** Spawns Envoy and resolves once admin `/ready` answers LIVE. */
export async function startEnvoy(opts: StartEnvoyOptions): Promise<RunningEnvoy> {
  if ((opts.configPath === undefined) === (opts.bootstrap === undefined)) {
    throw new Error('startEnvoy: pass exactly one of configPath or bootstrap');
  }
  const bin = opts.binPath ?? (await ensureEnvoy());
  const workDir = await mkdtemp(join(tmpdir(), 'acc-envoy-'));
  let configPath: string;
  let cfg: Record<string, unknown>;
  if (opts.bootstrap !== undefined) {
    cfg = opts.bootstrap;
    configPath = join(workDir, 'envoy.json');
    await writeFile(configPath, JSON.stringify(cfg, null, 2), 'utf8');
  } else {
    configPath = opts.configPath as string;
    cfg = await loadConfig(configPath);
  }
  const adminAddressPath = join(workDir, 'admin-address.txt');
  const concurrency = opts.concurrency ?? 2;
  const extra = opts.extraArgs ?? [];
  // Envoy rejects a repeated flag, so a flag given in extraArgs replaces our default.
  const defaults: [string, string][] = [
    ['--log-level', opts.logLevel ?? 'warn'],
    ['--concurrency', String(concurrency)],
    ['--file-flush-interval-msec', String(opts.fileFlushIntervalMs ?? 1000)],
  ];
  const args = [
    '--config-path',
    configPath,
    '--admin-address-path',
    adminAddressPath,
    ...defaults
      .filter(([flag]) => !extra.includes(flag) && !(flag === '--log-level' && extra.includes('-l')))
      .flat(),
    ...(opts.baseId !== undefined ? ['--base-id', String(opts.baseId)] : ['--use-dynamic-base-id']),
    ...extra,
  ];

  const out = new Capture();
  const err = new Capture();
  const all = new Capture();
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const state: {
    exit: { code: number | null; signal: NodeJS.Signals | null } | null;
    spawnError: Error | null;
  } = {
    exit: null,
    spawnError: null,
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      state.exit = { code, signal };
      resolve(state.exit);
    });
    child.once('error', (e) => {
      state.spawnError = e;
      // 'exit' may never fire when the binary could not be spawned.
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
  });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out.append(d);
    all.append(d);
    if (opts.echo) process.stderr.write(d);
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err.append(d);
    all.append(d);
    if (opts.echo) process.stderr.write(d);
  });

  let stopping: Promise<void> | null = null;
  const stop = (graceMs = 5000): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (
        state.exit === null &&
        child.pid !== undefined &&
        child.exitCode === null &&
        child.signalCode === null
      ) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(t);
      }
      await rm(workDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const fail = async (why: string): Promise<never> => {
    await stop(1000);
    const tail = err.get().trim().split('\n').slice(-40).join('\n');
    throw new Error(`Envoy failed to start: ${why}\n  command: ${bin} ${args.join(' ')}\n  stderr:\n${tail}`);
  };

  // Wait for the admin address file, then for /ready == LIVE.
  const timeoutMs = opts.startupTimeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let adminUrl: string | null = null;
  let lastProbe = 'no answer yet';
  for (;;) {
    if (state.spawnError !== null) return fail(`spawn error: ${state.spawnError.message}`);
    if (state.exit !== null) {
      await sleep(50); // let the stderr pipe drain
      const ei = state.exit;
      return fail(`exited early with ${ei.code !== null ? `code ${ei.code}` : `signal ${ei.signal}`}`);
    }
    if (Date.now() > deadline) return fail(`admin /ready not LIVE within ${timeoutMs} ms (${lastProbe})`);
    if (adminUrl === null) {
      const text = await readFile(adminAddressPath, 'utf8').catch(() => '');
      const m = /^(.*):(\d+)\s*$/.exec(text.trim());
      if (m?.[1] !== undefined && m[2] !== undefined && Number(m[2]) > 0) {
        adminUrl = `http://${formatHost(m[1].replace(/^\[|\]$/g, ''))}:${m[2]}`;
      }
    }
    if (adminUrl !== null) {
      try {
        const r = await httpGet(`${adminUrl}/ready`, 1000);
        lastProbe = `last /ready: ${r.status} ${r.body.trim()}`;
        if (r.status === 200 && r.body.trim() === 'LIVE') break;
      } catch (e) {
        lastProbe = `last /ready: ${(e as Error).message}`;
      }
    }
    await sleep(25);
  }

  // Listener URL: configured address, or the bound one when the port was 0.
  const la = firstListenerAddress(cfg);
  let listenUrl = '';
  if (la?.address !== undefined) {
    let port = la.port_value ?? 0;
    if (port === 0) {
      try {
        const r = await httpGet(`${adminUrl}/listeners?format=json`, 2000);
        const j = JSON.parse(r.body) as {
          listener_statuses?: { local_address?: { socket_address?: SocketAddr } }[];
        };
        port = j.listener_statuses?.[0]?.local_address?.socket_address?.port_value ?? 0;
      } catch {
        port = 0;
      }
    }
    listenUrl = `http://${formatHost(la.address)}:${port}`;
  }

  const pid = child.pid ?? -1;
  const admin = adminUrl as string;
  return {
    pid,
    adminUrl: admin,
    listenUrl,
    configPath,
    stdout: () => out.get(),
    stderr: () => err.get(),
    logs: () => all.get(),
    exited,
    stop,
  };
}
