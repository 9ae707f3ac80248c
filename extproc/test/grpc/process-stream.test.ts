// The stream lifecycle around a StreamContext: replies in order, one record per stream, and nothing of the request
// left reachable from grpc-js's call object once the stream is over (see detach() in server.ts for why).
import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadExtprocConfig } from '../../src/config.js';
import type { ProcessingResponse } from '../../src/grpc/envoy-messages.js';
import type { ProcessingRequest__Output } from '../../src/grpc/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import { serveProcessStream } from '../../src/grpc/server.js';
import { ExtprocMetrics } from '../../src/metrics.js';
import type { RequestRecord } from '../../src/pipeline/stream-context.js';
import { defaultPolicy } from '../../src/policy/compiled-policy.js';
import { body, requestHeaders, responseHeaders } from '../support/ext-proc-messages.js';

const GATEWAY_KEY = 'acc-test-key-0123456789abcdef0123456789';
const STREAM_EVENTS = ['data', 'end', 'cancelled', 'error', 'close'] as const;

/** What serveProcessStream uses of grpc-js's ServerDuplexStream: events in, write/end out. */
class FakeCall extends EventEmitter {
  readonly replies: ProcessingResponse[] = [];
  ended = false;
  write(reply: ProcessingResponse): boolean {
    this.replies.push(reply);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  listenersLeft(): number {
    return STREAM_EVENTS.reduce((sum, event) => sum + this.listenerCount(event), 0);
  }
}

function serve() {
  const config = loadExtprocConfig({ ACC_BOOTSTRAP_KEY: GATEWAY_KEY, OPENAI_API_KEY: 'sk-provider-openai' });
  const metrics = new ExtprocMetrics({ defaultMetrics: false });
  const policy = defaultPolicy({
    bootstrapKeys: config.bootstrapKeys,
    providerKeys: config.providerKeys,
    priceOverrides: undefined,
  });
  const deps = { config, policy: () => policy, metrics, log: pino({ level: 'silent' }) };
  const records: RequestRecord[] = [];
  const call = new FakeCall();
  const timers = Object.fromEntries(
    ['request_headers', 'request_body', 'response_headers', 'response_body'].map((phase) => [
      phase,
      metrics.phaseSeconds.labels({ phase }),
    ]),
  );
  serveProcessStream(
    call as unknown as grpc.ServerDuplexStream<ProcessingRequest__Output, ProcessingResponse>,
    deps,
    timers,
    (record) => records.push(record),
  );
  return { call, records };
}

const chatHeaders = {
  ':method': 'POST',
  ':path': '/v1/chat/completions',
  'content-type': 'application/json',
  authorization: `Bearer ${GATEWAY_KEY}`,
  'x-request-id': 'req-stream-1',
};
const chatBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const answer = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
});

describe('serveProcessStream', () => {
  it('answers each phase in order, records the request once and lets go of the call when the stream ends', () => {
    const { call, records } = serve();
    expect(call.listenersLeft()).toBe(STREAM_EVENTS.length);
    call.emit('data', requestHeaders(chatHeaders));
    call.emit('data', body('request_body', chatBody));
    call.emit('data', responseHeaders({ ':status': '200', 'content-type': 'application/json' }));
    call.emit('data', body('response_body', answer));
    expect(call.replies.map((reply) => Object.keys(reply).find((key) => key !== 'mode_override'))).toEqual([
      'request_headers',
      'request_body',
      'response_headers',
      'response_body',
    ]);
    call.emit('end');
    expect(call.ended).toBe(true);
    expect(records).toHaveLength(1);
    expect(records[0]?.usage?.outputTokens).toBe(1);
    expect(call.listenersLeft()).toBe(0);
    // Events grpc-js may still emit after the end change nothing: no second record, no error.
    call.emit('close');
    expect(records).toHaveLength(1);
  });

  it('lets go of the call when Envoy cancels mid-request, and records the request as unfinished', () => {
    const { call, records } = serve();
    call.emit('data', requestHeaders(chatHeaders));
    call.emit('cancelled');
    expect(call.listenersLeft()).toBe(0);
    expect(records).toHaveLength(1);
    expect(records[0]?.outcome).not.toBe('complete');
  });
});
