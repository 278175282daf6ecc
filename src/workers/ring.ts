import { StoreError } from '../store/errors.js';
import {
  H64_DISPATCHED,
  H_CAPACITY,
  H_CONSUMER_WAITING,
  H_DISPATCH_WAITERS,
  H_HEAD,
  H_LAYOUT,
  H_PRODUCER_WAITING,
  H_STALLS,
  H_STOP,
  H_TAIL,
  H_WORKER_STATE,
  RING_HEADER_BYTES,
  RING_LAYOUT_VERSION,
  RING_SLOT_BYTES,
  SLOT_F64_BASE,
  SLOT_F64_STRIDE,
  SLOT_I32_BASE,
  SLOT_I32_STRIDE,
  S_FLAGS,
  S_KEY_HASHES,
  S_PHY_OFFSET,
  S_QUEUE_ID,
  S_QUEUE_OFFSET,
  S_SIZE,
  S_STORE_TIMESTAMP,
  S_TAGS_CODE,
  S_TOPIC_ID,
  keyHashCount,
  type DispatchFacts,
  type WorkerState,
} from './messages.js';

/**
 * Single-producer single-consumer ring of dispatch facts over a SharedArrayBuffer (layout in
 * messages.ts). HEAD and TAIL are wrapping 32-bit counters: `(head - tail) | 0` is the fill level
 * for any capacity below 2^31, and `counter & mask` the slot.
 *
 * Ordering: slot fields are plain stores, then HEAD is published with Atomics.store; the consumer
 * reads HEAD with Atomics.load before reading slots (sequentially consistent atomics order the
 * plain accesses around them). The consumer publishes DISPATCHED before it releases TAIL, so a
 * consumer that dies between the two leaves its records in the ring for its successor instead of
 * losing them: a replacement releases those at or below DISPATCHED without redoing them, redoes
 * only records whose batch was never published, and DISPATCHED only grows.
 *
 * Sleeping: each side raises its *_WAITING flag, re-checks, then waits; the other side stores its
 * counter and notifies only if the flag is up (Dekker: one of the two always sees the other).
 * Exactly one RingProducer and one live RingConsumer per buffer; a host replacing a consumer must
 * await the old worker's termination first.
 */
export function createRing(capacity: number, dispatchedOffset = 0): SharedArrayBuffer {
  if (!Number.isInteger(capacity) || capacity < 2 || capacity > 1 << 30 || (capacity & (capacity - 1)) !== 0) {
    throw new StoreError('BAD_CONFIG', `dispatch ring capacity must be a power of two in [2, 2^30], got ${capacity}`);
  }
  const sab = new SharedArrayBuffer(RING_HEADER_BYTES + capacity * RING_SLOT_BYTES);
  const h = new Int32Array(sab);
  h[H_CAPACITY] = capacity;
  h[H_LAYOUT] = RING_LAYOUT_VERSION;
  new BigInt64Array(sab)[H64_DISPATCHED] = BigInt(dispatchedOffset);
  return sab;
}

/** Atomics.waitAsync (Node 16+), typed here because the project's lib (ES2023) predates it. */
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array | BigInt64Array, i: number, v: number | bigint, t?: number): WaitAsyncResult }).waitAsync;

/** Views and cells both sides share: counters, stall count, worker state, dispatched offset. */
class RingSide {
  protected readonly h: Int32Array;
  protected readonly h64: BigInt64Array;
  protected readonly f64: Float64Array;
  protected readonly i32: Int32Array;
  readonly capacity: number;
  protected readonly mask: number;

  constructor(readonly sab: SharedArrayBuffer) {
    this.h = new Int32Array(sab);
    this.h64 = new BigInt64Array(sab, 0, RING_HEADER_BYTES / 8);
    this.f64 = new Float64Array(sab);
    this.i32 = this.h;
    if (this.h[H_LAYOUT] !== RING_LAYOUT_VERSION) {
      throw new StoreError('BAD_CONFIG', `dispatch ring layout ${this.h[H_LAYOUT]} is not ${RING_LAYOUT_VERSION}`);
    }
    this.capacity = this.h[H_CAPACITY];
    this.mask = this.capacity - 1;
  }

  /** Records published and not yet released by the consumer. */
  get size(): number {
    return (Atomics.load(this.h, H_HEAD) - Atomics.load(this.h, H_TAIL)) | 0;
  }

  get stalls(): number {
    return Atomics.load(this.h, H_STALLS);
  }

  get workerState(): WorkerState {
    return Atomics.load(this.h, H_WORKER_STATE) as WorkerState;
  }

  get dispatchedOffset(): number {
    return Number(Atomics.load(this.h64, H64_DISPATCHED));
  }

  get stopRequested(): boolean {
    return Atomics.load(this.h, H_STOP) !== 0;
  }

  /**
   * Resolves true once DISPATCHED > offset (the record at `offset` is dispatched), false after
   * `timeoutMs`. Never blocks: waits with Atomics.waitAsync. Long polling and "reads see only
   * dispatched messages" build on it.
   */
  async waitDispatchedPast(offset: number, timeoutMs: number): Promise<boolean> {
    if (this.dispatchedOffset > offset) return true;
    const deadline = performance.now() + timeoutMs;
    Atomics.add(this.h, H_DISPATCH_WAITERS, 1);
    try {
      for (;;) {
        const cur = Atomics.load(this.h64, H64_DISPATCHED);
        if (Number(cur) > offset) return true;
        const left = deadline - performance.now();
        if (left <= 0) return false;
        const r = waitAsync(this.h64, H64_DISPATCHED, cur, left);
        if (r.async) await r.value;
      }
    } finally {
      Atomics.sub(this.h, H_DISPATCH_WAITERS, 1);
    }
  }

  /**
   * Raises DISPATCHED to `offset` (never lowers it) and wakes its waiters. The consumer calls it
   * through commit(); a host may call it when dispatch happened without the ring (inline mode,
   * recovery).
   */
  publishDispatched(offset: number): void {
    if (offset <= this.dispatchedOffset) return;
    Atomics.store(this.h64, H64_DISPATCHED, BigInt(offset));
    if (Atomics.load(this.h, H_DISPATCH_WAITERS) > 0) Atomics.notify(this.h64, H64_DISPATCHED);
  }
}

/** tryPush's arguments, in order: one record's dispatch facts. */
export type RingRecord = Parameters<RingProducer['tryPush']>;

/** Shared empty promise for the uncontended pushAsync path. */
const DONE: Promise<void> = Promise.resolve();
/** Records a sleeping consumer is left with by publish(false) before it is woken. */
export const WAKE_BACKLOG = 256;
/** Upper bound of one waitAsync round, so a dead consumer does not park the producer forever unseen. */
const PRODUCER_WAIT_SLICE_MS = 100;

/**
 * The append path's side. `tryPush` stages a record without publishing it; `publish` makes all
 * staged records visible with one Atomics.store (call it once per append batch). Not thread-safe:
 * one producer.
 */
export class RingProducer extends RingSide {
  private head: number;
  private published: number;
  private cachedTail: number;
  /** pushAsync calls not yet completed; while any is pending tryPush refuses, to keep order. */
  private pending = 0;
  /** Set only around the waiting push's own attempt, which is next in line. */
  private headOfLine = false;
  private chain: Promise<void> = DONE;
  /** Set by abort: every waiting and later pushAsync fails with it. */
  private aborted: Error | null = null;
  /** How many records publish(false) lets a sleeping consumer gather before it wakes it. */
  private readonly wakeBacklog: number;

  constructor(sab: SharedArrayBuffer, opts: { wakeBacklog?: number } = {}) {
    super(sab);
    this.wakeBacklog = opts.wakeBacklog ?? WAKE_BACKLOG;
    this.head = Atomics.load(this.h, H_HEAD);
    this.published = this.head;
    this.cachedTail = Atomics.load(this.h, H_TAIL);
  }

  /**
   * Stages one record; false if the ring is full or an earlier pushAsync is still waiting (then
   * use pushAsync, which keeps commit-log order). Allocation-free.
   */
  tryPush(
    phyOffset: number,
    size: number,
    topicId: number,
    queueId: number,
    queueOffset: number,
    tagsCode: number,
    storeTimestamp: number,
    flags: number,
    /** The index key hashes, when flags has DISPATCH_FLAG_KEY_HASHES (read at once: reusable). */
    keyHashes: Int32Array | null = null,
  ): boolean {
    if (this.pending !== 0 && !this.headOfLine) return false;
    const head = this.head;
    if (((head - this.cachedTail) | 0) >= this.capacity) {
      this.cachedTail = Atomics.load(this.h, H_TAIL);
      if (((head - this.cachedTail) | 0) >= this.capacity) return false;
    }
    const slot = head & this.mask;
    const f = SLOT_F64_BASE + slot * SLOT_F64_STRIDE;
    const i = SLOT_I32_BASE + slot * SLOT_I32_STRIDE;
    const f64 = this.f64;
    const i32 = this.i32;
    f64[f + S_PHY_OFFSET] = phyOffset;
    f64[f + S_QUEUE_OFFSET] = queueOffset;
    f64[f + S_STORE_TIMESTAMP] = storeTimestamp;
    f64[f + S_TAGS_CODE] = tagsCode;
    i32[i + S_SIZE] = size;
    i32[i + S_TOPIC_ID] = topicId;
    i32[i + S_QUEUE_ID] = queueId;
    i32[i + S_FLAGS] = flags;
    if (keyHashes !== null) for (let k = keyHashCount(flags) - 1; k >= 0; k--) i32[i + S_KEY_HASHES + k] = keyHashes[k]!;
    this.head = (head + 1) | 0;
    return true;
  }

  /**
   * Publishes every staged record. A sleeping consumer is woken when `wake` is set or once
   * `wakeBacklog` records (WAKE_BACKLOG unless given) wait for it: each wake-up is a context switch, which on a busy machine
   * often preempts this thread, so the busy path (`wake` false) lets records gather a little.
   * Only the publish that takes the consumer's waiting flag notifies: until the consumer runs,
   * later publishes have nobody new to wake.
   */
  publish(wake = true): void {
    const head = this.head;
    if (head !== this.published) {
      Atomics.store(this.h, H_HEAD, head);
      this.published = head;
    }
    if (Atomics.load(this.h, H_CONSUMER_WAITING) === 0) return;
    if (!wake && ((head - Atomics.load(this.h, H_TAIL)) | 0) < this.wakeBacklog) return;
    if (Atomics.compareExchange(this.h, H_CONSUMER_WAITING, 1, 0) === 1) Atomics.notify(this.h, H_HEAD, 1);
  }

  /**
   * Stages and publishes one record, waiting (Atomics.waitAsync on TAIL, never blocking the event
   * loop) while the ring is full; each push that has to wait counts one stall. Calls complete in
   * call order. The hot path is `tryPush(...) || pushAsync(...)`.
   */
  pushAsync(...record: RingRecord): Promise<void> {
    if (this.aborted) return Promise.reject(this.aborted);
    if (this.tryPush(...record)) {
      this.publish();
      return DONE;
    }
    // Staged records must be visible, or a full ring of them would never drain.
    this.publish();
    // The caller reuses its hash array for the next record while this one waits.
    if (record[8]) record[8] = record[8].slice();
    Atomics.add(this.h, H_STALLS, 1);
    this.pending++;
    const p = this.chain.then(() => this.waitAndPush(record)).finally(() => {
      this.pending--;
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  /**
   * Resolves once every pushAsync called so far has completed (or failed). A host stopping the
   * consumer awaits it first: the consumer leaves once the ring is empty, and a push still
   * waiting for space would land after it had gone.
   */
  settled(): Promise<void> {
    return this.chain;
  }

  /**
   * Fails every push waiting for space, and later ones, with `reason`: the host has given up on
   * the consumer, so waiting for it to make space would hang the appends forever.
   */
  abort(reason: Error): void {
    this.aborted = reason;
    Atomics.notify(this.h, H_TAIL);
  }

  /** Asks the consumer to drain what is published and stop; wakes it if it sleeps. */
  requestStop(): void {
    this.publish();
    Atomics.store(this.h, H_STOP, 1);
    Atomics.notify(this.h, H_HEAD);
  }

  /** Clears a stop request, before starting a replacement consumer. */
  clearStop(): void {
    Atomics.store(this.h, H_STOP, 0);
  }

  /** Runs for the oldest waiting pushAsync only (they are chained), so it may bypass `pending`. */
  private async waitAndPush(record: RingRecord): Promise<void> {
    for (;;) {
      if (this.aborted) throw this.aborted;
      this.headOfLine = true;
      const staged = this.tryPush(...record);
      this.headOfLine = false;
      if (staged) {
        Atomics.store(this.h, H_PRODUCER_WAITING, 0);
        this.publish();
        return;
      }
      Atomics.store(this.h, H_PRODUCER_WAITING, 1);
      const tail = Atomics.load(this.h, H_TAIL);
      if (tail !== this.cachedTail) continue;
      const w = waitAsync(this.h, H_TAIL, tail, PRODUCER_WAIT_SLICE_MS);
      if (w.async) await w.value;
    }
  }
}

/**
 * A worker's side. `poll` says how many records are readable, `readInto` copies one into a
 * caller-owned object, `commit` publishes DISPATCHED and releases the records. A new consumer
 * resumes after the last record below DISPATCHED. Not thread-safe: one consumer.
 */
export class RingConsumer extends RingSide {
  private tail: number;
  private cachedHead: number;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.tail = Atomics.load(this.h, H_TAIL);
    this.cachedHead = Atomics.load(this.h, H_HEAD);
    this.releaseDispatched();
  }

  /**
   * A predecessor that died between publishing DISPATCHED and releasing its batch left records
   * in the ring that are already done: release them rather than do them twice.
   */
  private releaseDispatched(): void {
    const dispatched = this.dispatchedOffset;
    let t = this.tail;
    while (t !== this.cachedHead) {
      const slot = t & this.mask;
      const end = this.f64[SLOT_F64_BASE + slot * SLOT_F64_STRIDE + S_PHY_OFFSET]! + this.i32[SLOT_I32_BASE + slot * SLOT_I32_STRIDE + S_SIZE]!;
      if (end > dispatched) break;
      t = (t + 1) | 0;
    }
    if (t === this.tail) return;
    this.tail = t;
    Atomics.store(this.h, H_TAIL, t);
    if (Atomics.load(this.h, H_PRODUCER_WAITING) !== 0) Atomics.notify(this.h, H_TAIL, 1);
  }

  /** Readable records from the current position, at most maxBatch. Does not consume them. */
  poll(maxBatch: number): number {
    let avail = (this.cachedHead - this.tail) | 0;
    if (avail < maxBatch) {
      this.cachedHead = Atomics.load(this.h, H_HEAD);
      avail = (this.cachedHead - this.tail) | 0;
    }
    return avail < maxBatch ? avail : maxBatch;
  }

  /**
   * Blocks this thread (Atomics.wait: worker threads only) until a record is readable, a stop is
   * requested or `timeoutMs` passes. True when a record is readable.
   */
  waitForData(timeoutMs: number): boolean {
    if (this.poll(1) > 0) return true;
    if (this.stopRequested) return false;
    Atomics.store(this.h, H_CONSUMER_WAITING, 1);
    const head = Atomics.load(this.h, H_HEAD);
    if (head === this.tail && !this.stopRequested) Atomics.wait(this.h, H_HEAD, head, timeoutMs);
    Atomics.store(this.h, H_CONSUMER_WAITING, 0);
    return this.poll(1) > 0;
  }

  /** Copies the i-th readable record (0 = oldest, i < poll()) into `out`. Allocation-free. */
  readInto(i: number, out: DispatchFacts): DispatchFacts {
    const slot = (this.tail + i) & this.mask;
    const f = SLOT_F64_BASE + slot * SLOT_F64_STRIDE;
    const j = SLOT_I32_BASE + slot * SLOT_I32_STRIDE;
    out.phyOffset = this.f64[f + S_PHY_OFFSET];
    out.queueOffset = this.f64[f + S_QUEUE_OFFSET];
    out.storeTimestamp = this.f64[f + S_STORE_TIMESTAMP];
    out.tagsCode = this.f64[f + S_TAGS_CODE];
    out.size = this.i32[j + S_SIZE];
    out.topicId = this.i32[j + S_TOPIC_ID];
    out.queueId = this.i32[j + S_QUEUE_ID];
    out.flags = this.i32[j + S_FLAGS];
    for (let k = keyHashCount(out.flags) - 1; k >= 0; k--) out.keyHashes[k] = this.i32[j + S_KEY_HASHES + k]!;
    return out;
  }

  /**
   * Finishes the oldest `n` records: publishes `dispatchedOffset` (usually the last record's
   * phyOffset + size) first, then releases their slots and wakes a waiting producer.
   */
  commit(n: number, dispatchedOffset: number): void {
    this.publishDispatched(dispatchedOffset);
    this.tail = (this.tail + n) | 0;
    Atomics.store(this.h, H_TAIL, this.tail);
    if (Atomics.load(this.h, H_PRODUCER_WAITING) !== 0) Atomics.notify(this.h, H_TAIL, 1);
  }

  setWorkerState(state: WorkerState): void {
    Atomics.store(this.h, H_WORKER_STATE, state);
  }
}
