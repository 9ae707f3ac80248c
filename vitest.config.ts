import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'extproc/test/**/*.test.ts',
      'envoy/test/**/*.test.ts',
      'deploy/test/**/*.test.ts',
      'control-plane/test/**/*.test.ts',
    ],
    // One private PostgreSQL + Redis for the whole run (real Debian-packaged servers; see control-plane/test/support).
    globalSetup: ['control-plane/test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
