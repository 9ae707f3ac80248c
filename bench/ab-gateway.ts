// A/B of two whole gateways (Envoy + extproc each) under the same closed-loop load, in alternating short rounds.
// The full bench compares Envoy alone with one gateway; its ratio moves by several points between runs because this
// machine's speed does. To decide whether a change to the bootstrap or to extproc helps, both variants run side by
// side here and each round's pair is compared, so a slow minute slows both.
//
//   npx tsx bench/ab-gateway.ts --a '{}' --b '{"extproc":{"wholeRequestBodies":false}}' --rounds 6
//   npx tsx bench/ab-gateway.ts --b '{"entry":"extproc/dist-new/main.js"}'
//
// A variant is JSON: `extproc` (ExtProcOptions fields merged over the bench's), `entry` (extproc's main script),
// `nodeArgs` (extra node flags for extproc, e.g. ["--max-semi-space-size=8"]), `env` (extra environment for extproc).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ExtProcOptions, renderBootstrap } from '../envoy/src/bootstrap.js';
import { ensureEnvoy } from '../envoy/src/install.js';
import { freePort, type RunningEnvoy, startEnvoy } from '../envoy/src/process.js';
import { MESSAGE_TIMEOUT_MS } from './config.js';
import { phaseShares, readPhaseCounters } from './extproc-phases.js';
import { LoadClient } from './load-client.js';
import {
  cpuSeconds,
  type ExtprocProcess,
  forkLoadGenerator,
  killAllNow,
  memory,
  resetPeakRss,
  startExtprocProcess,
  startFakeUpstreamProcess,
  stopAll,
  track,
} from './procs.js';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios.js';
import { median } from './stats.js';

const ROOT = join(import.meta.dirname, '..');

interface Variant {
  extproc?: Partial<ExtProcOptions>;
  entry?: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
}

interface Gateway {
  label: 'A' | 'B';
  variant: Variant;
  extproc: ExtprocProcess;
  envoy: RunningEnvoy;
}

interface Round {
  rps: number;
  /** CPU ms per request: Envoy, extproc, everything the bench runs. */
  envoyMs: number;
  extprocMs: number;
  totalMs: number;
  messages: number;
  /** extproc's peak RSS during the round (kernel VmHWM, reset at the round's start), MB. */
  peakRssMb: number;
}

const log = (m: string) => process.stderr.write(`[ab] ${m}\n`);

async function startGateway(
  label: 'A' | 'B',
  variant: Variant,
  bin: string,
  upstream: string,
): Promise<Gateway> {
  const entry = join(ROOT, variant.entry ?? 'extproc/dist/main.js');
  const extproc = await startExtprocProcess(ROOT, entry, variant.nodeArgs ?? [], variant.env);
  const envoy = await startEnvoy({
    binPath: bin,
    concurrency: 1,
    bootstrap: renderBootstrap({
      listen: { host: '127.0.0.1', port: await freePort() },
      admin: { host: '127.0.0.1', port: await freePort() },
      extproc: {
        host: '127.0.0.1',
        port: extproc.grpcPort,
        failureModeAllow: false,
        messageTimeoutMs: MESSAGE_TIMEOUT_MS,
        maxMessageTimeoutMs: 10_000,
        ...variant.extproc,
      },
      upstreams: { openai: upstream, anthropic: upstream },
    }),
  });
  track(`envoy (${label})`, envoy.pid, () => envoy.stop(3000));
  return { label, variant, extproc, envoy };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      a: { type: 'string', default: '{}' },
      b: { type: 'string', default: '{}' },
      scenario: { type: 'string', default: 'openai-chat' },
      rounds: { type: 'string', default: '6' },
      seconds: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '50' },
    },
  });
  const scenario = values.scenario as ScenarioName;
  if (!SCENARIO_NAMES.includes(scenario)) throw new Error(`--scenario: one of ${SCENARIO_NAMES.join(', ')}`);
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);

  const bin = await ensureEnvoy();
  const fake = await startFakeUpstreamProcess(ROOT);
  const gateways = [
    await startGateway('A', JSON.parse(values.a) as Variant, bin, fake.url),
    await startGateway('B', JSON.parse(values.b) as Variant, bin, fake.url),
  ] as const;
  const loadNode = forkLoadGenerator(ROOT);
  const load = new LoadClient(loadNode);
  await load.ready();
  const shared = [fake.child.pid as number, loadNode.child.pid as number];

  const results: Record<'A' | 'B', Round[]> = { A: [], B: [] };
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? gateways : ([gateways[1], gateways[0]] as const);
    for (const gw of order) {
      log(`${scenario} · ${concurrency} clients · ${gw.label} · round ${round}/${rounds}`);
      const pids = [gw.envoy.pid, gw.extproc.child.pid as number, ...shared];
      resetPeakRss(gw.extproc.child.pid as number);
      const cpu = () => pids.map(cpuSeconds);
      let before = cpu();
      let after = before;
      let phasesBefore = readPhaseCounters(gw.extproc.metricsPort);
      let phasesAfter = phasesBefore;
      const result = await load.run(
        {
          origin: gw.envoy.listenUrl,
          scenario,
          setup: 'full',
          mode: 'closed',
          concurrency,
          rate: 0,
          warmupMs: 1000,
          durationMs: seconds * 1000,
        },
        (phase) => {
          if (phase === 'measure') {
            before = cpu();
            phasesBefore = readPhaseCounters(gw.extproc.metricsPort);
          } else {
            after = cpu();
            phasesAfter = readPhaseCounters(gw.extproc.metricsPort);
          }
        },
      );
      if (result.errors > 0)
        throw new Error(`${gw.label}: ${result.errors} failed requests ${JSON.stringify(result.errorKinds)}`);
      const requests = Math.max(1, result.rps * seconds);
      const ms = (i: number) => (((after[i] as number) - (before[i] as number)) * 1000) / requests;
      const phases = phaseShares(await phasesBefore, await phasesAfter, requests);
      results[gw.label].push({
        rps: result.rps,
        envoyMs: ms(0),
        extprocMs: ms(1),
        totalMs: ms(0) + ms(1) + ms(2) + ms(3),
        messages: Object.values(phases).reduce((s, p) => s + p.messages, 0),
        peakRssMb: memory(gw.extproc.child.pid as number).hwm / 1048576,
      });
    }
  }

  const fmt = (n: number, d = 3) => n.toFixed(d);
  const summary = (label: 'A' | 'B') => {
    const r = results[label];
    const m = (f: (x: Round) => number) => median(r.map(f));
    const rounds = r.map((x) => x.rps.toFixed(0)).join(' / ');
    const cpu = `envoy ${fmt(m((x) => x.envoyMs))} · extproc ${fmt(m((x) => x.extprocMs))} · all ${fmt(m((x) => x.totalMs))}`;
    const peak = Math.max(...r.map((x) => x.peakRssMb));
    return [
      `${label}: ${fmt(
        m((x) => x.rps),
        0,
      )} req/s (rounds ${rounds})`,
      `     CPU ms per request ${cpu}; ${fmt(
        m((x) => x.messages),
        2,
      )} ext_proc messages`,
      `     extproc peak RSS per round ${r.map((x) => x.peakRssMb.toFixed(0)).join(' / ')} MB (max ${peak.toFixed(0)})`,
    ].join('\n');
  };
  const pairRatios = results.A.map((a, i) => (results.B[i] as Round).rps / a.rps);
  const cpuRatios = results.A.map((a, i) => (results.B[i] as Round).totalMs / a.totalMs);
  process.stdout.write(
    [
      `A/B, ${scenario}, ${concurrency} clients, ${rounds} rounds of ${seconds} s (ABBA order)`,
      `  A = ${values.a}`,
      `  B = ${values.b}`,
      `  ${summary('A')}`,
      `  ${summary('B')}`,
      `  B/A req/s per round: ${pairRatios.map((x) => fmt(x, 3)).join(' ')} → median ${fmt(median(pairRatios))}`,
      `  B/A CPU per request: ${cpuRatios.map((x) => fmt(x, 3)).join(' ')} → median ${fmt(median(cpuRatios))}`,
      '',
    ].join('\n'),
  );
}

process.on('exit', killAllNow);
main().then(
  () => stopAll().then(() => process.exit(0)),
  (err: unknown) => {
    process.stderr.write(`[ab] FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    void stopAll().then(() => process.exit(2));
  },
);
