// The forward-time hook that feeds the ledger's write-ahead journal: exactly one provisional record per request
// actually forwarded, costed at what the budget stage reserved, and nothing for requests refused before forwarding.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadExtprocConfig } from '../../src/config.js';
import { ExtprocMetrics } from '../../src/metrics.js';
import type { RequestStage } from '../../src/pipeline/stages.js';
import { type RequestRecord, StreamContext } from '../../src/pipeline/stream-context.js';
import { defaultPolicy } from '../../src/policy/compiled-policy.js';
import { body, handleNow, requestHeaders, responseHeaders } from '../support/ext-proc-messages.js';

const GATEWAY_KEY = 'acc-test-key-0123456789abcdef0123456789';

/** Stands in for the budget stage: reserves a fixed amount before forwarding. */
const reserving: RequestStage = {
  name: 'reserve',
  onRequest(context) {
    context.annotations.reservedCostUsd = 0.0125;
    return null;
  },
};

function makeContext(stages: RequestStage[] = []) {
  const config = loadExtprocConfig({ ACC_BOOTSTRAP_KEY: GATEWAY_KEY, OPENAI_API_KEY: 'sk-provider-openai' });
  const policy = defaultPolicy({
    bootstrapKeys: config.bootstrapKeys,
    providerKeys: config.providerKeys,
    priceOverrides: undefined,
  });
  const provisional: RequestRecord[] = [];
  const records: RequestRecord[] = [];
  const deps = {
    config,
    policy: () => policy,
    metrics: new ExtprocMetrics({ defaultMetrics: false }),
    log: pino({ level: 'silent' }),
    stages,
    onForward: (record: RequestRecord) => provisional.push(record),
  };
  return { context: new StreamContext(deps, (record) => records.push(record)), provisional, records };
}

const headers = (key: string) => ({
  ':method': 'POST',
  ':path': '/v1/chat/completions',
  'content-type': 'application/json',
  authorization: `Bearer ${key}`,
  'x-request-id': 'req-forwarded',
});
const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });

describe('StreamContext forward hook', () => {
  it('hands over one provisional record, gateway_crashed at the reservation, before the request goes upstream', () => {
    const { context, provisional, records } = makeContext([reserving]);
    handleNow(context, requestHeaders(headers(GATEWAY_KEY)));
    expect(provisional).toEqual([]);
    handleNow(context, body('request_body', chat));
    expect(provisional).toHaveLength(1);
    expect(provisional[0]).toMatchObject({
      requestId: 'req-forwarded',
      decision: 'forwarded',
      outcome: 'gateway_crashed',
      status: 0,
      usage: null,
      requestedModel: 'gpt-4o-mini',
      model: 'gpt-4o-mini',
      costUsd: 0.0125,
      reservedCostUsd: 0.0125,
      durationMs: 0,
    });
    expect(records).toEqual([]);

    handleNow(context, responseHeaders({ ':status': '500', 'content-type': 'application/json' }));
    handleNow(context, body('response_body', '{"error":{"message":"boom"}}'));
    // The final record replaces it under the same request id; the hook is not called again.
    expect(provisional).toHaveLength(1);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ requestId: 'req-forwarded', status: 500, decision: 'forwarded' });
  });

  it('without a reservation the provisional cost is unknown (null), never $0', () => {
    const { context, provisional } = makeContext();
    handleNow(context, requestHeaders(headers(GATEWAY_KEY)));
    handleNow(context, body('request_body', chat));
    expect(provisional[0]).toMatchObject({ costUsd: null, reservedCostUsd: null });
  });

  it('is not called for a request refused before forwarding', () => {
    const { context, provisional, records } = makeContext([reserving]);
    handleNow(context, requestHeaders(headers('acc-wrong-key-0123456789abcdef012345678')));
    expect(provisional).toEqual([]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 401, decision: 'rejected' });
  });
});
