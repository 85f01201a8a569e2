import { defineConfig } from 'vitest/config';

// Integration tests share one real stack (Temporal, Kafka, MySQL, Cassandra) on a 2-core machine: run test files
// one at a time, with timeouts that fit real services.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
    // A test that asserts nothing passes whatever the code does: make it fail instead.
    expect: { requireAssertions: true },
  },
});
