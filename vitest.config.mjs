// Tests run against the compiled tree (dist/) so that worker threads and child processes
// load exactly the same JavaScript the tests import: one world, no loaders.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['dist/test/**/*.test.js'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    // Servers the tests start write no log files under the user's ~/logs/rocketmqlogs; a test
    // of the log files names its own directory.
    env: { ROCKETMQ_TS_LOG_DIR: 'off' },
  },
});
