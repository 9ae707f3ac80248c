// Benchmark parameters (environment variables, bounded so a typo cannot start an hour-long or unbounded run) and
// the facts about the machine and code that a number is meaningless without.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { PIECES, SCENARIO_NAMES, type ScenarioName } from './scenarios.js';

export const MESSAGE_TIMEOUT_MS = 1000;

export interface Params {
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  probeRps: number;
  probeSeconds: number;
  envoyConcurrency: number;
  scenarios: ScenarioName[];
  messageTimeoutMs: number;
  pieces: number;
  /** Extra Envoy runtime keys (both Envoys), for trying a setting before it lands in the bootstrap. */
  envoyRuntime: Record<string, unknown> | null;
  /** Envoys with ext_proc pipeline bodies (the default, as ACC_EXTPROC_PIPELINED_BODIES); BENCH_PIPELINED_BODIES=0: not. */
  pipelinedBodies: boolean;
}

export const HELP = `usage: tsx bench/run.ts [--json]
  --json                      also print a machine-readable summary (one JSON line) at the end
  BENCH_CONCURRENCY=50        clients in the closed-loop runs
  BENCH_SECONDS=5             measured seconds per closed-loop run (after BENCH_WARMUP_SECONDS=2 of warm-up)
  BENCH_ROUNDS=4              each setup is measured this many times, order alternating; medians are reported,
                              the throughput ratio is the median of the rounds' full/alone ratios
  BENCH_PROBE_RPS=200         paced latency probe rate; BENCH_PROBE_SECONDS=3 per probe run (0 = skip probes)
  BENCH_ENVOY_CONCURRENCY=2   Envoy worker threads (all Envoys; 2 = ACC_ENVOY_CONCURRENCY's default, what npm start runs)
  BENCH_SCENARIOS=a,b         subset of ${SCENARIO_NAMES.join(', ')}
  BENCH_PIPELINED_BODIES=0    ext_proc with Envoy buffering request bodies (the default pipelines bodies)
  BENCH_ENVOY_RUNTIME='{"k":v}'  experiment: extra Envoy runtime keys for both Envoys (printed in the report)
  BENCH_EXTPROC_NODE_ARGS     extra node flags for extproc, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  BENCH_EXTPROC_MAIN          extproc entry script (default extproc/dist/main.js, run with node)`;

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer ${min}..${max}, got "${raw}"`);
  }
  return n;
}

function envRuntime(): Record<string, unknown> | null {
  const raw = process.env.BENCH_ENVOY_RUNTIME?.trim();
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new Error(`BENCH_ENVOY_RUNTIME must be a JSON object of runtime keys, got ${raw}`);
}

export function loadParams(): Params {
  const list = process.env.BENCH_SCENARIOS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const scenarios = (list && list.length > 0 ? list : [...SCENARIO_NAMES]) as ScenarioName[];
  for (const s of scenarios) {
    if (!SCENARIO_NAMES.includes(s)) throw new Error(`BENCH_SCENARIOS: unknown scenario "${s}"`);
  }
  return {
    concurrency: envInt('BENCH_CONCURRENCY', 50, 1, 1000),
    seconds: envInt('BENCH_SECONDS', 5, 1, 600),
    warmupSeconds: envInt('BENCH_WARMUP_SECONDS', 2, 0, 60),
    rounds: envInt('BENCH_ROUNDS', 4, 1, 10),
    probeRps: envInt('BENCH_PROBE_RPS', 200, 1, 5000),
    probeSeconds: envInt('BENCH_PROBE_SECONDS', 3, 0, 600),
    envoyConcurrency: envInt('BENCH_ENVOY_CONCURRENCY', 2, 1, 64),
    scenarios,
    messageTimeoutMs: MESSAGE_TIMEOUT_MS,
    pieces: PIECES,
    envoyRuntime: envRuntime(),
    pipelinedBodies: process.env.BENCH_PIPELINED_BODIES !== '0',
  };
}

function sh(cwd: string, cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export interface Environment {
  commit: string;
  node: string;
  envoy: string;
  cpus: number;
  cpuModel: string;
}

export function environment(root: string, envoyBin: string): Environment {
  const head = sh(root, 'git', ['rev-parse', '--short', 'HEAD']) || 'unknown';
  // Untracked files count as dirty: uncommitted code is exactly what makes a number unreproducible.
  const dirty = sh(root, 'git', ['status', '--porcelain']) !== '';
  return {
    commit: dirty ? `${head}-dirty` : head,
    node: process.version,
    envoy: /\/(\d+\.\d+\.\d+)\//.exec(sh(root, envoyBin, ['--version']))?.[1] ?? 'unknown',
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
  };
}
