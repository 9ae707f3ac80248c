#!/usr/bin/env node
// `npm start`: the whole gateway on one machine with embedded defaults. Starts the control plane (embedded PostgreSQL
// unless DATABASE_URL is set), then extproc fed by its policy snapshots, then the pinned Envoy; prints where
// everything listens and supervises all three: if one dies the others are stopped, so a half-running gateway never
// lingers.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ConfigError as ControlPlaneConfigError,
  loadConfig as loadControlPlaneConfig,
} from '@acc/control-plane/config';
import { ensureEnvoy, findRepoRoot, parseUpstreamUrl, startEnvoy, writeBootstrap } from '@acc/envoy';
import { ConfigError, loadExtprocConfig } from '@acc/extproc';
import { loadLauncherConfig } from './launcher-config.js';

const root = findRepoRoot();
// Generated secrets and embedded data live here (the control plane reads the same variable).
const stateDir = process.env.ACC_STATE_DIR?.trim() || join(root, '.acc');

/** A secret kept in `.acc/<name>` (mode 0600), created on first use: `prefix` + 40 base62 characters. */
function stateSecret(name: string, prefix: string): { value: string; generated: boolean } {
  const file = join(stateDir, name);
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), generated: false };
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // Drawn without modulo bias: bytes >= 248 are rejected (248 = 62 * 4).
  let value = prefix;
  while (value.length < prefix.length + 40) {
    for (const byte of randomBytes(64))
      if (byte < 248 && value.length < prefix.length + 40) value += alphabet[byte % 62];
  }
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { value, generated: true };
}

function spawnNode(script: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [join(root, script)], { env, stdio: 'inherit' });
}

async function waitForReady(
  name: string,
  url: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with code ${child.exitCode} during start-up`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} was not ready at ${url} within ${timeoutMs} ms`);
}

async function main(): Promise<void> {
  const envFile = join(root, '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile);

  const env: NodeJS.ProcessEnv = { ...process.env };
  const key = env.ACC_BOOTSTRAP_KEY ? null : stateSecret('bootstrap-key', 'acc-');
  if (key) env.ACC_BOOTSTRAP_KEY = key.value;
  // The first admin of an empty database: from the environment, or generated once and kept in .acc/.
  const admin = env.ACC_ADMIN_EMAIL ? null : stateSecret('admin-password', '');
  if (admin) {
    env.ACC_ADMIN_EMAIL = 'admin@acc.local';
    env.ACC_ADMIN_PASSWORD = admin.value;
  }
  // Validates the control plane's settings and, in embedded mode, creates .acc/master-key and .acc/internal-token,
  // which extproc needs too: one to open provider credentials, one to long-poll snapshots.
  const controlPlane = loadControlPlaneConfig(env);
  env.ACC_MASTER_KEY = controlPlane.masterKey.key.toString('hex');
  if (controlPlane.internalToken) env.ACC_INTERNAL_TOKEN = controlPlane.internalToken;
  const controlPlaneUrl = `http://${controlPlane.host === '0.0.0.0' ? '127.0.0.1' : controlPlane.host}:${controlPlane.port}`;
  if (!env.REDIS_URL) env.ACC_CONTROL_PLANE_URL = controlPlaneUrl;
  // extproc writes the deployment clusters there and Envoy reads them: both get the same absolute directory.
  env.ACC_ENVOY_DYNAMIC_DIR = resolve(env.ACC_ENVOY_DYNAMIC_DIR?.trim() || join(stateDir, 'envoy-dynamic'));
  const extprocConfig = loadExtprocConfig(env);
  const launcher = loadLauncherConfig(env);
  for (const [name, url] of Object.entries(launcher.upstreams))
    parseUpstreamUrl(url, `ACC_${name.toUpperCase()}_BASE_URL`);

  const binPath = await ensureEnvoy();
  const children: ChildProcess[] = [];
  const stopChildren = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.on('exit', stopChildren);
  const cp = spawnNode('control-plane/dist/server.js', env);
  children.push(cp);
  await waitForReady('control plane', `${controlPlaneUrl}/readyz`, cp, 60_000);
  const extproc = spawnNode('extproc/dist/main.js', env);
  children.push(extproc);
  await waitForReady(
    'extproc',
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
        maxMessageTimeoutMs: launcher.maxMessageTimeoutMs,
        pipelinedBodies: launcher.pipelinedBodies,
      },
      upstreams: launcher.upstreams,
      deploymentClusters: {
        dir: env.ACC_ENVOY_DYNAMIC_DIR,
        maxFallbackRetries: launcher.maxFallbackRetries,
      },
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
      ? `  Gateway key (new, saved to .acc/bootstrap-key, shown once): ${key.value}`
      : `  Gateway key: ${key ? 'in .acc/bootstrap-key' : 'ACC_BOOTSTRAP_KEY'} (more: POST /api/v1/keys)`,
    `  Control plane: ${controlPlaneUrl}   API docs: ${controlPlaneUrl}/api/docs`,
    admin?.generated
      ? `  Admin login (new, saved to .acc/admin-password, shown once): admin@acc.local / ${admin.value}`
      : `  Admin login: ${admin ? 'admin@acc.local, password in .acc/admin-password' : env.ACC_ADMIN_EMAIL}`,
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
    stopChildren();
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null))),
      ),
    );
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  for (const [name, child] of [
    ['control plane', cp],
    ['extproc', extproc],
  ] as const) {
    child.once('exit', (code) => {
      if (!stopping) process.stderr.write(`${name} exited (code ${code}); stopping the gateway\n`);
      void stopAll(1);
    });
  }
  void envoy.exited.then(({ code }) => {
    if (!stopping) process.stderr.write(`Envoy exited (code ${code}); stopping the gateway\n`);
    void stopAll(1);
  });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const isConfigError = error instanceof ConfigError || error instanceof ControlPlaneConfigError;
  process.stderr.write(`${isConfigError ? 'configuration error' : 'failed to start'}: ${message}\n`);
  process.exit(isConfigError ? 2 : 1);
});
