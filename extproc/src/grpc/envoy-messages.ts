// The one place that knows how Envoy's ext_proc messages are shaped. The pipeline speaks in terms of
// "continue", "set these headers", "replace the body", "answer now"; this module turns that into protobuf objects.
import type { HeaderMap__Output } from './gen/envoy/config/core/v3/HeaderMap.js';
import type { HeaderValue__Output } from './gen/envoy/config/core/v3/HeaderValue.js';
import type { HeaderValueOption } from './gen/envoy/config/core/v3/HeaderValueOption.js';
import type { ProcessingMode } from './gen/envoy/extensions/filters/http/ext_proc/v3/ProcessingMode.js';
import type { CommonResponse } from './gen/envoy/service/ext_proc/v3/CommonResponse.js';
import type { ProcessingResponse } from './gen/envoy/service/ext_proc/v3/ProcessingResponse.js';

export type { ProcessingResponse };

const NO_HEADERS: readonly HeaderValue__Output[] = Object.freeze([]);

/**
 * Request or response headers as Envoy sent them: lowercase names, pseudo-headers included.
 * Values are decoded on lookup: the pipeline reads a handful of the headers a request carries, so
 * decoding (and indexing) all of them up front would be wasted work on every message.
 */
export class Headers {
  private constructor(private readonly entries: readonly HeaderValue__Output[]) {}

  static fromEnvoy(map: HeaderMap__Output | null | undefined): Headers {
    return new Headers(map?.headers ?? NO_HEADERS);
  }

  /** The header's value; repeated headers are joined with ", ". */
  get(name: string): string | undefined {
    let joined: string | undefined;
    for (const entry of this.entries) {
      if (entry.key !== name) continue;
      const value = headerValue(entry);
      joined = joined === undefined ? value : `${joined}, ${value}`;
    }
    return joined;
  }

  has(name: string): boolean {
    for (const entry of this.entries) if (entry.key === name) return true;
    return false;
  }
}

/** Envoy fills raw_value (bytes) and leaves value empty; latin1 keeps every byte as one char. */
function headerValue(entry: HeaderValue__Output): string {
  const raw = entry.raw_value;
  return raw !== undefined && raw.length > 0 ? raw.toString('latin1') : (entry.value ?? '');
}

export interface HeaderChanges {
  set?: Array<[name: string, value: string]>;
  remove?: string[];
}

function headerMutation(changes: HeaderChanges | undefined) {
  if (!changes) return undefined;
  const setHeaders: HeaderValueOption[] = (changes.set ?? []).map(([key, value]) => ({
    header: { key, raw_value: Buffer.from(value, 'latin1') },
    append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
  }));
  return { set_headers: setHeaders, remove_headers: changes.remove ?? [] };
}

function common(changes?: HeaderChanges, body?: Buffer, clearRouteCache = false): CommonResponse {
  const response: CommonResponse = {};
  const mutation = headerMutation(changes);
  if (mutation) response.header_mutation = mutation;
  if (body) response.body_mutation = { body };
  if (clearRouteCache) response.clear_route_cache = true;
  return response;
}

// Shared, never-mutated replies for the common "nothing to change" case: no allocation per chunk.
const CONTINUE_RESPONSE_BODY: ProcessingResponse = Object.freeze({ response_body: { response: {} } });
const CONTINUE_REQUEST_BODY: ProcessingResponse = Object.freeze({ request_body: { response: {} } });

/** The shared replies above: the gRPC layer may encode each of them once and reuse the bytes. */
export const SHARED_RESPONSES: readonly ProcessingResponse[] = [
  CONTINUE_RESPONSE_BODY,
  CONTINUE_REQUEST_BODY,
];

/** Body modes for a request that is not ours to inspect: headers only, bodies stream past untouched. */
export const PASS_THROUGH_MODE: ProcessingMode = Object.freeze({
  request_header_mode: 'SEND',
  response_header_mode: 'SEND',
  request_body_mode: 'NONE',
  response_body_mode: 'NONE',
  request_trailer_mode: 'SKIP',
  response_trailer_mode: 'SKIP',
});

export function continueRequestHeaders(
  changes?: HeaderChanges,
  options: { mode?: ProcessingMode; clearRouteCache?: boolean } = {},
): ProcessingResponse {
  const response: ProcessingResponse = {
    request_headers: { response: common(changes, undefined, options.clearRouteCache) },
  };
  if (options.mode) response.mode_override = options.mode;
  return response;
}

export function continueRequestBody(
  changes?: HeaderChanges,
  body?: Buffer,
  clearRouteCache = false,
): ProcessingResponse {
  if (!changes && !body && !clearRouteCache) return CONTINUE_REQUEST_BODY;
  return { request_body: { response: common(changes, body, clearRouteCache) } };
}

/**
 * Response modes when a JSON answer must be seen whole before the client gets any of it (headers held too). PARTIAL:
 * a body that outgrows Envoy's buffer arrives as its first part (end_of_stream false) and the rest streams past,
 * where plain BUFFERED would stall the response.
 */
export const BUFFERED_RESPONSE_MODE: ProcessingMode = Object.freeze({
  request_header_mode: 'SEND',
  response_header_mode: 'SEND',
  request_body_mode: 'NONE',
  response_body_mode: 'BUFFERED_PARTIAL',
  request_trailer_mode: 'SKIP',
  response_trailer_mode: 'SKIP',
});

export function continueResponseHeaders(
  changes?: HeaderChanges,
  options: { mode?: ProcessingMode } = {},
): ProcessingResponse {
  const response: ProcessingResponse = { response_headers: { response: common(changes) } };
  if (options.mode) response.mode_override = options.mode;
  return response;
}

/**
 * Pass a response chunk on, or replace it with `body` (an empty Buffer drops the chunk's bytes). Header changes
 * only take effect while the headers are still held, i.e. for a BUFFERED body.
 */
export function continueResponseBody(body?: Buffer, changes?: HeaderChanges): ProcessingResponse {
  if (!body && !changes) return CONTINUE_RESPONSE_BODY;
  return { response_body: { response: common(changes, body) } };
}

export function immediateResponse(
  status: number,
  body: string,
  headers: Array<[string, string]>,
): ProcessingResponse {
  return {
    immediate_response: {
      status: { code: status as never },
      headers: headerMutation({ set: headers }),
      body: Buffer.from(body, 'utf8'),
      details: `acc_${status}`,
    },
  };
}
