// Where the latency extproc adds comes from: how many ext_proc messages a request costs per phase and how long
// extproc's handlers spent on them, read from extproc's own `acc_extproc_phase_seconds` histogram around a run.
// Whatever the added latency is beyond the handler time is transport: Envoy ⇄ gRPC ⇄ Node event loop hops.

export interface PhaseCounters {
  [phase: string]: { count: number; sum: number };
}

export interface PhaseShare {
  /** ext_proc messages of this phase per request. */
  messages: number;
  /** Microseconds extproc's handlers spent on this phase per request. */
  handlerUs: number;
}

const SERIES = /^acc_extproc_phase_seconds_(sum|count)\{phase="([^"]+)"\} (\S+)$/;

export function parsePhaseCounters(exposition: string): PhaseCounters {
  const out: PhaseCounters = {};
  for (const line of exposition.split('\n')) {
    const m = SERIES.exec(line);
    if (!m) continue;
    const [, kind, phase, value] = m as unknown as [string, 'sum' | 'count', string, string];
    const entry = out[phase] ?? { count: 0, sum: 0 };
    entry[kind] = Number(value);
    out[phase] = entry;
  }
  return out;
}

export async function readPhaseCounters(metricsPort: number): Promise<PhaseCounters> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  return parsePhaseCounters(await res.text());
}

/** Per-request messages and handler time per phase between two readings. */
export function phaseShares(
  before: PhaseCounters,
  after: PhaseCounters,
  requests: number,
): Record<string, PhaseShare> {
  const out: Record<string, PhaseShare> = {};
  for (const [phase, a] of Object.entries(after)) {
    const b = before[phase] ?? { count: 0, sum: 0 };
    const messages = (a.count - b.count) / requests;
    if (messages <= 0) continue;
    out[phase] = { messages, handlerUs: ((a.sum - b.sum) * 1e6) / requests };
  }
  return out;
}
