import { afterEach } from 'vitest';
import { DefaultMessageStore, storeConfig, type StoreConfig } from '../../src/store/index.js';
import { tempDir } from './store-paths.js';

/**
 * Small stores whose retention runs at once: 64 KiB segments (about 58 records of 1000 bytes),
 * files expired after an hour, any hour a deletion hour, no pause between deletions.
 */
export const RETENTION_TEST_CONFIG: Partial<StoreConfig> = {
  mappedFileSizeCommitLog: 64 * 1024,
  mappedFileSizeConsumeQueue: 100 * 20,
  maxHashSlotNum: 64,
  maxIndexNum: 200,
  deleteWhen: '*',
  fileReservedTime: 1,
  deleteCommitLogFilesInterval: 1,
  deleteConsumeQueueFilesInterval: 1,
};

/**
 * Stores over temp directories for one test file, with tiny segments unless overridden. Call at
 * the top level of a test file: everything opened or registered is released after each test.
 */
export function scratchStores(base: Partial<StoreConfig> = {}) {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    /** Runs `c` after the current test (last registered, first run). */
    cleanups,
    /** A config over a fresh temp directory (removed after the test). */
    fresh(overrides: Partial<StoreConfig> = {}): StoreConfig {
      const t = tempDir();
      cleanups.push(t.cleanup);
      return storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 4096, mappedFileSizeConsumeQueue: 200, ...base, ...overrides });
    },
    /** A started store over `cfg` with a quiet logger (errors still printed). */
    async open(cfg: StoreConfig, storeHost?: string): Promise<DefaultMessageStore> {
      const s = new DefaultMessageStore(cfg, { storeHost, logger: { info() {}, warn() {}, error: (m) => console.error(m) } });
      await s.start();
      return s;
    },
  };
}
