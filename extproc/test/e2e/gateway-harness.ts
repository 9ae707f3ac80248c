// A whole gateway for end-to-end tests: the fake upstream, our extproc (in this process, so its spend records can
// be read directly) and a real Envoy from the pinned wheel, all on fresh loopback ports.
import { type Logger, pino } from 'pino';
import { renderBootstrap } from '../../../envoy/src/bootstrap.js';
import { ensureEnvoy } from '../../../envoy/src/install.js';
import { freePort, type RunningEnvoy, startEnvoy } from '../../../envoy/src/process.js';
import { loadExtprocConfig, type RequestRecord, type RunningExtproc, startExtproc } from '../../src/index.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';

export const GATEWAY_KEY = 'acc-e2e-gateway-key-00000000000000000000';
export const OPENAI_PROVIDER_KEY = 'sk-provider-openai-e2e';
export const ANTHROPIC_PROVIDER_KEY = 'sk-ant-provider-e2e';

export interface GatewayOptions {
  failOpen?: boolean;
  maxRequestBytes?: number;
  messageTimeoutMs?: number;
  extprocEnv?: Record<string, string>;
  /** Envoy pipelines bodies (default: yes when fail-closed; ACC_TEST_PIPELINED_BODIES=0 turns it off everywhere). */
  pipelinedBodies?: boolean;
  /** Envoy's buffer filter holds endpoint request bodies until complete (default: yes, with pipelined bodies). */
  wholeRequestBodies?: boolean;
  /** extproc's logger; silent by default. */
  logger?: Logger;
}

export interface Gateway {
  url: string;
  upstream: FakeUpstream;
  envoy: RunningEnvoy;
  extproc: RunningExtproc;
  records: RequestRecord[];
  /** Waits until `n` spend records exist (records are written when a stream ends, just after the client saw it). */
  waitForRecords(n: number, timeoutMs?: number): Promise<RequestRecord[]>;
  metricsText(): Promise<string>;
  stopExtproc(): Promise<void>;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const binPath = await ensureEnvoy();
  const upstream = await startFakeUpstream({
    openaiApiKeys: [OPENAI_PROVIDER_KEY],
    anthropicApiKeys: [ANTHROPIC_PROVIDER_KEY],
  });
  const grpcPort = await freePort();
  const maxRequestBytes = options.maxRequestBytes ?? 1024 * 1024;
  const config = loadExtprocConfig({
    ACC_EXTPROC_PORT: String(grpcPort),
    ACC_METRICS_PORT: '0',
    ACC_BOOTSTRAP_KEY: GATEWAY_KEY,
    OPENAI_API_KEY: OPENAI_PROVIDER_KEY,
    ANTHROPIC_API_KEY: ANTHROPIC_PROVIDER_KEY,
    ACC_MAX_REQUEST_BYTES: String(maxRequestBytes),
    ...options.extprocEnv,
  });
  const records: RequestRecord[] = [];
  const extproc = await startExtproc(config, {
    onRecord: (record) => records.push(record),
    logger: options.logger ?? pino({ level: 'silent' }),
    defaultMetrics: false,
  });
  const envoy = await startEnvoy({
    binPath,
    bootstrap: renderBootstrap({
      listen: { host: '127.0.0.1', port: await freePort() },
      admin: { host: '127.0.0.1', port: await freePort() },
      extproc: {
        host: '127.0.0.1',
        port: grpcPort,
        failureModeAllow: options.failOpen ?? false,
        messageTimeoutMs: options.messageTimeoutMs ?? 2000,
        maxMessageTimeoutMs: 10_000,
        pipelinedBodies:
          options.pipelinedBodies ?? (process.env.ACC_TEST_PIPELINED_BODIES === '0' ? false : undefined),
        wholeRequestBodies: options.wholeRequestBodies,
      },
      upstreams: { openai: upstream.url, anthropic: upstream.url },
      maxRequestBytes,
    }),
  });

  let extprocStopped = false;
  return {
    url: envoy.listenUrl,
    upstream,
    envoy,
    extproc,
    records,
    async waitForRecords(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (records.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} spend records, have ${records.length}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return records;
    },
    async metricsText() {
      const response = await fetch(`http://127.0.0.1:${extproc.metricsPort}/metrics`);
      return response.text();
    },
    async stopExtproc() {
      if (extprocStopped) return;
      extprocStopped = true;
      await extproc.stop(1000);
    },
    async close() {
      await envoy.stop();
      if (!extprocStopped) await extproc.stop(1000);
      await upstream.close();
    },
  };
}

/** The value of one Prometheus sample, matching every given label. */
export function metricSample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
