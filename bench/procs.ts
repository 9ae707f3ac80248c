// Child processes of the benchmark (fake upstream, extproc, Envoys, load generator) and what /proc says about them.
// Every child is registered here the moment it is spawned, so any exit path (normal, error, Ctrl-C) can stop it.
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../envoy/src/process.js';
import { KEYS } from './scenarios.js';

interface Tracked {
  name: string;
  pid: number;
  /** Graceful stop; resolves when the process is gone. */
  stop: () => Promise<void>;
}

const tracked: Tracked[] = [];

export function track(name: string, pid: number, stop: () => Promise<void>): void {
  tracked.push({ name, pid, stop });
}

/** Reverse start order: clients before the servers they talk to, so nothing logs spurious connection errors. */
export async function stopAll(): Promise<void> {
  for (const t of tracked.splice(0).reverse()) await t.stop().catch(() => killNow(t.pid));
}

/** Last resort from a synchronous 'exit' handler: nothing async can run there. */
export function killAllNow(): void {
  for (const t of tracked.splice(0)) killNow(t.pid);
}

function killNow(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Output of a child kept for error messages (bounded: a chatty child must not grow the orchestrator). */
class Tail {
  private text = '';
  append(d: string): void {
    this.text = (this.text + d).slice(-16_384);
  }
  get(): string {
    return this.text.trim();
  }
}

interface NodeChild {
  child: ChildProcess;
  output: Tail;
  /** Set once the child exited; a bench run checks this to fail loudly instead of measuring a dead process. */
  exitInfo: () => string | null;
}

function superviseNode(name: string, child: ChildProcess, graceMs = 3000): NodeChild {
  const output = new Tail();
  child.stdout?.setEncoding('utf8').on('data', (d: string) => output.append(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => output.append(d));
  let exit: string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = code !== null ? `exit code ${code}` : `signal ${signal}`;
      resolve();
    });
  });
  if (child.pid === undefined) throw new Error(`${name}: could not be spawned`);
  track(name, child.pid, async () => {
    if (exit !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  });
  return { child, output, exitInfo: () => exit };
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null>,
  dead: () => string | null,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = dead();
    if (gone !== null) throw new Error(`${what}: process ended (${gone}) during startup`);
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface FakeUpstreamProcess extends NodeChild {
  url: string;
}

export async function startFakeUpstreamProcess(root: string): Promise<FakeUpstreamProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'extproc/test/support/fake-upstream-main.ts'),
      '--openai-keys',
      KEYS.openaiProvider,
      '--anthropic-keys',
      KEYS.anthropicProvider,
      // Recording exchanges is for tests; a bench would only pay for it in memory.
      '--max-interactions',
      '0',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const node = superviseNode('fake upstream', child);
  const url = await until(
    'fake upstream',
    30_000,
    async () => /^(http:\/\/\S+)$/m.exec(node.output.get())?.[1] ?? null,
    node.exitInfo,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${node.output.get()}`);
  });
  return { ...node, url };
}

export interface ExtprocProcess extends NodeChild {
  grpcPort: number;
  metricsPort: number;
}

export async function startExtprocProcess(
  root: string,
  entry: string,
  nodeArgs: string[],
  extraEnv: Record<string, string> = {},
): Promise<ExtprocProcess> {
  const grpcPort = await freePort();
  const metricsPort = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ACC_EXTPROC_HOST: '127.0.0.1',
      ACC_EXTPROC_PORT: String(grpcPort),
      ACC_METRICS_HOST: '127.0.0.1',
      ACC_METRICS_PORT: String(metricsPort),
      ACC_BOOTSTRAP_KEY: KEYS.gateway,
      OPENAI_API_KEY: KEYS.openaiProvider,
      ANTHROPIC_API_KEY: KEYS.anthropicProvider,
      ACC_LOG_LEVEL: 'warn',
      // Fifty clients repeating one prompt is exactly what the runaway-agent detector blocks. The bench measures the
      // full scan (runaway tracking included) but flags instead of blocking, so every request still reaches upstream.
      ACC_SECURITY_POLICY: JSON.stringify({
        actions: { runaway_agent: { low: 'flag', medium: 'flag', high: 'flag', critical: 'flag' } },
      }),
      ...extraEnv,
    },
  });
  // extproc drains its streams on SIGTERM (and only a clean exit writes a --cpu-prof profile): give it time.
  const node = superviseNode('extproc', child, 10_000);
  await until(
    'extproc',
    30_000,
    async () => ((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok ? true : null),
    node.exitInfo,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${node.output.get()}`);
  });
  return { ...node, grpcPort, metricsPort };
}

export interface FloorExtprocProcess extends NodeChild {
  grpcPort: number;
}

/** The no-op ext_proc server (bench/floor-extproc.ts): the protocol's own cost, for comparison. */
export async function startFloorExtprocProcess(root: string): Promise<FloorExtprocProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/floor-extproc.ts')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const node = superviseNode('no-op ext_proc', child);
  const grpcPort = await until(
    'no-op ext_proc',
    30_000,
    async () => Number(/^listening (\d+)$/m.exec(node.output.get())?.[1]) || null,
    node.exitInfo,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${node.output.get()}`);
  });
  return { ...node, grpcPort };
}

/** The load generator: a forked child so it gets its own event loop (and an IPC channel for jobs). */
export function forkLoadGenerator(root: string): NodeChild {
  const child = fork(join(root, 'bench/load.ts'), [], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  return superviseNode('load generator', child);
}

// ---------------------------------------------------------------------------------------------------------------
// /proc readings (Linux)

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds consumed so far by a process (all its threads), or NaN if unreadable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** VmRSS and VmHWM (the kernel's own peak RSS, which also catches spikes between our samples), in bytes. */
export function memory(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return { rss: Number.NaN, hwm: Number.NaN };
  }
}

/** Resets the kernel's peak RSS (VmHWM) of `pid` to its current RSS, so a later reading is the peak since now. */
export function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Not Linux, or not allowed: the peak then covers the process's whole life, as before.
  }
}

/** CPU seconds the whole machine spent busy (all cores; /proc/stat), to detect load from outside the bench. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS
    );
  } catch {
    return Number.NaN;
  }
}
