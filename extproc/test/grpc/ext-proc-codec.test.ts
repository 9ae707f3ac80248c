// ext-proc-codec.ts against protobufjs (through proto-loader, with server.ts's options): requests must decode to the
// objects proto-loader gives, and replies must encode to the same bytes.
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import {
  BUFFERED_RESPONSE_MODE,
  continueRequestBody,
  continueRequestHeaders,
  continueResponseBody,
  continueResponseHeaders,
  immediateResponse,
  PASS_THROUGH_MODE,
  SHARED_RESPONSES,
} from '../../src/grpc/envoy-messages.js';
import { decodeProcessingRequest, encodeProcessingResponse } from '../../src/grpc/ext-proc-codec.js';
import { WireFormatError } from '../../src/grpc/proto-wire.js';

const PROTO_DIR = fileURLToPath(new URL('../../../protos', import.meta.url));
const definition = protoLoader.loadSync('envoy/service/ext_proc/v3/external_processor.proto', {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  arrays: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
});
const service = definition['envoy.service.ext_proc.v3.ExternalProcessor'] as Record<
  string,
  protoLoader.MethodDefinition<object, object, object, object>
>;
const method = service.Process as protoLoader.MethodDefinition<object, object, object, object>;
const encodeRequest = (message: object): Buffer => method.requestSerialize(message);
const protobufjsDecode = (bytes: Buffer): unknown => method.requestDeserialize(bytes);
const protobufjsEncode = (message: object): Buffer => method.responseSerialize(message);

/**
 * proto-loader's object with each header's raw_value folded into value, as the codec gives it. Buffers become hex
 * on both sides: deep equality element by element is far too slow for megabyte bodies.
 */
function foldHeaderValues(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { hex: value.toString('hex') };
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(foldHeaderValues);
  const entries = Object.entries(value as Record<string, unknown>);
  const isHeader = 'key' in value && ('raw_value' in value || 'value' in value) && !('header' in value);
  if (isHeader) {
    const { raw_value: raw, value: text, ...rest } = value as { raw_value?: Buffer; value?: string };
    const folded = raw !== undefined && raw.length > 0 ? raw.toString('latin1') : text;
    return folded === undefined ? rest : { ...rest, value: folded };
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, foldHeaderValues(v)]));
}

function expectSameDecoding(message: object): void {
  const bytes = encodeRequest(message);
  expect(foldHeaderValues(decodeProcessingRequest(bytes))).toEqual(foldHeaderValues(protobufjsDecode(bytes)));
}

function headerMap(entries: Array<{ key: string; value?: string; raw_value?: Buffer }>) {
  return { headers: entries };
}

const ENVOY_REQUEST_HEADERS = headerMap([
  { key: ':method', raw_value: Buffer.from('POST') },
  { key: ':path', raw_value: Buffer.from('/v1/chat/completions?x=%20y') },
  { key: ':authority', raw_value: Buffer.from('127.0.0.1:10000') },
  { key: 'content-type', raw_value: Buffer.from('application/json') },
  { key: 'authorization', raw_value: Buffer.from('Bearer sk-gateway-key-000') },
  { key: 'x-latin1', raw_value: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0xff]) },
  { key: 'x-utf8', raw_value: Buffer.from('naïve ☃', 'utf8') },
  { key: 'x-value-only', value: 'from the value field ☃' },
  { key: 'x-both', value: 'ignored', raw_value: Buffer.from('raw wins') },
  { key: 'x-empty-raw', value: 'value wins', raw_value: Buffer.alloc(0) },
  { key: 'x-empty', raw_value: Buffer.alloc(0) },
]);

/** A deterministic generator, so a failure names a case that can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const text = (n: number) =>
    Array.from({ length: n }, () =>
      String.fromCodePoint([0x61 + int(26), 0xe9, 0x2603, 0x1f600][int(4)] as number),
    ).join('');
  return { next, int, bytes, text };
}

function randomStruct(r: ReturnType<typeof random>, depth: number): object {
  const fields: Record<string, object> = {};
  for (let i = r.int(4); i > 0; i--) {
    const choice = r.int(depth > 0 ? 6 : 4);
    const key = r.text(1 + r.int(6));
    if (choice === 0) fields[key] = { nullValue: 'NULL_VALUE' };
    else if (choice === 1) fields[key] = { numberValue: (r.next() - 0.5) * 1e6 };
    else if (choice === 2) fields[key] = { stringValue: r.text(r.int(20)) };
    else if (choice === 3) fields[key] = { boolValue: r.next() < 0.5 };
    else if (choice === 4) fields[key] = { structValue: randomStruct(r, depth - 1) };
    else fields[key] = { listValue: { values: [{ stringValue: r.text(3) }, { numberValue: r.int(100) }] } };
  }
  return { fields };
}

describe('decodeProcessingRequest', () => {
  it('decodes request headers as Envoy sends them, raw_value folded into value as latin1', () => {
    expectSameDecoding({
      request_headers: { headers: ENVOY_REQUEST_HEADERS, end_of_stream: false },
      protocol_config: {
        request_body_mode: 'STREAMED',
        response_body_mode: 'BUFFERED_PARTIAL',
        send_body_without_waiting_for_header_response: true,
      },
    });
    const decoded = decodeProcessingRequest(
      encodeRequest({ response_headers: { headers: ENVOY_REQUEST_HEADERS, end_of_stream: true } }),
    );
    expect(decoded.request).toBe('response_headers');
    const values = Object.fromEntries(
      (decoded.response_headers?.headers?.headers ?? []).map((h) => [h.key, h.value]),
    );
    expect(values['x-latin1']).toBe('café\u00ff');
    expect(values['x-utf8']).toBe(Buffer.from('naïve ☃', 'utf8').toString('latin1'));
    expect(values['x-value-only']).toBe('from the value field ☃');
    expect(values['x-both']).toBe('raw wins');
    expect(values['x-empty-raw']).toBe('value wins');
    expect(values['x-empty']).toBeUndefined();
  });

  it('decodes bodies of every length class as views of the message, with their end-of-stream flags', () => {
    for (const size of [0, 1, 127, 128, 16_383, 16_384, 70_000, 2_097_152]) {
      for (const kind of ['request_body', 'response_body']) {
        const body = random(size).bytes(size);
        expectSameDecoding({ [kind]: { body, end_of_stream: size % 2 === 0 } });
        expectSameDecoding({ [kind]: { body, end_of_stream: true, end_of_stream_without_message: true } });
      }
    }
  });

  it('decodes trailers, observability mode, attributes and metadata (Struct values of every kind)', () => {
    const r = random(7);
    expectSameDecoding({
      request_trailers: { trailers: headerMap([{ key: 'grpc-status', raw_value: Buffer.from('0') }]) },
    });
    expectSameDecoding({ response_trailers: {} });
    expectSameDecoding({
      response_body: { body: Buffer.from('data: {}\n\n'), end_of_stream: false },
      observability_mode: true,
      attributes: { 'envoy.filters.http.ext_proc': randomStruct(r, 3), other: { fields: {} } },
      metadata_context: { filter_metadata: { a: randomStruct(r, 3), b: randomStruct(r, 1) } },
    });
  });

  it('matches protobufjs on generated messages', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = random(seed);
      const headers = headerMap(
        Array.from({ length: r.int(20) }, () => {
          const header: { key: string; value?: string; raw_value?: Buffer } = { key: r.text(1 + r.int(12)) };
          if (r.next() < 0.8) header.raw_value = r.bytes(r.int(300));
          if (r.next() < 0.3) header.value = r.text(r.int(30));
          return header;
        }),
      );
      const kind = [
        'request_headers',
        'response_headers',
        'request_body',
        'response_body',
        'request_trailers',
      ][r.int(5)] as string;
      const part =
        kind === 'request_trailers'
          ? { trailers: headers }
          : kind.endsWith('headers')
            ? { headers, end_of_stream: r.next() < 0.5 }
            : { body: r.bytes(r.int(5000)), end_of_stream: r.next() < 0.5 };
      const message: Record<string, unknown> = { [kind]: part };
      if (r.next() < 0.3)
        message.protocol_config = { request_body_mode: r.int(6), response_body_mode: r.int(6) };
      if (r.next() < 0.2) message.attributes = { x: randomStruct(r, 2) };
      expectSameDecoding(message);
    }
  });

  it('keeps the last of several oneof members, as protobuf requires', () => {
    const bytes = Buffer.concat([
      encodeRequest({ request_body: { body: Buffer.from('first'), end_of_stream: false } }),
      encodeRequest({ request_headers: { headers: ENVOY_REQUEST_HEADERS } }),
    ]);
    const decoded = decodeProcessingRequest(bytes);
    expect(decoded.request).toBe('request_headers');
    // protobufjs keeps both members here; the codec follows the protobuf spec, where the last one replaces the rest.
    expect(decoded.request_body).toBeUndefined();
    expect(foldHeaderValues(decoded.request_headers)).toEqual(
      foldHeaderValues((protobufjsDecode(bytes) as { request_headers: unknown }).request_headers),
    );
  });

  it('passes over fields it does not know (a newer Envoy) and leaves unknown enum numbers as numbers', () => {
    const known = encodeRequest({
      request_body: { body: Buffer.from('{}'), end_of_stream: true },
      protocol_config: { request_body_mode: 9 },
    });
    // Tags of fields 20-23 take two bytes: (field << 3 | wire type) as a varint.
    const tag = (field: number, wire: number) => [(((field << 3) | wire) & 0x7f) | 0x80, (field << 3) >> 7];
    const unknown = Buffer.from([
      ...[...tag(20, 0), 0x96, 0x01],
      ...[...tag(21, 2), 3, 0x61, 0x62, 0x63],
      ...[...tag(22, 5), 1, 2, 3, 4],
      ...[...tag(23, 1), 1, 2, 3, 4, 5, 6, 7, 8],
    ]);
    const decoded = decodeProcessingRequest(Buffer.concat([unknown, known, unknown]));
    expect(foldHeaderValues(decoded)).toEqual(foldHeaderValues(protobufjsDecode(known)));
    expect(decoded.protocol_config?.request_body_mode).toBe(9);
  });

  it('rejects truncated and malformed messages with a WireFormatError', () => {
    const bytes = encodeRequest({
      request_body: { body: Buffer.from('{"model":"gpt"}'), end_of_stream: true },
    });
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(() => decodeProcessingRequest(bytes.subarray(0, cut)), `cut at ${cut}`).toThrow(WireFormatError);
    }
    // request_body with a varint wire type; a group (wire type 3); an 11-byte varint.
    expect(() => decodeProcessingRequest(Buffer.from([(4 << 3) | 0, 1]))).toThrow(WireFormatError);
    expect(() => decodeProcessingRequest(Buffer.from([(30 << 3) | 3]))).toThrow(WireFormatError);
    expect(() => decodeProcessingRequest(Buffer.from([(10 << 3) | 0, ...Array(11).fill(0xff)]))).toThrow(
      WireFormatError,
    );
  });
});

describe('encodeProcessingResponse', () => {
  const expectSameBytes = (response: object) =>
    expect(encodeProcessingResponse(response).toString('hex')).toBe(
      protobufjsEncode(response).toString('hex'),
    );

  it('encodes every reply envoy-messages.ts builds byte for byte as protobufjs does', () => {
    const changes = {
      set: [
        ['authorization', 'Bearer sk-provider-key'],
        ['x-acc-request-id', '0f7e2f1c-5d0a-4a63-9d0c-1b2f3a4b5c6d'],
        ['x-latin1', 'caf\u00e9'],
      ] as Array<[string, string]>,
      remove: ['x-api-key', 'content-length'],
    };
    const replies = [
      ...SHARED_RESPONSES,
      continueRequestHeaders(),
      continueRequestHeaders(changes, { mode: PASS_THROUGH_MODE, clearRouteCache: true }),
      continueRequestBody(changes, Buffer.from('{"model":"gpt-4o-mini","stream":true}'), true),
      continueRequestBody(undefined, Buffer.alloc(0)),
      continueResponseHeaders(changes, { mode: BUFFERED_RESPONSE_MODE }),
      continueResponseBody(Buffer.alloc(0)),
      continueResponseBody(random(3).bytes(70_000), changes),
      immediateResponse(401, '{"error":{"message":"Incorrect API key ☃"}}', [
        ['content-type', 'application/json'],
      ]),
      immediateResponse(418, 'teapot', []),
      { request_headers: {}, override_message_timeout: { seconds: 10, nanos: 500_000_000 } },
    ];
    for (const reply of replies) expectSameBytes(reply);
  });

  it('encodes the rest of the message: trailers, metadata, header options, numbers for enums, long forms', () => {
    const r = random(11);
    expectSameBytes({
      request_trailers: { header_mutation: { set_headers: [{ header: { key: 'a', value: 'b' } }] } },
      dynamic_metadata: randomStruct(r, 3),
    });
    expectSameBytes({ response_trailers: {} });
    expectSameBytes({
      immediate_response: {
        status: { code: 'TooManyRequests' },
        grpc_status: { status: 8 },
        details: 'slow down',
      },
    });
    expectSameBytes({
      response_headers: {
        response: {
          status: 'CONTINUE_AND_REPLACE',
          header_mutation: {
            set_headers: [
              {
                header: { key: 'k', value: 'v ☃' },
                append: { value: false },
                append_action: 1,
                keep_empty_value: true,
              },
              { header: { key: 'empty', raw_value: Buffer.alloc(0) }, append_action: 'OVERWRITE_IF_EXISTS' },
            ],
          },
          body_mutation: { clear_body: true },
          clear_route_cache: false,
        },
      },
      mode_override: {
        request_header_mode: 0,
        response_body_mode: 'FULL_DUPLEX_STREAMED',
        response_trailer_mode: 'SKIP',
      },
    });
    expectSameBytes({ request_body: {}, override_message_timeout: { seconds: '2', nanos: 0 } });
    expectSameBytes({ request_body: {}, override_message_timeout: { seconds: -1, nanos: -5 } });
    expectSameBytes({ request_body: {}, override_message_timeout: { seconds: 2 ** 40 } });
    for (let seed = 1; seed <= 100; seed++)
      expectSameBytes({ dynamic_metadata: randomStruct(random(seed), 3) });
  });

  it('encodes bodies of every length class', () => {
    for (const size of [0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152]) {
      expectSameBytes(continueResponseBody(random(size).bytes(size)));
    }
  });

  it('refuses an enum name it does not know instead of sending a default', () => {
    expect(() =>
      encodeProcessingResponse({ mode_override: { request_body_mode: 'BUFFERD' as never } }),
    ).toThrow(/unknown enum value "BUFFERD"/);
  });
});
