import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KeyUsageReporter } from '../../src/policy/key-usage.js';

describe('KeyUsageReporter', () => {
  it('sends the latest use per key, skips bootstrap keys, and keeps a failed batch for the next flush', async () => {
    const sent: Record<string, string>[] = [];
    let fail = true;
    const reporter = new KeyUsageReporter(
      async (batch) => {
        if (fail) throw new Error('store down');
        sent.push(batch);
      },
      pino({ level: 'silent' }),
      60_000,
    );
    reporter.note('key-a', Date.UTC(2026, 0, 1, 0, 0, 1));
    reporter.note('key-a', Date.UTC(2026, 0, 1, 0, 0, 2));
    reporter.note('bootstrap-1', Date.UTC(2026, 0, 1));
    reporter.note(null);
    await reporter.flush();
    expect(sent).toHaveLength(0);
    fail = false;
    await reporter.flush();
    expect(sent).toEqual([{ 'key-a': '2026-01-01T00:00:02.000Z' }]);
    await reporter.flush();
    expect(sent).toHaveLength(1);
    await reporter.stop();
  });
});
