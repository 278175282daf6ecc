import { describe, expect, it } from 'vitest';
import { DefaultMessageStore, decodeMessage, storeConfig, type StoreConfig } from '../../src/store/index.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';
import { tempDir } from '../helpers/store-paths.js';

const quiet = { info() {}, warn() {}, error() {} };

async function openWithWorkers(cfg: StoreConfig, errors: string[] = []): Promise<{ store: DefaultMessageStore; workers: WorkerDispatcher }> {
  const workers = new WorkerDispatcher({ onError: (m) => errors.push(m) });
  const store = new DefaultMessageStore(cfg, { remoteDispatcher: workers, logger: quiet });
  await store.start();
  return { store, workers };
}

function readQueue(s: DefaultMessageStore, topic: string, q: number): string[] {
  const out: string[] = [];
  for (let off = 0; ; ) {
    const r = s.getMessage('g', topic, q, off, 32);
    if (r.status !== 'FOUND') return out;
    r.messages.forEach((b, i) => {
      const m = decodeMessage(b, 0);
      expect(m.queueOffset).toBe(r.queueOffsets[i]);
      out.push(m.body.toString());
    });
    off = r.nextBeginOffset;
  }
}

describe('dispatch in worker threads', () => {
  it('a dispatch worker killed mid-stream is restarted: no gap, no duplicate, readers never see a unit early', async () => {
    const t = tempDir();
    const errors: string[] = [];
    try {
      const cfg = storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 256 * 1024, mappedFileSizeConsumeQueue: 2000, dispatchRingSlots: 256 });
      const { store, workers } = await openWithWorkers(cfg, errors);
      const sent: string[][] = [[], [], [], []];
      let maxSeen = [0, 0, 0, 0];
      for (let i = 0; i < 4000; i++) {
        const body = `m${i}`;
        sent[i % 4]!.push(body);
        await store.putMessage({ topic: 'W', queueId: i % 4, body: Buffer.from(body), properties: `TAGS\u0001T${i % 3}\u0002KEYS\u0001key${i}` });
        if (i === 1000 || i === 2500) await workers.crashWorkerForTest('dispatch');
        if (i === 1800) await workers.crashWorkerForTest('index');
        if (i % 97 === 0) {
          // Visibility only moves forward and every visible unit is readable.
          for (let q = 0; q < 4; q++) {
            const max = store.getMaxOffsetInQueue('W', q);
            expect(max).toBeGreaterThanOrEqual(maxSeen[q]!);
            maxSeen[q] = max;
            if (max > 0) expect(store.getMessage('g', 'W', q, max - 1, 1).status).toBe('FOUND');
          }
        }
      }
      expect(await store.whenDispatched(store.getMaxPhyOffset(), 10_000)).toBe(true);
      for (let q = 0; q < 4; q++) expect(readQueue(store, 'W', q)).toEqual(sent[q]);
      expect(workers.stats().workerRestarts).toBe(3);
      const byKey = await store.queryMessage('W', 'key3999', 32, 0, Date.now() + 1000);
      expect(byKey.messages.map((b) => decodeMessage(b, 0).body.toString())).toEqual(['m3999']);
      const early = await store.queryMessage('W', 'key5', 32, 0, Date.now() + 1000);
      expect(early.messages.length).toBe(1);
      await store.shutdown();

      // Reopened (inline recovery, then workers again), everything is still there exactly once.
      const again = await openWithWorkers(cfg, errors);
      for (let q = 0; q < 4; q++) expect(readQueue(again.store, 'W', q)).toEqual(sent[q]);
      await again.store.putMessage({ topic: 'W', queueId: 0, body: Buffer.from('after') });
      await again.store.whenDispatched(again.store.getMaxPhyOffset());
      expect(readQueue(again.store, 'W', 0).at(-1)).toBe('after');
      await again.store.shutdown();
    } finally {
      t.cleanup();
    }
  });

  it('long polling hears of new messages through the arriving listener', async () => {
    const t = tempDir();
    try {
      const { store } = await openWithWorkers(storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 64 * 1024, mappedFileSizeConsumeQueue: 2000 }));
      const arrived = new Promise<[string, number, number]>((resolve) => store.setMessageArrivingListener((topic, q, next) => resolve([topic, q, next])));
      const sentAt = performance.now();
      await store.putMessage({ topic: 'LP', queueId: 2, body: Buffer.from('x') });
      expect(await arrived).toEqual(['LP', 2, 1]);
      expect(performance.now() - sentAt).toBeLessThan(500);
      expect(store.getMessage('g', 'LP', 2, 0, 1).status).toBe('FOUND');
      await store.shutdown();
    } finally {
      t.cleanup();
    }
  });

  it('a full ring pushes back on producers instead of dropping or blocking the event loop', async () => {
    const t = tempDir();
    try {
      const { store, workers } = await openWithWorkers(storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 1024 * 1024, mappedFileSizeConsumeQueue: 20000, dispatchRingSlots: 8 }));
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      await Promise.all(Array.from({ length: 3000 }, (_, i) => store.putMessage({ topic: 'F', queueId: 0, body: Buffer.from(`f${i}`) })));
      clearInterval(timer);
      await store.whenDispatched(store.getMaxPhyOffset());
      expect(readQueue(store, 'F', 0).length).toBe(3000);
      expect(workers.stats().dispatchRingStalls).toBeGreaterThan(0);
      expect(ticks).toBeGreaterThan(0);
      await store.shutdown();
    } finally {
      t.cleanup();
    }
  });

  it('index keys hashed on the append path, or read back by the worker when they do not fit, find their messages', async () => {
    const t = tempDir();
    try {
      // A tiny ring: most records wait for room, so their key hashes must outlive the caller's array.
      const { store, workers } = await openWithWorkers(storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 1024 * 1024, mappedFileSizeConsumeQueue: 20000, dispatchRingSlots: 8 }));
      const N = 1500;
      const shapes = [
        (i: number) => ({ keys: `a${i} b${i}`, uniq: `U${i}`, found: [`a${i}`, `b${i}`, `U${i}`] }), // hashed: 3 keys
        (i: number) => ({ keys: `c${i} d${i}  e${i} f${i} g${i}`, uniq: `V${i}`, found: [`c${i}`, `e${i}`, `g${i}`, `V${i}`] }), // 6 keys: read back
        (i: number) => ({ keys: `clé${i}`, found: [`clé${i}`] }), // non-ASCII: hashed from the string
        (i: number) => ({ keys: `x\ud800${i}`, found: [`x\ufffd${i}`] }), // a lone surrogate is stored as U+FFFD: read back
        (i: number) => ({ keys: '', found: [] as string[] }), // nothing to index
      ];
      await Promise.all(
        Array.from({ length: N }, (_, i) => {
          const s = shapes[i % shapes.length]!(i);
          const props = [`KEYS\u0001${s.keys}`, ...('uniq' in s ? [`UNIQ_KEY\u0001${s.uniq}`] : [])].join('\u0002');
          return store.putMessage({ topic: 'K', queueId: 0, body: Buffer.from(`k${i}`), properties: props });
        }),
      );
      await store.whenDispatched(store.getMaxPhyOffset());
      expect(workers.stats().dispatchRingStalls).toBeGreaterThan(0);
      for (let i = 0; i < N; i++) {
        for (const key of shapes[i % shapes.length]!(i).found) {
          const r = await store.queryMessage('K', key, 32, 0, Date.now() + 1000);
          expect(r.messages.map((b) => decodeMessage(b, 0).body.toString()), key).toEqual([`k${i}`]);
        }
      }
      expect((await store.queryMessage('K', `b${N}`, 32, 0, Date.now() + 1000)).messages).toEqual([]);
      await store.shutdown();
    } finally {
      t.cleanup();
    }
  });
});
