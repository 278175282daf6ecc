/**
 * Every shared-memory layout and every message between threads, declared once.
 *
 * 1. The dispatch ring: a SharedArrayBuffer of a 256-byte header and `capacity` fixed 64-byte
 *    slots, one per appended record (its dispatch facts). One producer (the append path on the
 *    main thread), one consumer (a dispatch or index worker). `ring.ts` implements it.
 * 2. Control messages between a worker host and its worker (rare; never per record).
 * 3. The index-query and segment-scan pools' tasks and results (declared by the store, re-exported here).
 */
import type { MessagePort } from 'node:worker_threads';
import type { StoreConfig } from '../store/config.js';

export type { IndexQueryTask, QueryOffsetResult } from '../store/index-query-pool.js';
export type { SegmentScanTask } from '../store/segment-scan-pool.js';

// ---------------------------------------------------------------------------------------------
// Ring header. Int32 cells except DISPATCHED (BigInt64). Cells written by the producer and cells
// written by the consumer sit on different 64-byte cache lines so the two threads do not keep
// stealing one line from each other.
//
//  byte   0  HEAD              i32  records published by the producer (wrapping 32-bit counter)
//  byte   4  PRODUCER_WAITING  i32  1 while the producer waits for space (consumer notifies TAIL)
//  byte   8  STALLS            i32  times the producer found the ring full
//  byte  12  STOP              i32  1 = the host asks the consumer to drain and stop
//  byte  16  DISPATCH_WAITERS  i32  threads awaiting DISPATCHED (consumer notifies only if > 0)
//  byte  64  TAIL              i32  records released by the consumer (wrapping 32-bit counter)
//  byte  68  CONSUMER_WAITING  i32  1 while the consumer sleeps on HEAD (producer notifies HEAD)
//  byte  72  WORKER_STATE      i32  a WorkerState, set by the consumer, read by the host
//  byte 128  CAPACITY          i32  slot count, a power of two, set at creation
//  byte 132  LAYOUT            i32  RING_LAYOUT_VERSION, so a stale worker refuses a new layout
//  byte 192  DISPATCHED        i64  commit log offset below which every record is dispatched
//                                   (RocketMQ's reput offset); only grows
//  byte 256  slot 0 ...
// ---------------------------------------------------------------------------------------------
export const RING_HEADER_BYTES = 256;
export const RING_LAYOUT_VERSION = 2;
/** A worker with nothing to do looks at its ring again after this long, woken or not. */
export const WORKER_IDLE_WAIT_MS = 20;
/**
 * Records the index ring lets pile up before it wakes its sleeping worker (the dispatch ring wakes
 * its worker every turn of the event loop; see WorkerDispatcher.supervise).
 */
export const INDEX_WAKE_BACKLOG = 4096;
/** Int32 cell indexes (byte offset / 4). */
export const H_HEAD = 0;
export const H_PRODUCER_WAITING = 1;
export const H_STALLS = 2;
export const H_STOP = 3;
export const H_DISPATCH_WAITERS = 4;
export const H_TAIL = 16;
export const H_CONSUMER_WAITING = 17;
export const H_WORKER_STATE = 18;
export const H_CAPACITY = 32;
export const H_LAYOUT = 33;
/** BigInt64 cell index (byte offset / 8). */
export const H64_DISPATCHED = 24;

/** What the consumer side is doing; lives in H_WORKER_STATE. */
export const WorkerState = {
  IDLE: 0,
  RUNNING: 1,
  DRAINING: 2,
  STOPPED: 3,
  FAILED: 4,
} as const;
export type WorkerState = (typeof WorkerState)[keyof typeof WorkerState];

// ---------------------------------------------------------------------------------------------
// Slot: 64 bytes (one cache line), 8-byte aligned, read and written through a Float64Array and an
// Int32Array over the same memory: plain number stores, no BigInt boxing on the hot path. Offsets,
// times and tag codes stay below 2^53 so a float64 holds them exactly.
//
//  +0  f64  phyOffset       commit log offset of the record
//  +8  f64  queueOffset     ConsumeQueue index of the record
//  +16 f64  storeTimestamp  ms
//  +24 f64  tagsCode        ConsumeQueue tag code: Java int hash sign-extended, or for
//                           SCHEDULE_TOPIC_XXXX the delivery time in ms (does not fit an int)
//  +32 i32  size            record length in bytes
//  +36 i32  topicId         id from the shared topic table
//  +40 i32  queueId
//  +44 i32  flags           DISPATCH_FLAG_* bits, and the number of key hashes
//  +48 i32  keyHashes[4]    index key hashes (IndexFile's hash of `topic#key`), UNIQ_KEY's first:
//                           the index worker puts these without reading the record
// ---------------------------------------------------------------------------------------------
export const RING_SLOT_BYTES = 64;
/** Per-slot stride and field positions in the Float64 view. */
export const SLOT_F64_STRIDE = RING_SLOT_BYTES / 8;
export const SLOT_F64_BASE = RING_HEADER_BYTES / 8;
export const S_PHY_OFFSET = 0;
export const S_QUEUE_OFFSET = 1;
export const S_STORE_TIMESTAMP = 2;
export const S_TAGS_CODE = 3;
/** Per-slot stride and field positions in the Int32 view (byte offset / 4 within the slot). */
export const SLOT_I32_STRIDE = RING_SLOT_BYTES / 4;
export const SLOT_I32_BASE = RING_HEADER_BYTES / 4;
export const S_SIZE = 8;
export const S_TOPIC_ID = 9;
export const S_QUEUE_ID = 10;
export const S_FLAGS = 11;
export const S_KEY_HASHES = 12;
/** Room for key hashes in a slot; a record with more keys is read by the index worker. */
export const RING_KEY_HASHES = 4;

/** The record has a KEYS property (with DISPATCH_FLAG_KEY_HASHES: any index key): it goes to the index worker. */
export const DISPATCH_FLAG_HAS_KEYS = 0x1;
/** The record has a UNIQ_KEY property (indexed too). */
export const DISPATCH_FLAG_HAS_UNIQ_KEY = 0x2;
/**
 * Transaction type, the same bits and values as the record's SysFlag (0x0 not, 0x4 prepared,
 * 0x8 commit, 0xC rollback), so `flags & SYSFLAG_TRANSACTION_MASK` reads like RocketMQ's code.
 * Prepared and rollback records get no ConsumeQueue unit; rollback records no index entry.
 */
export const DISPATCH_FLAG_TRANSACTION_MASK = 0xc;
/**
 * The slot carries every index key hash of the record (their number in the flags' bits 8-10): the
 * index worker need not read the record. Reading it back from the commit log cost the worker a
 * first touch of every page through its own mapping (0.3-0.5 s per million records on the bench VM).
 */
export const DISPATCH_FLAG_KEY_HASHES = 0x10;
export const DISPATCH_KEY_COUNT_SHIFT = 8;
export const DISPATCH_KEY_COUNT_MASK = 0x7;

/** One record's dispatch facts, as a caller-owned object the consumer fills (reused, not allocated). */
export interface DispatchFacts {
  phyOffset: number;
  size: number;
  topicId: number;
  queueId: number;
  queueOffset: number;
  tagsCode: number;
  storeTimestamp: number;
  flags: number;
  /** With DISPATCH_FLAG_KEY_HASHES, the first (flags >> DISPATCH_KEY_COUNT_SHIFT) & MASK are set. */
  keyHashes: Int32Array;
}

export function newDispatchFacts(): DispatchFacts {
  return { phyOffset: 0, size: 0, topicId: 0, queueId: 0, queueOffset: 0, tagsCode: 0, storeTimestamp: 0, flags: 0, keyHashes: new Int32Array(RING_KEY_HASHES) };
}

/** How many key hashes the facts carry (0 without DISPATCH_FLAG_KEY_HASHES). */
export function keyHashCount(flags: number): number {
  return flags & DISPATCH_FLAG_KEY_HASHES ? (flags >> DISPATCH_KEY_COUNT_SHIFT) & DISPATCH_KEY_COUNT_MASK : 0;
}

// ---------------------------------------------------------------------------------------------
// Control messages (postMessage). A consumer blocked in Atomics.wait cannot read its port, so
// `stop` is also signalled through the ring (RingProducer.requestStop), and a worker yields to its
// event loop between waits to pick up `topic-registered`.
// ---------------------------------------------------------------------------------------------
export type WorkerRole = 'dispatch' | 'index';

/** `workerData` of a dispatch or index worker (dispatch-worker.ts). */
export interface DispatchWorkerData {
  role: WorkerRole;
  ring: SharedArrayBuffer;
  config: StoreConfig;
  /** Known topics at start: [id, name]; later ones arrive as `topic-registered` on `control`. */
  topics: Array<[number, string]>;
  /** Topics deleted while older records of theirs may still be in the ring: [topic, commit log end]. */
  deleted: Array<[string, number]>;
  /** Retention: the commit log's minimum offset when the worker starts (see `delete-expired`). */
  expiredBelow: number;
  /**
   * Host -> worker control messages. The worker reads them synchronously
   * (receiveMessageOnPort) whenever it meets an unknown topic id, so a topic announced before
   * its first record is always known in time, without yielding the worker's loop.
   */
  control: MessagePort;
}

/** Host -> worker control messages on `DispatchWorkerData.control`. */
export type DispatchControl =
  | { type: 'topic-registered'; topicId: number; topic: string }
  | { type: 'delete-topic'; topic: string; appendedBelow: number }
  /** Retention: the commit log now starts at `minPhyOffset`; delete the files wholly below it. */
  | { type: 'delete-expired'; minPhyOffset: number };

/** Worker -> host messages of a dispatch or index worker (on parentPort). */
export type DispatchWorkerEvent =
  | { type: 'ready' }
  | { type: 'drained'; dispatchedOffset: number }
  | { type: 'index-checkpoint'; timestamp: number }
  | { type: 'logics-checkpoint'; timestamp: number }
  | { type: 'error'; message: string; stack?: string };

export type HostToWorker =
  | {
      type: 'start';
      role: WorkerRole;
      ring: SharedArrayBuffer;
      config: StoreConfig;
      /** Known topics at start: [id, name]. */
      topics: Array<[number, string]>;
      /** For sharded ConsumeQueue workers: this worker owns queues where hash % count === index. */
      shard?: { index: number; count: number };
    }
  | { type: 'topic-registered'; topicId: number; topic: string }
  | { type: 'stop' };

export type WorkerToHost =
  | { type: 'ready' }
  /** Sent after `stop` once the ring is empty; `dispatchedOffset` is the final published value. */
  | { type: 'drained'; dispatchedOffset: number }
  | { type: 'error'; code: string; message: string; stack?: string };

/**
 * The page populator's control cells (Int32Array over a SharedArrayBuffer). The writer sets
 * P_GEN (which segment, announced with a PopulatorFile message first) and P_REQ_PAGES (populate up
 * to this page), bumps P_SEQ and notifies; the populator reports P_DONE_PAGES.
 */
export const P_SEQ = 0;
export const P_GEN = 1;
export const P_REQ_PAGES = 2;
export const P_DONE_PAGES = 3;
export const P_STOP = 4;
export const POPULATOR_CELLS = 8;

/** Announces the segment a generation number stands for. */
export interface PopulatorFile {
  gen: number;
  path: string;
}

/**
 * The HA worker's shared cells. The master's event loop writes the readable commit log end into
 * HA_F64_READABLE, then bumps HA_SEQ and notifies; the worker waits on HA_SEQ (Atomics.waitAsync:
 * its own event loop serves the slaves' sockets meanwhile). HA_STOP ends the wait for good. On a
 * slave the same cell holds the slave's commit log end, written before each `stored` reply.
 */
export const HA_SEQ = 0;
export const HA_STOP = 1;
export const HA_F64_READABLE = 1;
export const HA_CELL_BYTES = 16;

/** Host -> HA worker, at start (workerData). */
export type HaWorkerData =
  | { role: 'master'; cells: SharedArrayBuffer; start: import('../store/ha.js').HaMasterStart }
  | { role: 'slave'; cells: SharedArrayBuffer; start: import('../store/ha.js').HaSlaveStart; masterAddress: string | null };

/** Host -> HA worker, later (on parentPort). `stored` answers an `append` by its id. */
export type HostToHaWorker =
  | { type: 'master-address'; addr: string | null }
  | { type: 'stored'; id: number }
  | { type: 'store-failed'; id: number; message: string }
  | { type: 'stop' };

/** HA worker -> host. A slave's `append` carries one transfer, its buffer transferred. */
export type HaWorkerToHost =
  | { type: 'listening'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'progress'; ackOffset: number; slaves: number }
  | { type: 'append'; id: number; offset: number; body: Uint8Array }
  | { type: 'log'; level: 'info' | 'warn'; text: string }
  | { type: 'stopped' };
