import type { StoreConfig } from './config.js';
import type { HostAddress, MessageInput, PutMessageStatus } from './types.js';
import { MappedFileQueue } from './mapped-file-queue.js';
import { MappedFile } from './mapped-file.js';
import { StoreError } from './errors.js';
import { checkNewQueue } from './file-budget.js';
import { commitLogDir, isSafeTopicDir } from './file-names.js';
import {
  calMsgLength,
  createOffsetMsgId,
  joinOffsetMsgIds,
  encodeBlank,
  encodeMessage,
  type AppendFields,
  END_FILE_MIN_BLANK_LENGTH,
  MAX_PROPERTIES_BYTES,
  MAX_TOPIC_BYTES,
  SYSFLAG_BORNHOST_V6,
  SYSFLAG_STOREHOST_V6,
  SYSFLAG_TRANSACTION_MASK,
  TRANSACTION_PREPARED_TYPE,
  TRANSACTION_ROLLBACK_TYPE,
} from './message-codec.js';
import { checkRecord } from './record-check.js';
import { findProperty, PROPERTY } from './properties.js';
import { tagsCodeOf } from './java-hash.js';
import { DispatchBacklog, newDispatchRequest, type Dispatcher } from './dispatch.js';
import { StagedWrites } from './staged-writes.js';
import { deliverTimestamp, parseDelayLevels, SCHEDULE_TOPIC } from './delay-levels.js';

export interface AppendResult {
  /** Always PUT_OK here; the store downgrades it when a flush times out. */
  status: PutMessageStatus;
  wroteOffset: number;
  wroteBytes: number;
  queueOffset: number;
  storeTimestamp: number;
  msgNum: number;
  msgId: string;
}

/**
 * append's result. Its offsetMsgId is built when first read, as RocketMQ 4.9 defers it
 * (AppendMessageResult's msgIdSupplier): the hex text costs about 200 ns, a tenth of an append's
 * own work, and a program embedding the store may never ask for it (the broker does, per send).
 */
class SingleAppend implements AppendResult {
  status: PutMessageStatus = 'PUT_OK';
  readonly msgNum = 1;
  private id: string | undefined = undefined;

  constructor(
    private readonly storeHost: HostAddress,
    readonly wroteOffset: number,
    readonly wroteBytes: number,
    readonly queueOffset: number,
    readonly storeTimestamp: number,
  ) {}

  get msgId(): string {
    return (this.id ??= createOffsetMsgId(this.storeHost, this.wroteOffset));
  }
}

/**
 * Whether the commit log is written through staging buffers and write(2) instead of straight
 * into the mapping: RocketMQ's `transientStorePoolEnable`, and always under SYNC_FLUSH, where it
 * measured twice the flushes per second (see StagedWrites).
 */
export function usesStagedWrites(cfg: StoreConfig): boolean {
  return cfg.transientStorePoolEnable || cfg.flushDiskType === 'SYNC_FLUSH';
}

/** Extra room RocketMQ allows a whole record beyond maxMessageSize (headers, topic, properties). */
const RECORD_OVERHEAD_ALLOWANCE = 64 * 1024;
const MAX_QUEUE_ID = 0x7fffffff;
const MAX_CHECKED_TOPICS = 4096;

/**
 * Validates one message against RocketMQ's limits and returns its record length; throws
 * MESSAGE_ILLEGAL / PROPERTIES_SIZE_EXCEEDED errors. Shared by every store implementation.
 */
export function measureMessage(cfg: StoreConfig, msg: MessageInput, storeHost: HostAddress, topicBytes: number, propsBytes: number): number {
  checkTopicName(msg.topic, topicBytes);
  return measureChecked(cfg, msg, storeHost, topicBytes, propsBytes);
}

function checkTopicName(topic: string, topicBytes: number): void {
  if (topicBytes === 0 || topicBytes > MAX_TOPIC_BYTES) {
    throw new StoreError('MESSAGE_ILLEGAL', `topic must be 1..${MAX_TOPIC_BYTES} bytes, got ${topicBytes}`);
  }
  // The topic names a directory of consume queues: no path tricks may reach the filesystem.
  if (!isSafeTopicDir(topic)) {
    throw new StoreError('MESSAGE_ILLEGAL', `topic ${JSON.stringify(topic)} contains a path separator or control character`);
  }
}

/** measureMessage after the topic was checked (a batch shares one topic: checked once). */
function measureChecked(cfg: StoreConfig, msg: MessageInput, storeHost: HostAddress, topicBytes: number, propsBytes: number): number {
  if (propsBytes > MAX_PROPERTIES_BYTES) {
    throw new StoreError('PROPERTIES_SIZE_EXCEEDED', `properties are ${propsBytes} bytes, limit ${MAX_PROPERTIES_BYTES}`);
  }
  if (!Buffer.isBuffer(msg.body)) throw new StoreError('MESSAGE_ILLEGAL', 'message body must be a Buffer');
  if (msg.body.length > cfg.maxMessageSize) {
    throw new StoreError('MESSAGE_ILLEGAL', `message body is ${msg.body.length} bytes, maxMessageSize is ${cfg.maxMessageSize}`);
  }
  // The record holds the queue id in a Java int: a larger one would be stored wrapped while its
  // consume queue took the unwrapped id, a message no reader or recovery finds again.
  if (!Number.isInteger(msg.queueId) || msg.queueId < 0 || msg.queueId > MAX_QUEUE_ID) {
    throw new StoreError('MESSAGE_ILLEGAL', `queueId must be an integer in [0, ${MAX_QUEUE_ID}], got ${msg.queueId}`);
  }
  let sysFlag = msg.sysFlag ?? 0;
  if (msg.bornHost && msg.bornHost.ip.length === 16) sysFlag |= SYSFLAG_BORNHOST_V6;
  if (storeHost.ip.length === 16) sysFlag |= SYSFLAG_STOREHOST_V6;
  const len = calMsgLength(sysFlag, msg.body.length, topicBytes, propsBytes);
  if (len > cfg.maxMessageSize + RECORD_OVERHEAD_ALLOWANCE) {
    throw new StoreError('MESSAGE_ILLEGAL', `message record of ${len} bytes is too large`);
  }
  return len;
}

/**
 * The commit log: every message of every topic appended, in RocketMQ's stored-message layout, to
 * one run of segment files. Appends are synchronous and single-threaded (the event loop is the
 * put lock); each record's position goes to the dispatcher right after it is written. Queue
 * offsets are assigned here, per topic and queue, as RocketMQ's topicQueueTable does.
 */
export class CommitLog {
  readonly queue: MappedFileQueue;
  storeHost: HostAddress;
  private readonly cfg: StoreConfig;
  private readonly dispatcher: Dispatcher;
  private readonly req = newDispatchRequest();
  /** encodeMessage's per-record fields, reused: nothing allocated per append. */
  private readonly fields: AppendFields;
  /** Set when appends go through staging buffers (see usesStagedWrites). */
  readonly staged: StagedWrites | null;
  /** With `staged`: records written but not committed yet wait here to be dispatched. */
  private readonly backlog = new DispatchBacklog();
  /** Called after committed records were dispatched (the store publishes them to its workers). */
  onDispatched: (() => void) | null = null;
  /** Called after staged bytes reached their file (HA may send them now). */
  onCommitted: (() => void) | null = null;
  onError: (e: Error) => void = (e) => console.error(e);
  /** appendBatch's per-message scratch (property byte lengths, record lengths, offsets), reused. */
  private readonly batchProps: number[] = [];
  private readonly batchLens: number[] = [];
  private readonly batchOffsets: number[] = [];
  /** topic -> next queue offset per queue id. */
  private readonly queueOffsets = new Map<string, number[]>();
  /**
   * UTF-8 bytes of topics that passed checkTopicName. A broker appends to few topics, and
   * measuring, checking and encoding the name for every record cost about 3% of an append.
   */
  private readonly checkedTopics = new Map<string, Buffer>();
  /** Store time of the newest record (for the checkpoint). */
  lastStoreTimestamp = 0;
  putMessageTimesTotal = 0;
  putMessageSizeTotal = 0;

  /** Delay per level in ms: a schedule topic record's tag code is its delivery time. */
  private readonly delayLevels: number[];

  constructor(cfg: StoreConfig, storeHost: HostAddress, dispatcher: Dispatcher) {
    this.cfg = cfg;
    this.delayLevels = parseDelayLevels(cfg.messageDelayLevel);
    this.storeHost = storeHost;
    this.fields = { queueOffset: 0, physicalOffset: 0, storeTimestamp: 0, storeHost };
    this.dispatcher = dispatcher;
    this.queue = new MappedFileQueue(commitLogDir(cfg), cfg.mappedFileSizeCommitLog, { preallocate: cfg.preallocateCommitLog, releaseBehind: true, lazyMap: 'older' });
    this.staged = usesStagedWrites(cfg)
      ? new StagedWrites({
          onCommitted: (offset) => {
            if (this.backlog.release(offset, this.dispatcher) > 0) this.onDispatched?.();
            this.onCommitted?.();
          },
          onError: (e) => this.onError(e),
          durable: cfg.flushDiskType === 'SYNC_FLUSH',
        })
      : null;
    if (this.staged) this.queue.beforeFlush = () => this.whenCommitted(this.queue.maxWrotePosition);
  }

  /** Resolves once every record before `offset` is readable (in its file). */
  whenCommitted(offset: number): Promise<void> {
    return this.staged ? this.staged.whenCommitted(offset) : Promise.resolve();
  }

  get minOffset(): number {
    return this.queue.minOffset;
  }

  get maxOffset(): number {
    return this.queue.maxWrotePosition;
  }

  /** Where the bytes in the segment files end (staged bytes are not there yet): what HA may send. */
  get readableOffset(): number {
    return this.staged && this.staged.stagedChunks > 0 ? this.staged.committedOffset : this.maxOffset;
  }

  nextQueueOffset(topic: string, queueId: number): number {
    return this.queueOffsets.get(topic)?.[queueId] ?? 0;
  }

  setNextQueueOffset(topic: string, queueId: number, offset: number): void {
    let arr = this.queueOffsets.get(topic);
    if (!arr) this.queueOffsets.set(topic, (arr = []));
    arr[queueId] = offset;
  }

  removeTopic(topic: string): void {
    this.queueOffsets.delete(topic);
  }

  private measure(msg: MessageInput, topicBytes: number, propsBytes: number, topicChecked = false): number {
    const len = topicChecked ? measureChecked(this.cfg, msg, this.storeHost, topicBytes, propsBytes) : measureMessage(this.cfg, msg, this.storeHost, topicBytes, propsBytes);
    if (len + END_FILE_MIN_BLANK_LENGTH > this.queue.fileSize) {
      throw new StoreError('MESSAGE_ILLEGAL', `message record of ${len} bytes does not fit in a commit log segment`);
    }
    return len;
  }

  /** A segment with at least `len` + blank-marker bytes free, writing the BLANK marker on a roll. */
  private fileFor(len: number): MappedFile {
    let file = this.queue.lastForWrite();
    // Leave a sparse segment as soon as a preallocated one is ready (see SegmentAllocator): the
    // BLANK marker ends a segment anywhere, and the unused sparse tail costs no disk.
    if (len + END_FILE_MIN_BLANK_LENGTH > file.remaining || (file.sparse && this.queue.nextReady)) {
      if (this.staged) {
        this.staged.reserve(file, file.remaining, true);
        this.staged.advance(file.remaining);
      } else {
        // Its bytes may be the first into a page since a restart: backed first (see prefault).
        file.prefault(file.wrotePosition + END_FILE_MIN_BLANK_LENGTH, 0);
      }
      encodeBlank(file.buffer, file.wrotePosition, file.remaining);
      file.wrotePosition = file.fileSize;
      file = this.queue.lastForWrite();
    }
    return file;
  }

  /**
   * Pages for the bytes about to be written. Mapped appends populate them first (see
   * MappedFile.prefault). Staged appends do not touch the mapping; but while their commits fall
   * behind, the populator thread brings pages in for the commit's write(2) to find. Only then:
   * faulting pages in costs a core 20 ms at a time.
   */
  private pagesFor(file: MappedFile, len: number): void {
    if (this.staged === null) file.prefault(file.wrotePosition + len);
    else if (this.staged.isBehind()) file.requestAhead(file.wrotePosition + len);
  }

  /** The topic's UTF-8 bytes, checked against RocketMQ's rules the first time it is seen. */
  private topicBuf(topic: string): Buffer {
    let b = this.checkedTopics.get(topic);
    if (b === undefined) {
      if (typeof topic !== 'string') throw new StoreError('MESSAGE_ILLEGAL', 'topic must be a string');
      b = Buffer.from(topic, 'utf8');
      checkTopicName(topic, b.length);
      // Bounded: a client inventing topics must not grow this without end.
      if (this.checkedTopics.size >= MAX_CHECKED_TOPICS) this.checkedTopics.clear();
      this.checkedTopics.set(topic, b);
    }
    return b;
  }

  append(msg: MessageInput): AppendResult {
    const topicBuf = this.topicBuf(msg.topic);
    if (this.queueOffsets.get(msg.topic)?.[msg.queueId] === undefined) checkNewQueue(msg.topic, msg.queueId);
    const topicBytes = topicBuf.length;
    const props = msg.properties ?? '';
    const propsBytes = props.length === 0 ? 0 : Buffer.byteLength(props);
    const len = this.measure(msg, topicBytes, propsBytes, true);
    const file = this.fileFor(len);
    this.pagesFor(file, len);
    const storeTimestamp = msg.storeTimestamp ?? Date.now();
    const first = this.write(file, msg, len, topicBytes, propsBytes, storeTimestamp, topicBuf);
    return new SingleAppend(this.storeHost, first, len, this.req.consumeQueueOffset, storeTimestamp);
  }

  /** A batch for one topic/queue, contiguous in one segment (as RocketMQ encodes batches). */
  appendBatch(msgs: MessageInput[]): AppendResult {
    if (msgs.length === 0) throw new StoreError('MESSAGE_ILLEGAL', 'empty batch');
    const topic = msgs[0]!.topic;
    const queueId = msgs[0]!.queueId;
    // One topic for the whole batch: measured and checked once, not per message.
    const topicBuf = this.topicBuf(topic);
    const tb = topicBuf.length;
    let total = 0;
    const propsBytes = this.batchProps;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      if (m.topic !== topic || m.queueId !== queueId) throw new StoreError('MESSAGE_ILLEGAL', 'a batch must target one topic and queue');
      const pb = m.properties ? Buffer.byteLength(m.properties) : 0;
      propsBytes[i] = pb;
      total += this.batchLens[i] = this.measure(m, tb, pb, true);
    }
    if (total + END_FILE_MIN_BLANK_LENGTH > this.queue.fileSize) {
      throw new StoreError('MESSAGE_ILLEGAL', `batch of ${total} bytes does not fit in a commit log segment`);
    }
    if (this.queueOffsets.get(topic)?.[queueId] === undefined) checkNewQueue(topic, queueId);
    const file = this.fileFor(total);
    this.pagesFor(file, total);
    this.staged?.ensureBacked(file, total);
    const storeTimestamp = msgs[0]!.storeTimestamp ?? Date.now();
    let firstQueueOffset = 0;
    const offsets = this.batchOffsets;
    for (let i = 0; i < msgs.length; i++) {
      offsets[i] = this.write(file, msgs[i]!, this.batchLens[i]!, tb, propsBytes[i]!, storeTimestamp, topicBuf);
      if (i === 0) firstQueueOffset = this.req.consumeQueueOffset;
    }
    const msgId = joinOffsetMsgIds(this.storeHost, offsets, msgs.length);
    return { status: 'PUT_OK', wroteOffset: offsets[0]!, wroteBytes: total, queueOffset: firstQueueOffset, storeTimestamp, msgNum: msgs.length, msgId };
  }

  /** Encodes one record at the file's write position, assigns its queue offset, dispatches it. */
  private write(file: MappedFile, msg: MessageInput, recordLen: number, topicBytes: number, propsBytes: number, storeTimestamp: number, topicBuf: Buffer): number {
    const physicalOffset = file.fileFromOffset + file.wrotePosition;
    const tranType = (msg.sysFlag ?? 0) & SYSFLAG_TRANSACTION_MASK;
    // Prepared and rollback records take no queue slot (RocketMQ stores them with offset 0).
    const hidden = tranType === TRANSACTION_PREPARED_TYPE || tranType === TRANSACTION_ROLLBACK_TYPE;
    let arr = this.queueOffsets.get(msg.topic);
    if (!arr) this.queueOffsets.set(msg.topic, (arr = []));
    const queueOffset = hidden ? 0 : (arr[msg.queueId] ?? 0);
    const staged = this.staged;
    if (staged) staged.reserve(file, recordLen);
    const fields = this.fields;
    fields.queueOffset = queueOffset;
    fields.physicalOffset = physicalOffset;
    fields.storeTimestamp = storeTimestamp;
    fields.storeHost = this.storeHost; // may be set after construction (a broker on port 0)
    const len = encodeMessage(staged ? staged.buf : file.buffer, staged ? staged.pos : file.wrotePosition, msg, topicBytes, propsBytes, fields, topicBuf);
    staged?.advance(len);
    file.wrotePosition += len;
    if (!hidden) arr[msg.queueId] = queueOffset + 1;
    this.lastStoreTimestamp = storeTimestamp;
    this.putMessageTimesTotal++;
    this.putMessageSizeTotal += len;

    const req = this.req;
    req.topic = msg.topic;
    req.queueId = msg.queueId;
    req.commitLogOffset = physicalOffset;
    req.msgSize = len;
    req.storeTimestamp = storeTimestamp;
    req.consumeQueueOffset = queueOffset;
    req.sysFlag = msg.sysFlag ?? 0;
    req.properties = msg.properties ?? '';
    req.tagsCode = msg.tagsCode ?? tagsCodeOf(findProperty(msg.properties, PROPERTY.TAGS));
    if (msg.topic === SCHEDULE_TOPIC) {
      req.tagsCode = deliverTimestamp(this.delayLevels, findProperty(msg.properties, PROPERTY.DELAY), storeTimestamp) ?? req.tagsCode;
    }
    if (staged) this.backlog.push(req);
    else this.dispatcher.dispatch(req);
    return physicalOffset;
  }

  /** Zero-copy view of the record bytes at [offset, offset + size), or null when not stored. */
  getData(offset: number, size: number): Buffer | null {
    const f = this.queue.findByOffset(offset);
    if (!f) return null;
    const pos = offset - f.fileFromOffset;
    if (size <= 0 || pos + size > f.readPosition) return null;
    return f.slice(pos, size);
  }

  /**
   * The record at `offset` whose size is read from its TOTALSIZE field, or null unless a whole,
   * self-consistent record starts there (lengths checked, not the CRC): an offset from a client's
   * message id, or a damaged index entry, may point anywhere.
   */
  getRecord(offset: number): Buffer | null {
    const f = this.queue.findByOffset(offset);
    if (!f) return null;
    const pos = offset - f.fileFromOffset;
    const size = checkRecord(f.buffer, pos, f.readPosition, false, f.fileSize);
    return size > 0 ? f.slice(pos, size) : null;
  }

  /** Offset where the segment after the one holding `offset` begins. */
  rollNextFile(offset: number): number {
    const size = this.queue.fileSize;
    return offset + size - (offset % size);
  }
}
