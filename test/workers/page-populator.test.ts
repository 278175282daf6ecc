import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultMessageStore, decodeMessage, storeConfig } from '../../src/store/index.js';
import { WorkerPagePopulator } from '../../src/workers/page-populator.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';
import { tempDir } from '../helpers/store-paths.js';
import { until } from '../helpers/until.js';

const threadNames = () => readdirSync('/proc/self/task').map((id) => readFileSync(`/proc/self/task/${id}/comm`, 'utf8').trim());

describe('page populator thread', () => {
  it('populates ahead of the writer across segments without touching the data', async () => {
    const t = tempDir();
    try {
      const cfg = storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 4 << 20, mappedFileSizeConsumeQueue: 60_000 });
      const populator = new WorkerPagePopulator();
      const s = new DefaultMessageStore(cfg, { pagePopulator: populator });
      await s.start();
      const body = Buffer.alloc(1000, 0x41);
      const n = 10_000; // ~10 MiB: three segments
      for (let i = 0; i < n; i++) await s.putMessage({ topic: 'PP', queueId: 0, body, properties: `KEYS\u0001k${i}` });
      // The populator follows the writer into the last segment and gets ahead of it.
      const last = s.commitLog.queue.last!;
      expect(last.fileFromOffset).toBeGreaterThan(0);
      await until(() => populator.donePages * 4096 > last.wrotePosition);
      let count = 0;
      for (let off = 0; ; ) {
        const r = s.getMessage('g', 'PP', 0, off, 32);
        if (r.status !== 'FOUND') break;
        for (const m of r.messages) expect(decodeMessage(m, 0).body.equals(body)).toBe(true);
        count += r.messages.length;
        off = r.nextBeginOffset;
      }
      expect(count).toBe(n);
      await s.shutdown();
      const again = new DefaultMessageStore(cfg);
      await again.start();
      expect(again.getMaxOffsetInQueue('PP', 0)).toBe(n);
      await again.shutdown();
    } finally {
      t.cleanup();
    }
  });

  it('names its thread, as the dispatch and index workers do, so top -H and perf tell them apart', async () => {
    const t = tempDir();
    try {
      const cfg = storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 1 << 20, mappedFileSizeConsumeQueue: 6000 });
      const s = new DefaultMessageStore(cfg, { pagePopulator: new WorkerPagePopulator(), remoteDispatcher: new WorkerDispatcher() });
      await s.start();
      await until(() => threadNames().includes('rmq-populator'));
      expect(threadNames()).toEqual(expect.arrayContaining(['rmq-dispatch', 'rmq-index', 'rmq-populator']));
      await s.shutdown();
    } finally {
      t.cleanup();
    }
  });

  it('a segment it cannot populate is skipped, and the next one is still populated', async () => {
    const t = tempDir();
    const populator = new WorkerPagePopulator();
    try {
      // Sized as a segment, then truncated behind its back (a full tmpfs fails alike).
      const bad = join(t.dir, '00000000000000000000');
      const good = join(t.dir, '00000000000004194304');
      for (const f of [bad, good]) writeFileSync(f, Buffer.alloc(0)), truncateSync(f, 4 << 20);
      populator.request(bad, 0, 4096); // mapped at 4 MiB, one page populated
      await until(() => populator.donePages === 1);
      truncateSync(bad, 4096);
      populator.request(bad, 0, 4 << 20); // the next pages are past the end of the file
      await new Promise((r) => setTimeout(r, 50));
      populator.request(good, 4 << 20, 2 << 20);
      await until(() => populator.donePages >= 512);
      expect(threadNames()).toContain('rmq-populator');
    } finally {
      await populator.close();
      t.cleanup();
    }
  });
});
