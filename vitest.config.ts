import { defineConfig } from 'vitest/config';

// Interop tests start real servers and JVMs: give them room, and keep runs on 2 cores sane.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Kills the server processes a test file left running (test/support/child-processes.ts).
    setupFiles: ['test/support/cleanup-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
