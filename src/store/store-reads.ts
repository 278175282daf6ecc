import type { StoreConfig } from './config.js';
import type { ConsumeQueueUnit, GetMessageResult, HostAddress, MessageFilter, StoredMessage } from './types.js';
import { getMessage, offsetByTime, storeTimeAt, type LogView, type QueueView } from './get-message.js';
import { decodeMessage, decodeOffsetMsgId, hostToString, storeTimestampOf } from './message-codec.js';
import { PROPERTY } from './properties.js';

/** A commit log as the read side sees it. */
export interface RecordLog extends LogView {
  /** The record starting at `offset`, or null. */
  getRecord(offset: number): Buffer | null;
}

/**
 * The read half of a MessageStore, written once over queue and log views: the file store and the
 * memory store differ only in where units and records live. `beforeRead` lets a store bring its
 * views up to date first (worker dispatch visibility).
 */
export abstract class StoreReads {
  abstract readonly config: StoreConfig;
  protected abstract readonly storeHost: HostAddress;
  protected abstract readLog(): RecordLog;
  protected abstract readQueue(topic: string, queueId: number): QueueView | undefined;
  protected beforeRead(): void {}

  getMessage(_group: string, topic: string, queueId: number, offset: number, maxMsgNums: number, filter?: MessageFilter | null): GetMessageResult {
    this.beforeRead();
    return getMessage(this.config, this.readLog(), this.readQueue(topic, queueId), offset, maxMsgNums, filter);
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number {
    this.beforeRead();
    return this.readQueue(topic, queueId)?.maxOffsetInQueue ?? 0;
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    this.beforeRead();
    return this.readQueue(topic, queueId)?.minOffsetInQueue ?? 0;
  }

  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number): number {
    this.beforeRead();
    const q = this.readQueue(topic, queueId);
    return q ? offsetByTime(this.readLog(), q, timestamp) : 0;
  }

  getCommitLogOffsetInQueue(topic: string, queueId: number, queueOffset: number): number {
    this.beforeRead();
    return this.readQueue(topic, queueId)?.entry(queueOffset)?.commitLogOffset ?? -1;
  }

  getConsumeQueueUnits(topic: string, queueId: number, index: number, count: number): ConsumeQueueUnit[] | null {
    this.beforeRead();
    const q = this.readQueue(topic, queueId);
    if (!q || !Number.isInteger(index) || index < q.minOffsetInQueue || index >= q.maxOffsetInQueue) return null;
    const units: ConsumeQueueUnit[] = [];
    for (let i = index; i < Math.min(q.maxOffsetInQueue, index + count); i++) {
      const u = q.entry(i);
      if (!u) break;
      units.push({ commitLogOffset: u.commitLogOffset, size: u.size, tagsCode: u.tagsCode });
    }
    return units;
  }

  getMessageStoreTimeStamp(topic: string, queueId: number, queueOffset: number): number {
    this.beforeRead();
    const q = this.readQueue(topic, queueId);
    return q ? storeTimeAt(this.readLog(), q, queueOffset) : -1;
  }

  getEarliestMessageTime(topic?: string, queueId?: number): number {
    this.beforeRead();
    if (topic === undefined || queueId === undefined) {
      const rec = this.readLog().getRecord(this.readLog().minOffset);
      return rec ? storeTimestampOf(rec, 0) : -1;
    }
    const q = this.readQueue(topic, queueId);
    return q ? storeTimeAt(this.readLog(), q, q.minOffsetInQueue) : -1;
  }

  lookMessageByOffset(commitLogOffset: number): StoredMessage | null {
    const rec = this.readLog().getRecord(commitLogOffset);
    return rec ? decodeMessage(rec, 0) : null;
  }

  lookMessageByOffsetMsgId(offsetMsgId: string): StoredMessage | null {
    let id: { address: string; offset: number };
    try {
      id = decodeOffsetMsgId(offsetMsgId);
    } catch {
      return null;
    }
    if (id.address !== hostToString(this.storeHost.ip, this.storeHost.port)) return null;
    return this.lookMessageByOffset(id.offset);
  }

  selectOneMessageByOffset(commitLogOffset: number): Buffer | null {
    return this.readLog().getRecord(commitLogOffset);
  }

  getMinPhyOffset(): number {
    return this.readLog().minOffset;
  }

  getMaxPhyOffset(): number {
    return this.readLog().maxOffset;
  }
}

/** Whether a stored message carries `key` as one of its KEYS or as its UNIQ_KEY, in `topic`. */
export function hasKey(m: StoredMessage, topic: string, key: string): boolean {
  if (m.topic !== topic) return false;
  return m.properties[PROPERTY.UNIQ_KEY] === key || (m.properties[PROPERTY.KEYS] ?? '').split(' ').includes(key);
}
