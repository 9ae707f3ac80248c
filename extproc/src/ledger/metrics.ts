// Ledger delivery counters on extproc's /metrics. A record is counted once as written (delivered straight away) or
// spooled, then once more as replayed when a spooled record is delivered later.
import { Counter, type Registry } from 'prom-client';

export class LedgerMetrics {
  readonly written: Counter<'target'>;
  readonly spooled: Counter;
  readonly replayed: Counter<'target'>;
  readonly failures: Counter<'target'>;
  readonly dropped: Counter<'reason'>;
  readonly recovered: Counter<'kind'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.written = new Counter({
      name: 'acc_ledger_records_written_total',
      help: 'Spend records delivered to the ledger (redis stream or control plane) without going through the spool',
      labelNames: ['target'] as const,
      registers,
    });
    this.spooled = new Counter({
      name: 'acc_ledger_records_spooled_total',
      help: 'Spend records written to the local spool because the ledger target was unavailable',
      registers,
    });
    this.replayed = new Counter({
      name: 'acc_ledger_records_replayed_total',
      help: 'Spooled spend records delivered later (including spools left by a previous process)',
      labelNames: ['target'] as const,
      registers,
    });
    this.failures = new Counter({
      name: 'acc_ledger_write_failures_total',
      help: 'Failed ledger writes: a batch the target refused or could not take, or a spool write that failed',
      labelNames: ['target'] as const,
      registers,
    });
    this.dropped = new Counter({
      name: 'acc_ledger_records_dropped_total',
      help: 'Spend records lost: refused as invalid by the control plane, unreadable in the spool, or neither deliverable nor spoolable',
      labelNames: ['reason'] as const,
      registers,
    });
    this.recovered = new Counter({
      name: 'acc_ledger_records_recovered_total',
      help: 'Spend records taken from the journal of a process that died: its final records (kind=final) and, for requests it had forwarded but not finished, provisional records (kind=gateway_crashed)',
      labelNames: ['kind'] as const,
      registers,
    });
  }
}
