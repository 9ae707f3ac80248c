// The README's run command, as a user runs it: `node deploy/dist/start.js` (what `npm start` ends in), pointed at
// the fake upstream, then the official SDK through it, then Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process';
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

async function until(condition: () => boolean, timeoutMs: number, what: string, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm start launcher', () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream({ openaiApiKeys: ['sk-launcher'] });
  });
  afterAll(async () => upstream?.close());

  it('starts Envoy + extproc, serves the OpenAI SDK, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const { child, output } = launch({
      ACC_PORT: String(port),
      ACC_ADMIN_PORT: String(await freePort()),
      ACC_EXTPROC_PORT: String(await freePort()),
      ACC_METRICS_PORT: String(metricsPort),
      ACC_BOOTSTRAP_KEY: KEY,
      OPENAI_API_KEY: 'sk-launcher',
      ACC_OPENAI_BASE_URL: upstream.url,
      ACC_ANTHROPIC_BASE_URL: upstream.url,
      ACC_LOG_LEVEL: 'warn',
    });
    try {
      await until(() => output().includes('gateway is up'), 30_000, 'the launcher banner', output);
      expect(output()).toContain(`http://127.0.0.1:${port}/v1`);
      expect(output()).not.toContain(KEY);

      const client = new OpenAI({ apiKey: KEY, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
      const completion = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
      });
      expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/acc_cost_usd_total\{provider="openai",model="gpt-4o-mini-2024-07-18"\} \d/);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
  }, 60_000);

  it('refuses a bad setting with a clear message and exit code 2', async () => {
    const { child, output } = launch({ ACC_PORT: 'ten-thousand', ACC_BOOTSTRAP_KEY: KEY });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(output()).toContain('ACC_PORT must be a whole number');
  }, 30_000);
});
