import { defineConfig } from 'vitest/config';

// Interop tests start real servers and JVMs: give them room, and keep runs on 2 cores sane.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
