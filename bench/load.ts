// Load generator, run as its own process (forked by run.ts with an IPC channel) so that issuing requests and
// timing them never shares an event loop with the gateway, the fake upstream or the orchestrator.
//
// Two modes:
//   closed — N clients, each sends its next request as soon as the previous one finished (measures capacity;
//            at 50 clients this saturates a 2-core machine, so latencies include queueing).
//   paced  — requests are started on a fixed schedule well below capacity (measures the latency a request pays
//            when nothing is queued in front of it).
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { type RequestSpec, requestSpec, SCENARIOS, type ScenarioName, type Setup } from './scenarios.js';
import { type Dist, distribution } from './stats.js';

export interface LoadJob {
  id: number;
  origin: string;
  scenario: ScenarioName;
  setup: Setup;
  mode: 'closed' | 'paced';
  /** closed: number of clients; paced: connection pool size. */
  concurrency: number;
  /** paced only: requests per second. */
  rate: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoadResult {
  ok: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** First few error bodies / messages, for the report. */
  errorSamples: string[];
  /** From the start of the measured window until the last measured request finished. */
  elapsedMs: number;
  rps: number;
  latency: Dist;
  /** Time to first body byte (for non-streaming responses this is close to the total). */
  ttfb: Dist;
  meanResponseBytes: number;
  /** paced only: how late, at worst, the generator started a request versus its schedule. */
  maxScheduleLagMs: number;
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'phase'; id: number; phase: 'measure' | 'end' }
  | { type: 'result'; id: number; result: LoadResult }
  | { type: 'error'; id: number; message: string };

const REQUEST_TIMEOUT_MS = 15_000;

class Recorder {
  latency: number[] = [];
  ttfb: number[] = [];
  bytes = 0;
  errors = 0;
  errorKinds: Record<string, number> = {};
  errorSamples: string[] = [];
  lastEndMs = 0;

  error(kind: string, sample: string): void {
    this.errors++;
    this.errorKinds[kind] = (this.errorKinds[kind] ?? 0) + 1;
    if (this.errorSamples.length < 5) this.errorSamples.push(`${kind}: ${sample.slice(0, 300)}`);
  }
}

async function once(pool: Pool, spec: RequestSpec, terminator: string, rec: Recorder | null): Promise<void> {
  const t0 = performance.now();
  let ttfb = -1;
  let bytes = 0;
  let tail = '';
  let errorBody = '';
  try {
    const res = await pool.request({
      path: spec.path,
      method: 'POST',
      headers: spec.headers,
      body: spec.body,
    });
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (ttfb < 0) ttfb = performance.now() - t0;
      bytes += chunk.length;
      // Only the last bytes matter for the completeness check; keep it cheap for long streams.
      tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 64))).slice(-64);
      if (res.statusCode !== 200 && errorBody.length < 300) errorBody += chunk.toString('utf8');
    }
    const total = performance.now() - t0;
    if (rec === null) return;
    rec.lastEndMs = performance.now();
    if (res.statusCode !== 200) return rec.error(`http_${res.statusCode}`, errorBody);
    if (!tail.includes(terminator)) return rec.error('incomplete_body', JSON.stringify(tail));
    rec.latency.push(total);
    rec.ttfb.push(ttfb);
    rec.bytes += bytes;
  } catch (err) {
    if (rec === null) return;
    rec.lastEndMs = performance.now();
    const e = err as Error & { code?: string };
    rec.error(`exception_${e.code ?? e.name}`, e.message);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function runJob(job: LoadJob, phase: (p: 'measure' | 'end') => void): Promise<LoadResult> {
  const pool = new Pool(job.origin, {
    connections: job.concurrency,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  const spec = requestSpec(job.scenario, job.setup);
  const terminator = SCENARIOS[job.scenario].terminator;
  const rec = new Recorder();
  const start = performance.now();
  const measureAt = start + job.warmupMs;
  const endAt = measureAt + job.durationMs;
  // Announce window boundaries so the orchestrator can read CPU counters at the same moments.
  // The last clients can finish before the end timer fires; each edge is announced exactly once either way.
  const sent = new Set<'measure' | 'end'>();
  const announce = (p: 'measure' | 'end') => {
    if (sent.has(p)) return;
    sent.add(p);
    phase(p);
  };
  const t1 = setTimeout(() => announce('measure'), job.warmupMs);
  const t2 = setTimeout(() => announce('end'), job.warmupMs + job.durationMs);
  let maxLag = 0;
  try {
    if (job.mode === 'closed') {
      const client = async () => {
        while (performance.now() < endAt) {
          const measured = performance.now() >= measureAt;
          await once(pool, spec, terminator, measured ? rec : null);
        }
      };
      await Promise.all(Array.from({ length: job.concurrency }, client));
    } else {
      const interval = 1000 / job.rate;
      const inflight = new Set<Promise<void>>();
      for (let i = 0; ; i++) {
        const due = start + i * interval;
        if (due >= endAt) break;
        // No busy-waiting for sub-millisecond precision: spinning would delay the responses being timed.
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (due >= measureAt) maxLag = Math.max(maxLag, performance.now() - due);
        const p = once(pool, spec, terminator, due >= measureAt ? rec : null);
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
      await Promise.all(inflight);
    }
  } finally {
    clearTimeout(t1);
    clearTimeout(t2);
    announce('measure');
    announce('end');
    await pool.close().catch(() => pool.destroy());
  }
  const elapsedMs = Math.max(rec.lastEndMs - measureAt, job.durationMs);
  const ok = rec.latency.length;
  return {
    ok,
    errors: rec.errors,
    errorKinds: rec.errorKinds,
    errorSamples: rec.errorSamples,
    elapsedMs,
    rps: (ok * 1000) / elapsedMs,
    latency: distribution(rec.latency),
    ttfb: distribution(rec.ttfb),
    meanResponseBytes: ok > 0 ? rec.bytes / ok : 0,
    maxScheduleLagMs: maxLag,
  };
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

if (process.send === undefined) {
  process.stderr.write('bench/load.ts is started by bench/run.ts (it needs an IPC channel)\n');
  process.exit(2);
}
// Never outlive the orchestrator, even if it was SIGKILLed.
process.on('disconnect', () => process.exit(0));
process.on('message', (job: LoadJob) => {
  runJob(job, (phase) => send({ type: 'phase', id: job.id, phase })).then(
    (result) => send({ type: 'result', id: job.id, result }),
    (err: unknown) =>
      send({
        type: 'error',
        id: job.id,
        message: err instanceof Error ? (err.stack ?? err.message) : String(err),
      }),
  );
});
send({ type: 'ready' });
