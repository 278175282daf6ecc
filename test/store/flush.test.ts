import { afterEach, describe, expect, it } from 'vitest';
import { CommitLogFlusher, type FlusherOptions } from '../../src/store/flush.js';
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

/** A started flusher over a stand-in queue, stopped after the test. */
function startFlusher(q: unknown, opts: Partial<FlusherOptions>): CommitLogFlusher {
  const f = new CommitLogFlusher(q as MappedFileQueue, {
    sync: true,
    intervalMs: 500,
    leastPages: 4,
    thoroughIntervalMs: 10_000,
    timeoutMs: 300,
    lastStoreTimestamp: () => 0,
    onFlushed: () => {},
    onError: (e) => console.error(e),
    ...opts,
  });
  flushers.push(f);
  f.start();
  return f;
}

const syncFlusher = (q: SlowQueue): CommitLogFlusher => startFlusher(q, {});

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

describe('a flush that fails', () => {
  /** A commit log whose flushes fail with the errno given, wrapped as the store wraps it. */
  function failingFlusher(errno: string): { f: CommitLogFlusher; errors: unknown[] } {
    const cause = Object.assign(new Error(`${errno}: flush failed, fdatasync`), { code: errno });
    const q = { maxWrotePosition: 8192, maxFlushedPosition: 0, unflushedBytes: 8192, flush: () => Promise.reject(new Error('fdatasync /x failed', { cause })) };
    const errors: unknown[] = [];
    const f = startFlusher(q, { sync: false, intervalMs: 10, leastPages: 0, thoroughIntervalMs: 10, onError: (e) => errors.push(e) });
    return { f, errors };
  }

  it('with EIO or EROFS makes the store refuse appends: nothing appended can become durable', async () => {
    for (const errno of ['EIO', 'EROFS']) {
      const { f, errors } = failingFlusher(errno);
      await until(() => errors.length > 0, 2000);
      expect(f.failure?.code).toBe('SERVICE_NOT_AVAILABLE');
      expect(f.failure?.responseCode).toBe(14);
      expect(f.failure?.message).toContain(`cannot be made durable (${errno})`);
    }
  });

  it('with another error is logged and retried, as RocketMQ does', async () => {
    const { f, errors } = failingFlusher('EINTR');
    await until(() => errors.length > 1, 2000);
    expect(f.failure).toBeNull();
  });
});
