// extproc over gRPC alone, without Envoy: a client plays Envoy's side of the ext_proc stream (the four messages
// Envoy sends per request, with real upstream bytes) against one or more extproc builds, and prints extproc's CPU
// per request and the client-observed time per request. Much steadier than `npm run bench` on a shared machine,
// so transport and handler changes can be compared A/B: `--entries extproc/dist/main.js,/tmp/other/main.js`.
// Usage: tsx bench/extproc-grpc.ts [--entries a.js,b.js] [--rounds N] [--seconds S] [--concurrency C]
//        [--scenarios a,b] [--streams-per-connection N (default: Envoy's; 0 = one connection throughout)]
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { EXTPROC_STREAMS_PER_CONNECTION } from '../envoy/src/bootstrap.js';
import {
  cpuSeconds,
  type ExtprocProcess,
  killAllNow,
  memory,
  resetPeakRss,
  startExtprocProcess,
  startFakeUpstreamProcess,
  stopAll,
} from './procs.js';
import { requestSpec, SCENARIO_NAMES, type ScenarioName } from './scenarios.js';
import { distribution, median } from './stats.js';

const ROOT = join(import.meta.dirname, '..');

interface Exchange {
  requestHeaders: object;
  requestBody: object;
  responseHeaders: object;
  responseBody: object;
}

const headerMap = (pairs: [string, string][]) => ({
  headers: pairs.map(([key, value]) => ({ key, raw_value: Buffer.from(value, 'utf8') })),
});

/** The four messages Envoy sends for one request of `scenario`, with the upstream's real answer. */
async function exchangeFor(scenario: ScenarioName, upstream: string): Promise<Exchange> {
  const gateway = requestSpec(scenario, 'full');
  const direct = requestSpec(scenario, 'alone');
  const res = await fetch(upstream + direct.path, {
    method: 'POST',
    headers: direct.headers,
    body: direct.body,
  });
  const answer = Buffer.from(await res.arrayBuffer());
  const responsePairs: [string, string][] = [[':status', String(res.status)]];
  res.headers.forEach((value, key) => {
    responsePairs.push([key, value]);
  });
  return {
    requestHeaders: {
      request_headers: {
        headers: headerMap([
          [':method', 'POST'],
          [':path', gateway.path],
          [':authority', '127.0.0.1:10000'],
          [':scheme', 'http'],
          ...Object.entries(gateway.headers),
        ]),
        end_of_stream: false,
      },
    },
    requestBody: { request_body: { body: gateway.body, end_of_stream: true } },
    responseHeaders: { response_headers: { headers: headerMap(responsePairs), end_of_stream: false } },
    responseBody: { response_body: { body: answer, end_of_stream: true } },
  };
}

type Duplex = grpc.ClientDuplexStream<object, object>;
type ProcessClient = grpc.Client & { Process(): Duplex };

/**
 * A client that, like Envoy (envoy/src/bootstrap.ts), moves to a new HTTP/2 connection after `streamsPerConnection`
 * streams (0: never); the old one finishes its streams and is closed.
 */
function clientFor(port: number, streamsPerConnection: number): ProcessClient {
  const definition = protoLoader.loadSync(['envoy/service/ext_proc/v3/external_processor.proto'], {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: [join(ROOT, 'protos')],
  });
  // biome-ignore lint/suspicious/noExplicitAny: the loaded package is untyped here
  const pkg = grpc.loadPackageDefinition(definition) as any;
  const Client = pkg.envoy.service.ext_proc.v3.ExternalProcessor;
  // Without a local subchannel pool, clients to one address share one connection.
  const connect = (): ProcessClient =>
    new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    });
  let current = connect();
  let streams = 0;
  return {
    Process() {
      if (streams === streamsPerConnection) {
        const draining = current;
        setTimeout(() => draining.close(), 5000).unref();
        current = connect();
        streams = 0;
      }
      streams++;
      return current.Process();
    },
    close: () => current.close(),
  } as ProcessClient;
}

/** One request: four messages, each awaiting extproc's reply, like Envoy with BUFFERED bodies. */
function oneRequest(client: ProcessClient, ex: Exchange): Promise<void> {
  return new Promise((resolve, reject) => {
    const call = client.Process();
    const steps = [ex.requestHeaders, ex.requestBody, ex.responseHeaders, ex.responseBody];
    let next = 0;
    call.on('data', (reply: { response?: string }) => {
      if (reply.response === 'immediate_response') {
        call.cancel();
        reject(new Error('extproc answered with an immediate response (the request was refused)'));
        return;
      }
      if (next < steps.length) call.write(steps[next++] as object);
      else {
        call.end();
        resolve();
      }
    });
    call.on('error', (err: grpc.ServiceError) => {
      if (err.code !== grpc.status.CANCELLED) reject(err);
    });
    call.write(steps[next++] as object);
  });
}

interface RunResult {
  requests: number;
  cpuUsPerRequest: number;
  latencyMs: ReturnType<typeof distribution>;
}

async function run(
  client: ProcessClient,
  ex: Exchange,
  extproc: ExtprocProcess,
  concurrency: number,
  seconds: number,
): Promise<RunResult> {
  const pid = extproc.child.pid as number;
  const latencies: number[] = [];
  let measuring = false;
  let stop = false;
  let cpuBefore = 0;
  const worker = async () => {
    while (!stop) {
      const t0 = performance.now();
      await oneRequest(client, ex);
      if (measuring) latencies.push(performance.now() - t0);
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  await new Promise((r) => setTimeout(r, 1000));
  cpuBefore = cpuSeconds(pid);
  measuring = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const cpu = cpuSeconds(pid) - cpuBefore;
  const requests = latencies.length;
  stop = true;
  await Promise.all(workers);
  return {
    requests,
    cpuUsPerRequest: (cpu * 1e6) / Math.max(1, requests),
    latencyMs: distribution(latencies),
  };
}

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const entries = arg('entries', 'extproc/dist/main.js').split(',');
  const rounds = Number(arg('rounds', '3'));
  const seconds = Number(arg('seconds', '4'));
  const concurrency = Number(arg('concurrency', '8'));
  const scenarios = arg('scenarios', SCENARIO_NAMES.join(',')).split(',') as ScenarioName[];
  const streamsPerConnection = Number(arg('streams-per-connection', String(EXTPROC_STREAMS_PER_CONNECTION)));

  const fake = await startFakeUpstreamProcess(ROOT);
  const procs: { entry: string; extproc: ExtprocProcess; client: ProcessClient }[] = [];
  for (const entry of entries) {
    const nodeArgs = process.env.BENCH_EXTPROC_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
    const extproc = await startExtprocProcess(ROOT, resolve(ROOT, entry), nodeArgs);
    procs.push({ entry, extproc, client: clientFor(extproc.grpcPort, streamsPerConnection) });
  }
  console.log(
    `extproc over gRPC without Envoy: ${concurrency} concurrent streams, ${seconds} s per run, ` +
      `${streamsPerConnection || 'all'} streams per connection, ` +
      `${rounds} rounds (entries interleaved); medians over rounds`,
  );
  for (const scenario of scenarios) {
    const ex = await exchangeFor(scenario, fake.url);
    const results = new Map<string, RunResult[]>();
    for (const p of procs) if (p.extproc.child.pid !== undefined) resetPeakRss(p.extproc.child.pid);
    // One unmeasured run each first: JIT warm-up and the verdict caches would otherwise favour whoever runs last.
    for (const p of procs) await run(p.client, ex, p.extproc, concurrency, 1);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? procs : [...procs].reverse();
      for (const p of order) {
        const list = results.get(p.entry) ?? [];
        list.push(await run(p.client, ex, p.extproc, concurrency, seconds));
        results.set(p.entry, list);
      }
    }
    console.log(`\n${scenario}`);
    for (const p of procs) {
      const list = results.get(p.entry) ?? [];
      const cpu = median(list.map((r) => r.cpuUsPerRequest));
      const p50 = median(list.map((r) => r.latencyMs.p50));
      const p99 = median(list.map((r) => r.latencyMs.p99));
      const rps = median(list.map((r) => r.requests / seconds));
      const each = list.map((r) => r.cpuUsPerRequest.toFixed(0)).join('/');
      const pid = p.extproc.child.pid;
      const peakMb = (pid === undefined ? Number.NaN : memory(pid).hwm) / 2 ** 20;
      console.log(
        `  ${p.entry.padEnd(40)} extproc CPU ${cpu.toFixed(0).padStart(4)} µs/request (${each})` +
          `  ${Math.round(rps)} req/s  p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms` +
          `  peak RSS ${peakMb.toFixed(0)} MB`,
      );
    }
  }
  for (const p of procs) {
    p.client.close();
    // With e.g. BENCH_EXTPROC_NODE_ARGS=--trace-gc: the last 16 KB of what extproc printed.
    if (process.env.BENCH_EXTPROC_OUTPUT === '1')
      console.log(`\n${p.entry} output:\n${p.extproc.output.get()}`);
  }
}

main()
  .then(() => stopAll())
  .catch(async (err) => {
    console.error(err instanceof Error ? err.stack : err);
    await stopAll();
    process.exitCode = 2;
  });
process.on('exit', killAllNow);
