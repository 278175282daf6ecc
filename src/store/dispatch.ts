import type { StoreConfig } from './config.js';
import { findProperty, PROPERTY } from './properties.js';
import { readLong, recordLayout, OFF_QUEUEID, OFF_QUEUEOFFSET, OFF_PHYSICALOFFSET, SYSFLAG_TRANSACTION_MASK, TRANSACTION_PREPARED_TYPE, TRANSACTION_ROLLBACK_TYPE } from './message-codec.js';
import { tagsCodeOf } from './java-hash.js';
import { deliverTimestamp, SCHEDULE_TOPIC } from './delay-levels.js';

/**
 * What a dispatcher needs to know of one appended record: where it is, which queue slot it
 * takes, its tag code and the key material for the index. The commit log reuses one mutable
 * request per append (dispatchers copy what they keep), so dispatch allocates nothing.
 */
export interface DispatchRequest {
  topic: string;
  queueId: number;
  commitLogOffset: number;
  msgSize: number;
  tagsCode: number;
  storeTimestamp: number;
  consumeQueueOffset: number;
  sysFlag: number;
  /** Encoded properties, for the index (KEYS, UNIQ_KEY). */
  properties: string;
}

export interface Dispatcher {
  dispatch(req: DispatchRequest): void;
}

export function newDispatchRequest(): DispatchRequest {
  return { topic: '', queueId: 0, commitLogOffset: 0, msgSize: 0, tagsCode: 0, storeTimestamp: 0, consumeQueueOffset: 0, sysFlag: 0, properties: '' };
}

/** Only NOT and COMMIT transaction types enter consume queues (prepared/rollback stay hidden). */
export function isConsumable(sysFlag: number): boolean {
  const t = sysFlag & SYSFLAG_TRANSACTION_MASK;
  return t !== TRANSACTION_PREPARED_TYPE && t !== TRANSACTION_ROLLBACK_TYPE;
}

/**
 * Fills `req` from a stored record (recovery and re-dispatch read records back from disk).
 * With `delayLevels`, a schedule topic record's tag code is its delivery time, as on append.
 */
export function fillFromRecord(req: DispatchRequest, b: Buffer, pos: number, delayLevels?: readonly number[]): DispatchRequest {
  const L = recordLayout(b, pos);
  const propsLen = b.readInt16BE(L.propsLenAt);
  req.topic = b.toString('utf8', L.topicLenAt + 1, L.topicLenAt + 1 + L.topicLen);
  req.queueId = b.readInt32BE(pos + OFF_QUEUEID);
  req.commitLogOffset = readLong(b, pos + OFF_PHYSICALOFFSET);
  req.msgSize = b.readInt32BE(pos);
  req.storeTimestamp = readLong(b, L.storeTs);
  req.consumeQueueOffset = readLong(b, pos + OFF_QUEUEOFFSET);
  req.sysFlag = L.sysFlag;
  req.properties = propsLen > 0 ? b.toString('utf8', L.propsLenAt + 2, L.propsLenAt + 2 + propsLen) : '';
  req.tagsCode = tagsCodeOf(findProperty(req.properties, PROPERTY.TAGS));
  if (delayLevels && req.topic === SCHEDULE_TOPIC) {
    req.tagsCode = deliverTimestamp(delayLevels, findProperty(req.properties, PROPERTY.DELAY), req.storeTimestamp) ?? req.tagsCode;
  }
  return req;
}

/**
 * A dispatcher that builds consume queues and the index somewhere else (worker threads). The store
 * stays the only writer of the commit log and hands over each record's facts in commit-log order;
 * it learns progress only through `dispatchedOffset` (every record ending at or before it has its
 * consume queue unit on disk). Implemented in src/workers; the store never imports it.
 */
export interface RemoteDispatcher {
  /** Starts dispatching records that begin at `fromOffset` (everything before is already dispatched). */
  start(config: StoreConfig, fromOffset: number, topics: ReadonlyArray<readonly [number, string]>): Promise<void>;
  /** A topic id is announced before the first record that uses it. */
  registerTopic(topicId: number, topic: string): void;
  /**
   * Queues one record; `keyHashes` (reused by the caller) holds its index key hashes when `flags`
   * says so. Returns undefined when queued at once, or a promise that resolves once
   * there was room (the caller awaits it before acknowledging: back-pressure).
   */
  offer(req: DispatchRequest, topicId: number, flags: number, keyHashes?: Int32Array | null): Promise<void> | undefined;
  /**
   * Makes queued records visible to the workers. `wake` false (the busy path) may leave a
   * sleeping worker asleep until more records gather or a later publish wakes it.
   */
  publish(wake?: boolean): void;
  readonly dispatchedOffset: number;
  /** Resolves true once dispatchedOffset > offset, false on timeout; never blocks the event loop. */
  waitDispatchedPast(offset: number, timeoutMs: number): Promise<boolean>;
  /** Like waitDispatchedPast, for the index (records with keys). */
  waitIndexedPast?(offset: number, timeoutMs: number): Promise<boolean>;
  /** Drops a topic's consume queues on the worker side, and any record appended before `appendedBelow`. */
  deleteTopic(topic: string, appendedBelow: number): void;
  /**
   * Retention: the commit log now starts at `minPhyOffset`. The workers delete consume queue and
   * index files wholly below it (as CleanConsumeQueueService does inline) and skip records below it.
   */
  deleteExpired?(minPhyOffset: number): void;
  /** Index checkpoint times reported by the index worker. */
  onIndexCheckpoint?: (timestamp: number) => void;
  /** Store time of the newest record whose consume queue unit is on disk (after a worker's flush). */
  onLogicsCheckpoint?: (timestamp: number) => void;
  /** Set once dispatch has failed for good (a StoreError with its cause); appends are then refused. */
  readonly failure?: Error | null;
  /** Drains everything queued, flushes and stops the workers. */
  shutdown(): Promise<void>;
  /** Numbers for runtime info / benchmarks. */
  stats(): Record<string, number>;
}

/**
 * Dispatch requests held back, in append order, until their records are readable (StagedWrites
 * commits them). Entries are reused: a drained backlog allocates nothing more.
 */
export class DispatchBacklog {
  private readonly reqs: DispatchRequest[] = [];
  private head = 0;
  private tail = 0;

  get size(): number {
    return this.tail - this.head;
  }

  push(req: DispatchRequest): void {
    let e = this.reqs[this.tail];
    if (!e) this.reqs.push((e = newDispatchRequest()));
    this.tail++;
    e.topic = req.topic;
    e.queueId = req.queueId;
    e.commitLogOffset = req.commitLogOffset;
    e.msgSize = req.msgSize;
    e.tagsCode = req.tagsCode;
    e.storeTimestamp = req.storeTimestamp;
    e.consumeQueueOffset = req.consumeQueueOffset;
    e.sysFlag = req.sysFlag;
    e.properties = req.properties;
  }

  /** Dispatches every held request whose record ends at or before `upTo`; returns how many. */
  release(upTo: number, to: Dispatcher): number {
    const start = this.head;
    while (this.head < this.tail) {
      const e = this.reqs[this.head]!;
      if (e.commitLogOffset + e.msgSize > upTo) break;
      to.dispatch(e);
      e.topic = e.properties = '';
      this.head++;
    }
    const n = this.head - start;
    if (this.head === this.tail) this.head = this.tail = 0;
    else if (this.head >= 4096 && this.head * 2 >= this.tail) {
      // Under steady load the backlog never empties: move the spent entries behind the live ones.
      const spent = this.reqs.splice(0, this.head);
      for (const e of spent) this.reqs.push(e);
      this.tail -= this.head;
      this.head = 0;
    }
    return n;
  }
}
