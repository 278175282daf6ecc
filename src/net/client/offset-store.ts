import type { Logger } from '../logger.js';
import type { ClientInstance } from './client-instance.js';
import { MQClientError } from './errors.js';
import { type MessageQueue, mqKey } from './message-queue.js';
import { MASTER_ID } from './route.js';

/**
 * A clustering consumer group's offsets, kept by the broker (RemoteBrokerOffsetStore). The
 * consumer advances them in memory as messages are consumed; they reach the broker
 * (UPDATE_CONSUMER_OFFSET) every persistConsumerOffsetInterval, when a queue moves to another
 * consumer, and at shutdown. A new consumer of the group reads them back (QUERY_CONSUMER_OFFSET).
 */
export type ReadOffsetType = 'READ_FROM_MEMORY' | 'READ_FROM_STORE' | 'MEMORY_FIRST_THEN_STORE';

/** A push consumer's offsets: on the broker (clustering) or in a local file (broadcasting). */
export interface OffsetStore {
  updateOffset(mq: MessageQueue, offset: number, increaseOnly: boolean): void;
  /** -1 when unknown. */
  readOffset(mq: MessageQueue, type: ReadOffsetType): Promise<number>;
  memoryOffset(mq: MessageQueue): number;
  /** The offsets held in memory for a topic, every topic when blank (cloneOffsetTable: GET_CONSUMER_STATUS_FROM_CLIENT). */
  offsetTable(topic: string): [MessageQueue, number][];
  removeOffset(mq: MessageQueue): void;
  persist(mq: MessageQueue): Promise<void>;
  persistAll(mqs: Iterable<MessageQueue>, oneway: boolean): Promise<void>;
}

interface Entry {
  mq: MessageQueue;
  offset: number;
  /** Offset last written to the broker. */
  persisted: number;
}

export class RemoteOffsetStore implements OffsetStore {
  private readonly table = new Map<string, Entry>();

  constructor(
    private readonly instance: ClientInstance,
    private readonly group: string,
    private readonly logger: Logger,
  ) {}

  updateOffset(mq: MessageQueue, offset: number, increaseOnly: boolean): void {
    const key = mqKey(mq);
    const e = this.table.get(key);
    if (e === undefined) this.table.set(key, { mq, offset, persisted: -1 });
    else if (!increaseOnly || offset > e.offset) e.offset = offset;
  }

  /** The offset held in memory, -1 when none (what running info reports). */
  memoryOffset(mq: MessageQueue): number {
    return this.table.get(mqKey(mq))?.offset ?? -1;
  }

  offsetTable(topic: string): [MessageQueue, number][] {
    return [...this.table.values()].filter((e) => !topic || e.mq.topic === topic).map((e) => [e.mq, e.offset]);
  }

  /** -1 when unknown. */
  async readOffset(mq: MessageQueue, type: ReadOffsetType): Promise<number> {
    const e = this.table.get(mqKey(mq));
    if (type !== 'READ_FROM_STORE') {
      if (e !== undefined || type === 'READ_FROM_MEMORY') return e?.offset ?? -1;
    }
    const offset = await this.instance.api.queryConsumerOffset(await this.brokerAddr(mq), this.group, mq.topic, mq.queueId);
    if (offset >= 0) this.table.set(mqKey(mq), { mq, offset, persisted: offset });
    return offset;
  }

  removeOffset(mq: MessageQueue): void {
    this.table.delete(mqKey(mq));
  }

  /** Writes one queue's offset to its broker and waits for the answer. */
  async persist(mq: MessageQueue): Promise<void> {
    const e = this.table.get(mqKey(mq));
    if (e === undefined || e.offset === e.persisted) return;
    await this.write(e, false);
  }

  /**
   * Writes every changed offset of the queues in `mqs` (others are forgotten: another consumer
   * owns them now). Oneway for the periodic flush, awaited at shutdown.
   */
  async persistAll(mqs: Iterable<MessageQueue>, oneway: boolean): Promise<void> {
    const keep = new Set<string>();
    for (const mq of mqs) keep.add(mqKey(mq));
    const writes: Promise<void>[] = [];
    for (const [key, e] of this.table) {
      if (!keep.has(key)) {
        this.table.delete(key);
        continue;
      }
      if (e.offset !== e.persisted) {
        writes.push(this.write(e, oneway).catch((err: unknown) => this.logger.warn('persist offset of %s failed: %s', key, (err as Error).message)));
      }
    }
    await Promise.all(writes);
  }

  private async write(e: Entry, oneway: boolean): Promise<void> {
    const offset = e.offset;
    await this.instance.api.updateConsumerOffset(await this.brokerAddr(e.mq), this.group, e.mq.topic, e.mq.queueId, offset, oneway);
    e.persisted = offset;
  }

  private async brokerAddr(mq: MessageQueue): Promise<string> {
    let found = this.instance.findBrokerAddrInSubscribe(mq.brokerName, MASTER_ID, true);
    if (found === undefined) {
      // No master (down, or expired from the NameServer): its slave keeps the offsets it copied,
      // and consumption goes on from there, as with Java's client.
      await this.instance.updateTopicRoute(mq.topic);
      found = this.instance.findBrokerAddrInSubscribe(mq.brokerName, MASTER_ID, false);
    }
    if (found === undefined) throw new MQClientError('NO_BROKER', `The broker[${mq.brokerName}] not exist`);
    return found.addr;
  }
}
