#!/usr/bin/env node
// `npm start`: the whole gateway on one machine with embedded defaults. Starts extproc, waits until it is ready,
// renders Envoy's bootstrap from the environment, starts the pinned Envoy, prints where everything listens, and
// supervises both: if either dies the other is stopped too, so a half-running gateway never lingers.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureEnvoy, findRepoRoot, parseUpstreamUrl, startEnvoy, writeBootstrap } from '@acc/envoy';
import { ConfigError, loadExtprocConfig } from '@acc/extproc';
import { loadLauncherConfig } from './launcher-config.js';

const root = findRepoRoot();
const stateDir = join(root, '.acc');

function bootstrapKey(): { key: string; generated: boolean } {
  const file = join(stateDir, 'bootstrap-key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), generated: false };
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // 40 characters drawn without modulo bias: bytes >= 248 are rejected (248 = 62 * 4).
  let key = 'acc-';
  while (key.length < 44) {
    for (const byte of randomBytes(64)) if (byte < 248 && key.length < 44) key += alphabet[byte % 62];
  }
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, generated: true };
}

async function waitForReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`extproc exited with code ${child.exitCode} during start-up`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`extproc was not ready at ${url} within ${timeoutMs} ms`);
}

async function main(): Promise<void> {
  const envFile = join(root, '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile);

  const key = process.env.ACC_BOOTSTRAP_KEY ? null : bootstrapKey();
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (key) env.ACC_BOOTSTRAP_KEY = key.key;
  const extprocConfig = loadExtprocConfig(env);
  const launcher = loadLauncherConfig(env);
  for (const [name, url] of Object.entries(launcher.upstreams))
    parseUpstreamUrl(url, `ACC_${name.toUpperCase()}_BASE_URL`);

  const binPath = await ensureEnvoy();
  const extproc = spawn(process.execPath, [join(root, 'extproc/dist/main.js')], { env, stdio: 'inherit' });
  const stopExtproc = () => {
    if (extproc.exitCode === null) extproc.kill('SIGTERM');
  };
  process.on('exit', stopExtproc);
  await waitForReady(
    `http://${extprocConfig.metricsHost}:${extprocConfig.metricsPort}/readyz`,
    extproc,
    15_000,
  );

  const configPath = join(stateDir, 'envoy.json');
  mkdirSync(stateDir, { recursive: true });
  await writeBootstrap(
    {
      listen: { host: launcher.host, port: launcher.port },
      admin: { host: '127.0.0.1', port: launcher.adminPort },
      extproc: {
        host: extprocConfig.grpcHost,
        port: extprocConfig.grpcPort,
        failureModeAllow: launcher.failOpen,
        messageTimeoutMs: launcher.messageTimeoutMs,
        maxMessageTimeoutMs: Math.max(launcher.messageTimeoutMs, 10_000),
      },
      upstreams: launcher.upstreams,
      maxRequestBytes: extprocConfig.maxRequestBytes,
      accessLog: launcher.accessLog,
    },
    configPath,
  );
  const envoy = await startEnvoy({
    configPath,
    binPath,
    echo: true,
    logLevel: 'warn',
    concurrency: launcher.envoyConcurrency,
  });

  const base = `http://${launcher.host}:${launcher.port}`;
  const lines = [
    '',
    'AgentCostControl gateway is up',
    `  OpenAI-compatible:     ${base}/v1   (Authorization: Bearer <gateway key>)`,
    `  Anthropic-compatible:  ${base}      (x-api-key: <gateway key>)`,
    key?.generated
      ? `  Gateway key (new, saved to .acc/bootstrap-key, shown once): ${key.key}`
      : `  Gateway key: ${key ? 'in .acc/bootstrap-key' : 'ACC_BOOTSTRAP_KEY'}`,
    `  Upstreams:  openai → ${launcher.upstreams.openai}   anthropic → ${launcher.upstreams.anthropic}`,
    `  Metrics:    http://${extprocConfig.metricsHost}:${extprocConfig.metricsPort}/metrics   Envoy: ${envoy.adminUrl}/stats/prometheus`,
    `  Failure mode: ${launcher.failOpen ? 'fail-open (ACC_FAIL_OPEN=true)' : 'fail-closed (503 when extproc is unavailable)'}`,
  ];
  for (const provider of ['openai', 'anthropic'] as const) {
    if (!extprocConfig.providerKeys[provider]) {
      lines.push(
        `  Note: ${provider === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY'} is not set: ${provider} requests get 503.`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await envoy.stop();
    stopExtproc();
    await new Promise((resolve) =>
      extproc.exitCode === null ? extproc.once('exit', resolve) : resolve(null),
    );
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  extproc.once('exit', (code) => {
    if (!stopping) process.stderr.write(`extproc exited (code ${code}); stopping Envoy\n`);
    void stopAll(1);
  });
  void envoy.exited.then(({ code }) => {
    if (!stopping) process.stderr.write(`Envoy exited (code ${code}); stopping extproc\n`);
    void stopAll(1);
  });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `${error instanceof ConfigError ? 'configuration error' : 'failed to start'}: ${message}\n`,
  );
  process.exit(error instanceof ConfigError ? 2 : 1);
});
