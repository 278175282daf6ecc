import type { StoreConfig } from './config.js';

/** A socket address as stored in a record: 4-byte (IPv4) or 16-byte (IPv6) address and a port. */
export interface HostAddress {
  readonly ip: Buffer;
  readonly port: number;
}

/** What a producer hands the store. Everything but topic, queueId and body has a default. */
export interface MessageInput {
  topic: string;
  queueId: number;
  body: Buffer;
  flag?: number;
  /** Encoded property string: name \u0001 value \u0002 ..., without a trailing \u0002. */
  properties?: string;
  /** Tag hash for the ConsumeQueue; computed from the TAGS property when absent. */
  tagsCode?: number;
  sysFlag?: number;
  bornTimestamp?: number;
  bornHost?: HostAddress;
  reconsumeTimes?: number;
  preparedTransactionOffset?: number;
  /** Only for reproducing recorded data; normally the store stamps the time inside its append. */
  storeTimestamp?: number;
}

export type PutMessageStatus = 'PUT_OK' | 'FLUSH_DISK_TIMEOUT' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

/** Outcome of a stored append (errors such as MESSAGE_ILLEGAL are thrown as StoreError instead). */
export interface PutMessageResult {
  status: PutMessageStatus;
  /** offsetMsgId of the first message; for a batch, all ids comma-joined (as RocketMQ answers). */
  msgId: string;
  wroteOffset: number;
  wroteBytes: number;
  /** Queue offset of the first message. */
  queueOffset: number;
  storeTimestamp: number;
  msgNum: number;
}

export type GetMessageStatus =
  | 'FOUND'
  | 'NO_MATCHED_MESSAGE'
  | 'MESSAGE_WAS_REMOVING'
  | 'OFFSET_FOUND_NULL'
  | 'OFFSET_OVERFLOW_BADLY'
  | 'OFFSET_OVERFLOW_ONE'
  | 'OFFSET_TOO_SMALL'
  | 'NO_MATCHED_LOGIC_QUEUE'
  | 'NO_MESSAGE_IN_QUEUE';

export interface GetMessageResult {
  status: GetMessageStatus;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  /** Raw stored records, exactly as in the CommitLog (a pull response body is their concatenation). */
  messages: Buffer[];
  /** Queue offset of each returned message. */
  queueOffsets: number[];
  bufferTotalSize: number;
  suggestPullingFromSlave: boolean;
}

/** Decides which messages a pull returns; tag filtering looks only at the ConsumeQueue tag code. */
export interface MessageFilter {
  isMatchedByConsumeQueue(tagsCode: number): boolean;
  /** Optional second check on the full record (e.g. property filters). */
  isMatchedByCommitLog?(record: Buffer): boolean;
}

/** A decoded stored message (MessageExt). */
export interface StoredMessage {
  storeSize: number;
  bodyCRC: number;
  queueId: number;
  flag: number;
  queueOffset: number;
  commitLogOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: string;
  storeTimestamp: number;
  storeHost: string;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Buffer;
  topic: string;
  propertiesString: string;
  properties: Record<string, string>;
  /** offsetMsgId: store host + commit log offset, uppercase hex. */
  msgId: string;
}

export interface QueryMessageResult {
  messages: Buffer[];
  indexLastUpdateTimestamp: number;
  indexLastUpdatePhyoffset: number;
}

/** One 20-byte ConsumeQueue unit, decoded. */
export interface ConsumeQueueUnit {
  commitLogOffset: number;
  size: number;
  tagsCode: number;
}

/** Called after a message becomes visible in its ConsumeQueue (long polling wakes on this). */
export type MessageArrivingListener = (topic: string, queueId: number, nextQueueOffset: number, tagsCode: number) => void;

/**
 * The message store, as used by the broker and by programs embedding it. Two implementations:
 * `DefaultMessageStore` (files) and `MemoryMessageStore`; `test/store/conformance.ts` runs over both.
 * Offsets are plain numbers: commit log offsets stay far below 2^53.
 */
export interface MessageStore {
  readonly config: StoreConfig;
  /** Opens (creating if needed) and recovers the store. */
  start(): Promise<void>;
  /**
   * Sets the "ip:port" written as STOREHOSTADDRESS and used in message ids; only before start()
   * (a broker on an ephemeral port learns its port late).
   */
  setStoreHost(storeHost: string): void;
  /** Flushes everything, writes the checkpoint and removes the abort marker. */
  shutdown(): Promise<void>;

  putMessage(msg: MessageInput): Promise<PutMessageResult>;
  /** A batch for one topic and queue, stored contiguously with consecutive queue offsets. */
  putMessages(msgs: MessageInput[]): Promise<PutMessageResult>;

  getMessage(group: string, topic: string, queueId: number, offset: number, maxMsgNums: number, filter?: MessageFilter | null): GetMessageResult;
  getMaxOffsetInQueue(topic: string, queueId: number): number;
  getMinOffsetInQueue(topic: string, queueId: number): number;
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number): number;
  /** Commit log offset of a queue entry, or -1. */
  getCommitLogOffsetInQueue(topic: string, queueId: number, queueOffset: number): number;
  /**
   * Units of a consume queue from `index` (at most `count`, and none past the queue's end), or
   * null when there is no such queue or `index` is not stored (QUERY_CONSUME_QUEUE).
   */
  getConsumeQueueUnits(topic: string, queueId: number, index: number, count: number): ConsumeQueueUnit[] | null;
  /** Store time of a queue entry, or -1. */
  getMessageStoreTimeStamp(topic: string, queueId: number, queueOffset: number): number;
  /** Store time of the oldest message in a queue (or in the whole commit log when no queue is given), -1 if none. */
  getEarliestMessageTime(topic?: string, queueId?: number): number;
  /** Decoded message at a commit log offset, or null. */
  lookMessageByOffset(commitLogOffset: number): StoredMessage | null;
  /**
   * The message an offsetMsgId names (store host + commit log offset, as returned by sends), or
   * null when the id is malformed, names another store host, or no record starts there.
   */
  lookMessageByOffsetMsgId(offsetMsgId: string): StoredMessage | null;
  /** Raw record at a commit log offset, or null. */
  selectOneMessageByOffset(commitLogOffset: number): Buffer | null;
  getMinPhyOffset(): number;
  getMaxPhyOffset(): number;
  /** Index lookup by `KEYS` entry or UNIQ_KEY within [begin, end] store times. */
  queryMessage(topic: string, key: string, maxNum: number, begin: number, end: number): Promise<QueryMessageResult>;
  /** Removes the ConsumeQueues of these topics (DELETE_TOPIC_IN_BROKER). */
  deleteTopics(topics: string[]): void;
  /**
   * DELETE_EXPIRED_COMMITLOG (mqadmin deleteExpiredCommitLog): the next retention passes delete
   * expired commit log files whatever the hour (`deleteWhen`).
   */
  executeDeleteFilesManually(): void;
  /** Topic -> queue ids that have a ConsumeQueue. */
  queueIds(topic: string): number[];
  /** Topics that have at least one ConsumeQueue. */
  topics(): string[];
  setMessageArrivingListener(listener: MessageArrivingListener | null): void;
  /**
   * Resolves true once every record that starts before `commitLogOffset` is visible to reads
   * (immediately when dispatch is inline), false after `timeoutMs`.
   */
  whenDispatched(commitLogOffset: number, timeoutMs?: number): Promise<boolean>;
  /** Numbers for GET_BROKER_RUNTIME_INFO and benchmarks. */
  runtimeInfo(): Record<string, string>;
  /**
   * SYNC_MASTER: PUT_OK once a slave has every byte before `end`; SLAVE_NOT_AVAILABLE at once when
   * no slave is connected or it lags by more than `haSlaveFallbehindMax`; FLUSH_SLAVE_TIMEOUT after
   * `slaveTimeout`. Stores without replication answer SLAVE_NOT_AVAILABLE.
   */
  waitReplica(end: number): Promise<'PUT_OK' | 'SLAVE_NOT_AVAILABLE' | 'FLUSH_SLAVE_TIMEOUT'>;
  /** A slave learns its master's HA address from the NameServer. */
  updateHaMasterAddress(addr: string): void;
}
