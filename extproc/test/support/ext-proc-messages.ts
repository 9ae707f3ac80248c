// Hand-built ext_proc messages for driving a StreamContext without Envoy.
import type { ProcessingResponse } from '../../src/grpc/envoy-messages.js';
import type { ProcessingRequest__Output } from '../../src/grpc/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { StreamContext } from '../../src/pipeline/stream-context.js';

/** Without policy stages every phase answers synchronously. */
export function handleNow(
  context: StreamContext,
  message: Parameters<StreamContext['handle']>[0],
): ProcessingResponse {
  const reply = context.handle(message);
  if (reply instanceof Promise) throw new Error('expected a synchronous reply');
  return reply;
}

export function headerMap(headers: Record<string, string>) {
  return {
    headers: Object.entries(headers).map(([key, value]) => ({
      key,
      value: '',
      raw_value: Buffer.from(value),
    })),
  };
}

export function requestHeaders(
  headers: Record<string, string>,
  endOfStream = false,
): ProcessingRequest__Output {
  return {
    request: 'request_headers',
    request_headers: { headers: headerMap(headers), end_of_stream: endOfStream },
  } as never;
}

export function body(
  kind: 'request_body' | 'response_body',
  bytes: Buffer | string,
  endOfStream = true,
): ProcessingRequest__Output {
  return {
    request: kind,
    [kind]: { body: Buffer.from(bytes), end_of_stream: endOfStream, end_of_stream_without_message: false },
  } as never;
}

export function responseHeaders(headers: Record<string, string>): ProcessingRequest__Output {
  return {
    request: 'response_headers',
    response_headers: { headers: headerMap(headers), end_of_stream: false },
  } as never;
}
