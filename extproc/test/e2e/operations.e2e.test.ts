// Operations surface: health endpoints, gRPC health, and logs that never carry keys or prompts.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../envoy/src/process.js';
import { loadExtprocConfig, type RunningExtproc, startExtproc } from '../../src/index.js';
import { GATEWAY_KEY, type Gateway, OPENAI_PROVIDER_KEY, startGateway } from './gateway-harness.js';

describe('health', () => {
  let extproc: RunningExtproc;
  let grpcPort: number;
  beforeAll(async () => {
    grpcPort = await freePort();
    extproc = await startExtproc(
      loadExtprocConfig({
        ACC_EXTPROC_PORT: String(grpcPort),
        ACC_METRICS_PORT: '0',
        ACC_BOOTSTRAP_KEY: GATEWAY_KEY,
      }),
      { logger: pino({ level: 'silent' }), defaultMetrics: false },
    );
  });
  afterAll(async () => extproc?.stop(500));

  it('answers /healthz, /readyz and /metrics over HTTP', async () => {
    const base = `http://127.0.0.1:${extproc.metricsPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('acc_extproc_active_streams');
  });

  it('reports SERVING on the standard gRPC health service', async () => {
    const definition = protoLoader.loadSync('grpc/health/v1/health.proto', {
      enums: String,
      includeDirs: [fileURLToPath(new URL('../../../protos', import.meta.url))],
    });
    const { grpc: health } = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    };
    type HealthClient = grpc.Client & {
      Check(request: object, callback: (error: Error | null, reply: { status: string }) => void): void;
    };
    const client = new health.health.v1.Health(
      `127.0.0.1:${grpcPort}`,
      grpc.credentials.createInsecure(),
    ) as unknown as HealthClient;
    const status = await new Promise<{ status: string }>((resolve, reject) =>
      client.Check({ service: '' }, (error, reply) => (error ? reject(error) : resolve(reply))),
    );
    client.close();
    expect(status.status).toBe('SERVING');
  });
});

describe('logs', () => {
  let gateway: Gateway;
  const lines: string[] = [];
  beforeAll(async () => {
    const logger = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
    gateway = await startGateway({ logger });
  }, 120_000);
  afterAll(async () => gateway?.close());

  it('never contain the gateway key, the provider key or the prompt, even at trace level', async () => {
    const prompt = 'my confidential prompt about project nightingale';
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'no-price-model-xyz', messages: [{ role: 'user', content: prompt }] }),
    });
    await response.arrayBuffer();
    await gateway.waitForRecords(1);
    const wrong = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer acc-wrong-key-that-must-not-be-logged',
        'content-type': 'application/json',
      },
      body: '{}',
    });
    await wrong.arrayBuffer();
    await gateway.waitForRecords(2);

    const text = lines.join('');
    expect(text).toContain('request finished');
    expect(text).toContain('no price known for model');
    for (const secret of [
      GATEWAY_KEY,
      OPENAI_PROVIDER_KEY,
      'nightingale',
      'acc-wrong-key-that-must-not-be-logged',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
