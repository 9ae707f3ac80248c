// `npm run bench`: what does our extproc cost on top of Envoy alone? Starts a fake upstream, extproc and two
// Envoys (same pinned binary; one without ext_proc, one with it) as separate processes, drives identical requests
// through both from a separate load-generator process, and prints latency, throughput, CPU and memory.
// Usage: tsx bench/run.ts [--json]     (tuning: BENCH_* environment variables, see `--help`)
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderBootstrap } from '../envoy/src/bootstrap.js';
import { ensureEnvoy } from '../envoy/src/install.js';
import { freePort, type RunningEnvoy, startEnvoy } from '../envoy/src/process.js';
import { environment, HELP, loadParams, type Params } from './config.js';
import { phaseShares, readPhaseCounters } from './extproc-phases.js';
import { LoadClient } from './load-client.js';
import {
  cpuSeconds,
  type ExtprocProcess,
  type FakeUpstreamProcess,
  type FloorExtprocProcess,
  forkLoadGenerator,
  killAllNow,
  machineBusySeconds,
  memory,
  startExtprocProcess,
  startFakeUpstreamProcess,
  startFloorExtprocProcess,
  stopAll,
  track,
} from './procs.js';
import {
  type BenchReport,
  formatReport,
  hasErrors,
  PROC_NAMES,
  type ProcName,
  summarize,
  TARGETS,
} from './report.js';
import { requestSpec, SCENARIOS, type ScenarioName, type Setup } from './scenarios.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

/** Setups measured in each mode: the no-op floor only matters for latency, so only the paced probe runs it. */
const SETUPS_BY_MODE = {
  closed: ['alone', 'full'],
  paced: ['alone', 'full', 'floor'],
} as const satisfies Record<string, readonly Setup[]>;

async function startEnvoys(
  p: Params,
  bin: string,
  fake: FakeUpstreamProcess,
  extproc: ExtprocProcess,
  floor: FloorExtprocProcess,
) {
  const envoys = {} as Record<Setup, RunningEnvoy & { dead: boolean }>;
  for (const setup of ['alone', 'full', 'floor'] as const) {
    const bootstrap = renderBootstrap({
      listen: { host: '127.0.0.1', port: await freePort() },
      admin: { host: '127.0.0.1', port: await freePort() },
      extproc:
        setup === 'alone'
          ? null
          : {
              host: '127.0.0.1',
              port: setup === 'full' ? extproc.grpcPort : floor.grpcPort,
              failureModeAllow: false,
              messageTimeoutMs: p.messageTimeoutMs,
              maxMessageTimeoutMs: 10_000,
              pipelinedBodies: p.pipelinedBodies,
            },
      upstreams: { openai: fake.url, anthropic: fake.url },
    });
    if (p.envoyRuntime) {
      bootstrap.layered_runtime = { layers: [{ name: 'bench_overrides', static_layer: p.envoyRuntime }] };
    }
    const envoy = await startEnvoy({ binPath: bin, concurrency: p.envoyConcurrency, bootstrap });
    track(`envoy (${setup})`, envoy.pid, () => envoy.stop(3000));
    envoys[setup] = Object.assign(envoy, { dead: false });
    void envoy.exited.then(() => {
      envoys[setup].dead = true;
    });
  }
  return envoys;
}

/** One real request per scenario and setup before any load: a misconfiguration fails here with its body. */
async function sanityCheck(origins: Record<Setup, string>, scenarios: ScenarioName[]): Promise<void> {
  for (const scenario of scenarios) {
    for (const setup of ['alone', 'full', 'floor'] as const) {
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
  const p = loadParams();
  const started = Date.now();

  const envoyBin = await ensureEnvoy();
  log('starting fake upstream, extproc and two Envoys…');
  const fake = await startFakeUpstreamProcess(ROOT);
  const extprocEntry = process.env.BENCH_EXTPROC_MAIN?.trim() || join(ROOT, 'extproc/dist/main.js');
  const nodeArgs = process.env.BENCH_EXTPROC_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const extproc = await startExtprocProcess(ROOT, extprocEntry, nodeArgs);
  const floor = await startFloorExtprocProcess(ROOT);
  const envoys = await startEnvoys(p, envoyBin, fake, extproc, floor);
  const origins = {
    alone: envoys.alone.listenUrl,
    full: envoys.full.listenUrl,
    floor: envoys.floor.listenUrl,
  };
  await sanityCheck(origins, p.scenarios);
  const loadNode = forkLoadGenerator(ROOT);
  const load = new LoadClient(loadNode);
  await load.ready();

  const pid = (c: { child: { pid?: number } }) => c.child.pid as number;
  const procPids = (setup: Setup): Record<ProcName, number> => ({
    envoy: envoys[setup].pid,
    extproc: setup === 'floor' ? pid(floor) : pid(extproc),
    upstream: pid(fake),
    loadgen: pid(loadNode),
  });
  // Everything this bench runs; whatever else the machine did in a window is someone else's load (noise).
  const ours = [
    envoys.alone.pid,
    envoys.full.pid,
    envoys.floor.pid,
    pid(extproc),
    pid(floor),
    pid(fake),
    pid(loadNode),
    process.pid,
  ];
  const checkAlive = () => {
    const dead = [
      ['extproc', extproc.exitInfo(), extproc.output.get()],
      ['fake upstream', fake.exitInfo(), fake.output.get()],
      ['envoy (alone)', envoys.alone.dead ? 'exited' : null, envoys.alone.logs()],
      ['envoy (full)', envoys.full.dead ? 'exited' : null, envoys.full.logs()],
      ['no-op ext_proc', floor.exitInfo(), floor.output.get()],
      ['envoy (floor)', envoys.floor.dead ? 'exited' : null, envoys.floor.logs()],
    ].find(([, info]) => info !== null);
    if (dead)
      throw new Error(`${dead[0]} died during the benchmark (${dead[1]}):\n${String(dead[2]).slice(-3000)}`);
  };

  // RSS: sampled for a per-scenario peak; the kernel's VmHWM adds the peak over the process's whole life.
  const idleRss = memory(pid(extproc)).rss;
  let scenarioPeak = 0;
  const sampler = setInterval(() => {
    scenarioPeak = Math.max(scenarioPeak, memory(pid(extproc)).rss || 0);
  }, 100);
  sampler.unref();

  const report: BenchReport = {
    ...environment(ROOT, envoyBin),
    params: p,
    runs: [],
    extproc: { idleRssBytes: idleRss, peakRssBytes: 0, hwmBytes: 0, peakRssByScenario: {} },
    durationSeconds: 0,
  };
  const modes = p.probeSeconds > 0 ? (['closed', 'paced'] as const) : (['closed'] as const);
  for (const scenario of p.scenarios) {
    scenarioPeak = 0;
    for (const mode of modes) {
      const seconds = mode === 'closed' ? p.seconds : p.probeSeconds;
      for (let round = 1; round <= p.rounds; round++) {
        // Alternate the order (ABBA) so drift over time (caches, GC of long-lived processes, neighbours) cancels.
        const setups = SETUPS_BY_MODE[mode];
        const order: Setup[] = round % 2 === 1 ? [...setups] : [...setups].reverse();
        for (const setup of order) {
          const what = mode === 'closed' ? `${p.concurrency} clients` : `${p.probeRps} req/s`;
          log(`${scenario} · ${what} · ${setup} · round ${round}/${p.rounds}`);
          const pids = procPids(setup);
          const sample = () => ({
            procs: Object.fromEntries(PROC_NAMES.map((n) => [n, cpuSeconds(pids[n])])) as Record<
              ProcName,
              number
            >,
            ours: ours.reduce((s, id) => s + cpuSeconds(id), 0),
            machine: machineBusySeconds(),
          });
          let before = sample();
          let after = before;
          // The phase counters only move for the full setup; read at the edges of the measured window too.
          let phasesBefore = setup === 'full' ? readPhaseCounters(extproc.metricsPort) : null;
          let phasesAfter = phasesBefore;
          const result = await load.run(
            {
              origin: origins[setup],
              scenario,
              setup,
              mode,
              concurrency: mode === 'closed' ? p.concurrency : 8,
              rate: p.probeRps,
              warmupMs: (mode === 'closed' ? p.warmupSeconds : 1) * 1000,
              durationMs: seconds * 1000,
            },
            (phase) => {
              if (phase === 'measure') {
                before = sample();
                if (setup === 'full') phasesBefore = readPhaseCounters(extproc.metricsPort);
              } else {
                after = sample();
                if (setup === 'full') phasesAfter = readPhaseCounters(extproc.metricsPort);
              }
            },
          );
          checkAlive();
          const requests = Math.max(1, result.rps * seconds);
          const extprocPhases =
            phasesBefore && phasesAfter
              ? phaseShares(await phasesBefore, await phasesAfter, requests)
              : undefined;
          const cpuMsPerRequest = Object.fromEntries(
            PROC_NAMES.map((n) => [n, ((after.procs[n] - before.procs[n]) * 1000) / requests]),
          ) as Record<ProcName, number>;
          const machineCores = (after.machine - before.machine) / seconds;
          const otherCores = (after.machine - before.machine - (after.ours - before.ours)) / seconds;
          report.runs.push({
            scenario,
            setup,
            mode,
            round,
            result,
            cpuMsPerRequest,
            machineCores,
            otherCores,
            extprocPhases,
          });
          if (result.errors > 0)
            log(`!!! ${result.errors} failed requests: ${JSON.stringify(result.errorKinds)}`);
        }
      }
    }
    report.extproc.peakRssByScenario[scenario] = scenarioPeak;
  }
  clearInterval(sampler);
  const mem = memory(pid(extproc));
  report.extproc.peakRssBytes = Math.max(...Object.values(report.extproc.peakRssByScenario), mem.rss);
  report.extproc.hwmBytes = mem.hwm;
  report.durationSeconds = (Date.now() - started) / 1000;

  process.stdout.write(formatReport(report));
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ ...report, targets: TARGETS, summary: summarize(report) })}\n`);
  }
  // Failed requests mean the gateway misbehaved under load: the run is not a valid measurement.
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
    // After Ctrl-C the dying children make the run fail too; that is not news.
    if (exiting) return;
    process.stderr.write(`[bench] FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    void shutdown(2);
  },
);
