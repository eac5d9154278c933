import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // IPC tests create kernel objects and spawn processes: a little parallelism, not a lot (2 cores).
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
  },
});
