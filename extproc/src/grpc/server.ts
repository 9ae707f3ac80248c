// gRPC transport: Envoy's ExternalProcessor/Process stream and the standard health service. Each stream gets a
// StreamContext; this file only moves messages, times them and handles the stream's lifecycle.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ExtprocMetrics } from '../metrics.js';
import { type PipelineDeps, type RequestRecord, StreamContext } from '../pipeline/stream-context.js';
import { SHARED_RESPONSES } from './envoy-messages.js';
import { decodeProcessingRequest, encodeProcessingResponse } from './ext-proc-codec.js';
import type { ExternalProcessorDefinition } from './gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { ProcessingRequest__Output } from './gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from './gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { ProtoGrpcType as ExtProcGrpc } from './gen/external_processor.js';
import type { HealthCheckResponse } from './gen/grpc/health/v1/HealthCheckResponse.js';
import type { ProtoGrpcType as HealthGrpc } from './gen/health.js';
import { announcesPipelinedBodies, PipelinedBodies } from './pipelined-bodies.js';

const PROTO_DIR = fileURLToPath(new URL('../../../protos', import.meta.url));

function loadProtos() {
  const definition = protoLoader.loadSync(
    ['envoy/service/ext_proc/v3/external_processor.proto', 'grpc/health/v1/health.proto'],
    {
      keepCase: true,
      longs: Number,
      enums: String,
      // Unset fields stay absent: defaults would allocate (e.g. an empty Buffer per header) on every message.
      defaults: false,
      arrays: true,
      oneofs: true,
      includeDirs: [PROTO_DIR],
    },
  );
  return grpc.loadPackageDefinition(definition) as unknown as ExtProcGrpc & HealthGrpc;
}

export interface ExtprocServerOptions {
  host: string;
  port: number;
  /** Largest gRPC message accepted: a BUFFERED request body arrives in one message. */
  maxMessageBytes: number;
  onRecord?: (record: RequestRecord) => void;
}

export interface RunningExtprocServer {
  port: number;
  setServing(serving: boolean): void;
  isServing(): boolean;
  shutdown(graceMs: number): Promise<void>;
}

const PHASES = ['request_headers', 'request_body', 'response_headers', 'response_body'] as const;

export async function startExtprocServer(
  deps: PipelineDeps,
  options: ExtprocServerOptions,
): Promise<RunningExtprocServer> {
  const protos = loadProtos();
  const { metrics, log } = deps;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    // Channelz keeps per-call and per-message trace counters nobody reads here: measurable CPU per message.
    'grpc.enable_channelz': 0,
  });
  const phaseTimers = Object.fromEntries(
    PHASES.map((phase) => [phase, metrics.phaseSeconds.labels({ phase })]),
  );

  server.addService(withExtProcCodec(protos.envoy.service.ext_proc.v3.ExternalProcessor.service), {
    Process: (call: grpc.ServerDuplexStream<ProcessingRequest__Output, ProcessingResponse>) =>
      serveProcessStream(call, deps, phaseTimers, options.onRecord),
  });

  let serving = true;
  const watchers = new Set<grpc.ServerWritableStream<unknown, HealthCheckResponse>>();
  const healthStatus = (): HealthCheckResponse => ({ status: serving ? 'SERVING' : 'NOT_SERVING' });
  server.addService(protos.grpc.health.v1.Health.service, {
    Check: (_call: unknown, callback: grpc.sendUnaryData<HealthCheckResponse>) =>
      callback(null, healthStatus()),
    Watch: (call: grpc.ServerWritableStream<unknown, HealthCheckResponse>) => {
      watchers.add(call);
      call.write(healthStatus());
      call.on('cancelled', () => watchers.delete(call));
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${options.host}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });

  return {
    port,
    isServing: () => serving,
    setServing(value: boolean) {
      serving = value;
      for (const watcher of watchers) watcher.write(healthStatus());
    },
    shutdown(graceMs: number) {
      serving = false;
      for (const watcher of watchers) watcher.end();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn('grace period over: closing remaining ext_proc streams');
          server.forceShutdown();
          resolve();
        }, graceMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

/**
 * The stream's messages go through ext-proc-codec.ts rather than proto-loader's object conversions. Most replies
 * are the shared "continue" objects from envoy-messages.ts; those are encoded once, not per message: grpc-js copies
 * the serialized bytes into its own frame, so handing out the same Buffer every time is safe.
 */
function withExtProcCodec(service: ExternalProcessorDefinition): ExternalProcessorDefinition {
  const encoded = new Map(SHARED_RESPONSES.map((response) => [response, encodeProcessingResponse(response)]));
  return {
    ...service,
    Process: {
      ...service.Process,
      requestDeserialize: decodeProcessingRequest,
      responseSerialize: (value) => encoded.get(value) ?? encodeProcessingResponse(value),
    },
  };
}

/** One ext_proc stream (exported for tests, which drive it with a stand-in for grpc-js's call). */
export function serveProcessStream(
  call: grpc.ServerDuplexStream<ProcessingRequest__Output, ProcessingResponse>,
  deps: PipelineDeps,
  phaseTimers: Record<string, ReturnType<ExtprocMetrics['phaseSeconds']['labels']>>,
  onRecord: ((record: RequestRecord) => void) | undefined,
): void {
  const { metrics, log } = deps;
  const context = new StreamContext(deps, onRecord);
  const handle = (message: ProcessingRequest__Output) => context.handle(message);
  // Decided on the first message: Envoy announces pipelined bodies in its protocol_config (envoy/src/bootstrap.ts).
  let pipeline: PipelinedBodies | null | undefined;
  metrics.activeStreams.inc();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    metrics.activeStreams.dec();
    try {
      context.close();
    } catch (error) {
      metrics.internalErrors.inc({ phase: 'close' });
      log.error({ err: error }, 'failed to finish request accounting');
    }
    detach();
  };

  // Most phases answer synchronously; a phase that must wait (a budget reservation in Redis) returns a promise.
  // Envoy may send the next message before that answer (e.g. trailers, or a response chunk on a fast upstream),
  // and replies must keep Envoy's order, so messages queue while one is pending.
  let waiting: ProcessingRequest__Output[] | null = null;
  const fail = (phase: string, error: unknown) => {
    // Request phases: let Envoy apply its failure mode (fail-closed 503 by default, or fail-open).
    metrics.internalErrors.inc({ phase });
    log.error({ err: error, phase }, 'ext_proc message failed; ending stream with INTERNAL');
    call.emit('error', { code: grpc.status.INTERNAL, details: 'extproc internal error' });
    close();
  };
  // One message may be answered by none (a held body chunk) or several replies (a held body's end).
  const reply = (phase: string, started: number, response: ProcessingResponse | ProcessingResponse[]) => {
    phaseTimers[phase]?.observe((performance.now() - started) / 1000);
    if (Array.isArray(response)) for (const each of response) call.write(each);
    else call.write(response);
  };
  const processMessage = (message: ProcessingRequest__Output) => {
    const phase = message.request ?? 'unknown';
    const started = performance.now();
    let result:
      | ProcessingResponse
      | ProcessingResponse[]
      | Promise<ProcessingResponse | ProcessingResponse[]>;
    try {
      if (pipeline === undefined) {
        pipeline = announcesPipelinedBodies(message)
          ? new PipelinedBodies(handle, {
              maxRequestBytes: deps.config.maxRequestBytes,
              maxResponseBytes: Math.min(deps.config.maxResponseBufferBytes, deps.config.maxRequestBytes),
              maxMessageTimeoutMs: deps.config.maxMessageTimeoutMs,
            })
          : null;
      }
      result = pipeline ? pipeline.push(message) : context.handle(message);
    } catch (error) {
      fail(phase, error);
      return;
    }
    if (!(result instanceof Promise)) {
      reply(phase, started, result);
      return;
    }
    waiting = [];
    result.then(
      (response) => {
        if (closed) return;
        reply(phase, started, response);
        const queued = waiting ?? [];
        waiting = null;
        while (queued.length > 0 && !closed) {
          if (waiting) {
            (waiting as ProcessingRequest__Output[]).push(...queued);
            return;
          }
          processMessage(queued.shift() as ProcessingRequest__Output);
        }
      },
      (error: unknown) => {
        if (!closed) fail(phase, error);
      },
    );
  };

  const onData = (message: ProcessingRequest__Output) => {
    if (closed) return;
    if (waiting) waiting.push(message);
    else processMessage(message);
  };
  const onEnd = () => {
    call.end();
    close();
  };
  call.on('data', onData);
  call.on('end', onEnd);
  // Envoy ends most streams with a reset, which grpc-js reports as cancellation: normal, not an error.
  call.on('cancelled', close);
  call.on('error', close);
  call.on('close', close);
  // Node's HTTP/2 session keeps finished streams reachable until the next full collection: its stream table is a
  // Map, and V8 links each replaced copy of a Map's table to the next, so one old copy keeps every later copy and
  // the streams they held alive through young-generation collections. A stream that still held these listeners
  // would take this request's whole state (parsed body, headers, scan results) into the old generation with it.
  function detach() {
    call.off('data', onData);
    call.off('end', onEnd);
    call.off('cancelled', close);
    call.off('error', close);
    call.off('close', close);
  }
}
