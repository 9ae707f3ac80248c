// The publisher's scheduling (serialised compiles, coalescing, retry) against a scripted fake database; the real
// PostgreSQL + Redis path is covered in policy-publication.test.ts.
import { describe, expect, it } from 'vitest';
import type { Queryable } from '../src/policy/compile.js';
import { PolicyPublisher, type PublisherDatabase } from '../src/policy/publisher.js';

function fakeDatabase() {
  const state = { version: 0, active: 0, maxActive: 0, compiles: 0, failNext: 0, stored: [] as number[] };
  const tx: Queryable = {
    async query(text: string, values?: unknown[]) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (text.includes('nextval')) {
        if (state.failNext > 0) {
          state.failNext -= 1;
          throw new Error('database unavailable');
        }
        state.compiles += 1;
        state.version += 1;
        return { rows: [{ version: String(state.version) }], rowCount: 1 } as never;
      }
      if (text.startsWith('INSERT INTO policy_versions')) state.stored.push(values?.[0] as number);
      return { rows: [], rowCount: 0 };
    },
  };
  const db: PublisherDatabase = {
    async withAdmin(fn) {
      state.active += 1;
      state.maxActive = Math.max(state.maxActive, state.active);
      try {
        return await fn(tx);
      } finally {
        state.active -= 1;
      }
    },
  };
  return { db, state };
}

const quiet = { info: () => {}, error: () => {} };

describe('PolicyPublisher scheduling', () => {
  it('coalesces a burst of changes and never compiles twice at once', async () => {
    const { db, state } = fakeDatabase();
    const publisher = new PolicyPublisher({ db, log: quiet, debounceMs: 10 });
    for (let i = 0; i < 20; i += 1) publisher.changed('org');
    await publisher.idle();
    expect(state.compiles).toBe(1);
    publisher.changed('org');
    const forced = publisher.publishNow();
    publisher.changed('org');
    await forced;
    await publisher.idle();
    expect(state.maxActive).toBe(1);
    expect(state.compiles).toBeLessThanOrEqual(3);
    expect(publisher.current()?.version).toBe(state.version);
    await publisher.close();
  });

  it('retries a failed publication, counts the failure, and still publishes the change', async () => {
    const { db, state } = fakeDatabase();
    const errors: string[] = [];
    const publisher = new PolicyPublisher({
      db,
      log: { info: () => {}, error: (_obj, msg) => errors.push(msg) },
      debounceMs: 0,
      retryInitialMs: 5,
    });
    state.failNext = 2;
    publisher.changed('org');
    await publisher.idle();
    expect(errors).toHaveLength(2);
    expect(publisher.current()?.version).toBe(1);
    const metrics = await publisher.registry.getSingleMetricAsString('acc_cp_policy_publish_errors_total');
    expect(metrics).toContain('acc_cp_policy_publish_errors_total{stage="compile"} 2');
    expect(await publisher.registry.getSingleMetricAsString('acc_cp_policy_version')).toContain(
      'acc_cp_policy_version 1',
    );
    await publisher.close();
  });

  it('publishNow reports a failure to its caller', async () => {
    const { db, state } = fakeDatabase();
    const publisher = new PolicyPublisher({ db, log: quiet });
    state.failNext = 1;
    await expect(publisher.publishNow()).rejects.toThrow('database unavailable');
    await expect(publisher.publishNow()).resolves.toMatchObject({ version: 1 });
    await publisher.close();
  });

  it('hands a newer snapshot to a waiting long-poll as soon as it is published', async () => {
    const { db } = fakeDatabase();
    const publisher = new PolicyPublisher({ db, log: quiet, debounceMs: 0 });
    await publisher.publishNow();
    const waiting = publisher.waitForNewer(1, 5_000);
    publisher.changed('org');
    expect((await waiting)?.version).toBe(2);
    expect(await publisher.waitForNewer(2, 20)).toBeNull();
    expect((await publisher.waitForNewer(0, 20))?.version).toBe(2);
    await publisher.close();
  });
});
