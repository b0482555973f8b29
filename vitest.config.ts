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
    // Each worker runs file after file in one process, its modules loaded once: a fresh process
    // and module graph per file cost ~0.4 s each, over 100 s of the suite's wall time on 2
    // cores. Test files share no state through modules (each starts its own servers, ports,
    // temp dirs; test/support/child-processes.ts tracks children across files either way).
    isolate: false,
  },
});
