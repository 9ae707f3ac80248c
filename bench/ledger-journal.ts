// Micro-benchmark of the ledger's write-ahead journal (extproc/src/ledger/journal.ts): what it adds per request on
// extproc's event loop. Each request costs, without the journal, one serialisation of its final record (done today
// by the sink anyway); with it, one more serialisation (the provisional record at forward time), two write() calls
// to the page cache and the bookkeeping that deletes settled segments.
//
//   npx tsx bench/ledger-journal.ts [requests] [directory]
//
// The directory defaults to a fresh one under the OS temp dir; pass the real ACC_LEDGER_SPOOL_DIR's filesystem to
// measure that disk. Prints the mean per request (best of 5 runs, after a warm-up run): the serialisation every
// request pays anyway, and what the journal adds with one request in flight per event-loop turn and with ten.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ledgerEntry } from '../extproc/src/ledger/entry.js';
import { type JournalTicket, LedgerJournal } from '../extproc/src/ledger/journal.js';
import type { RequestRecord } from '../extproc/src/pipeline/request-record.js';

const requests = Number(process.argv[2] ?? 100_000);
const parent = process.argv[3] ?? tmpdir();

/** A realistic record: a routed, budgeted, scanned chat completion. */
function record(i: number, final: boolean): RequestRecord {
  return {
    requestId: `5b0e0c84-3c1f-4b8e-9d7e-${String(i).padStart(12, '0')}`,
    startedAt: Date.now(),
    keyId: '0d6f9c2e-7a51-4f0b-8a8e-2b8f3f1c9d10',
    orgId: '6f1c2d4e-1111-4000-8000-000000000001',
    teamId: '6f1c2d4e-2222-4000-8000-000000000002',
    userId: '6f1c2d4e-3333-4000-8000-000000000003',
    agent: 'support-bot',
    tags: ['prod', 'tier:gold'],
    policyVersion: 42,
    provider: 'openai',
    endpoint: 'chat_completions',
    requestedModel: 'gpt-4o',
    model: 'gpt-4o-mini',
    stream: true,
    status: final ? 200 : 0,
    decision: 'forwarded',
    outcome: final ? 'complete' : 'gateway_crashed',
    usage: final
      ? {
          inputTokens: 1234,
          cacheReadTokens: 512,
          cacheWriteTokens: 0,
          outputTokens: 321,
          reasoningTokens: 0,
        }
      : null,
    costUsd: final ? 0.000_512_3 : 0.004_2,
    reservedCostUsd: 0.004_2,
    route: 'cheap-for-support',
    counterfactualCostUsd: final ? 0.008_1 : null,
    securityStatus: 'clean',
    securityFindings: [],
    durationMs: final ? 812.4 : 0,
  };
}

function withoutJournal(count: number): void {
  for (let i = 0; i < count; i++) ledgerEntry(record(i, true));
}

/**
 * Requests in flight together: the provisional records of one event-loop turn share one write. `concurrent` = 1 is
 * the worst case (every request alone in its turn).
 */
function withJournal(count: number, journal: LedgerJournal, concurrent: number): void {
  const held: JournalTicket[] = [];
  for (let i = 0; i < count; i += concurrent) {
    for (let j = i; j < i + concurrent; j++) {
      const provisional = record(j, false);
      journal.begin(provisional.requestId, ledgerEntry(provisional));
    }
    for (let j = i; j < i + concurrent; j++) {
      const final = record(j, true);
      held.push(journal.final(final.requestId, ledgerEntry(final)));
    }
    // The sink settles a batch once it is delivered or spooled: here every 64 requests.
    if (held.length >= 64) for (const ticket of held.splice(0)) journal.settle(ticket);
  }
  for (const ticket of held) journal.settle(ticket);
}

function microsPerRequest(run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1000 / requests;
}

function best(run: () => void): number {
  run();
  return Math.min(...Array.from({ length: 5 }, () => microsPerRequest(run)));
}

const dir = mkdtempSync(join(parent, 'acc-journal-bench-'));
const journal = new LedgerJournal({ dir, instance: 'bench', log: pino({ level: 'silent' }) });
try {
  const baseline = best(() => withoutJournal(requests));
  const alone = best(() => withJournal(requests, journal, 1));
  const tenAtOnce = best(() => withJournal(requests, journal, 10));
  const micros = (value: number) => Number(value.toFixed(2));
  const report = {
    requests,
    dir: parent,
    serialiseFinalOnlyMicros: micros(baseline),
    addedByJournalMicros: {
      oneInFlight: micros(alone - baseline),
      tenInFlight: micros(tenAtOnce - baseline),
    },
  };
  console.log(JSON.stringify(report));
} finally {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
}
