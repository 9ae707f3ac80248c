// The ext_proc stream's own (de)serializers, for protos/envoy/service/ext_proc/v3/external_processor.proto and the
// messages it uses. proto-loader turns every message into a protobufjs Message and then into a plain object (and
// back the other way for replies): two object graphs per message, about a tenth of extproc's CPU under load. Here
// requests decode straight into the plain objects proto-loader would give (its options in server.ts) and replies
// encode straight from them into one exactly sized Buffer. extproc/test/grpc/ext-proc-codec.test.ts holds both
// directions to protobufjs's output.
//
// One deliberate difference: a header's value arrives as a string in `value` (raw_value decoded as latin1, one char
// per byte) instead of raw_value as a Buffer. Headers (envoy-messages.ts) reads either form the same way.
import type { HeaderMap__Output } from './gen/envoy/config/core/v3/HeaderMap.js';
import type { HeaderValue, HeaderValue__Output } from './gen/envoy/config/core/v3/HeaderValue.js';
import type { HeaderValueOption } from './gen/envoy/config/core/v3/HeaderValueOption.js';
import type { ProcessingMode } from './gen/envoy/extensions/filters/http/ext_proc/v3/ProcessingMode.js';
import type { BodyMutation } from './gen/envoy/service/ext_proc/v3/BodyMutation.js';
import type { CommonResponse } from './gen/envoy/service/ext_proc/v3/CommonResponse.js';
import type { GrpcStatus } from './gen/envoy/service/ext_proc/v3/GrpcStatus.js';
import type { HeaderMutation } from './gen/envoy/service/ext_proc/v3/HeaderMutation.js';
import type { HttpBody__Output } from './gen/envoy/service/ext_proc/v3/HttpBody.js';
import type { HttpHeaders__Output } from './gen/envoy/service/ext_proc/v3/HttpHeaders.js';
import type { ImmediateResponse } from './gen/envoy/service/ext_proc/v3/ImmediateResponse.js';
import type { ProcessingRequest__Output } from './gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from './gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { ProtocolConfiguration__Output } from './gen/envoy/service/ext_proc/v3/ProtocolConfiguration.js';
import type { HttpStatus } from './gen/envoy/type/v3/HttpStatus.js';
import type { BoolValue } from './gen/google/protobuf/BoolValue.js';
import type { Duration } from './gen/google/protobuf/Duration.js';
import type { ListValue, ListValue__Output } from './gen/google/protobuf/ListValue.js';
import type { Struct, Struct__Output } from './gen/google/protobuf/Struct.js';
import type { Value, Value__Output } from './gen/google/protobuf/Value.js';
import {
  delimitedSize,
  varintSize,
  WIRE_FIXED64,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  WireFormatError,
  WireReader,
  WireWriter,
} from './proto-wire.js';

// ---- enums: proto-loader gives names (enums: String) and accepts names or numbers -------------------------------

type EnumTable = Readonly<Record<string, number>>;

const BODY_SEND_MODE: EnumTable = {
  NONE: 0,
  STREAMED: 1,
  BUFFERED: 2,
  BUFFERED_PARTIAL: 3,
  FULL_DUPLEX_STREAMED: 4,
  GRPC: 5,
};
const HEADER_SEND_MODE: EnumTable = { DEFAULT: 0, SEND: 1, SKIP: 2 };
const RESPONSE_STATUS: EnumTable = { CONTINUE: 0, CONTINUE_AND_REPLACE: 1 };
const HEADER_APPEND_ACTION: EnumTable = {
  APPEND_IF_EXISTS_OR_ADD: 0,
  ADD_IF_ABSENT: 1,
  OVERWRITE_IF_EXISTS_OR_ADD: 2,
  OVERWRITE_IF_EXISTS: 3,
};
const STATUS_CODE: EnumTable = {
  Empty: 0,
  OK: 200,
  BadRequest: 400,
  Unauthorized: 401,
  PaymentRequired: 402,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  RequestTimeout: 408,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  UnprocessableEntity: 422,
  TooManyRequests: 429,
  InternalServerError: 500,
  BadGateway: 502,
  ServiceUnavailable: 503,
  GatewayTimeout: 504,
};
const NULL_VALUE: EnumTable = { NULL_VALUE: 0 };

const BODY_SEND_MODE_NAMES = enumNames(BODY_SEND_MODE);
const NULL_VALUE_NAMES = enumNames(NULL_VALUE);

function enumNames(table: EnumTable): ReadonlyMap<number, string> {
  return new Map(Object.entries(table).map(([name, number]) => [number, name]));
}

/** A value outside the enum stays a number, as proto-loader leaves it. */
function enumName<T>(names: ReadonlyMap<number, string>, value: number): T {
  return (names.get(value) ?? value) as T;
}

function enumNumber(table: EnumTable, value: string | number): number {
  if (typeof value === 'number') return value;
  const number = table[value];
  if (number === undefined) throw new TypeError(`unknown enum value ${JSON.stringify(value)}`);
  return number;
}

// ---- decoding ProcessingRequest ------------------------------------------------------------------------------

const REQUEST_ONEOF = [
  undefined,
  undefined,
  'request_headers',
  'response_headers',
  'request_body',
  'response_body',
  'request_trailers',
  'response_trailers',
] as const;

type RequestKind = NonNullable<ProcessingRequest__Output['request']>;

/** Envoy's message, as proto-loader (keepCase, longs Number, enums String, defaults false, oneofs) would give it. */
export function decodeProcessingRequest(buf: Buffer): ProcessingRequest__Output {
  const reader = new WireReader(buf);
  const out: ProcessingRequest__Output = {};
  while (!reader.done) {
    const tag = reader.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    const kind = field < REQUEST_ONEOF.length ? REQUEST_ONEOF[field] : undefined;
    if (kind !== undefined) {
      expectWire(wire, WIRE_LENGTH_DELIMITED, kind);
      if (out.request !== undefined && out.request !== kind) delete out[out.request];
      out.request = kind;
      const outer = reader.enter();
      setRequestPart(out, kind, reader);
      reader.leave(outer);
    } else if (field === 8) {
      expectWire(wire, WIRE_LENGTH_DELIMITED, 'metadata_context');
      out.metadata_context = inside(reader, decodeMetadata);
    } else if (field === 9) {
      expectWire(wire, WIRE_LENGTH_DELIMITED, 'attributes');
      out.attributes = decodeStructMapEntry(reader, out.attributes);
    } else if (field === 10) {
      expectWire(wire, WIRE_VARINT, 'observability_mode');
      out.observability_mode = reader.bool();
    } else if (field === 11) {
      expectWire(wire, WIRE_LENGTH_DELIMITED, 'protocol_config');
      out.protocol_config = inside(reader, decodeProtocolConfiguration);
    } else {
      reader.skip(wire);
    }
  }
  return out;
}

function setRequestPart(out: ProcessingRequest__Output, kind: RequestKind, reader: WireReader): void {
  switch (kind) {
    case 'request_headers':
    case 'response_headers':
      out[kind] = decodeHttpHeaders(reader);
      return;
    case 'request_body':
    case 'response_body':
      out[kind] = decodeHttpBody(reader);
      return;
    default: {
      const trailers: { trailers?: HeaderMap__Output } = {};
      while (!reader.done) {
        const tag = reader.varint();
        if (tag === (1 << 3) + WIRE_LENGTH_DELIMITED) trailers.trailers = inside(reader, decodeHeaderMap);
        else reader.skip(tag & 7);
      }
      out[kind] = trailers;
    }
  }
}

function expectWire(actual: number, expected: number, field: string): void {
  if (actual !== expected)
    throw new WireFormatError(`${field} has wire type ${actual}, expected ${expected}`);
}

/** Decodes the embedded message at the cursor, in place; the cursor moves past it. */
function inside<T>(reader: WireReader, decode: (reader: WireReader) => T): T {
  const outer = reader.enter();
  const value = decode(reader);
  reader.leave(outer);
  return value;
}

function decodeHttpHeaders(reader: WireReader): HttpHeaders__Output {
  const out: HttpHeaders__Output = {};
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === (1 << 3) + WIRE_LENGTH_DELIMITED) out.headers = inside(reader, decodeHeaderMap);
    else if (tag === (3 << 3) + WIRE_VARINT) out.end_of_stream = reader.bool();
    else reader.skip(tag & 7);
  }
  return out;
}

function decodeHeaderMap(reader: WireReader): HeaderMap__Output {
  const headers: HeaderValue__Output[] = [];
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === (1 << 3) + WIRE_LENGTH_DELIMITED) headers.push(inside(reader, decodeHeaderValue));
    else reader.skip(tag & 7);
  }
  return { headers };
}

function decodeHeaderValue(reader: WireReader): HeaderValue__Output {
  let key: string | undefined;
  let value: string | undefined;
  let raw: string | undefined;
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === (1 << 3) + WIRE_LENGTH_DELIMITED) key = reader.string();
    else if (tag === (2 << 3) + WIRE_LENGTH_DELIMITED) value = reader.string();
    else if (tag === (3 << 3) + WIRE_LENGTH_DELIMITED) raw = reader.latin1();
    else reader.skip(tag & 7);
  }
  const out: HeaderValue__Output = {};
  if (key !== undefined) out.key = key;
  const resolved = raw !== undefined && raw.length > 0 ? raw : value;
  if (resolved !== undefined) out.value = resolved;
  return out;
}

function decodeHttpBody(reader: WireReader): HttpBody__Output {
  const out: HttpBody__Output = {};
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === (1 << 3) + WIRE_LENGTH_DELIMITED) out.body = reader.bytes();
    else if (tag === (2 << 3) + WIRE_VARINT) out.end_of_stream = reader.bool();
    else if (tag === (3 << 3) + WIRE_VARINT) out.end_of_stream_without_message = reader.bool();
    else reader.skip(tag & 7);
  }
  return out;
}

function decodeProtocolConfiguration(reader: WireReader): ProtocolConfiguration__Output {
  const out: ProtocolConfiguration__Output = {};
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === (1 << 3) + WIRE_VARINT) {
      out.request_body_mode = enumName(BODY_SEND_MODE_NAMES, reader.signedVarint());
    } else if (tag === (2 << 3) + WIRE_VARINT) {
      out.response_body_mode = enumName(BODY_SEND_MODE_NAMES, reader.signedVarint());
    } else if (tag === (3 << 3) + WIRE_VARINT) {
      out.send_body_without_waiting_for_header_response = reader.bool();
    } else reader.skip(tag & 7);
  }
  return out;
}

function decodeMetadata(reader: WireReader): { filter_metadata?: Record<string, Struct__Output> } {
  let filterMetadata: Record<string, Struct__Output> | undefined;
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === (1 << 3) + WIRE_LENGTH_DELIMITED)
      filterMetadata = decodeStructMapEntry(reader, filterMetadata);
    else reader.skip(tag & 7);
  }
  return filterMetadata === undefined ? {} : { filter_metadata: filterMetadata };
}

/** One entry of a map<string, Struct> field (the cursor is at its payload); entries accumulate into `into`. */
function decodeStructMapEntry(
  reader: WireReader,
  into: Record<string, Struct__Output> | undefined,
): Record<string, Struct__Output> {
  const map = into ?? {};
  const outer = reader.enter();
  let key = '';
  let value: Struct__Output | null = null;
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === (1 << 3) + WIRE_LENGTH_DELIMITED) key = reader.string();
    else if (tag === (2 << 3) + WIRE_LENGTH_DELIMITED) value = inside(reader, decodeStruct);
    else reader.skip(tag & 7);
  }
  reader.leave(outer);
  map[key] = value as Struct__Output;
  return map;
}

function decodeStruct(reader: WireReader): Struct__Output {
  const fields: Record<string, Value__Output> = {};
  let empty = true;
  while (!reader.done) {
    const tag = reader.varint();
    if (tag !== (1 << 3) + WIRE_LENGTH_DELIMITED) {
      reader.skip(tag & 7);
      continue;
    }
    const outer = reader.enter();
    let key = '';
    let value: Value__Output | null = null;
    while (!reader.done) {
      const entryTag = reader.varint();
      if (entryTag === (1 << 3) + WIRE_LENGTH_DELIMITED) key = reader.string();
      else if (entryTag === (2 << 3) + WIRE_LENGTH_DELIMITED) value = inside(reader, decodeValue);
      else reader.skip(entryTag & 7);
    }
    reader.leave(outer);
    fields[key] = value as Value__Output;
    empty = false;
  }
  // proto-loader leaves an empty map out (its `objects` option is off), while empty repeated fields are [].
  return empty ? {} : { fields };
}

function decodeValue(reader: WireReader): Value__Output {
  const out: Value__Output = {};
  const set = <K extends NonNullable<Value__Output['kind']>>(kind: K, value: Value__Output[K]) => {
    if (out.kind !== undefined && out.kind !== kind) delete out[out.kind];
    out.kind = kind;
    out[kind] = value;
  };
  while (!reader.done) {
    const tag = reader.varint();
    switch (tag) {
      case (1 << 3) + WIRE_VARINT:
        set('nullValue', enumName(NULL_VALUE_NAMES, reader.signedVarint()));
        break;
      case (2 << 3) + WIRE_FIXED64:
        set('numberValue', reader.double());
        break;
      case (3 << 3) + WIRE_LENGTH_DELIMITED:
        set('stringValue', reader.string());
        break;
      case (4 << 3) + WIRE_VARINT:
        set('boolValue', reader.bool());
        break;
      case (5 << 3) + WIRE_LENGTH_DELIMITED:
        set('structValue', inside(reader, decodeStruct));
        break;
      case (6 << 3) + WIRE_LENGTH_DELIMITED:
        set('listValue', inside(reader, decodeListValue));
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return out;
}

function decodeListValue(reader: WireReader): ListValue__Output {
  const values: Value__Output[] = [];
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === (1 << 3) + WIRE_LENGTH_DELIMITED) values.push(inside(reader, decodeValue));
    else reader.skip(tag & 7);
  }
  return { values };
}

// ---- encoding ProcessingResponse ----------------------------------------------------------------------------
// Each `emit…` walks its message twice. Without a writer it returns the encoded size of the message's fields and
// records the size of every embedded message and string in `measured`, in the order it meets them; with a writer it
// writes them, taking those sizes back in the same order. So a reply is measured once, allocated once, written once.
// Fields are written in field-number order whenever they are present (not null/undefined), as protobufjs does.

type Writer = WireWriter | null;
type Emit<T> = (w: Writer, message: T) => number;

const measured: number[] = [];
let nextMeasured = 0;

export function encodeProcessingResponse(response: ProcessingResponse): Buffer {
  measured.length = 0;
  const writer = new WireWriter(emitProcessingResponse(null, response));
  nextMeasured = 0;
  emitProcessingResponse(writer, response);
  return writer.finish();
}

function measure(size: number): number {
  measured.push(size);
  return size;
}

function recalled(): number {
  return measured[nextMeasured++] as number;
}

function emitProcessingResponse(w: Writer, m: ProcessingResponse): number {
  return (
    messageField(w, 1, m.request_headers, emitHeadersResponse) +
    messageField(w, 2, m.response_headers, emitHeadersResponse) +
    messageField(w, 3, m.request_body, emitHeadersResponse) +
    messageField(w, 4, m.response_body, emitHeadersResponse) +
    messageField(w, 5, m.request_trailers, emitTrailersResponse) +
    messageField(w, 6, m.response_trailers, emitTrailersResponse) +
    messageField(w, 7, m.immediate_response, emitImmediateResponse) +
    messageField(w, 8, m.dynamic_metadata, emitStruct) +
    messageField(w, 9, m.mode_override, emitProcessingMode) +
    messageField(w, 10, m.override_message_timeout, emitDuration)
  );
}

/** HeadersResponse and BodyResponse have the same shape: field 1, a CommonResponse. */
const emitHeadersResponse: Emit<{ response?: CommonResponse | null }> = (w, m) =>
  messageField(w, 1, m.response, emitCommonResponse);

const emitTrailersResponse: Emit<{ header_mutation?: HeaderMutation | null }> = (w, m) =>
  messageField(w, 1, m.header_mutation, emitHeaderMutation);

const emitCommonResponse: Emit<CommonResponse> = (w, m) =>
  enumField(w, 1, m.status, RESPONSE_STATUS) +
  messageField(w, 2, m.header_mutation, emitHeaderMutation) +
  messageField(w, 3, m.body_mutation, emitBodyMutation) +
  boolField(w, 5, m.clear_route_cache);

const emitBodyMutation: Emit<BodyMutation> = (w, m) =>
  bytesField(w, 1, m.body) + boolField(w, 2, m.clear_body);

const emitImmediateResponse: Emit<ImmediateResponse> = (w, m) =>
  messageField(w, 1, m.status, emitHttpStatus) +
  messageField(w, 2, m.headers, emitHeaderMutation) +
  bytesField(w, 3, m.body) +
  messageField(w, 4, m.grpc_status, emitGrpcStatus) +
  stringField(w, 5, m.details);

const emitHttpStatus: Emit<HttpStatus> = (w, m) => enumField(w, 1, m.code, STATUS_CODE);

const emitGrpcStatus: Emit<GrpcStatus> = (w, m) => varintField(w, 1, m.status);

const emitHeaderMutation: Emit<HeaderMutation> = (w, m) => {
  let size = 0;
  for (const option of m.set_headers ?? []) size += messageField(w, 1, option, emitHeaderValueOption);
  for (const name of m.remove_headers ?? []) size += stringField(w, 2, name);
  return size;
};

const emitHeaderValueOption: Emit<HeaderValueOption> = (w, m) =>
  messageField(w, 1, m.header, emitHeaderValue) +
  messageField(w, 2, m.append, emitBoolValue) +
  enumField(w, 3, m.append_action, HEADER_APPEND_ACTION) +
  boolField(w, 4, m.keep_empty_value);

const emitHeaderValue: Emit<HeaderValue> = (w, m) =>
  stringField(w, 1, m.key) + stringField(w, 2, m.value) + bytesField(w, 3, m.raw_value);

const emitBoolValue: Emit<BoolValue> = (w, m) => boolField(w, 1, m.value);

const emitProcessingMode: Emit<ProcessingMode> = (w, m) =>
  enumField(w, 1, m.request_header_mode, HEADER_SEND_MODE) +
  enumField(w, 2, m.response_header_mode, HEADER_SEND_MODE) +
  enumField(w, 3, m.request_body_mode, BODY_SEND_MODE) +
  enumField(w, 4, m.response_body_mode, BODY_SEND_MODE) +
  enumField(w, 5, m.request_trailer_mode, HEADER_SEND_MODE) +
  enumField(w, 6, m.response_trailer_mode, HEADER_SEND_MODE);

const emitDuration: Emit<Duration> = (w, m) =>
  varintField(w, 1, m.seconds == null ? undefined : longNumber(m.seconds)) + varintField(w, 2, m.nanos);

const emitStruct: Emit<Struct> = (w, m) => {
  let size = 0;
  if (m.fields == null) return 0;
  for (const [key, value] of Object.entries(m.fields)) {
    size += messageField(w, 1, value, (w2, v) => stringField(w2, 1, key) + messageField(w2, 2, v, emitValue));
  }
  return size;
};

const emitValue: Emit<Value> = (w, m) =>
  enumField(w, 1, m.nullValue, NULL_VALUE) +
  doubleField(w, 2, m.numberValue == null ? undefined : Number(m.numberValue)) +
  stringField(w, 3, m.stringValue) +
  boolField(w, 4, m.boolValue) +
  messageField(w, 5, m.structValue, emitStruct) +
  messageField(w, 6, m.listValue, emitListValue);

const emitListValue: Emit<ListValue> = (w, m) => {
  let size = 0;
  for (const value of m.values ?? []) size += messageField(w, 1, value, emitValue);
  return size;
};

/** int64 fields may come as a number, a decimal string or a Long ({ low, high }). */
function longNumber(value: number | string | { low: number; high: number }): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return value.high * 2 ** 32 + (value.low >>> 0);
}

// ---- field emitters: size of tag + payload, written when a writer is given ------------------------------------

function messageField<T>(w: Writer, field: number, value: T | null | undefined, emit: Emit<T>): number {
  if (value == null) return 0;
  if (w) {
    w.tag(field, WIRE_LENGTH_DELIMITED);
    w.varint(recalled());
    emit(w, value);
    return 0;
  }
  // The slot is taken before the fields inside are measured: the writing walk meets them in this order too.
  const slot = measured.length;
  measured.push(0);
  const size = emit(null, value);
  measured[slot] = size;
  return delimitedSize(size);
}

function varintField(w: Writer, field: number, value: number | null | undefined): number {
  if (value == null) return 0;
  if (w) {
    w.tag(field, WIRE_VARINT);
    w.varint(value);
  }
  return 1 + varintSize(value);
}

function enumField(
  w: Writer,
  field: number,
  value: string | number | null | undefined,
  table: EnumTable,
): number {
  return value == null ? 0 : varintField(w, field, enumNumber(table, value));
}

function boolField(w: Writer, field: number, value: boolean | null | undefined): number {
  return value == null ? 0 : varintField(w, field, value ? 1 : 0);
}

function doubleField(w: Writer, field: number, value: number | undefined): number {
  if (value === undefined) return 0;
  if (w) {
    w.tag(field, WIRE_FIXED64);
    w.double(value);
  }
  return 9;
}

function stringField(w: Writer, field: number, value: string | null | undefined): number {
  if (value == null) return 0;
  if (w) {
    w.tag(field, WIRE_LENGTH_DELIMITED);
    w.string(value, recalled());
    return 0;
  }
  return delimitedSize(measure(Buffer.byteLength(value, 'utf8')));
}

/** bytes fields: a Buffer or Uint8Array, or a base64 string as protobufjs's fromObject accepts. */
function bytesField(w: Writer, field: number, value: Uint8Array | string | null | undefined): number {
  if (value == null) return 0;
  const bytes = typeof value === 'string' ? Buffer.from(value, 'base64') : value;
  if (w) {
    w.tag(field, WIRE_LENGTH_DELIMITED);
    w.bytes(bytes);
  }
  return delimitedSize(bytes.length);
}
