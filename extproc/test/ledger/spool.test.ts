// The spool on its own: whatever is appended is either delivered by a replay or still on disk, never both and never
// neither, however appends and replays interleave.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerSpool } from '../../src/ledger/spool.js';
import { tempDir } from './support.js';

let spoolDir: ReturnType<typeof tempDir>;

beforeEach(() => {
  spoolDir = tempDir('acc-spool-');
});

afterEach(() => {
  spoolDir.remove();
});

const entry = (i: number) => JSON.stringify({ requestId: `req-${i}` });

function onDisk(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n'))
    .filter(Boolean);
}

describe('LedgerSpool', () => {
  it('loses and duplicates nothing when appends and replays interleave', async () => {
    const spool = new LedgerSpool({ dir: spoolDir.dir });
    await spool.open();
    const delivered: string[] = [];
    let attempt = 0;
    // Every third delivery fails, so replays both delete and rewrite segments while appends go on.
    const deliver = async (entries: string[]) => {
      if (attempt++ % 3 === 0) return entries;
      delivered.push(...entries);
      return [];
    };
    const appended: string[] = [];
    for (let i = 0; i < 200; i++) {
      // A replay starting while an append creates a fresh segment (the previous replay sealed the last one).
      appended.push(entry(i));
      await Promise.all([spool.append([entry(i)]), spool.replay(deliver, 7)]);
    }
    await spool.close();
    const accounted = [...delivered, ...onDisk(spoolDir.dir)];
    expect(accounted.sort()).toEqual([...appended].sort());
  });

  it('hands a stopped instance its own leftovers back on the next open, under a new name', async () => {
    const first = new LedgerSpool({ dir: spoolDir.dir });
    await first.open();
    await first.append([entry(1), entry(2)]);
    await first.close();
    await first.append([entry(3)]);

    const second = new LedgerSpool({ dir: spoolDir.dir });
    await second.open();
    const delivered: string[] = [];
    const result = await second.replay(async (entries) => {
      delivered.push(...entries);
      return [];
    }, 1);
    expect(result).toEqual({ replayed: 3, corrupt: 0, remaining: false });
    expect(delivered.sort()).toEqual([entry(1), entry(2), entry(3)]);
    expect(onDisk(spoolDir.dir)).toEqual([]);
    await second.close();
  });
});
