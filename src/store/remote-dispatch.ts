import type { ConsumeQueue } from './consume-queue.js';
import type { ConsumeQueueTable } from './consume-queue-table.js';
import type { MessageArrivingListener } from './types.js';
import { isConsumable, type DispatchRequest, type Dispatcher, type RemoteDispatcher } from './dispatch.js';
import { indexKeyPrefixHash } from './index-file.js';
import { indexKeyHashesOf } from './index-keys.js';

/** Ring flag bits for the index worker (same values as src/workers/messages.ts declares). */
export const FLAG_HAS_KEYS = 0x1;
export const FLAG_HAS_UNIQ_KEY = 0x2;
export const FLAG_KEY_HASHES = 0x10;
export const KEY_COUNT_SHIFT = 8;
/** Key hashes a ring slot has room for (RING_KEY_HASHES). */
export const KEY_HASHES = 4;
const TRANSACTION_MASK = 0xc;

/**
 * The main thread's side of dispatch in workers. For every appended record it queues the facts
 * to the remote dispatcher and remembers, in a FIFO of typed arrays (nothing allocated per
 * record), which queue unit the record will become. As the workers publish their dispatched
 * offset, `drain` makes those units visible to readers in commit-log order and tells the
 * arriving listener (long polling), so a pull never sees a unit before its file holds it.
 */
export class RemoteDispatchBridge implements Dispatcher {
  private readonly remote: RemoteDispatcher;
  private readonly table: ConsumeQueueTable;
  private readonly topicIds = new Map<string, number>();
  private nextTopicId = 1;
  private queues: (ConsumeQueue | undefined)[] = [];
  private queueOffsets = new Float64Array(1024);
  private tags = new Float64Array(1024);
  private ends = new Float64Array(1024);
  private head = 0;
  private tail = 0;
  /** The promise of the last offer that had to wait for room (awaited before acknowledging). */
  private pending: Promise<void> | undefined;
  private publishScheduled = false;
  private unpublished = 0;
  /** The end of a turn: everything staged becomes visible and sleeping workers wake. */
  private readonly publishNow = (): void => {
    this.publishScheduled = false;
    this.unpublished = 0;
    this.remote.publish(true);
  };
  listener: MessageArrivingListener | null = null;
  lastDispatchedTimestamp = 0;
  private stamps = new Float64Array(1024);
  private watching = false;
  /** Whether records' index keys are hashed here for the index worker (messageIndexEnable). */
  private readonly hashKeys: boolean;
  /** indexKeyPrefixHash per topic id. */
  private readonly prefixes: number[] = [];
  private readonly keyHashes = new Int32Array(KEY_HASHES);

  constructor(remote: RemoteDispatcher, table: ConsumeQueueTable, hashKeys = false) {
    this.remote = remote;
    this.table = table;
    this.hashKeys = hashKeys;
  }

  get topics(): Array<[number, string]> {
    return [...this.topicIds].map(([name, id]) => [id, name]);
  }

  /** Ids for topics that already have queues (sent to the workers at start). */
  seedTopics(names: Iterable<string>): void {
    for (const n of names) if (!this.topicIds.has(n)) this.topicIds.set(n, this.nextTopicId++);
  }

  /**
   * A deleted topic gets a new id when it is used again: a worker meeting an id it does not know
   * reads its control messages first, so it handles the delete before the topic's new records.
   */
  forgetTopic(topic: string): void {
    this.topicIds.delete(topic);
  }

  dispatch(req: DispatchRequest): void {
    let topicId = this.topicIds.get(req.topic);
    if (topicId === undefined) {
      topicId = this.nextTopicId++;
      this.topicIds.set(req.topic, topicId);
      this.remote.registerTopic(topicId, req.topic);
    }
    let flags = req.sysFlag & TRANSACTION_MASK;
    let hashes: Int32Array | null = null;
    if (req.properties.length > 0) {
      // Hashing here (tens of ns) spares the index worker reading the record back (see
      // DISPATCH_FLAG_KEY_HASHES); keys that do not fit a slot are still read there.
      const n = this.hashKeys ? indexKeyHashesOf(req.properties, (this.prefixes[topicId] ??= indexKeyPrefixHash(req.topic)), this.keyHashes) : -1;
      if (n >= 0) {
        if (n > 0) flags |= FLAG_HAS_KEYS | FLAG_KEY_HASHES | (n << KEY_COUNT_SHIFT);
        hashes = this.keyHashes;
      } else {
        if (hasProperty(req.properties, KEYS_NAME)) flags |= FLAG_HAS_KEYS;
        if (hasProperty(req.properties, UNIQ_NAME)) flags |= FLAG_HAS_UNIQ_KEY;
      }
    }
    const cq = this.table.findOrCreate(req.topic, req.queueId);
    if (cq.visible === null) cq.follow();
    if (isConsumable(req.sysFlag)) this.remember(cq, req);
    const wait = this.remote.offer(req, topicId, flags, hashes);
    if (wait) this.pending = wait;
  }

  /**
   * After each append (not staged): publishes to the workers, drains, and returns the wait for
   * ring room if the append found the ring full (a full ring pushes back on producers).
   */
  afterAppend(): Promise<void> | undefined {
    // One publish per turn of the event loop (or per 64 appends when producers never yield),
    // not per message: each publish may wake a worker.
    if (++this.unpublished >= 64) {
      this.unpublished = 0;
      this.remote.publish(false);
    }
    if (!this.publishScheduled) {
      this.publishScheduled = true;
      setImmediate(this.publishNow);
    }
    // Appends are the busiest thing on this thread: let them also move visibility forward.
    this.drain();
    return this.takePending();
  }

  /** The wait for room of the last offer that found the ring full, if any (taken once). */
  takePending(): Promise<void> | undefined {
    const room = this.pending;
    this.pending = undefined;
    return room;
  }

  private remember(cq: ConsumeQueue, req: DispatchRequest): void {
    if (this.tail - this.head === this.ends.length) this.grow();
    const i = this.tail % this.ends.length;
    this.queues[i] = cq;
    this.queueOffsets[i] = req.consumeQueueOffset;
    this.tags[i] = req.tagsCode;
    this.ends[i] = req.commitLogOffset + req.msgSize;
    this.stamps[i] = req.storeTimestamp;
    this.tail++;
  }

  private grow(): void {
    const n = this.ends.length;
    const order = Array.from({ length: this.tail - this.head }, (_, k) => (this.head + k) % n);
    const remap = <T extends Float64Array>(a: T): T => {
      const b = new Float64Array(n * 2) as T;
      order.forEach((j, k) => (b[k] = a[j]!));
      return b;
    };
    this.queues = order.map((j) => this.queues[j]);
    this.queueOffsets = remap(this.queueOffsets);
    this.tags = remap(this.tags);
    this.ends = remap(this.ends);
    this.stamps = remap(this.stamps);
    this.tail -= this.head;
    this.head = 0;
  }

  /** Makes every unit whose record the workers have dispatched visible, oldest first. */
  drain(): void {
    if (this.head === this.tail) return;
    const dispatched = this.remote.dispatchedOffset;
    const n = this.ends.length;
    while (this.head < this.tail) {
      const i = this.head % n;
      if (this.ends[i]! > dispatched) break;
      const cq = this.queues[i]!;
      const next = this.queueOffsets[i]! + 1;
      if (next > cq.visible!) cq.visible = next;
      this.lastDispatchedTimestamp = this.stamps[i]!;
      this.queues[i] = undefined;
      this.head++;
      this.listener?.(cq.topic, cq.queueId, next, this.tags[i]!);
    }
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  /** Wakes on dispatch progress and drains, so long polls hear of new messages promptly. */
  watch(isRunning: () => boolean): void {
    if (this.watching) return;
    this.watching = true;
    const loop = async (): Promise<void> => {
      while (isRunning()) {
        if (this.head === this.tail) {
          await this.remote.waitDispatchedPast(this.remote.dispatchedOffset, 50);
        } else {
          await this.remote.waitDispatchedPast(this.ends[this.head % this.ends.length]! - 1, 1000);
        }
        this.drain();
        // At most one wake-up per turn of the event loop, however small the workers' batches.
        await new Promise<void>((r) => setImmediate(r));
      }
      this.watching = false;
    };
    void loop();
  }

  get backlog(): number {
    return this.tail - this.head;
  }
}

const KEYS_NAME = 'KEYS\u0001';
const UNIQ_NAME = 'UNIQ_KEY\u0001';

/** Whether an encoded property string has the property `nameSep` (name + \u0001); allocates nothing. */
function hasProperty(props: string, nameSep: string): boolean {
  for (let i = props.indexOf(nameSep); i >= 0; i = props.indexOf(nameSep, i + 1)) {
    if (i === 0 || props.charCodeAt(i - 1) === 2) return true;
  }
  return false;
}
