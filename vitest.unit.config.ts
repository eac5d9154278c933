import { defineConfig } from 'vitest/config';

/**
 * The unit tests the fast lane leaves out, each with its reason (test/unit/suite.test.ts fails
 * when a unit test needs a build, a compiler or a namespace and is not listed here).
 */
export const NOT_IN_FAST_LANE: Readonly<Record<string, string>> = {
  'test/unit/getopt.test.ts': "compiles glibc's getopt_long peer (cc)",
  'test/unit/launcher.test.ts': 'spawns the built bin/svipc and reads dist/cli',
  'test/unit/layout.test.ts': 'compiles a C program (cc) for the struct layouts',
  'test/unit/stat-protocol.test.ts': 'compiles a C peer (cc)',
};

// `npm run test:unit`: the fast lane. In-process tests that need no build (no dist/, so no
// global setup), no C compiler and no namespace: parsers on fixtures, renderers, sizes, the
// help and man page checks, src/ipc on private objects of its own. `npm test` runs everything
// (vitest.config.ts), these included.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    exclude: Object.keys(NOT_IN_FAST_LANE),
    // One module cache per worker, not per file: half the time (these tests share no state).
    isolate: false,
    testTimeout: 30_000,
    maxWorkers: 2,
  },
});
