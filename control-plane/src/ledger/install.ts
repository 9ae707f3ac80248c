// The ledger's two ways in: the Redis stream writer (server.ts starts it when Redis is configured) and, for
// deployments without Redis, the internal endpoint extproc posts batches to with the internal token.
import { LEDGER_MAX_BATCH, LEDGER_PATH } from '@acc/extproc/ledger';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { type Static, Type } from 'typebox';
import { requireInternalToken } from '../auth/internal-token.js';
import type { Database } from '../db/database.js';
import { checkLedgerRecord, type LedgerRecord } from './record.js';
import { storeLedgerRecords } from './store.js';
import { LedgerWriter, type LedgerWriterOptions } from './writer.js';

// Records are checked one by one below, so one bad record is refused alone instead of failing the whole batch.
const LedgerBatch = Type.Object({
  records: Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: LEDGER_MAX_BATCH }),
});

const LedgerBatchResult = Type.Object({
  inserted: Type.Integer(),
  rejected: Type.Array(Type.Object({ index: Type.Integer(), message: Type.String() })),
});

export function installLedgerEndpoint(app: FastifyInstance, db: Database): void {
  const token = app.config.internalToken;
  if (token === null) return;
  app.post<{ Body: Static<typeof LedgerBatch> }>(
    LEDGER_PATH,
    {
      // LEDGER_MAX_BATCH records at their longest allowed fields; the app-wide limit is 1 MiB.
      bodyLimit: 16 * 1024 * 1024,
      schema: { hide: true, body: LedgerBatch, response: { 200: LedgerBatchResult } },
      onRequest: requireInternalToken(token),
    },
    async (request) => {
      const records: LedgerRecord[] = [];
      const positions: number[] = [];
      const rejected: Array<{ index: number; message: string }> = [];
      for (const [index, value] of request.body.records.entries()) {
        const checked = checkLedgerRecord(value);
        if ('error' in checked) rejected.push({ index, message: checked.error });
        else {
          records.push(checked.record);
          positions.push(index);
        }
      }
      const stored = await storeLedgerRecords(db, records);
      for (const { index, message } of stored.failed)
        rejected.push({ index: positions[index] as number, message: `database: ${message}` });
      if (rejected.length > 0) request.log.error({ rejected }, 'spend records refused');
      if (stored.eventsDropped > 0)
        request.log.warn(
          { records: stored.eventsDropped },
          'spend records stored without their refused security events',
        );
      return { inserted: stored.inserted, rejected };
    },
  );
}

/** Runs a ledger writer while the app runs: started when it is ready, stopped (batch committed) before it closes. */
export function installLedgerWriter(
  app: FastifyInstance,
  redis: Redis,
  options: Partial<LedgerWriterOptions> = {},
): LedgerWriter {
  const writer = new LedgerWriter({
    redis,
    db: app.db,
    log: app.log.child({ component: 'ledger-writer' }),
    ...options,
  });
  app.addHook('onReady', async () => writer.start());
  app.addHook('preClose', async () => writer.stop());
  return writer;
}
