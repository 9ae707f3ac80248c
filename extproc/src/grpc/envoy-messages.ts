// The one place that knows how Envoy's ext_proc messages are shaped. The pipeline speaks in terms of
// "continue", "set these headers", "replace the body", "answer now"; this module turns that into protobuf objects.
import type { HeaderMap__Output } from './gen/envoy/config/core/v3/HeaderMap.js';
import type { HeaderValueOption } from './gen/envoy/config/core/v3/HeaderValueOption.js';
import type { ProcessingMode } from './gen/envoy/extensions/filters/http/ext_proc/v3/ProcessingMode.js';
import type { CommonResponse } from './gen/envoy/service/ext_proc/v3/CommonResponse.js';
import type { ProcessingResponse } from './gen/envoy/service/ext_proc/v3/ProcessingResponse.js';

export type { ProcessingResponse };

/** Request or response headers as Envoy sent them: lowercase names, pseudo-headers included. */
export class Headers {
  private readonly values = new Map<string, string>();

  static fromEnvoy(map: HeaderMap__Output | null | undefined): Headers {
    const headers = new Headers();
    for (const entry of map?.headers ?? []) {
      // Envoy fills raw_value (bytes) and leaves value empty; latin1 keeps every byte as one char.
      const value = entry.raw_value.length > 0 ? entry.raw_value.toString('latin1') : entry.value;
      const previous = headers.values.get(entry.key);
      headers.values.set(entry.key, previous === undefined ? value : `${previous}, ${value}`);
    }
    return headers;
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }
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

export function continueRequestBody(changes?: HeaderChanges, body?: Buffer): ProcessingResponse {
  if (!changes && !body) return CONTINUE_REQUEST_BODY;
  return { request_body: { response: common(changes, body) } };
}

export function continueResponseHeaders(changes?: HeaderChanges): ProcessingResponse {
  return { response_headers: { response: common(changes) } };
}

/** Pass a response chunk on, or replace it with `body` (an empty Buffer drops the chunk's bytes). */
export function continueResponseBody(body?: Buffer): ProcessingResponse {
  if (!body) return CONTINUE_RESPONSE_BODY;
  return { response_body: { response: { body_mutation: { body } } } };
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
