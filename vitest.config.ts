import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['extproc/test/**/*.test.ts', 'envoy/test/**/*.test.ts', 'deploy/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
