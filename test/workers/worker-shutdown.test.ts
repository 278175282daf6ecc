import { describe, expect, it } from 'vitest';
import { ConsumeQueueTable } from '../../src/store/consume-queue-table.js';
import { DefaultMessageStore, storeConfig } from '../../src/store/index.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';
import { tempDir } from '../helpers/store-paths.js';

const quiet = { info() {}, warn() {}, error() {} };

/** Units on disk per queue, read without recovery (which would re-dispatch what is missing). */
function unitsOnDisk(cfg: ReturnType<typeof storeConfig>, topic: string, queueId: number): number {
  const table = new ConsumeQueueTable(cfg);
  try {
    table.load(() => {});
    table.recover();
    return table.find(topic, queueId)?.maxOffsetInQueue ?? 0;
  } finally {
    table.close();
  }
}

describe('workers mode shutdown', () => {
  it('dispatches every record accepted before it, including those still waiting for ring space', async () => {
    const t = tempDir();
    try {
      const cfg = storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 1 << 20, mappedFileSizeConsumeQueue: 20 * 1000, dispatchRingSlots: 2 });
      const workers = new WorkerDispatcher();
      const store = new DefaultMessageStore(cfg, { remoteDispatcher: workers, logger: quiet });
      await store.start();
      const puts = Array.from({ length: 300 }, (_, i) => store.putMessage({ topic: 'S', queueId: 0, body: Buffer.from(`s${i}`), properties: `KEYS\u0001s${i}` }));
      await store.shutdown();
      const settled = await Promise.race([Promise.allSettled(puts), new Promise<null>((r) => setTimeout(r, 2000, null))]);
      expect(settled?.every((s) => s.status === 'fulfilled')).toBe(true);
      expect(unitsOnDisk(cfg, 'S', 0)).toBe(300);
    } finally {
      t.cleanup();
    }
  });
});
