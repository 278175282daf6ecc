import {
  PROPERTY,
  SYSFLAG_TRANSACTION_MASK,
  calMsgLength,
  decodeProperties,
  encodeMessage,
  parseHostAddress,
  tagsCodeOf,
  type HostAddress,
  type MessageInput,
  type StoredMessage,
} from '../../store/index.js';
import { encodeJavaOrder } from './properties-order.js';
import { inputFromStored } from './stored-to-input.js';

/**
 * RocketMQ 4.x transactional messages, as the broker stores them (TransactionalMessageBridge):
 *
 * - A half message (sent with TRAN_MSG=true) is stored in RMQ_SYS_TRANS_HALF_TOPIC queue 0, its
 *   real topic and queue kept in REAL_TOPIC/REAL_QID and its transaction bits reset to NOT, so no
 *   consumer of the real topic sees it.
 * - END_TRANSACTION commit stores the real message (transaction bits COMMIT, PREPARED TRANSACTION
 *   OFFSET = the half's commit log offset); commit and rollback both "delete" the half by appending
 *   an op message to RMQ_SYS_TRANS_OP_HALF_TOPIC (tag `d`, body = the half's queue offset).
 * - The check service walks both queues, as the consumer group CID_RMQ_SYS_TRANS.
 */
export const HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
export const OP_HALF_TOPIC = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';
export const TRANS_CHECK_GROUP = 'CID_RMQ_SYS_TRANS';
/** Where halves given up after transactionCheckMax check-backs are kept. */
export const TRANS_CHECK_MAX_TIME_TOPIC = 'TRANS_CHECK_MAX_TIME_TOPIC';
export const REMOVE_TAG = 'd';
export const TRANSACTION_CHECK_TIMES = 'TRANSACTION_CHECK_TIMES';
export const CHECK_IMMUNITY_TIME_IN_SECONDS = 'CHECK_IMMUNITY_TIME_IN_SECONDS';
/**
 * Ours, on op messages: the UNIQ_KEY of the half they end. Every copy a check-back puts in the
 * half queue carries the same UNIQ_KEY, so an op for any copy ends the transaction (RocketMQ's op
 * names one queue offset, and a copy left behind a crash is checked, and committed, again).
 */
export const HALF_TRANSACTION_ID = 'HALF_TRANSACTION_ID';

export const TransactionType = { NOT: 0x0, PREPARED: 0x4, COMMIT: 0x8, ROLLBACK: 0xc } as const;

/** The half message for a send that carries TRAN_MSG=true (`props`: its properties, as stored). */
export function toHalf(msg: MessageInput, props: Map<string, string>): MessageInput {
  props.set(PROPERTY.REAL_TOPIC, msg.topic);
  props.set(PROPERTY.REAL_QID, String(msg.queueId));
  return {
    ...msg,
    topic: HALF_TOPIC,
    queueId: 0,
    properties: encodeJavaOrder(props),
    sysFlag: (msg.sysFlag ?? 0) & ~SYSFLAG_TRANSACTION_MASK,
  };
}

/** The message a committed half becomes: its real topic and queue, transaction bits COMMIT. */
export function committedFromHalf(half: StoredMessage): MessageInput {
  const props = decodeProperties(half.propertiesString);
  const topic = props.get(PROPERTY.REAL_TOPIC) ?? '';
  const queueId = Number(props.get(PROPERTY.REAL_QID) ?? 0);
  props.delete(PROPERTY.REAL_TOPIC);
  props.delete(PROPERTY.REAL_QID);
  props.delete(PROPERTY.TRAN_MSG);
  props.set(PROPERTY.WAIT, 'false');
  const m = inputFromStored(half, topic, queueId, props);
  m.sysFlag = (half.sysFlag & ~SYSFLAG_TRANSACTION_MASK) | TransactionType.COMMIT;
  m.preparedTransactionOffset = half.commitLogOffset;
  return m;
}

/** A half put back at the end of the half queue before a check-back, its check count one higher. */
export function recheckedHalf(half: StoredMessage): MessageInput {
  const props = decodeProperties(half.propertiesString);
  props.set(TRANSACTION_CHECK_TIMES, String(checkTimes(half) + 1));
  return inputFromStored(half, HALF_TOPIC, 0, props);
}

export function checkTimes(half: StoredMessage): number {
  const n = Number(half.properties[TRANSACTION_CHECK_TIMES] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** A half's transaction, the same in all its copies; null for a half sent without UNIQ_KEY. */
export function transactionId(half: StoredMessage): string | null {
  return half.properties[PROPERTY.UNIQ_KEY] ?? null;
}

/** The op message that marks `half` done (committed or rolled back). */
export function opMessage(half: StoredMessage, storeHost: HostAddress): MessageInput {
  const props = new Map<string, string>([[PROPERTY.TAGS, REMOVE_TAG]]);
  const tx = transactionId(half);
  if (tx !== null) props.set(HALF_TRANSACTION_ID, tx);
  const halfQueueOffset = half.queueOffset;
  return {
    topic: OP_HALF_TOPIC,
    queueId: 0,
    body: Buffer.from(String(halfQueueOffset)),
    properties: encodeJavaOrder(props),
    tagsCode: tagsCodeOf(REMOVE_TAG),
    bornHost: storeHost,
  };
}

/**
 * CHECK_TRANSACTION_STATE's body: the half in the stored-message format with its real topic and
 * queue, as the producer's check listener should see it (Java's MessageDecoder.encode).
 */
export function checkBody(half: StoredMessage): Buffer {
  const m = committedFromHalf(half);
  m.sysFlag = half.sysFlag;
  m.preparedTransactionOffset = half.preparedTransactionOffset;
  m.properties = half.propertiesString;
  const topicBytes = Buffer.byteLength(m.topic);
  const propsBytes = Buffer.byteLength(m.properties);
  const storeHost = parseHostAddress(half.storeHost);
  const out = Buffer.alloc(calMsgLength(half.sysFlag, m.body.length, topicBytes, propsBytes));
  encodeMessage(out, 0, m, topicBytes, propsBytes, { queueOffset: half.queueOffset, physicalOffset: half.commitLogOffset, storeTimestamp: half.storeTimestamp, storeHost });
  return out;
}
