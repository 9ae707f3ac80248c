// The floor for any ext_proc gateway: a server that does the least a credential-swapping gateway must (replace the
// client's key with the provider's on request headers) and answers every other message "continue", with the same
// message shapes as extproc (identity encoding asked upstream, a JSON answer buffered whole through the mode
// override), so the same messages cross. The bench runs it behind its own Envoy, with the same bootstrap as the
// full pipeline, to show how much latency the ext_proc protocol and a Node gRPC server add before any of extproc's
// work. Started by bench/run.ts; prints its port.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { KEYS } from './scenarios.js';

type HeaderList = { headers?: { headers?: { key: string; raw_value?: Buffer }[] } };
type Message = {
  request?: string;
  request_headers?: HeaderList;
  response_headers?: HeaderList;
  protocol_config?: { send_body_without_waiting_for_header_response?: boolean };
};

const header = (key: string, value: string) => ({
  header: { key, raw_value: Buffer.from(value, 'latin1') },
  append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
});
const OPENAI = {
  request_headers: {
    response: {
      header_mutation: {
        set_headers: [
          header('authorization', `Bearer ${KEYS.openaiProvider}`),
          header('accept-encoding', 'identity'),
        ],
      },
    },
  },
};
const ANTHROPIC = {
  request_headers: {
    response: {
      header_mutation: {
        set_headers: [header('x-api-key', KEYS.anthropicProvider), header('accept-encoding', 'identity')],
      },
    },
  },
};
const CONTINUE: Record<string, object> = {
  request_body: { request_body: { response: {} } },
  response_headers: { response_headers: { response: {} } },
  response_body: { response_body: { response: {} } },
  request_trailers: { request_trailers: {} },
  response_trailers: { response_trailers: {} },
};

const BUFFER_JSON_ANSWER = {
  response_headers: { response: {} },
  mode_override: {
    request_header_mode: 'SEND',
    response_header_mode: 'SEND',
    request_body_mode: 'NONE',
    response_body_mode: 'BUFFERED_PARTIAL',
    request_trailer_mode: 'SKIP',
    response_trailer_mode: 'SKIP',
  },
};

/** With pipelined bodies (announced on the first message) JSON answers stream past, as extproc holds them itself. */
function reply(message: Message, pipelined: boolean): object {
  if (message.request === 'request_headers') {
    const headers = message.request_headers?.headers?.headers ?? [];
    return headers.some((h) => h.key === 'x-api-key') ? ANTHROPIC : OPENAI;
  }
  if (message.request === 'response_headers' && !pipelined) {
    const type = message.response_headers?.headers?.headers?.find((h) => h.key === 'content-type');
    if (type?.raw_value?.toString('latin1').startsWith('application/json')) return BUFFER_JSON_ANSWER;
  }
  return CONTINUE[message.request ?? ''] ?? {};
}

const definition = protoLoader.loadSync(['envoy/service/ext_proc/v3/external_processor.proto'], {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [join(import.meta.dirname, '..', 'protos')],
});
// biome-ignore lint/suspicious/noExplicitAny: the loaded package is untyped here
const pkg = grpc.loadPackageDefinition(definition) as any;
const server = new grpc.Server({
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.enable_channelz': 0,
});
server.addService(pkg.envoy.service.ext_proc.v3.ExternalProcessor.service, {
  Process(call: grpc.ServerDuplexStream<Message, object>) {
    let pipelined: boolean | undefined;
    call.on('data', (message: Message) => {
      pipelined ??= message.protocol_config?.send_body_without_waiting_for_header_response === true;
      call.write(reply(message, pipelined));
    });
    call.on('end', () => call.end());
    call.on('error', () => {});
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`listening ${port}\n`);
});
process.on('SIGTERM', () => server.forceShutdown());
