import { afterEach, describe, expect, it } from 'vitest';
import { CommitLogFlusher } from '../../src/store/flush.js';
import type { MappedFileQueue } from '../../src/store/mapped-file-queue.js';
import { until } from '../helpers/until.js';

/** A commit log whose flushes finish when the test says so. */
class SlowQueue {
  maxWrotePosition = 0;
  maxFlushedPosition = 0;
  flushes: (() => void)[] = [];
  get unflushedBytes(): number {
    return this.maxWrotePosition - this.maxFlushedPosition;
  }
  flush(): Promise<number> {
    const target = this.maxWrotePosition;
    return new Promise((resolve) =>
      this.flushes.push(() => {
        this.maxFlushedPosition = target;
        resolve(target);
      }),
    );
  }
}

const flushers: CommitLogFlusher[] = [];
afterEach(() => {
  for (const f of flushers.splice(0)) f.stop();
});

function syncFlusher(q: SlowQueue): CommitLogFlusher {
  const f = new CommitLogFlusher(q as unknown as MappedFileQueue, {
    sync: true,
    intervalMs: 500,
    leastPages: 4,
    thoroughIntervalMs: 10_000,
    timeoutMs: 300,
    lastStoreTimestamp: () => 0,
    onFlushed: () => {},
    onError: (e) => console.error(e),
  });
  flushers.push(f);
  f.start();
  return f;
}

describe('SYNC_FLUSH group commit between sends', () => {
  it('flushes bytes nobody waits for, and a send arriving during that flush still gets its own', async () => {
    const q = new SlowQueue();
    const f = syncFlusher(q);
    q.maxWrotePosition = 100;
    await until(() => q.flushes.length === 1, 2000);
    q.maxWrotePosition = 200;
    const acked = f.waitFor(200);
    q.flushes.shift()!();
    await until(() => q.flushes.length === 1, 2000);
    q.flushes.shift()!();
    expect(await acked).toBe(true);
    expect(q.maxFlushedPosition).toBe(200);
  });
});
