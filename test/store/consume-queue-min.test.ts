import { afterEach, describe, expect, it } from 'vitest';
import { storeConfig } from '../../src/store/index.js';
import { ConsumeQueue } from '../../src/store/consume-queue.js';
import { tempDir } from '../helpers/store-paths.js';

/**
 * The first live unit of a queue after its oldest records were deleted from the commit log. A
 * stop before retention's paced deletion reached every expired consume queue file leaves several
 * whose records are all gone; a start that looked at the first file only (as RocketMQ's
 * correctMinOffset does) pointed the min offset at deleted records (a retention test in workers
 * mode failed one run in about ten that way).
 */
describe('consume queue min offset', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  /** A queue of 10-unit files holding 35 units for records of 100 bytes at 0, 100, 200, ... */
  function queue(): ConsumeQueue {
    const t = tempDir();
    const cq = new ConsumeQueue(storeConfig({ storePathRootDir: t.dir, mappedFileSizeConsumeQueue: 200 }), 'T', 0);
    cleanups.push(() => cq.files.close(), t.cleanup);
    for (let i = 0; i < 35; i++) expect(cq.putEntry(i * 100, 100, 0, i)).toBe(true);
    return cq;
  }

  it('looks past files whose records are all gone', () => {
    const cq = queue();
    cq.correctMinOffset(2_450); // records 0-24 gone: the first two files and half of the third
    expect(cq.minOffsetInQueue).toBe(25);
  });

  it('stays in the first file when it still has live units, and moves only forward', () => {
    const cq = queue();
    cq.correctMinOffset(300);
    expect(cq.minOffsetInQueue).toBe(3);
    cq.correctMinOffset(0);
    expect(cq.minOffsetInQueue).toBe(3);
    cq.correctMinOffset(1_000); // exactly the first unit of the second file
    expect(cq.minOffsetInQueue).toBe(10);
  });

  it('ends at the end of the queue when every record is gone', () => {
    const cq = queue();
    cq.correctMinOffset(10_000);
    expect(cq.minOffsetInQueue).toBe(35);
    expect(cq.maxOffsetInQueue).toBe(35);
  });
});
