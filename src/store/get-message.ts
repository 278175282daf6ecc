import { totalmem } from 'node:os';
import type { StoreConfig } from './config.js';
import type { GetMessageResult, GetMessageStatus, MessageFilter } from './types.js';
import { CQ_BLANK_SIZE, CQ_OFF_PHY, CQ_OFF_SIZE, CQ_OFF_TAGS, CQ_UNIT_SIZE } from './consume-queue.js';
import { readLong, storeTimestampOf } from './message-codec.js';
import { isUnitRecord } from './record-check.js';

/** Physical memory is fixed for the process's life; os.totalmem() costs microseconds per call. */
const TOTAL_MEMORY = totalmem();

/** What a pull needs of a consume queue (file-backed or in memory). */
export interface QueueView {
  readonly topic: string;
  readonly queueId: number;
  readonly minOffsetInQueue: number;
  readonly maxOffsetInQueue: number;
  /** Units from a queue index to the end of its file, or null when not stored. */
  unitsFrom(index: number): Buffer | null;
  entry(index: number): { commitLogOffset: number; size: number; tagsCode: number } | null;
}

/** What a pull needs of a commit log. */
export interface LogView {
  readonly minOffset: number;
  readonly maxOffset: number;
  getData(offset: number, size: number): Buffer | null;
}

/**
 * A pull, as RocketMQ's DefaultMessageStore.getMessage does it: check the offset against the
 * queue's bounds, then walk ConsumeQueue units from the offset (within one queue file, at most
 * max(16000 bytes, maxMsgNums units)), filter by tag code, and collect zero-copy record slices
 * until the batch is full (count, or bytes/count limits that depend on whether the data is
 * still likely in memory). `suggestPullingFromSlave` tells the broker the consumer lags by more
 * than `accessMessageInMemoryMaxRatio` percent of physical memory.
 */
export function getMessage(
  cfg: StoreConfig,
  commitLog: LogView,
  cq: QueueView | undefined,
  offset: number,
  maxMsgNums: number,
  filter: MessageFilter | null | undefined,
): GetMessageResult {
  const result: GetMessageResult = {
    status: 'NO_MATCHED_LOGIC_QUEUE',
    nextBeginOffset: 0,
    minOffset: 0,
    maxOffset: 0,
    messages: [],
    queueOffsets: [],
    bufferTotalSize: 0,
    suggestPullingFromSlave: false,
  };
  if (!cq) return result;
  const minOffset = cq.minOffsetInQueue;
  const maxOffset = cq.maxOffsetInQueue;
  result.minOffset = minOffset;
  result.maxOffset = maxOffset;
  const set = (status: GetMessageStatus, next: number) => {
    result.status = status;
    result.nextBeginOffset = next;
    return result;
  };
  if (maxOffset === 0) return set('NO_MESSAGE_IN_QUEUE', 0);
  if (offset < minOffset) return set('OFFSET_TOO_SMALL', minOffset);
  if (offset === maxOffset) return set('OFFSET_OVERFLOW_ONE', offset);
  if (offset > maxOffset) return set('OFFSET_OVERFLOW_BADLY', minOffset === 0 ? minOffset : maxOffset);

  const units = cq.unitsFrom(offset);
  if (!units) return set('OFFSET_FOUND_NULL', rollNextFile(cfg, offset));

  const maxPhy = commitLog.maxOffset;
  const minPhy = commitLog.minOffset;
  const memory = (TOTAL_MEMORY * cfg.accessMessageInMemoryMaxRatio) / 100;
  const limit = Math.min(units.length, Math.max(16000, maxMsgNums * CQ_UNIT_SIZE));
  let status: GetMessageStatus = 'NO_MATCHED_MESSAGE';
  let maxPhyPulling = 0;
  let i = 0;
  for (; i + CQ_UNIT_SIZE <= limit; i += CQ_UNIT_SIZE) {
    const phy = readLong(units, i + CQ_OFF_PHY);
    const size = units.readInt32BE(i + CQ_OFF_SIZE);
    const tagsCode = readLong(units, i + CQ_OFF_TAGS);
    maxPhyPulling = phy;
    if (size === CQ_BLANK_SIZE || phy < minPhy) continue;
    const inDisk = maxPhy - phy > memory;
    if (isTheBatchFull(cfg, size, maxMsgNums, result.bufferTotalSize, result.messages.length, inDisk)) break;
    if (filter && !filter.isMatchedByConsumeQueue(tagsCode)) {
      if (result.messages.length === 0) status = 'NO_MATCHED_MESSAGE';
      continue;
    }
    const record = commitLog.getData(phy, size);
    // A damaged unit may name any bytes of the log: moved past like a missing record.
    if (!record || !isUnitRecord(record, size, cq.topic, cq.queueId, offset + i / CQ_UNIT_SIZE)) {
      if (result.messages.length === 0) status = 'MESSAGE_WAS_REMOVING';
      continue;
    }
    if (filter?.isMatchedByCommitLog && !filter.isMatchedByCommitLog(record)) {
      if (result.messages.length === 0) status = 'NO_MATCHED_MESSAGE';
      continue;
    }
    result.messages.push(record);
    result.queueOffsets.push(offset + i / CQ_UNIT_SIZE);
    result.bufferTotalSize += size;
    status = 'FOUND';
  }
  result.suggestPullingFromSlave = maxPhy - maxPhyPulling > memory;
  return set(status, offset + i / CQ_UNIT_SIZE);
}

function isTheBatchFull(cfg: StoreConfig, size: number, maxMsgNums: number, bytes: number, count: number, inDisk: boolean): boolean {
  if (bytes === 0 || count === 0) return false;
  if (count >= maxMsgNums) return true;
  if (inDisk) {
    return bytes + size > cfg.maxTransferBytesOnMessageInDisk || count > cfg.maxTransferCountOnMessageInDisk - 1;
  }
  return bytes + size > cfg.maxTransferBytesOnMessageInMemory || count > cfg.maxTransferCountOnMessageInMemory - 1;
}

/** First queue index of the consume queue file after the one holding `offset`. */
function rollNextFile(cfg: StoreConfig, offset: number): number {
  const perFile = cfg.mappedFileSizeConsumeQueue / CQ_UNIT_SIZE;
  return offset + perFile - (offset % perFile);
}

/**
 * The queue offset for a store timestamp as RocketMQ 4.9 answers SEARCH_OFFSET_BY_TIMESTAMP
 * (ConsumeQueue.getOffsetInQueueByTime): a binary search over store times read from the commit
 * log that returns an exact hit, otherwise the nearer of the two neighbours it ended between (the
 * older one on a tie), so a time past the newest message gives the last offset, not the max.
 * Units whose record is gone (expired or blank) count as older. An empty queue answers its max.
 */
export function offsetByTime(commitLog: LogView, cq: QueueView, timestamp: number): number {
  let lo = cq.minOffsetInQueue;
  let hi = cq.maxOffsetInQueue - 1;
  let left = -1;
  let right = -1;
  let leftTime = -1;
  let rightTime = -1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const t = storeTimeAt(commitLog, cq, mid);
    if (t === timestamp) return mid;
    if (t > timestamp) {
      hi = mid - 1;
      right = mid;
      rightTime = t;
    } else {
      lo = mid + 1;
      left = mid;
      leftTime = t;
    }
  }
  if (left === -1 && right === -1) return cq.maxOffsetInQueue;
  if (leftTime < 0) return right === -1 ? left : right;
  if (rightTime < 0) return left;
  return Math.abs(timestamp - leftTime) > Math.abs(timestamp - rightTime) ? right : left;
}

export function storeTimeAt(commitLog: LogView, cq: QueueView, index: number): number {
  const e = cq.entry(index);
  if (!e || e.size === CQ_BLANK_SIZE) return -1;
  const rec = commitLog.getData(e.commitLogOffset, e.size);
  // A damaged unit may point at a few bytes, or at another record: as gone, like a pull.
  return rec && isUnitRecord(rec, e.size, cq.topic, cq.queueId, index) ? storeTimestampOf(rec, 0) : -1;
}
