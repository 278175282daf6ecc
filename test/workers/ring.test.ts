import { afterEach, describe, expect, it } from 'vitest';
import { setImmediate as tick } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { RingConsumer, RingProducer, WAKE_BACKLOG, createRing } from '../../src/workers/ring.js';
import { H_CONSUMER_WAITING, H_HEAD, H_LAYOUT, H_TAIL, WorkerState, newDispatchFacts, type WorkerToHost } from '../../src/workers/messages.js';
import { endOf, expectedRecord, recordMismatch } from './ring-records.js';

const WORKER = new URL('./ring-consumer-worker.js', import.meta.url);

function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

function push(p: RingProducer, seq: number): boolean {
  const r = expectedRecord(seq);
  return p.tryPush(r.phyOffset, r.size, r.topicId, r.queueId, r.queueOffset, r.tagsCode, r.storeTimestamp, r.flags, r.keyHashes);
}

function pushAsync(p: RingProducer, seq: number): Promise<void> {
  const r = expectedRecord(seq);
  return p.pushAsync(r.phyOffset, r.size, r.topicId, r.queueId, r.queueOffset, r.tagsCode, r.storeTimestamp, r.flags, r.keyHashes);
}

/** Pushes [from, to) in random batches, each published at once; `afterBatch` runs between batches. */
async function produce(p: RingProducer, from: number, to: number, random: (n: number) => number, afterBatch: () => void = () => {}): Promise<void> {
  let seq = from;
  while (seq < to) {
    const batch = 1 + random(40);
    for (let j = 0; j < batch && seq < to; j++, seq++) if (!push(p, seq)) await pushAsync(p, seq);
    p.publish();
    afterBatch();
    if (random(8) === 0) await tick();
  }
}

interface Consumer {
  worker: Worker;
  ready: Promise<void>;
  drained: Promise<number>;
}

const workers: Worker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.terminate();
});

function startConsumer(ring: SharedArrayBuffer, out: SharedArrayBuffer, counts: SharedArrayBuffer, opts: { maxBatch?: number; waitMs?: number; seed?: number } = {}): Consumer {
  const worker = new Worker(WORKER, {
    workerData: { ring, out, counts, maxBatch: opts.maxBatch ?? 7, waitMs: opts.waitMs ?? 20, seed: opts.seed ?? 1 },
  });
  workers.push(worker);
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const drained = new Promise<number>((resolve, reject) => {
    worker.on('message', (m: WorkerToHost) => {
      if (m.type === 'ready') onReady();
      else if (m.type === 'drained') resolve(m.dispatchedOffset);
      else if (m.type === 'error') reject(new Error(`consumer: ${m.message}`));
    });
    worker.on('error', reject);
  });
  drained.catch(() => {});
  return { worker, ready, drained };
}

function outputs(n: number) {
  const out = new SharedArrayBuffer(n * 8);
  const counts = new SharedArrayBuffer(n * 4);
  return { out, counts, outView: new Float64Array(out), countView: new Int32Array(counts) };
}

describe('dispatch ring with a worker-thread consumer', () => {
  it('delivers every record once and in order through a small ring that wraps thousands of times', async () => {
    const N = 30_000;
    const ring = createRing(16, 0);
    const producer = new RingProducer(ring);
    const { out, counts, outView, countView } = outputs(N);
    const c = startConsumer(ring, out, counts, { seed: 7 });
    await c.ready;
    await produce(producer, 0, N, lcg(42));
    producer.requestStop();
    expect(await c.drained).toBe(endOf(N - 1));
    expect(producer.dispatchedOffset).toBe(endOf(N - 1));
    expect(producer.size).toBe(0);
    expect(producer.workerState).toBe(WorkerState.STOPPED);
    expect(producer.stalls).toBeGreaterThan(0);
    for (let seq = 0; seq < N; seq++) {
      if (countView[seq] !== 1 || outView[seq] !== expectedRecord(seq).phyOffset) {
        throw new Error(`record ${seq}: processed ${countView[seq]} times, offset ${outView[seq]}`);
      }
    }
  });

  it('a consumer killed mid-stream is replaced without gaps, and only unpublished records are redone', async () => {
    const N = 30_000;
    const ring = createRing(32, 0);
    const producer = new RingProducer(ring);
    const { out, counts, outView, countView } = outputs(N);
    let current = startConsumer(ring, out, counts, { seed: 3, maxBatch: 25 });
    await current.ready;

    // What a reader may see: DISPATCHED never goes back and everything below it is dispatched.
    let visibleSeq = 0;
    let lastSeen = 0;
    const checkVisible = () => {
      const d = producer.dispatchedOffset;
      if (d < lastSeen) throw new Error(`dispatched offset went back from ${lastSeen} to ${d}`);
      lastSeen = d;
      for (; visibleSeq < N && endOf(visibleSeq) <= d; visibleSeq++) {
        if (Atomics.load(countView, visibleSeq) < 1) throw new Error(`record ${visibleSeq} is below the dispatched offset ${d} but was never dispatched`);
      }
    };
    const producing = produce(producer, 0, N, lcg(9), checkVisible);

    const publishedAtKill: number[] = [];
    for (const fraction of [0.25, 0.5, 0.75]) {
      expect(await producer.waitDispatchedPast(endOf(Math.floor(N * fraction)), 30_000)).toBe(true);
      await current.worker.terminate();
      publishedAtKill.push(producer.dispatchedOffset);
      checkVisible();
      current = startConsumer(ring, out, counts, { seed: fraction * 100, maxBatch: 25 });
      await current.ready;
    }
    await producing;
    producer.requestStop();
    expect(await current.drained).toBe(endOf(N - 1));
    checkVisible();
    expect(visibleSeq).toBe(N);

    for (let seq = 0; seq < N; seq++) {
      if (outView[seq] !== expectedRecord(seq).phyOffset) throw new Error(`record ${seq} dispatched as ${outView[seq]}`);
      // A record is redone at most once per kill that happened before it was published.
      const unpublishedAtKills = publishedAtKill.filter((p) => p < endOf(seq)).length;
      if (countView[seq] < 1 || countView[seq] - 1 > unpublishedAtKills) {
        throw new Error(`record ${seq} processed ${countView[seq]} times; ${unpublishedAtKills} kills before it was published`);
      }
    }
  });

  it('a stop request wakes a consumer sleeping in Atomics.wait', async () => {
    const ring = createRing(8, 0);
    const producer = new RingProducer(ring);
    const { out, counts } = outputs(8);
    const c = startConsumer(ring, out, counts, { waitMs: 60_000 });
    await c.ready;
    for (let seq = 0; seq < 3; seq++) expect(push(producer, seq)).toBe(true);
    producer.publish(); // wakes the sleeper too
    expect(await producer.waitDispatchedPast(endOf(2) - 1, 10_000)).toBe(true);
    const started = performance.now();
    producer.requestStop();
    expect(await c.drained).toBe(endOf(2));
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('a busy publish leaves a sleeping consumer asleep until WAKE_BACKLOG records wait; an end-of-turn publish wakes it', async () => {
    const ring = createRing(1024, 0);
    const producer = new RingProducer(ring);
    const { out, counts } = outputs(1024);
    const c = startConsumer(ring, out, counts, { waitMs: 60_000, maxBatch: 1024 });
    await c.ready;
    const h = new Int32Array(ring);
    const asleep = async () => {
      while (Atomics.load(h, H_CONSUMER_WAITING) !== 1) await new Promise((r) => setTimeout(r, 5));
    };
    let seq = 0;
    for (; seq < 3; seq++) expect(push(producer, seq)).toBe(true);
    await asleep();
    producer.publish(false);
    expect(await producer.waitDispatchedPast(0, 300)).toBe(false);
    producer.publish(true);
    expect(await producer.waitDispatchedPast(endOf(2) - 1, 10_000)).toBe(true);
    // The consumer sleeps again (60 s); a backlog of WAKE_BACKLOG wakes it without a forced publish.
    await asleep();
    for (; seq < 3 + WAKE_BACKLOG - 1; seq++) expect(push(producer, seq)).toBe(true);
    producer.publish(false);
    expect(await producer.waitDispatchedPast(endOf(2), 300)).toBe(false);
    expect(push(producer, seq++)).toBe(true);
    producer.publish(false);
    expect(await producer.waitDispatchedPast(endOf(seq - 1) - 1, 10_000)).toBe(true);
    producer.requestStop();
    expect(await c.drained).toBe(endOf(seq - 1));
  });
});

describe('dispatch ring on one thread', () => {
  it('only the publish that takes the consumer\'s waiting flag notifies', () => {
    const ring = createRing(8, 0);
    const producer = new RingProducer(ring);
    const h = new Int32Array(ring);
    h[H_CONSUMER_WAITING] = 1; // what waitForData sets before Atomics.wait
    expect(push(producer, 0)).toBe(true);
    producer.publish(false);
    expect(h[H_HEAD]).toBe(1); // visible at once, but the sleeper is left alone
    expect(h[H_CONSUMER_WAITING]).toBe(1);
    producer.publish(true);
    expect(h[H_CONSUMER_WAITING]).toBe(0);
  });

  it('a producer given its own wake backlog (the index ring) lets that many records gather', () => {
    const ring = createRing(64, 0);
    const producer = new RingProducer(ring, { wakeBacklog: 4 });
    const h = new Int32Array(ring);
    h[H_CONSUMER_WAITING] = 1;
    for (let seq = 0; seq < 3; seq++) {
      expect(push(producer, seq)).toBe(true);
      producer.publish(false);
    }
    expect(h[H_CONSUMER_WAITING]).toBe(1);
    expect(push(producer, 3)).toBe(true);
    producer.publish(false);
    expect(h[H_CONSUMER_WAITING]).toBe(0);
  });

  it('counts a stall when full, keeps call order, and resumes as the consumer releases', async () => {
    const ring = createRing(4, 0);
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring);
    for (let seq = 0; seq < 4; seq++) expect(push(producer, seq)).toBe(true);
    expect(push(producer, 4)).toBe(false);
    expect(consumer.poll(10)).toBe(0); // staged, not yet published
    const first = pushAsync(producer, 4); // publishes the staged records, then waits
    const second = pushAsync(producer, 5);
    expect(push(producer, 6)).toBe(false); // would overtake the waiting pushes
    expect(producer.stalls).toBe(2);
    expect(consumer.poll(10)).toBe(4);

    const facts = newDispatchFacts();
    const seen: number[] = [];
    const drain = (n: number) => {
      for (let i = 0; i < n; i++) seen.push(consumer.readInto(i, facts).queueOffset);
      consumer.commit(n, endOf(seen.at(-1)!));
    };
    drain(consumer.poll(1));
    await first;
    drain(consumer.poll(10));
    await second;
    expect(push(producer, 6)).toBe(true);
    producer.publish();
    drain(consumer.poll(10));
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(consumer.poll(10)).toBe(0);
    expect(producer.dispatchedOffset).toBe(endOf(6));
  });

  it('waitDispatchedPast resolves when the offset is passed and times out otherwise', async () => {
    const ring = createRing(4, 1000);
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring);
    expect(await producer.waitDispatchedPast(999, 0)).toBe(true);
    const started = performance.now();
    expect(await producer.waitDispatchedPast(1000, 30)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);

    const waiting = producer.waitDispatchedPast(1500, 10_000);
    setTimeout(() => consumer.commit(0, 1200), 5);
    setTimeout(() => consumer.commit(0, 1501), 10);
    expect(await waiting).toBe(true);
    consumer.commit(0, 900); // never goes back
    expect(producer.dispatchedOffset).toBe(1501);
  });

  it('wraps its 32-bit counters', () => {
    const ring = createRing(8, 0);
    const h = new Int32Array(ring);
    h[H_HEAD] = h[H_TAIL] = 0x7ffffff0;
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring);
    const facts = newDispatchFacts();
    let next = 0;
    for (let seq = 0; seq < 100; seq++) {
      expect(push(producer, seq)).toBe(true);
      producer.publish();
      if (seq % 3 === 2 || seq === 99) {
        const n = consumer.poll(8);
        for (let i = 0; i < n; i++) expect(recordMismatch(consumer.readInto(i, facts), expectedRecord(next++))).toBeNull();
        consumer.commit(n, endOf(next - 1));
      }
    }
    expect(next).toBe(100);
    expect(h[H_HEAD]).toBe((0x7ffffff0 + 100) | 0);
    expect(producer.size).toBe(0);
  });

  it('refuses bad capacities and foreign layouts', () => {
    for (const bad of [0, 1, 3, 100, 2 ** 31]) expect(() => createRing(bad)).toThrow(expect.objectContaining({ code: 'BAD_CONFIG' }));
    const ring = createRing(2);
    new Int32Array(ring)[H_LAYOUT] = 99;
    expect(() => new RingConsumer(ring)).toThrow(expect.objectContaining({ code: 'BAD_CONFIG' }));
  });
});
