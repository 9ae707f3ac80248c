// The write-ahead journal on its own: what a dead process leaves becomes exactly its final records plus a provisional
// record per unfinished request; a live process's journal is never touched; settled segments go away.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ledgerEntry } from '../../src/ledger/entry.js';
import { LedgerJournal } from '../../src/ledger/journal.js';
import { instanceAlive } from '../../src/ledger/spool.js';
import { makeRecord, tempDir, until } from './support.js';

const log = pino({ level: 'silent' });
let spoolDir: ReturnType<typeof tempDir>;
const journals: LedgerJournal[] = [];

beforeEach(() => {
  spoolDir = tempDir('acc-journal-');
});

afterEach(() => {
  for (const journal of journals.splice(0)) journal.close();
  spoolDir.remove();
});

function journalOf(instance: string, maxSegmentBytes?: number): LedgerJournal {
  const journal = new LedgerJournal({ dir: spoolDir.dir, instance, log, maxSegmentBytes });
  journals.push(journal);
  return journal;
}

const provisional = (i: number) =>
  makeRecord(i, { status: 0, outcome: 'gateway_crashed', usage: null, costUsd: 0.25, reservedCostUsd: 0.25 });
const walFiles = () => readdirSync(spoolDir.dir).filter((name) => name.endsWith('.wal'));
const isAlive = (owner: string) => instanceAlive(spoolDir.dir, owner, 60_000);
const pidNamespace = readlinkSync('/proc/self/ns/pid');
const heartbeat = (pid: number) => `${pid} ${hostname()} ${pidNamespace}\n`;

describe('LedgerJournal', () => {
  it("recovers a dead process's final records and one provisional record per unfinished request", async () => {
    const dead = journalOf('dead-0001');
    for (const i of [1, 2, 3]) dead.begin(`req-${i}`, ledgerEntry(provisional(i)));
    dead.final('req-1', ledgerEntry(makeRecord(1)));
    dead.settle(dead.final('req-2', ledgerEntry(makeRecord(2))));
    // A record without a provisional one (a request refused before forwarding) is a final record all the same.
    dead.final('req-9', ledgerEntry(makeRecord(9, { status: 401, decision: 'rejected', usage: null })));
    // Killed here: no close. The last line was being written when it died.
    const [file] = walFiles();
    writeFileSync(join(spoolDir.dir, file as string), 'B {"requestId":"req-4","sta', { flag: 'a' });

    const live = journalOf('live-0002');
    live.begin('req-50', ledgerEntry(provisional(50)));
    // Provisional records are written at the end of the event-loop turn.
    await new Promise((resolve) => setImmediate(resolve));
    writeFileSync(join(spoolDir.dir, 'live-0002.alive'), heartbeat(process.pid));

    const recovered = await journalOf('next-0003').recover(isAlive);
    const byId = new Map(
      recovered.entries.map((entry) => [(JSON.parse(entry) as { requestId: string }).requestId, entry]),
    );
    expect([...byId.keys()].sort()).toEqual(['req-1', 'req-2', 'req-3', 'req-9']);
    expect(byId.get('req-1')).toBe(ledgerEntry(makeRecord(1)));
    expect(byId.get('req-9')).toBe(
      ledgerEntry(makeRecord(9, { status: 401, decision: 'rejected', usage: null })),
    );
    const crashed = JSON.parse(byId.get('req-3') as string);
    expect(crashed).toMatchObject({ outcome: 'gateway_crashed', status: 0, usage: null, costUsd: 0.25 });
    expect(crashed.durationMs).toBeGreaterThan(0);
    expect(recovered.crashed).toBe(1);

    // The dead journal was claimed (renamed) and is deleted by discard(); the live one is untouched.
    await journalOf('next-0003').discard(recovered.files);
    expect(walFiles()).toEqual(['live-0002.0.wal']);
    expect(readFileSync(join(spoolDir.dir, 'live-0002.0.wal'), 'utf8')).toContain('"req-50"');
    expect((await journalOf('other-0004').recover(isAlive)).entries).toEqual([]);
  });

  it('takes a fresh heartbeat of a process of this host that no longer exists as dead', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid as number;
    writeFileSync(join(spoolDir.dir, 'gone-0001.alive'), heartbeat(gone));
    writeFileSync(join(spoolDir.dir, 'here-0002.alive'), heartbeat(process.pid));
    writeFileSync(join(spoolDir.dir, 'far-0003.alive'), `${gone} some-other-host ${pidNamespace}\n`);
    writeFileSync(join(spoolDir.dir, 'boxed-0004.alive'), `${gone} ${hostname()} pid:[1]\n`);
    writeFileSync(join(spoolDir.dir, 'older-0005.alive'), `${gone}\n`);
    expect(await isAlive('gone-0001')).toBe(false);
    expect(await isAlive('here-0002')).toBe(true);
    // Pids of another host, another pid namespace (container) or an older heartbeat format mean nothing here:
    // only the heartbeat's age counts.
    expect(await isAlive('far-0003')).toBe(true);
    expect(await isAlive('boxed-0004')).toBe(true);
    expect(await isAlive('older-0005')).toBe(true);
    expect(await isAlive('never-0006')).toBe(false);
  });

  it('deletes a segment once it is sealed and every record in it is delivered, and all of them on close', async () => {
    // Every write opens a new segment; the two provisional records share one write.
    const journal = journalOf('self-0001', 1);
    journal.begin('req-1', ledgerEntry(provisional(1)));
    journal.begin('req-2', ledgerEntry(provisional(2)));
    const first = journal.final('req-1', ledgerEntry(makeRecord(1)));
    expect(first).toEqual([0, 1]);
    expect(walFiles().sort()).toEqual(['self-0001.0.wal', 'self-0001.1.wal']);
    journal.settle(first);
    const second = journal.final('req-2', ledgerEntry(makeRecord(2)));
    expect(second).toEqual([0, 2]);
    // Segment 1 is settled and sealed by the third write; segment 0 still holds req-2's provisional record.
    await until(() => !walFiles().includes('self-0001.1.wal'), 'the settled segment to go');
    expect(walFiles()).toContain('self-0001.0.wal');
    journal.settle(second);
    await until(() => walFiles().join() === 'self-0001.2.wal', 'every settled sealed segment to go');
    journal.close();
    await until(() => walFiles().length === 0, 'the last segment to go on close');
  });

  it('keeps an unsettled segment on close and records a late final record next to its provisional one', async () => {
    const journal = journalOf('stop-0001');
    journal.begin('req-1', ledgerEntry(provisional(1)));
    journal.close();
    journal.final('req-1', ledgerEntry(makeRecord(1)));
    const recovered = await journalOf('next-0002').recover(isAlive);
    expect(recovered.entries).toEqual([ledgerEntry(makeRecord(1))]);
    expect(recovered.crashed).toBe(0);
  });
});
