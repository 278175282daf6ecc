import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consumeQueueRootDir } from '../../src/store/file-names.js';
import { StoreError } from '../../src/store/errors.js';
import { DefaultMessageStore, decodeMessage, storeConfig } from '../../src/store/index.js';
import { WorkerDispatcher, type WorkerDispatcherOptions } from '../../src/workers/worker-dispatcher.js';
import { tempDir } from '../helpers/store-paths.js';

const quiet = { info() {}, warn() {}, error() {} };

async function open(dir: string, opts: WorkerDispatcherOptions) {
  const cfg = storeConfig({ storePathRootDir: dir, mappedFileSizeCommitLog: 1 << 20, mappedFileSizeConsumeQueue: 6000, dispatchRingSlots: 4 });
  const workers = new WorkerDispatcher(opts);
  const store = new DefaultMessageStore(cfg, { remoteDispatcher: workers, logger: quiet });
  await store.start();
  // A plain file where the topic's consume queue directory goes: the dispatch worker dies on
  // every record of that topic until it is removed (chmod would not stop root).
  const block = (topic: string) => {
    mkdirSync(consumeQueueRootDir(cfg), { recursive: true });
    writeFileSync(join(consumeQueueRootDir(cfg), topic), 'not a directory');
  };
  const unblock = (topic: string) => rmSync(join(consumeQueueRootDir(cfg), topic));
  return { store, workers, block, unblock };
}

const put = (store: DefaultMessageStore, topic: string, i: number) => store.putMessage({ topic, queueId: 0, body: Buffer.from(`${topic}${i}`) });

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Settles `p` or fails after `ms`, so a hang shows up as a failure rather than a test timeout. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(reject, ms, new Error(`still pending after ${ms} ms`)))]);
}

describe('dispatch worker supervision', () => {
  it('gives up on a worker that keeps failing: waiting and new appends fail with SERVICE_NOT_AVAILABLE and the cause', async () => {
    const t = tempDir();
    const errors: string[] = [];
    try {
      const { store, workers, block } = await open(t.dir, { onError: (m) => errors.push(m), restartDelayMs: 10, maxFailures: 4 });
      block('B');
      // The ring holds 4: these 10 appends wait for space a dead worker never makes.
      const puts = Array.from({ length: 10 }, (_, i) => put(store, 'B', i).then(() => null, (e: unknown) => e));
      const outcomes = await within(Promise.all(puts), 3000);
      const refused = outcomes.filter((e): e is StoreError => e !== null);
      expect(refused.length).toBeGreaterThanOrEqual(6);
      for (const e of refused) {
        expect(e).toBeInstanceOf(StoreError);
        expect(e).toMatchObject({ code: 'DISPATCH_FAILED', responseCode: 14 });
        expect(String((e.cause as Error).message)).toMatch(/ENOTDIR/);
      }
      await expect(put(store, 'Other', 0)).rejects.toMatchObject({ code: 'DISPATCH_FAILED' });
      expect(workers.stats()).toMatchObject({ workerRestarts: 3, dispatchFailed: 1 });
      expect(errors.some((m) => /died 4 times in a row/.test(m) && /ENOTDIR/.test(m))).toBe(true);
      await within(store.shutdown(), 3000);
    } finally {
      t.cleanup();
    }
  });

  it('a consume queue page the disk cannot back fails the worker, not the process (no SIGBUS)', async () => {
    const t = tempDir();
    const errors: string[] = [];
    try {
      const { store } = await open(t.dir, { onError: (m) => errors.push(m), restartDelayMs: 10, maxFailures: 2 });
      for (let i = 0; i < 10; i++) await put(store, 'C', i);
      expect(await store.whenDispatched(store.getMaxPhyOffset(), 3000)).toBe(true);
      // Truncated behind the store (a full disk fails the same way): units past 4096 bytes have
      // no page to go to. The worker dies on it until dispatch is given up on; the process lives.
      truncateSync(join(t.dir, 'consumequeue', 'C', '0', '00000000000000000000'), 4096);
      const refused = await within(
        (async () => {
          for (let i = 10; i < 1000; i++) {
            const e = await put(store, 'C', i).then(() => null, (err: unknown) => err);
            if (e) return e as StoreError;
          }
          return null;
        })(),
        5000,
      );
      expect(refused).toMatchObject({ code: 'DISPATCH_FAILED', responseCode: 14 });
      expect(errors.some((m) => /cannot back .*consumequeue/.test(m))).toBe(true);
      await within(store.shutdown(), 3000);
    } finally {
      t.cleanup();
    }
  });

  it('restarts with backoff, and a worker that recovers starts its failure count afresh', async () => {
    const t = tempDir();
    try {
      const { store, workers, block, unblock } = await open(t.dir, { restartDelayMs: 20, maxFailures: 3 });
      const read = (topic: string) => {
        const r = store.getMessage('g', topic, 0, 0, 32);
        return r.messages.map((b) => decodeMessage(b, 0).body.toString());
      };
      for (const [n, topic] of [[2, 'A'], [4, 'B']] as const) {
        block(topic);
        await put(store, topic, 0);
        // Two failures in a row: one short of giving up.
        await until(() => workers.stats().workerRestarts >= n);
        unblock(topic);
        expect(await store.whenDispatched(store.getMaxPhyOffset(), 3000)).toBe(true);
        expect(read(topic)).toEqual([`${topic}0`]);
      }
      expect(workers.failure).toBeNull();
      await put(store, 'C', 0);
      expect(await store.whenDispatched(store.getMaxPhyOffset(), 3000)).toBe(true);
      await store.shutdown();
    } finally {
      t.cleanup();
    }
  });
});
