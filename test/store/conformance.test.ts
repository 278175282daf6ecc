import { DefaultMessageStore, MemoryMessageStore, storeConfig } from '../../src/store/index.js';
import { conformanceSuite } from './conformance.js';
import { tempDir } from '../helpers/store-paths.js';

conformanceSuite('DefaultMessageStore (files)', () => {
  const t = tempDir();
  return {
    async open(overrides = {}) {
      const s = new DefaultMessageStore(storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 64 * 1024, mappedFileSizeConsumeQueue: 2000, ...overrides }));
      await s.start();
      return s;
    },
    async cleanup() {
      t.cleanup();
    },
  };
});

conformanceSuite('MemoryMessageStore', () => ({
  async open(overrides = {}) {
    const s = new MemoryMessageStore(storeConfig(overrides));
    await s.start();
    return s;
  },
  async cleanup() {},
}));
