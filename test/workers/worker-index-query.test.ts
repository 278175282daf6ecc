import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DefaultMessageStore, decodeMessage, storeConfig, type StoreConfig } from '../../src/store/index.js';
import { indexDir } from '../../src/store/file-names.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';
import { tempDir } from '../helpers/store-paths.js';

const quiet = { info() {}, warn() {}, error() {} };
const mappings = (): number => readFileSync('/proc/self/maps', 'utf8').split('\n').length;

async function putKeyed(store: DefaultMessageStore, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    await store.putMessage({ topic: 'IQ', queueId: i % 2, body: Buffer.from(`m${i}`), properties: `KEYS\u0001k${i % 40}` });
  }
}

async function queryAll(store: DefaultMessageStore, keys: number): Promise<string[][]> {
  const out: string[][] = [];
  for (let k = 0; k < keys; k++) {
    const r = await store.queryMessage('IQ', `k${k}`, 64, 0, Date.now() + 1000);
    out.push(r.messages.map((b) => decodeMessage(b, 0).body.toString()).sort());
  }
  return out;
}

describe('key queries in workers mode', () => {
  it('map the index files once, see files the worker adds, and answer as inline mode does', async () => {
    const t = tempDir();
    try {
      // Tiny index files: 1,500 keyed messages fill about ten of them.
      const cfg: StoreConfig = storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 1 << 20, mappedFileSizeConsumeQueue: 6000, maxHashSlotNum: 16, maxIndexNum: 150 });
      const store = new DefaultMessageStore(cfg, { remoteDispatcher: new WorkerDispatcher(), logger: quiet });
      await store.start();
      await putKeyed(store, 0, 1000);
      expect(await store.whenDispatched(store.getMaxPhyOffset(), 10_000)).toBe(true);
      expect(readdirSync(indexDir(cfg)).length).toBeGreaterThan(5);
      await queryAll(store, 1);
      const before = mappings();
      for (let round = 0; round < 3; round++) await queryAll(store, 10);
      // A view per query re-mapped every file each time (hundreds of mappings for these 30 queries).
      expect(mappings() - before).toBeLessThan(20);

      // Files the worker creates after the first query are found.
      await putKeyed(store, 1000, 1500);
      expect(await store.whenDispatched(store.getMaxPhyOffset(), 10_000)).toBe(true);
      const workers = await queryAll(store, 40);
      expect(workers.every((offsets) => offsets.length > 0)).toBe(true);
      expect(workers.reduce((n, o) => n + o.length, 0)).toBe(1500);
      await store.shutdown();

      const inline = new DefaultMessageStore(cfg, { logger: quiet });
      await inline.start();
      expect(await queryAll(inline, 40)).toEqual(workers);
      await inline.shutdown();
    } finally {
      t.cleanup();
    }
  });
});
