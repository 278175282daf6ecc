import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DefaultMessageStore, decodeMessage, storeConfig, type PutMessageResult, type StoreConfig } from '../../src/store/index.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';
import { tempDir } from '../helpers/store-paths.js';
import { until } from '../helpers/until.js';

const quiet = { info() {}, warn() {}, error() {} };

function bodies(s: DefaultMessageStore, topic: string): string[] {
  const r = s.getMessage('g', topic, 0, 0, 64);
  return r.status === 'FOUND' ? r.messages.map((b) => decodeMessage(b, 0).body.toString()) : [];
}

/**
 * Records appended just before a topic is deleted may still be on their way to the consume
 * queues: held until written under SYNC_FLUSH, or in a worker's ring. They must not come back
 * into the topic's new queue, where they would take the offsets new messages get.
 */
describe.each([
  ['dispatch workers', true, 'ASYNC_FLUSH'],
  ['dispatch workers, SYNC_FLUSH', true, 'SYNC_FLUSH'],
  ['inline, SYNC_FLUSH', false, 'SYNC_FLUSH'],
] as const)('deleting a topic with records in flight (%s)', (_name, workers, flushDiskType) => {
  it('keeps old records out of the new queue, and unmaps the deleted files soon', async () => {
    const t = tempDir();
    const cfg: StoreConfig = storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 1 << 20, mappedFileSizeConsumeQueue: 6000, flushDiskType });
    const store = new DefaultMessageStore(cfg, { remoteDispatcher: workers ? new WorkerDispatcher() : undefined, logger: quiet });
    await store.start();
    try {
      for (let round = 0; round < 3; round++) {
        const puts: Promise<PutMessageResult>[] = [];
        for (let i = 0; i < 50; i++) puts.push(store.putMessage({ topic: 'D', queueId: 0, body: Buffer.from(`old${round}-${i}`) }));
        store.deleteTopics(['D']);
        await Promise.all(puts);
        const r = await store.putMessage({ topic: 'D', queueId: 0, body: Buffer.from(`new${round}`) });
        expect(r.queueOffset).toBe(0);
        await store.whenDispatched(store.getMaxPhyOffset(), 5000);
        expect(bodies(store, 'D')).toEqual([`new${round}`]);
        store.deleteTopics(['D']);
      }
      // A topic appended to after the others were deleted is untouched.
      await store.putMessage({ topic: 'Other', queueId: 0, body: Buffer.from('o') });
      await store.whenDispatched(store.getMaxPhyOffset(), 5000);
      expect(bodies(store, 'Other')).toEqual(['o']);
      // The deleted queue files are unmapped soon (their blocks freed), not at some later collection.
      const deletedMappings = () => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes(t.dir) && l.endsWith('(deleted)')).length;
      await until(() => deletedMappings() === 0, 5000);
    } finally {
      await store.shutdown();
      t.cleanup();
    }
  });
});
