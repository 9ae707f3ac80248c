// The README's run command, as a user runs it: `node deploy/dist/start.js` (what `npm start` ends in), pointed at
// the fake upstream, then the official SDK through it, then Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../envoy/src/process.js';
import { type FakeUpstream, startFakeUpstream } from '../../extproc/test/support/fake-upstream.js';

const root = join(import.meta.dirname, '../..');
const KEY = 'acc-launcher-test-key-000000000000000000';

function launch(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [join(root, 'deploy/dist/start.js')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

let lastResult = '';

async function until(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
  output: () => string,
  poll?: () => Promise<void>,
) {
  const deadline = Date.now() + timeoutMs;
  await poll?.();
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await poll?.();
  }
}

describe('npm start launcher', () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream({ openaiApiKeys: ['sk-launcher'] });
  });
  afterAll(async () => upstream?.close());

  it('starts the control plane (embedded PostgreSQL), extproc and Envoy; an admin logs in, creates a key that works at once and is refused within 2 s of revocation', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const cpPort = await freePort();
    const stateDir = mkdtempSync(join(tmpdir(), 'acc-launcher-'));
    const { child, output } = launch({
      ACC_STATE_DIR: stateDir,
      ACC_PORT: String(port),
      ACC_ADMIN_PORT: String(await freePort()),
      ACC_EXTPROC_PORT: String(await freePort()),
      ACC_METRICS_PORT: String(metricsPort),
      ACC_CP_PORT: String(cpPort),
      ACC_BOOTSTRAP_KEY: KEY,
      OPENAI_API_KEY: 'sk-launcher',
      ACC_OPENAI_BASE_URL: upstream.url,
      ACC_ANTHROPIC_BASE_URL: upstream.url,
      ACC_LOG_LEVEL: 'warn',
    });
    try {
      await until(() => output().includes('gateway is up'), 60_000, 'the launcher banner', output);
      expect(output()).toContain(`http://127.0.0.1:${port}/v1`);
      expect(output()).not.toContain(KEY);

      // The bootstrap key from the environment works.
      const bootstrapClient = new OpenAI({
        apiKey: KEY,
        baseURL: `http://127.0.0.1:${port}/v1`,
        maxRetries: 0,
      });
      const completion = await bootstrapClient.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
      });
      expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/acc_cost_usd_total\{provider="openai",model="gpt-4o-mini-2024-07-18"\} \d/);

      // The generated admin logs in with a session cookie and manages keys through the API.
      const password = /admin@acc\.local \/ (\S+)/.exec(output())?.[1];
      expect(password).toBeTruthy();
      const api = `http://127.0.0.1:${cpPort}/api/v1`;
      const login = await fetch(`${api}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@acc.local', password }),
      });
      expect(login.status).toBe(200);
      const { csrfToken } = (await login.json()) as { csrfToken: string };
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`${api}${path}`, {
          method,
          headers: {
            cookie,
            'x-csrf-token': csrfToken,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
        });
      const team = (await (await call('POST', '/teams', { name: 'research' })).json()) as { id: string };
      const created = (await (await call('POST', '/keys', { name: 'agent', teamId: team.id })).json()) as {
        id: string;
        key: string;
      };
      const client = new OpenAI({
        apiKey: created.key,
        baseURL: `http://127.0.0.1:${port}/v1`,
        maxRetries: 0,
      });
      const request = () =>
        client.chat.completions
          .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
          .then(
            () => 'ok',
            (error: unknown) => (error instanceof OpenAI.AuthenticationError ? 'refused' : String(error)),
          );
      await until(
        () => lastResult === 'ok',
        2000,
        'the new key to work',
        output,
        async () => {
          lastResult = await request();
        },
      );
      expect((await call('POST', `/keys/${created.id}/revoke`)).status).toBe(200);
      await until(
        () => lastResult === 'refused',
        2000,
        'the revoked key to be refused',
        output,
        async () => {
          lastResult = await request();
        },
      );
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    rmSync(stateDir, { recursive: true, force: true });
  }, 120_000);

  it('refuses a bad setting with a clear message and exit code 2', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'acc-launcher-'));
    const { child, output } = launch({
      ACC_STATE_DIR: stateDir,
      ACC_PORT: 'ten-thousand',
      ACC_BOOTSTRAP_KEY: KEY,
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    rmSync(stateDir, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(output()).toContain('ACC_PORT must be a whole number');
  }, 30_000);
});
