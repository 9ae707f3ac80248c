// Pipelined bodies: one round trip per direction instead of two. With STREAMED body modes and
// `send_body_without_waiting_for_header_response`, Envoy sends a body's chunks right behind its headers without
// waiting for our headers reply (bench/probe-pipelined-bodies.mjs shows it on the pinned Envoy). Where the pipeline
// must see a body whole before anything moves on (a request body; a JSON answer it inspects), the headers reply is
// held until the body's end, so the header changes the body leads to (routing, content-length, security status)
// still apply. The stream context is unaware: it sees headers, then one whole body, exactly as with BUFFERED.

import { Headers } from './envoy-messages.js';
import type { CommonResponse } from './gen/envoy/service/ext_proc/v3/CommonResponse.js';
import type { HttpBody__Output } from './gen/envoy/service/ext_proc/v3/HttpBody.js';
import type { ProcessingRequest__Output } from './gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from './gen/envoy/service/ext_proc/v3/ProcessingResponse.js';

export type Handler = (
  message: ProcessingRequest__Output,
) => ProcessingResponse | Promise<ProcessingResponse>;
export type Replies = ProcessingResponse[] | Promise<ProcessingResponse[]>;

type BodyKind = 'request_body' | 'response_body';
type HeadersKind = 'request_headers' | 'response_headers';

export interface PipelineLimits {
  /** Largest request body held; one byte more goes to the handler whole, which refuses it (413). */
  maxRequestBytes: number;
  /** Largest JSON answer held for inspection; beyond it the answer streams past, as with BUFFERED_PARTIAL. */
  maxResponseBytes: number;
  /**
   * Envoy's max_message_timeout. A held request headers reply waits for the client's upload; Envoy restarts its
   * timer with each chunk it sends, so only a pause longer than the message timeout would fail the request. For an
   * upload that may pause (large, or of unknown length) the timer is extended to this once, up front.
   */
  maxMessageTimeoutMs: number;
}

/** Uploads up to this size arrive right behind their headers on any reasonable link: no timer extension. */
const QUICK_UPLOAD_BYTES = 64 * 1024;

/** Whether Envoy announced pipelined bodies on the stream's first message (`protocol_config`, Envoy 1.34+). */
export function announcesPipelinedBodies(first: ProcessingRequest__Output): boolean {
  const config = first.protocol_config;
  return (
    config?.send_body_without_waiting_for_header_response === true &&
    config.request_body_mode === 'STREAMED' &&
    config.response_body_mode === 'STREAMED'
  );
}

class Direction {
  /** `holding`: the headers reply waits for the body's end; `answered`: an immediate response ended the exchange. */
  state: 'open' | 'holding' | 'streaming' | 'answered' = 'open';
  headersReply: ProcessingResponse | null = null;
  chunks: Buffer[] = [];
  /** Body messages received while holding: each needs its own reply, in order. */
  messages = 0;
  bytes = 0;

  constructor(
    readonly headersKind: HeadersKind,
    readonly bodyKind: BodyKind,
  ) {}
}

const EMPTY = Buffer.alloc(0);

export class PipelinedBodies {
  private readonly request = new Direction('request_headers', 'request_body');
  private readonly response = new Direction('response_headers', 'response_body');

  constructor(
    private readonly handle: Handler,
    private readonly limits: PipelineLimits,
  ) {}

  push(message: ProcessingRequest__Output): Replies {
    switch (message.request) {
      case 'request_headers':
        return this.onHeaders(this.request, message);
      case 'response_headers':
        return this.onHeaders(this.response, message);
      case 'request_body':
        return this.onBody(this.request, message, this.limits.maxRequestBytes);
      case 'response_body':
        return this.onBody(this.response, message, this.limits.maxResponseBytes);
      default:
        return one(this.handle(message));
    }
  }

  private onHeaders(direction: Direction, message: ProcessingRequest__Output): Replies {
    const headers = message[direction.headersKind];
    return then(this.handle(message), (reply) => {
      if (reply.immediate_response) {
        direction.state = 'answered';
        return [reply];
      }
      if (headers?.end_of_stream || !this.wantsWholeBody(direction, reply)) {
        direction.state = 'streaming';
        return [reply];
      }
      // The body-mode override asked for under BUFFERED is what holding does here; Envoy must keep STREAMED.
      const held: ProcessingResponse = { ...reply };
      delete held.mode_override;
      direction.headersReply = held;
      direction.state = 'holding';
      return direction.bodyKind === 'request_body' && mayUploadSlowly(message) ? [this.extendTimer()] : [];
    });
  }

  /** A reply with only `override_message_timeout` restarts Envoy's timer for the pending message (the headers). */
  private extendTimer(): ProcessingResponse {
    const ms = this.limits.maxMessageTimeoutMs;
    return { override_message_timeout: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 } };
  }

  /** A request body is always judged whole; an answer only when the handler asked for it buffered. */
  private wantsWholeBody(direction: Direction, reply: ProcessingResponse): boolean {
    const mode = reply.mode_override;
    if (direction.bodyKind === 'request_body') return mode?.request_body_mode !== 'NONE';
    return mode?.response_body_mode === 'BUFFERED_PARTIAL' || mode?.response_body_mode === 'BUFFERED';
  }

  private onBody(direction: Direction, message: ProcessingRequest__Output, limit: number): Replies {
    if (direction.state === 'answered') return [];
    if (direction.state !== 'holding') return one(this.handle(message));
    const body = message[direction.bodyKind] as HttpBody__Output;
    const chunk = body.body ?? EMPTY;
    if (chunk.length > 0) direction.chunks.push(chunk);
    direction.messages++;
    direction.bytes += chunk.length;
    if (body.end_of_stream) return this.complete(direction, true);
    if (direction.bytes > limit) return this.complete(direction, false);
    return [];
  }

  /** The whole body (or, past the limit, what came so far) goes to the handler; then every held reply, in order. */
  private complete(direction: Direction, whole: boolean): Replies {
    const chunks = direction.chunks;
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    direction.chunks = [];
    const message = {
      request: direction.bodyKind,
      [direction.bodyKind]: { body, end_of_stream: whole },
    } as ProcessingRequest__Output;
    return then(this.handle(message), (reply) => this.release(direction, reply));
  }

  private release(direction: Direction, bodyReply: ProcessingResponse): ProcessingResponse[] {
    if (bodyReply.immediate_response) {
      direction.state = 'answered';
      return [bodyReply];
    }
    direction.state = 'streaming';
    const headersReply = direction.headersReply as ProcessingResponse;
    direction.headersReply = null;
    const fromBody = (bodyReply[direction.bodyKind]?.response ?? {}) as CommonResponse;
    const replies: ProcessingResponse[] = [mergeIntoHeaders(headersReply, direction.headersKind, fromBody)];
    // The new body (if any) replaces the last chunk; the chunks before it are emptied.
    const mutation = fromBody.body_mutation;
    for (let i = 0; i < direction.messages; i++) {
      const last = i === direction.messages - 1;
      const response: CommonResponse = mutation ? { body_mutation: last ? mutation : { body: EMPTY } } : {};
      replies.push({ [direction.bodyKind]: { response } });
    }
    direction.messages = 0;
    direction.bytes = 0;
    return replies;
  }
}

/**
 * The headers reply carrying the body reply's header changes too: with STREAMED bodies, headers leave Envoy with
 * their reply, so changes decided on the body (content-length, route, status headers) must travel with it.
 */
function mergeIntoHeaders(
  headersReply: ProcessingResponse,
  kind: HeadersKind,
  fromBody: CommonResponse,
): ProcessingResponse {
  const base = (headersReply[kind]?.response ?? {}) as CommonResponse;
  const set = [
    ...(base.header_mutation?.set_headers ?? []),
    ...(fromBody.header_mutation?.set_headers ?? []),
  ];
  const remove = [
    ...(base.header_mutation?.remove_headers ?? []),
    ...(fromBody.header_mutation?.remove_headers ?? []),
  ];
  const merged: CommonResponse = { ...base };
  if (set.length > 0 || remove.length > 0)
    merged.header_mutation = { set_headers: set, remove_headers: remove };
  if (fromBody.clear_route_cache) merged.clear_route_cache = true;
  return { ...headersReply, [kind]: { response: merged } };
}

function mayUploadSlowly(message: ProcessingRequest__Output): boolean {
  const declared = Headers.fromEnvoy(message.request_headers?.headers).get('content-length');
  return declared === undefined || !(Number(declared) <= QUICK_UPLOAD_BYTES);
}

function one(reply: ProcessingResponse | Promise<ProcessingResponse>): Replies {
  return reply instanceof Promise ? reply.then((r) => [r]) : [reply];
}

function then(
  reply: ProcessingResponse | Promise<ProcessingResponse>,
  next: (reply: ProcessingResponse) => ProcessingResponse[],
): Replies {
  return reply instanceof Promise ? reply.then(next) : next(reply);
}
