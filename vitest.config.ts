import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two test files at a time: vitest's default on 2 cores is one, and most tests wait on a spawned
    // kseg or on fsync, leaving a core idle (suite 6.5 min with two against ~9 with one, idle machine).
    maxWorkers: 2,
  },
});
