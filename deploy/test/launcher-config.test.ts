// The launcher's Envoy-side settings: defaults, and the one combination refused.
import { describe, expect, it } from 'vitest';
import { loadLauncherConfig } from '../src/launcher-config.js';

describe('launcher config', () => {
  it('defaults: loopback, fail-closed, pipelined bodies (sequential with fail-open)', () => {
    expect(loadLauncherConfig({})).toMatchObject({
      host: '127.0.0.1',
      port: 10000,
      failOpen: false,
      messageTimeoutMs: 1000,
      pipelinedBodies: true,
    });
    expect(loadLauncherConfig({ ACC_EXTPROC_PIPELINED_BODIES: 'false' }).pipelinedBodies).toBe(false);
    expect(loadLauncherConfig({ ACC_FAIL_OPEN: 'true' })).toMatchObject({
      failOpen: true,
      pipelinedBodies: false,
    });
  });

  it('refuses pipelined bodies with fail-open: a slow upload would pass unchecked', () => {
    expect(() => loadLauncherConfig({ ACC_EXTPROC_PIPELINED_BODIES: 'true', ACC_FAIL_OPEN: 'true' })).toThrow(
      /ACC_FAIL_OPEN=false/,
    );
  });
});
