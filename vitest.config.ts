import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores here and in CI; end-to-end tests start servers and child processes.
    maxWorkers: 2,
    // On Node 22.1+ every gsync a test starts would keep a compile cache in os.tmpdir() (src/index.ts),
    // and a test run must leave TMPDIR as it found it; test/startup.test.ts turns it back on where it looks.
    env: { NODE_DISABLE_COMPILE_CACHE: '1' },
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
