// The pipelined-bodies adapter against a scripted handler: which replies leave, in which order, with which changes.
import { describe, expect, it } from 'vitest';
import type { ProcessingRequest__Output } from '../../src/grpc/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from '../../src/grpc/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import {
  announcesPipelinedBodies,
  type Handler,
  PipelinedBodies,
  type Replies,
} from '../../src/grpc/pipelined-bodies.js';

const LIMITS = { maxRequestBytes: 100, maxResponseBytes: 50, maxMessageTimeoutMs: 12_500 };
const setHeader = (key: string, value: string) => ({ header: { key, raw_value: Buffer.from(value) } });

const requestHeaders = (eos = false, contentLength: string | null = '20') =>
  ({
    request: 'request_headers',
    request_headers: {
      end_of_stream: eos,
      headers: {
        headers:
          contentLength === null ? [] : [{ key: 'content-length', raw_value: Buffer.from(contentLength) }],
      },
    },
  }) as ProcessingRequest__Output;
const responseHeaders = () =>
  ({ request: 'response_headers', response_headers: {} }) as ProcessingRequest__Output;
const requestBody = (text: string, eos: boolean) =>
  ({
    request: 'request_body',
    request_body: { body: Buffer.from(text), end_of_stream: eos },
  }) as ProcessingRequest__Output;
const responseBody = (text: string, eos: boolean) =>
  ({
    request: 'response_body',
    response_body: { body: Buffer.from(text), end_of_stream: eos },
  }) as ProcessingRequest__Output;

/** Records what the adapter hands the handler and answers from a script keyed by phase. */
function scripted(script: Partial<Record<string, (m: ProcessingRequest__Output) => ProcessingResponse>>) {
  const seen: ProcessingRequest__Output[] = [];
  const handler: Handler = (message) => {
    seen.push(message);
    const answer = script[message.request as string];
    return answer ? answer(message) : { [message.request as string]: { response: {} } };
  };
  return { handler, seen };
}

async function all(replies: Replies): Promise<ProcessingResponse[]> {
  return await replies;
}

describe('pipelined bodies', () => {
  it('recognises the protocol_config Envoy sends for pipelined bodies, and only that', () => {
    const config = {
      request_body_mode: 'STREAMED',
      response_body_mode: 'STREAMED',
      send_body_without_waiting_for_header_response: true,
    } as const;
    expect(announcesPipelinedBodies({ ...requestHeaders(), protocol_config: config })).toBe(true);
    expect(
      announcesPipelinedBodies({
        ...requestHeaders(),
        protocol_config: { ...config, request_body_mode: 'BUFFERED' },
      }),
    ).toBe(false);
    expect(announcesPipelinedBodies(requestHeaders())).toBe(false);
  });

  it('holds the request headers reply until the body ends, then sends it with the body reply header changes', async () => {
    const { handler, seen } = scripted({
      request_headers: () => ({
        request_headers: {
          response: { header_mutation: { set_headers: [setHeader('authorization', 'provider')] } },
        },
      }),
      request_body: () => ({
        request_body: {
          response: {
            header_mutation: {
              set_headers: [setHeader('content-length', '7')],
              remove_headers: ['x-acc-agent'],
            },
            body_mutation: { body: Buffer.from('{"a":1}') },
            clear_route_cache: true,
          },
        },
      }),
    });
    const pipe = new PipelinedBodies(handler, LIMITS);
    expect(await all(pipe.push(requestHeaders()))).toEqual([]);
    expect(await all(pipe.push(requestBody('{"mo', false)))).toEqual([]);
    expect(await all(pipe.push(requestBody('del":"x"}', false)))).toEqual([]);
    const replies = await all(pipe.push(requestBody('', true)));

    // The handler saw the headers, then the whole body once.
    expect(seen.map((m) => m.request)).toEqual(['request_headers', 'request_body']);
    expect(seen[1]?.request_body?.body?.toString()).toBe('{"model":"x"}');
    expect(seen[1]?.request_body?.end_of_stream).toBe(true);

    expect(replies).toHaveLength(4);
    const headers = replies[0]?.request_headers?.response;
    expect(headers?.header_mutation?.set_headers?.map((h) => h.header?.key)).toEqual([
      'authorization',
      'content-length',
    ]);
    expect(headers?.header_mutation?.remove_headers).toEqual(['x-acc-agent']);
    expect(headers?.clear_route_cache).toBe(true);
    // Earlier chunks are emptied; the new body replaces the last one.
    expect(replies.slice(1).map((r) => r.request_body?.response?.body_mutation?.body?.toString())).toEqual([
      '',
      '',
      '{"a":1}',
    ]);
  });

  it("extends Envoy's timer for the held headers once when the upload is large or of unknown length", async () => {
    const extension = [{ override_message_timeout: { seconds: 12, nanos: 500_000_000 } }];
    for (const length of [String(1024 * 1024), null]) {
      const pipe = new PipelinedBodies(scripted({}).handler, LIMITS);
      expect(await all(pipe.push(requestHeaders(false, length)))).toEqual(extension);
      expect((await all(pipe.push(requestBody('{}', true)))).map((r) => Object.keys(r)[0])).toEqual([
        'request_headers',
        'request_body',
      ]);
    }
  });

  it('passes unchanged chunks on unchanged', async () => {
    const pipe = new PipelinedBodies(scripted({}).handler, LIMITS);
    await all(pipe.push(requestHeaders()));
    await all(pipe.push(requestBody('{"model":', false)));
    const replies = await all(pipe.push(requestBody('"x"}', true)));
    expect(replies.map((r) => Object.keys(r)[0])).toEqual([
      'request_headers',
      'request_body',
      'request_body',
    ]);
    expect(replies.slice(1).every((r) => r.request_body?.response?.body_mutation === undefined)).toBe(true);
  });

  it('waits for an asynchronous body handler (a budget reservation) before releasing anything', async () => {
    const { handler } = scripted({});
    const slow: Handler = (m) =>
      m.request === 'request_body'
        ? new Promise((resolve) => setTimeout(() => resolve(handler(m)), 5))
        : handler(m);
    const pipe = new PipelinedBodies(slow, LIMITS);
    await all(pipe.push(requestHeaders()));
    const pending = pipe.push(requestBody('{}', true));
    expect(pending).toBeInstanceOf(Promise);
    expect((await all(pending)).map((r) => Object.keys(r)[0])).toEqual(['request_headers', 'request_body']);
  });

  it('answers at once when the headers are refused, and drops body chunks already on their way', async () => {
    const refusal = { immediate_response: { status: { code: 401 as never }, body: Buffer.from('no') } };
    const { handler, seen } = scripted({ request_headers: () => refusal });
    const pipe = new PipelinedBodies(handler, LIMITS);
    expect(await all(pipe.push(requestHeaders()))).toEqual([refusal]);
    expect(await all(pipe.push(requestBody('{}', true)))).toEqual([]);
    expect(seen).toHaveLength(1);
  });

  it('sends a refusal decided on the body in place of every held reply', async () => {
    const refusal = { immediate_response: { status: { code: 403 as never }, body: Buffer.from('blocked') } };
    const pipe = new PipelinedBodies(scripted({ request_body: () => refusal }).handler, LIMITS);
    await all(pipe.push(requestHeaders()));
    expect(await all(pipe.push(requestBody('{}', true)))).toEqual([refusal]);
  });

  it('hands a request body over the limit to the handler as soon as it passes the limit (which refuses it)', async () => {
    const refusal = {
      immediate_response: { status: { code: 413 as never }, body: Buffer.from('too large') },
    };
    const { handler, seen } = scripted({ request_body: () => refusal });
    const pipe = new PipelinedBodies(handler, LIMITS);
    await all(pipe.push(requestHeaders()));
    expect(await all(pipe.push(requestBody('x'.repeat(60), false)))).toEqual([]);
    expect(await all(pipe.push(requestBody('x'.repeat(60), false)))).toEqual([refusal]);
    expect(seen[1]?.request_body?.body?.length).toBe(120);
    expect(await all(pipe.push(requestBody('x', true)))).toEqual([]);
  });

  it('lets a pass-through request (mode override without bodies) go at once, chunk by chunk', async () => {
    const passThrough = {
      request_headers: { response: {} },
      mode_override: { request_body_mode: 'NONE' as const },
    };
    const pipe = new PipelinedBodies(scripted({ request_headers: () => passThrough }).handler, LIMITS);
    expect(await all(pipe.push(requestHeaders()))).toEqual([passThrough]);
    expect((await all(pipe.push(requestBody('a', false)))).map((r) => Object.keys(r)[0])).toEqual([
      'request_body',
    ]);
  });

  it('streams an answer the handler did not ask to see whole (event streams, errors)', async () => {
    const { handler, seen } = scripted({});
    const pipe = new PipelinedBodies(handler, LIMITS);
    expect(await all(pipe.push(responseHeaders()))).toHaveLength(1);
    expect(await all(pipe.push(responseBody('data: 1\n\n', false)))).toHaveLength(1);
    expect(await all(pipe.push(responseBody('data: 2\n\n', true)))).toHaveLength(1);
    expect(seen.map((m) => m.response_body?.body?.toString())).toEqual([
      undefined,
      'data: 1\n\n',
      'data: 2\n\n',
    ]);
  });

  it('holds an answer the handler wants whole, without passing Envoy the BUFFERED override', async () => {
    const { handler, seen } = scripted({
      response_headers: () => ({
        response_headers: {
          response: { header_mutation: { set_headers: [setHeader('x-acc-request-id', 'r1')] } },
        },
        mode_override: { response_body_mode: 'BUFFERED_PARTIAL' },
      }),
      response_body: () => ({
        response_body: {
          response: {
            header_mutation: { set_headers: [setHeader('x-acc-security-status', 'redacted')] },
            body_mutation: { body: Buffer.from('{"masked":true}') },
          },
        },
      }),
    });
    const pipe = new PipelinedBodies(handler, LIMITS);
    expect(await all(pipe.push(responseHeaders()))).toEqual([]);
    expect(await all(pipe.push(responseBody('{"secret":', false)))).toEqual([]);
    const replies = await all(pipe.push(responseBody('"x"}', true)));
    expect(seen[1]?.response_body?.body?.toString()).toBe('{"secret":"x"}');
    expect(replies[0]?.mode_override).toBeUndefined();
    expect(
      replies[0]?.response_headers?.response?.header_mutation?.set_headers?.map((h) => h.header?.key),
    ).toEqual(['x-acc-request-id', 'x-acc-security-status']);
    expect(replies.slice(1).map((r) => r.response_body?.response?.body_mutation?.body?.toString())).toEqual([
      '',
      '{"masked":true}',
    ]);
  });

  it('lets an answer larger than the limit go, unjudged, as its first part (like BUFFERED_PARTIAL)', async () => {
    const { handler, seen } = scripted({
      response_headers: () => ({
        response_headers: { response: {} },
        mode_override: { response_body_mode: 'BUFFERED_PARTIAL' },
      }),
    });
    const pipe = new PipelinedBodies(handler, LIMITS);
    await all(pipe.push(responseHeaders()));
    expect(await all(pipe.push(responseBody('y'.repeat(30), false)))).toEqual([]);
    const released = await all(pipe.push(responseBody('y'.repeat(30), false)));
    expect(released.map((r) => Object.keys(r)[0])).toEqual([
      'response_headers',
      'response_body',
      'response_body',
    ]);
    expect(seen[1]?.response_body).toMatchObject({ end_of_stream: false });
    expect(seen[1]?.response_body?.body?.length).toBe(60);
    // The rest streams past one chunk at a time.
    expect(await all(pipe.push(responseBody('z', true)))).toHaveLength(1);
  });
});
