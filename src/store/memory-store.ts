import type { StoreConfig } from './config.js';
import type {
  HostAddress,
  MessageArrivingListener,
  MessageInput,
  MessageStore,
  PutMessageResult,
  QueryMessageResult,
} from './types.js';
import { measureMessage } from './commit-log.js';
import { CQ_UNIT_SIZE, writeUnit } from './consume-queue.js';
import type { LogView, QueueView } from './get-message.js';
import { StoreReads, hasKey } from './store-reads.js';
import { createOffsetMsgId, decodeMessage, encodeMessage, parseHostAddress, readLong, storeTimestampOf, SYSFLAG_TRANSACTION_MASK, TRANSACTION_PREPARED_TYPE, TRANSACTION_ROLLBACK_TYPE } from './message-codec.js';
import { findProperty, PROPERTY } from './properties.js';
import { tagsCodeOf } from './java-hash.js';
import { StoreError } from './errors.js';
import type { StoreOptions } from './store-options.js';

/** Records kept in memory at virtual commit log offsets, encoded exactly as on disk. */
class MemoryLog implements LogView {
  readonly offsets: number[] = [];
  readonly records: Buffer[] = [];
  maxOffset = 0;
  get minOffset(): number {
    return 0;
  }
  indexOf(offset: number): number {
    let lo = 0;
    let hi = this.offsets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.offsets[mid]!;
      if (v === offset) return mid;
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
  getData(offset: number, size: number): Buffer | null {
    const i = this.indexOf(offset);
    const rec = i < 0 ? undefined : this.records[i];
    return rec && rec.length === size ? rec : null;
  }
  getRecord(offset: number): Buffer | null {
    const i = this.indexOf(offset);
    return i < 0 ? null : this.records[i]!;
  }
}

/** A consume queue as one growing buffer of 20-byte units (the same bytes a file would hold). */
class MemoryQueue implements QueueView {
  constructor(
    readonly topic: string,
    readonly queueId: number,
  ) {}
  private units = Buffer.alloc(CQ_UNIT_SIZE * 64);
  private count = 0;
  get minOffsetInQueue(): number {
    return 0;
  }
  get maxOffsetInQueue(): number {
    return this.count;
  }
  put(commitLogOffset: number, size: number, tagsCode: number): void {
    if ((this.count + 1) * CQ_UNIT_SIZE > this.units.length) {
      const bigger = Buffer.alloc(this.units.length * 2);
      this.units.copy(bigger);
      this.units = bigger;
    }
    writeUnit(this.units, this.count * CQ_UNIT_SIZE, commitLogOffset, size, tagsCode);
    this.count++;
  }
  unitsFrom(index: number): Buffer | null {
    if (index < 0 || index >= this.count) return null;
    return this.units.subarray(index * CQ_UNIT_SIZE, this.count * CQ_UNIT_SIZE);
  }
  entry(index: number): { commitLogOffset: number; size: number; tagsCode: number } | null {
    const b = this.unitsFrom(index);
    return b ? { commitLogOffset: readLong(b, 0), size: b.readInt32BE(8), tagsCode: readLong(b, 12) } : null;
  }
}

/**
 * The in-memory store: same interface and observable behaviour as DefaultMessageStore (the
 * conformance suite runs over both), nothing on disk. Meant for processor tests and embedding
 * where durability is not wanted.
 */
export class MemoryMessageStore extends StoreReads implements MessageStore {
  readonly config: StoreConfig;
  protected storeHost: HostAddress;
  private readonly log = new MemoryLog();
  private readonly queues = new Map<string, MemoryQueue[]>();
  private listener: MessageArrivingListener | null = null;
  private running = false;

  constructor(config: StoreConfig, opts: StoreOptions = {}) {
    super();
    this.config = config;
    this.storeHost = parseHostAddress(opts.storeHost ?? '127.0.0.1:10911');
  }

  setStoreHost(storeHost: string): void {
    if (this.running) throw new StoreError('SERVICE_NOT_AVAILABLE', 'the store host can only change before start()');
    this.storeHost = parseHostAddress(storeHost);
  }

  async start(): Promise<void> {
    this.running = true;
  }

  protected readLog(): MemoryLog {
    return this.log;
  }

  protected readQueue(topic: string, queueId: number): MemoryQueue | undefined {
    return this.queue(topic, queueId, false);
  }

  async shutdown(): Promise<void> {
    this.running = false;
  }

  private queue(topic: string, queueId: number, create: boolean): MemoryQueue | undefined {
    let arr = this.queues.get(topic);
    if (!arr) {
      if (!create) return undefined;
      this.queues.set(topic, (arr = []));
    }
    if (!arr[queueId] && create) arr[queueId] = new MemoryQueue(topic, queueId);
    return arr[queueId];
  }

  private append(msg: MessageInput, storeTimestamp: number): { offset: number; size: number; queueOffset: number } {
    const topicBytes = Buffer.byteLength(msg.topic);
    const propsBytes = msg.properties ? Buffer.byteLength(msg.properties) : 0;
    const len = measureMessage(this.config, msg, this.storeHost, topicBytes, propsBytes);
    const tranType = (msg.sysFlag ?? 0) & SYSFLAG_TRANSACTION_MASK;
    const hidden = tranType === TRANSACTION_PREPARED_TYPE || tranType === TRANSACTION_ROLLBACK_TYPE;
    const q = this.queue(msg.topic, msg.queueId, true)!;
    const queueOffset = hidden ? 0 : q.maxOffsetInQueue;
    const offset = this.log.maxOffset;
    const rec = Buffer.allocUnsafe(len);
    encodeMessage(rec, 0, msg, topicBytes, propsBytes, { queueOffset, physicalOffset: offset, storeTimestamp, storeHost: this.storeHost });
    this.log.offsets.push(offset);
    this.log.records.push(rec);
    this.log.maxOffset += len;
    if (!hidden) {
      const tagsCode = msg.tagsCode ?? tagsCodeOf(findProperty(msg.properties, PROPERTY.TAGS));
      q.put(offset, len, tagsCode);
      this.listener?.(msg.topic, msg.queueId, queueOffset + 1, tagsCode);
    }
    return { offset, size: len, queueOffset };
  }

  async putMessage(msg: MessageInput): Promise<PutMessageResult> {
    return this.putMessages([msg]);
  }

  async putMessages(msgs: MessageInput[]): Promise<PutMessageResult> {
    if (!this.running) throw new StoreError('SERVICE_NOT_AVAILABLE', 'message store is not running');
    if (msgs.length === 0) throw new StoreError('MESSAGE_ILLEGAL', 'empty batch');
    const first = msgs[0]!;
    for (const m of msgs) {
      if (m.topic !== first.topic || m.queueId !== first.queueId) throw new StoreError('MESSAGE_ILLEGAL', 'a batch must target one topic and queue');
      measureMessage(this.config, m, this.storeHost, Buffer.byteLength(m.topic), m.properties ? Buffer.byteLength(m.properties) : 0);
    }
    const storeTimestamp = first.storeTimestamp ?? Date.now();
    const ids: string[] = [];
    let wroteOffset = -1;
    let queueOffset = 0;
    let wroteBytes = 0;
    for (const m of msgs) {
      const r = this.append(m, storeTimestamp);
      if (wroteOffset < 0) {
        wroteOffset = r.offset;
        queueOffset = r.queueOffset;
      }
      wroteBytes += r.size;
      ids.push(createOffsetMsgId(this.storeHost, r.offset));
    }
    return { status: 'PUT_OK', msgId: ids.join(','), wroteOffset, wroteBytes, queueOffset, storeTimestamp, msgNum: msgs.length };
  }

  /** Linear scan: fine for the small data sets an in-memory store holds. */
  async queryMessage(topic: string, key: string, maxNum: number, begin: number, end: number): Promise<QueryMessageResult> {
    const messages: Buffer[] = [];
    const limit = Math.min(maxNum, this.config.maxMsgsNumBatch);
    for (let i = this.log.records.length - 1; i >= 0 && messages.length < limit; i--) {
      const m = decodeMessage(this.log.records[i]!, 0);
      if (m.storeTimestamp >= begin && m.storeTimestamp <= end && hasKey(m, topic, key)) messages.push(this.log.records[i]!);
    }
    const last = this.log.records.length - 1;
    return {
      messages,
      indexLastUpdateTimestamp: last >= 0 ? storeTimestampOf(this.log.records[last]!, 0) : 0,
      indexLastUpdatePhyoffset: last >= 0 ? this.log.offsets[last]! : 0,
    };
  }

  deleteTopics(topics: string[]): void {
    for (const t of topics) this.queues.delete(t);
  }
  executeDeleteFilesManually(): void {
    // Nothing here outlives the process: there are no files to expire.
  }
  topics(): string[] {
    return [...this.queues.keys()];
  }
  queueIds(topic: string): number[] {
    const ids: number[] = [];
    this.queues.get(topic)?.forEach((q, id) => q && ids.push(id));
    return ids;
  }
  setMessageArrivingListener(listener: MessageArrivingListener | null): void {
    this.listener = listener;
  }
  async whenDispatched(): Promise<boolean> {
    return true;
  }
  /** No replication in memory. */
  async waitReplica(): Promise<'SLAVE_NOT_AVAILABLE'> {
    return 'SLAVE_NOT_AVAILABLE';
  }
  updateHaMasterAddress(): void {}
  runtimeInfo(): Record<string, string> {
    return {
      commitLogMinOffset: '0',
      commitLogMaxOffset: String(this.log.maxOffset),
      dispatchBehindBytes: '0',
      putMessageTimesTotal: String(this.log.records.length),
      earliestMessageTimeStamp: String(this.getEarliestMessageTime()),
    };
  }
}
