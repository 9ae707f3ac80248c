// `npm run bench`: what does our extproc cost on top of Envoy alone? Starts a fake upstream, extproc and two
// Envoys (same pinned binary; one without ext_proc, one with it) as separate processes, drives identical requests
// through both from a separate load-generator process, and prints latency, throughput, CPU and memory.
// Usage: tsx bench/run.ts [--json]     (tuning: BENCH_* environment variables, see `--help`)
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderBootstrap } from '../envoy/src/bootstrap.js';
import { ENVOY_VERSION, ensureEnvoy } from '../envoy/src/install.js';
import { freePort, type RunningEnvoy, startEnvoy } from '../envoy/src/process.js';
import type { ChildMessage, LoadJob, LoadResult } from './load.js';
import {
  cpuSeconds,
  type ExtprocProcess,
  forkLoadGenerator,
  killAllNow,
  memory,
  startExtprocProcess,
  startFakeUpstreamProcess,
  stopAll,
  track,
} from './procs.js';
import {
  type BenchReport,
  formatReport,
  hasErrors,
  type Params,
  PROC_NAMES,
  type ProcName,
  type RunRecord,
  summarize,
  TARGETS,
} from './report.js';
import {
  PIECES,
  requestSpec,
  SCENARIO_NAMES,
  SCENARIOS,
  type ScenarioName,
  type Setup,
} from './scenarios.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MESSAGE_TIMEOUT_MS = 1000;

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer ${min}..${max}, got "${raw}"`);
  return n;
}

function params(): Params {
  const scenarios = (process.env.BENCH_SCENARIOS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean) ?? [...SCENARIO_NAMES]) as ScenarioName[];
  for (const s of scenarios)
    if (!SCENARIO_NAMES.includes(s)) throw new Error(`BENCH_SCENARIOS: unknown scenario "${s}"`);
  return {
    concurrency: envInt('BENCH_CONCURRENCY', 50, 1, 1000),
    seconds: envInt('BENCH_SECONDS', 10, 1, 600),
    warmupSeconds: envInt('BENCH_WARMUP_SECONDS', 2, 0, 60),
    rounds: envInt('BENCH_ROUNDS', 2, 1, 10),
    probeRps: envInt('BENCH_PROBE_RPS', 200, 1, 5000),
    probeSeconds: envInt('BENCH_PROBE_SECONDS', 5, 0, 600),
    envoyConcurrency: envInt('BENCH_ENVOY_CONCURRENCY', 1, 1, 64),
    scenarios,
    messageTimeoutMs: MESSAGE_TIMEOUT_MS,
    pieces: PIECES,
  };
}

const HELP = `usage: tsx bench/run.ts [--json]
  --json                      also print a machine-readable summary (one JSON line) at the end
  BENCH_CONCURRENCY=50        clients in the closed-loop runs
  BENCH_SECONDS=10            measured seconds per closed-loop run (after BENCH_WARMUP_SECONDS=2 of warm-up)
  BENCH_ROUNDS=2              each setup is measured this many times, order alternating; medians are reported
  BENCH_PROBE_RPS=200         paced latency probe rate; BENCH_PROBE_SECONDS=5 per probe run (0 = skip probes)
  BENCH_ENVOY_CONCURRENCY=1   Envoy worker threads (both Envoys)
  BENCH_SCENARIOS=a,b         subset of ${SCENARIO_NAMES.join(', ')}
  BENCH_EXTPROC_NODE_ARGS     extra node flags for extproc, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"`;

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '';
  }
}

function commit(): string {
  const head = sh('git', ['rev-parse', '--short', 'HEAD']) || 'unknown';
  // Untracked files count: code that is not committed is exactly what makes a number unreproducible.
  return sh('git', ['status', '--porcelain']) !== '' ? `${head}-dirty` : head;
}

/** Talks to the forked load generator: one job at a time, phase callbacks at the measured window's edges. */
class LoadClient {
  private nextId = 1;
  private pending: {
    id: number;
    resolve: (r: LoadResult) => void;
    reject: (e: Error) => void;
    onPhase: (p: string) => void;
  } | null = null;

  constructor(private readonly node: ReturnType<typeof forkLoadGenerator>) {
    node.child.on('message', (m: ChildMessage) => {
      const p = this.pending;
      if (m.type === 'ready' || p === null || m.id !== p.id) return;
      if (m.type === 'phase') p.onPhase(m.phase);
      else if (m.type === 'result') p.resolve(m.result);
      else p.reject(new Error(`load generator: ${m.message}`));
    });
    node.child.on('exit', () =>
      this.pending?.reject(new Error(`load generator exited\n${node.output.get()}`)),
    );
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.node.child.once('message', () => resolve());
      this.node.child.once('exit', () =>
        reject(new Error(`load generator failed to start\n${this.node.output.get()}`)),
      );
    });
  }

  async run(job: Omit<LoadJob, 'id'>, onPhase: (p: string) => void): Promise<LoadResult> {
    const id = this.nextId++;
    const limitMs = job.warmupMs + job.durationMs + 60_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<LoadResult>((resolve, reject) => {
        this.pending = { id, resolve, reject, onPhase };
        timer = setTimeout(
          () => reject(new Error(`load job ${id} did not finish within ${limitMs} ms`)),
          limitMs,
        );
        this.node.child.send({ ...job, id });
      });
    } finally {
      clearTimeout(timer);
      this.pending = null;
    }
  }
}

async function sanityCheck(origins: Record<Setup, string>, scenarios: ScenarioName[]): Promise<void> {
  for (const scenario of scenarios) {
    for (const setup of ['alone', 'full'] as const) {
      const spec = requestSpec(scenario, setup);
      const res = await fetch(origins[setup] + spec.path, {
        method: 'POST',
        headers: spec.headers,
        body: spec.body,
      });
      const text = await res.text();
      if (res.status !== 200 || !text.includes(SCENARIOS[scenario].terminator)) {
        throw new Error(
          `sanity check failed: ${scenario} via ${setup}: HTTP ${res.status}\n${text.slice(0, 500)}`,
        );
      }
    }
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--json');
  if (unknown.length > 0) throw new Error(`unknown argument(s): ${unknown.join(' ')}\n${HELP}`);
  const p = params();
  const started = Date.now();
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

  const envoyBin = await ensureEnvoy();
  const envoyVersion = /\/(\d+\.\d+\.\d+)\//.exec(sh(envoyBin, ['--version']))?.[1] ?? `${ENVOY_VERSION}?`;
  log('starting fake upstream, extproc and two Envoys…');
  const fake = await startFakeUpstreamProcess(ROOT);
  const nodeArgs = process.env.BENCH_EXTPROC_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const extproc: ExtprocProcess = await startExtprocProcess(ROOT, nodeArgs);
  const envoys = {} as Record<Setup, RunningEnvoy>;
  const envoyDead: Record<Setup, boolean> = { alone: false, full: false };
  for (const setup of ['alone', 'full'] as const) {
    const envoy = await startEnvoy({
      binPath: envoyBin,
      concurrency: p.envoyConcurrency,
      bootstrap: renderBootstrap({
        listen: { host: '127.0.0.1', port: await freePort() },
        admin: { host: '127.0.0.1', port: await freePort() },
        extproc:
          setup === 'alone'
            ? null
            : {
                host: '127.0.0.1',
                port: extproc.grpcPort,
                failureModeAllow: false,
                messageTimeoutMs: p.messageTimeoutMs,
                maxMessageTimeoutMs: 10_000,
              },
        upstreams: { openai: fake.url, anthropic: fake.url },
      }),
    });
    track(`envoy (${setup})`, envoy.pid, () => envoy.stop(3000));
    void envoy.exited.then(() => {
      envoyDead[setup] = true;
    });
    envoys[setup] = envoy;
  }
  const origins = { alone: envoys.alone.listenUrl, full: envoys.full.listenUrl };
  await sanityCheck(origins, p.scenarios);
  const loadNode = forkLoadGenerator(ROOT);
  const load = new LoadClient(loadNode);
  await load.ready();

  const pids = (setup: Setup): Record<ProcName, number> => ({
    envoy: envoys[setup].pid,
    extproc: extproc.child.pid as number,
    upstream: fake.child.pid as number,
    loadgen: loadNode.child.pid as number,
  });
  const checkAlive = () => {
    const dead = [
      ['extproc', extproc.exitInfo(), extproc.output.get()],
      ['fake upstream', fake.exitInfo(), fake.output.get()],
      ['envoy (alone)', envoyDead.alone ? 'exited' : null, envoys.alone.logs()],
      ['envoy (full)', envoyDead.full ? 'exited' : null, envoys.full.logs()],
    ].find(([, info]) => info !== null);
    if (dead)
      throw new Error(`${dead[0]} died during the benchmark (${dead[1]}):\n${String(dead[2]).slice(-3000)}`);
  };

  // RSS: sampled during the run for a per-scenario peak; VmHWM adds the kernel's peak for the whole process life.
  const extprocPid = extproc.child.pid as number;
  const idleRss = memory(extprocPid).rss;
  let scenarioPeak = 0;
  const sampler = setInterval(() => {
    scenarioPeak = Math.max(scenarioPeak, memory(extprocPid).rss || 0);
  }, 100);
  sampler.unref();

  const runs: RunRecord[] = [];
  const report: BenchReport = {
    commit: commit(),
    node: process.version,
    envoy: envoyVersion,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    params: p,
    runs,
    extproc: { idleRssBytes: idleRss, peakRssBytes: 0, hwmBytes: 0, peakRssByScenario: {} },
    durationSeconds: 0,
  };
  const modes = p.probeSeconds > 0 ? (['closed', 'paced'] as const) : (['closed'] as const);
  for (const scenario of p.scenarios) {
    scenarioPeak = 0;
    for (const mode of modes) {
      for (let round = 1; round <= p.rounds; round++) {
        // Alternate the order (ABBA) so drift over time (caches, thermal, GC of long-lived processes) cancels out.
        const order: Setup[] = round % 2 === 1 ? ['alone', 'full'] : ['full', 'alone'];
        for (const setup of order) {
          log(
            `${scenario} · ${mode === 'closed' ? `${p.concurrency} clients` : `${p.probeRps} req/s`} · ${setup} · round ${round}/${p.rounds}`,
          );
          const procPids = pids(setup);
          let before: Record<string, number> = {};
          let after: Record<string, number> = {};
          const sample = () => Object.fromEntries(PROC_NAMES.map((n) => [n, cpuSeconds(procPids[n])]));
          const result = await load.run(
            {
              origin: origins[setup],
              scenario,
              setup,
              mode,
              concurrency: mode === 'closed' ? p.concurrency : 8,
              rate: p.probeRps,
              warmupMs: (mode === 'closed' ? p.warmupSeconds : 1) * 1000,
              durationMs: (mode === 'closed' ? p.seconds : p.probeSeconds) * 1000,
            },
            (phase) => {
              if (phase === 'measure') before = sample();
              else after = sample();
            },
          );
          checkAlive();
          const measured = result.rps * (mode === 'closed' ? p.seconds : p.probeSeconds) || 1;
          const cpuMsPerRequest = Object.fromEntries(
            PROC_NAMES.map((n) => [
              n,
              (((after[n] ?? Number.NaN) - (before[n] ?? Number.NaN)) * 1000) / measured,
            ]),
          ) as Record<ProcName, number>;
          runs.push({ scenario, setup, mode, round, result, cpuMsPerRequest });
          if (result.errors > 0)
            log(`!!! ${result.errors} failed requests: ${JSON.stringify(result.errorKinds)}`);
        }
      }
    }
    report.extproc.peakRssByScenario[scenario] = scenarioPeak;
  }
  clearInterval(sampler);
  const mem = memory(extprocPid);
  report.extproc.peakRssBytes = Math.max(...Object.values(report.extproc.peakRssByScenario), mem.rss);
  report.extproc.hwmBytes = mem.hwm;
  report.durationSeconds = (Date.now() - started) / 1000;

  process.stdout.write(formatReport(report));
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ ...report, targets: TARGETS, summary: summarize(report) })}\n`);
  }
  return hasErrors(report) ? 1 : 0;
}

// Cleanup on every way out: normal end, error, Ctrl-C / SIGTERM, and (synchronously, SIGKILL) on process exit.
let exiting = false;
async function shutdown(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  await stopAll().catch(() => killAllNow());
  process.exit(code);
}
process.on('exit', killAllNow);
process.on('SIGINT', () => {
  process.stderr.write('\n[bench] interrupted, stopping child processes…\n');
  void shutdown(130);
});
process.on('SIGTERM', () => void shutdown(143));
main().then(
  (code) => shutdown(code),
  (err: unknown) => {
    process.stderr.write(`[bench] FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    void shutdown(2);
  },
);
