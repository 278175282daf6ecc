import { parentPort, workerData } from 'node:worker_threads';
import { RingConsumer } from '../../src/workers/ring.js';
import { WorkerState, newDispatchFacts, type WorkerToHost } from '../../src/workers/messages.js';
import { expectedRecord, recordMismatch } from './ring-records.js';

/**
 * Test consumer for ring.test.ts, a stand-in for a dispatch worker: checks every record against
 * the generator, "dispatches" it by writing its offset at a fixed place (idempotent, as a
 * ConsumeQueue unit is) and counting how often it was processed, then commits each batch with
 * the dispatched offset.
 */
interface Params {
  ring: SharedArrayBuffer;
  /** Float64 per record sequence: phyOffset as dispatched. */
  out: SharedArrayBuffer;
  /** Int32 per record sequence: times processed. */
  counts: SharedArrayBuffer;
  maxBatch: number;
  waitMs: number;
  seed: number;
}

const p = workerData as Params;
const post = (m: WorkerToHost) => parentPort!.postMessage(m);
const consumer = new RingConsumer(p.ring);
const out = new Float64Array(p.out);
const counts = new Int32Array(p.counts);
const facts = newDispatchFacts();
const nap = new Int32Array(new SharedArrayBuffer(4));
let seed = p.seed >>> 0 || 1;
const random = (n: number) => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed % n;
};

let expectedSeq = -1;
try {
  consumer.setWorkerState(WorkerState.RUNNING);
  post({ type: 'ready' });
  for (;;) {
    if (!consumer.waitForData(p.waitMs)) {
      if (consumer.stopRequested) break;
      continue;
    }
    const n = consumer.poll(1 + random(p.maxBatch));
    let end = 0;
    for (let i = 0; i < n; i++) {
      consumer.readInto(i, facts);
      const seq = facts.queueOffset;
      if (expectedSeq >= 0 && seq !== expectedSeq) throw new Error(`record ${seq} arrived, expected ${expectedSeq}`);
      const want = expectedRecord(seq);
      const wrong = recordMismatch(facts, want);
      if (wrong) throw new Error(`record ${seq}: ${wrong}`);
      expectedSeq = seq + 1;
      out[seq] = facts.phyOffset;
      Atomics.add(counts, seq, 1);
      end = facts.phyOffset + facts.size;
      // Now and then be slow, so the producer finds the ring full.
      if (random(64) === 0) Atomics.wait(nap, 0, 0, 1);
    }
    consumer.commit(n, end);
  }
  consumer.setWorkerState(WorkerState.STOPPED);
  post({ type: 'drained', dispatchedOffset: consumer.dispatchedOffset });
} catch (e) {
  consumer.setWorkerState(WorkerState.FAILED);
  const err = e as Error;
  post({ type: 'error', code: 'TEST', message: err.message, stack: err.stack });
}
