import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Room for starting influxd in a hook and for receiver tests that wait through several retries.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each test file starts its own influxd, and some tests measure retries and timeouts. Files run
    // one at a time, so that no other file's server competes with those tests for CPU.
    fileParallelism: false,
    // The default reporter ends with the summary lines (files, tests, duration). JUnit XML is for CI.
    reporters: ['default', 'junit'],
    outputFile: { junit: 'test-output/junit.xml' },
  },
});
