// Turns the raw runs into medians, differences and target verdicts, as text for people and JSON for machines.
import type { Environment, Params } from './config.js';
import type { PhaseShare } from './extproc-phases.js';
import type { LoadResult } from './load.js';
import { SCENARIOS, type ScenarioName, SETUP_LABELS, type Setup } from './scenarios.js';
import { type Dist, median, medianDist } from './stats.js';

export const PROC_NAMES = ['envoy', 'extproc', 'upstream', 'loadgen'] as const;
export type ProcName = (typeof PROC_NAMES)[number];
export type Mode = 'closed' | 'paced';

export interface RunRecord {
  scenario: ScenarioName;
  setup: Setup;
  mode: Mode;
  round: number;
  result: LoadResult;
  /** CPU time each process spent during the measured window, divided by the requests completed in it. */
  cpuMsPerRequest: Record<ProcName, number>;
  /** Cores the whole machine kept busy during the window (saturation shows as ≈ the CPU count). */
  machineCores: number;
  /** Of those, cores used by processes that are not part of the bench (noise from neighbours). */
  otherCores: number;
  /** Full setup only: ext_proc messages and extproc handler time per request, by phase. */
  extprocPhases?: Record<string, PhaseShare>;
}

export interface BenchReport extends Environment {
  params: Params;
  runs: RunRecord[];
  extproc: {
    idleRssBytes: number;
    peakRssBytes: number;
    hwmBytes: number;
    peakRssByScenario: Record<string, number>;
  };
  durationSeconds: number;
}

export const TARGETS = { addedP50Ms: 1, addedP99Ms: 3, throughputRatio: 0.4, rssBytes: 200 * 1024 * 1024 };

interface Aggregate {
  latency: Dist;
  ttfb: Dist;
  rps: number;
  rpsPerRound: number[];
  ok: number;
  errors: number;
  cpuMsPerRequest: Record<ProcName, number>;
  machineCores: number;
  /** Worst run, not the median: one noisy run is enough to distrust a comparison. */
  maxOtherCores: number;
  /** Medians over runs, per phase (full setup only). */
  extprocPhases: Record<string, PhaseShare>;
}

interface ModeSummary {
  alone: Aggregate;
  full: Aggregate;
  /** Envoy + the no-op ext_proc server (paced probe only). */
  floor: Aggregate | null;
  /** What the ext_proc protocol and a Node gRPC server add with no work behind them. */
  floorAddedP50Ms: number;
  floorAddedP99Ms: number;
  addedP50Ms: number;
  addedP90Ms: number;
  addedP99Ms: number;
  addedTtfbP50Ms: number;
  addedTtfbP99Ms: number;
  throughputRatio: number;
}

export interface ScenarioSummary {
  scenario: ScenarioName;
  closed: ModeSummary;
  paced: ModeSummary | null;
  targets: { addedP50: boolean; addedP99: boolean; throughput: boolean };
}

function aggregate(runs: RunRecord[]): Aggregate {
  return {
    latency: medianDist(runs.map((r) => r.result.latency)),
    ttfb: medianDist(runs.map((r) => r.result.ttfb)),
    rps: median(runs.map((r) => r.result.rps)),
    rpsPerRound: runs.map((r) => r.result.rps),
    ok: runs.reduce((s, r) => s + r.result.ok, 0),
    errors: runs.reduce((s, r) => s + r.result.errors, 0),
    cpuMsPerRequest: Object.fromEntries(
      PROC_NAMES.map((n) => [n, median(runs.map((r) => r.cpuMsPerRequest[n]))]),
    ) as Record<ProcName, number>,
    machineCores: median(runs.map((r) => r.machineCores)),
    maxOtherCores: Math.max(...runs.map((r) => r.otherCores)),
    extprocPhases: medianPhases(runs),
  };
}

function medianPhases(runs: RunRecord[]): Record<string, PhaseShare> {
  const phases = new Set(runs.flatMap((r) => Object.keys(r.extprocPhases ?? {})));
  const out: Record<string, PhaseShare> = {};
  for (const phase of phases) {
    const shares = runs.map((r) => r.extprocPhases?.[phase] ?? { messages: 0, handlerUs: 0 });
    out[phase] = {
      messages: median(shares.map((x) => x.messages)),
      handlerUs: median(shares.map((x) => x.handlerUs)),
    };
  }
  return out;
}

function modeSummary(runs: RunRecord[], scenario: ScenarioName, mode: Mode): ModeSummary | null {
  const pick = (setup: Setup) =>
    runs.filter((r) => r.scenario === scenario && r.mode === mode && r.setup === setup);
  if (pick('alone').length === 0) return null;
  const alone = aggregate(pick('alone'));
  const full = aggregate(pick('full'));
  const floor = pick('floor').length > 0 ? aggregate(pick('floor')) : null;
  return {
    alone,
    full,
    floor,
    floorAddedP50Ms: floor ? floor.latency.p50 - alone.latency.p50 : Number.NaN,
    floorAddedP99Ms: floor ? floor.latency.p99 - alone.latency.p99 : Number.NaN,
    addedP50Ms: full.latency.p50 - alone.latency.p50,
    addedP90Ms: full.latency.p90 - alone.latency.p90,
    addedP99Ms: full.latency.p99 - alone.latency.p99,
    addedTtfbP50Ms: full.ttfb.p50 - alone.ttfb.p50,
    addedTtfbP99Ms: full.ttfb.p99 - alone.ttfb.p99,
    throughputRatio: pairedRatio(pick('alone'), pick('full')),
  };
}

/**
 * Full over alone, round by round (each round measures both back to back), then the median: this machine's speed
 * drifts within minutes, and a ratio of two medians taken at different moments carries that drift.
 */
function pairedRatio(alone: RunRecord[], full: RunRecord[]): number {
  const byRound = new Map(alone.map((r) => [r.round, r.result.rps]));
  const ratios = full.flatMap((r) => {
    const base = byRound.get(r.round);
    return base ? [r.result.rps / base] : [];
  });
  return median(ratios);
}

export function summarize(report: BenchReport): ScenarioSummary[] {
  return report.params.scenarios.map((scenario) => {
    const closed = modeSummary(report.runs, scenario, 'closed') as ModeSummary;
    return {
      scenario,
      closed,
      paced: modeSummary(report.runs, scenario, 'paced'),
      targets: {
        addedP50: closed.addedP50Ms <= TARGETS.addedP50Ms,
        addedP99: closed.addedP99Ms <= TARGETS.addedP99Ms,
        throughput: closed.throughputRatio >= TARGETS.throughputRatio,
      },
    };
  });
}

export const hasErrors = (report: BenchReport): boolean => report.runs.some((r) => r.result.errors > 0);

// ---------------------------------------------------------------------------------------------------------------
// Text

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)} ms` : '-');
const plusMs = (v: number) =>
  Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)} ms` : '-';
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');
const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : '-');
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const row = (cells: string[], widths: number[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[0] as number) : c.padStart(widths[i] as number))).join('');
/** Other processes using more than this many cores during a run make its comparison doubtful. */
const NOISY_CORES = 0.15;

function latencyTable(title: string, s: ModeSummary, stream: boolean, perRound: boolean): string[] {
  const w = [28, 11, 11, 11, 10, ...(stream ? [13, 13] : [])];
  const head = [`  ${title}`, 'p50', 'p90', 'p99', 'req/s', ...(stream ? ['TTFB p50', 'TTFB p99'] : [])];
  const line = (setup: Setup) => {
    const a = s[setup] as Aggregate;
    const cells = [
      `    ${SETUP_LABELS[setup]}`,
      ms(a.latency.p50),
      ms(a.latency.p90),
      ms(a.latency.p99),
      int(a.rps),
    ];
    if (stream) cells.push(ms(a.ttfb.p50), ms(a.ttfb.p99));
    const rounds =
      perRound && a.rpsPerRound.length > 1 ? `   rounds: ${a.rpsPerRound.map(int).join(' / ')} req/s` : '';
    return row(cells, w) + rounds;
  };
  const added = [
    '    added by extproc',
    plusMs(s.addedP50Ms),
    plusMs(s.addedP90Ms),
    plusMs(s.addedP99Ms),
    pct(s.throughputRatio),
  ];
  if (stream) added.push(plusMs(s.addedTtfbP50Ms), plusMs(s.addedTtfbP99Ms));
  const out = [row(head, w), line('alone'), line('full')];
  if (s.floor) out.push(line('floor'));
  out.push(`${row(added, w)}   (req/s: full pipeline / Envoy alone)`);
  if (s.floor) {
    const floorAdded = [
      '    added by no-op ext_proc',
      plusMs(s.floorAddedP50Ms),
      plusMs(s.floor.latency.p90 - s.alone.latency.p90),
      plusMs(s.floorAddedP99Ms),
      pct(s.floor.rps / s.alone.rps),
    ];
    if (stream)
      floorAdded.push(
        plusMs(s.floor.ttfb.p50 - s.alone.ttfb.p50),
        plusMs(s.floor.ttfb.p99 - s.alone.ttfb.p99),
      );
    out.push(`${row(floorAdded, w)}   (the protocol's own cost: nothing but the key swap behind it)`);
  }
  return out;
}

function cpuTable(s: ModeSummary, cpus: number): string[] {
  const w = [28, 9, 9, 10, 9, 9, 16];
  const out = [row(['  CPU ms per request', ...PROC_NAMES, 'total', 'machine busy'], w)];
  for (const setup of ['alone', 'full'] as const) {
    const a = s[setup];
    const c = a.cpuMsPerRequest;
    const total = PROC_NAMES.reduce((sum, n) => sum + c[n], 0);
    const busy = `${a.machineCores.toFixed(2)}/${cpus} cores`;
    out.push(
      row(
        [`    ${SETUP_LABELS[setup]}`, ...PROC_NAMES.map((n) => c[n].toFixed(3)), total.toFixed(3), busy],
        w,
      ),
    );
  }
  const other = Math.max(s.alone.maxOtherCores, s.full.maxOtherCores);
  if (other > NOISY_CORES) {
    out.push(
      `  ⚠ processes outside the bench used up to ${other.toFixed(2)} cores during a run: expect noise`,
    );
  }
  return out;
}

/** Messages and handler time per request by phase: the added latency beyond handler time is transport. */
function phaseLine(label: string, phases: Record<string, PhaseShare>): string[] {
  const entries = Object.entries(phases);
  if (entries.length === 0) return [];
  const parts = entries.map(
    ([phase, x]) => `${phase} ${x.messages.toFixed(2)}× ${x.handlerUs.toFixed(0)} µs`,
  );
  const messages = entries.reduce((s, [, x]) => s + x.messages, 0);
  const handler = entries.reduce((s, [, x]) => s + x.handlerUs, 0);
  return [
    `  extproc per request, ${label}: ${messages.toFixed(2)} ext_proc messages, ${handler.toFixed(0)} µs in handlers`,
    `    (${parts.join(' · ')})`,
  ];
}

function header(report: BenchReport): string[] {
  const p = report.params;
  return [
    '',
    'AgentCostControl gateway benchmark: Envoy alone vs Envoy + extproc',
    `  commit ${report.commit} · Node ${report.node} · Envoy ${report.envoy} · ${report.cpus} CPUs (${report.cpuModel})`,
    `  Envoy --concurrency ${p.envoyConcurrency} (both Envoys, same binary) · extproc fail-closed, message timeout ${p.messageTimeoutMs} ms, log level warn`,
    `  ext_proc bodies: ${p.pipelinedBodies ? 'pipelined (STREAMED, sent without waiting for the headers reply; the default)' : 'request BUFFERED, response STREAMED (BENCH_PIPELINED_BODIES=0)'}`,
    ...(p.envoyRuntime
      ? [`  EXPERIMENT: Envoy runtime overrides on both Envoys: ${JSON.stringify(p.envoyRuntime)}`]
      : []),
    `  fake upstream: ${p.pieces} content pieces per response, no artificial delay · each component is its own process, loopback only`,
    `  closed loop: ${p.concurrency} clients, ${p.warmupSeconds} s warm-up + ${p.seconds} s measured per run`,
    p.probeSeconds > 0
      ? `  paced probe: ${p.probeRps} req/s, 1 s warm-up + ${p.probeSeconds} s measured per run (latency without queueing), also through a no-op ext_proc server`
      : '  paced probe: skipped (BENCH_PROBE_SECONDS=0)',
    `  ${p.rounds} round(s) per setup, order alternating (alone→full, full→alone, …); figures are medians over rounds`,
  ];
}

function targetLines(report: BenchReport, summaries: ScenarioSummary[]): string[] {
  const p = report.params;
  const w = [22, 22, 22, 16];
  const probe =
    p.probeSeconds > 0 ? `   paced ${p.probeRps} req/s: added p50 / p99 (no-op ext_proc: p50 / p99)` : '';
  const out = [
    `── targets at ${p.concurrency} concurrent clients (informative: they do not change the exit code)`,
    row(['  scenario', 'added p50 ≤ 1 ms', 'added p99 ≤ 3 ms', 'req/s ≥ 40%'], w) + probe,
  ];
  for (const s of summaries) {
    const c = s.closed;
    const paced = s.paced
      ? `   ${plusMs(s.paced.addedP50Ms)} / ${plusMs(s.paced.addedP99Ms)}` +
        ` (${plusMs(s.paced.floorAddedP50Ms)} / ${plusMs(s.paced.floorAddedP99Ms)})`
      : '';
    const cells = [
      `  ${s.scenario}`,
      `${plusMs(c.addedP50Ms)} ${verdict(s.targets.addedP50)}`,
      `${plusMs(c.addedP99Ms)} ${verdict(s.targets.addedP99)}`,
      `${pct(c.throughputRatio)} ${verdict(s.targets.throughput)}`,
    ];
    out.push(row(cells, w) + paced);
  }
  out.push(
    `  note: a saturated closed loop has mean latency ≈ clients ÷ req/s (Little's law), so latency added at ${p.concurrency}`,
    '        clients is mostly queueing behind the throughput gap (CPU per request); the paced probe is the per-request cost',
  );
  const x = report.extproc;
  const peak = Math.max(x.peakRssBytes, x.hwmBytes);
  out.push(
    `  extproc RSS ≤ 200 MB: peak ${mb(peak)} ${verdict(peak <= TARGETS.rssBytes)}` +
      `   (sampled peak ${mb(x.peakRssBytes)}, kernel VmHWM ${mb(x.hwmBytes)}, at start ${mb(x.idleRssBytes)})`,
  );
  return out;
}

function errorLines(report: BenchReport): string[] {
  const ok = report.runs.reduce((s, r) => s + r.result.ok, 0);
  const failed = report.runs.filter((r) => r.result.errors > 0);
  const errors = failed.reduce((s, r) => s + r.result.errors, 0);
  const out = [
    `  requests measured: ${int(ok)} OK, ${int(errors)} failed · bench took ${report.durationSeconds.toFixed(0)} s`,
  ];
  if (errors === 0) return out;
  const bar = '!'.repeat(100);
  out.push(
    '',
    bar,
    `!!! ${int(errors)} REQUEST(S) FAILED: a run with failures is not a valid measurement (exit code 1)`,
  );
  for (const r of failed) {
    const where = `${r.scenario} · ${SETUP_LABELS[r.setup]} · ${r.mode} round ${r.round}`;
    out.push(
      `!!!   ${where}: ${JSON.stringify(r.result.errorKinds)} of ${int(r.result.ok + r.result.errors)}`,
    );
  }
  const samples = new Set(failed.flatMap((r) => r.result.errorSamples.map((x) => x.replace(/\s+/g, ' '))));
  for (const sample of [...samples].slice(0, 3)) out.push(`!!!   e.g. ${sample}`);
  out.push(bar);
  return out;
}

export function formatReport(report: BenchReport): string {
  const p = report.params;
  const summaries = summarize(report);
  const out = header(report);
  for (const s of summaries) {
    const info = SCENARIOS[s.scenario];
    out.push('', `── ${s.scenario}: ${info.title}`);
    out.push(...latencyTable(`closed loop, ${p.concurrency} clients`, s.closed, info.stream, true));
    if (s.paced) out.push(...latencyTable(`paced, ${p.probeRps} req/s`, s.paced, info.stream, false));
    out.push(...cpuTable(s.closed, report.cpus));
    out.push(...phaseLine('closed loop', s.closed.full.extprocPhases));
    if (s.paced) out.push(...phaseLine('paced', s.paced.full.extprocPhases));
    out.push(
      `  extproc RSS peak during this scenario: ${mb(report.extproc.peakRssByScenario[s.scenario] ?? Number.NaN)}`,
    );
  }
  out.push('', ...targetLines(report, summaries), ...errorLines(report));
  return `${out.join('\n')}\n`;
}
