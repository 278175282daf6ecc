import {
  PROPERTY,
  PROPERTY_SEPARATOR,
  SYSFLAG_MULTI_TAGS,
  decodeProperties,
  findProperty,
  parseHostAddress,
  tagsCodeOf,
  type HostAddress,
  type MessageInput,
  type PutMessageResult,
} from '../../../store/index.js';
import { RequestCode, ResponseCode } from '../../codes.js';
import type { Connection } from '../../connection.js';
import { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { mapBatchBody } from '../batch-body.js';
import { optBool, optInt, optString, reqInt, reqLong, reqString, type ExtFields } from '../request-header.js';
import { encodeJavaOrder } from '../properties-order.js';
import { PERM, isWriteable, type TopicConfig } from '../topic-config.js';
import { DLQ_PREFIX, RETRY_PREFIX, checkTopic, dlqTopic, isSendForbidden } from '../topic-validator.js';
import { guarded, type ProcessorTable } from './processor-support.js';
import { consumerSendMsgBack } from './send-back.js';
import { sendResponse } from './send-response.js';
import { toHalf } from '../transaction-messages.js';

/** SendMessageRequestHeader, read from V1 names (code 10) or V2 single letters (310, 320). */
export interface SendHeader {
  producerGroup: string;
  topic: string;
  defaultTopic: string;
  defaultTopicQueueNums: number;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  flag: number;
  properties: string | undefined;
  reconsumeTimes: number;
  maxReconsumeTimes: number | undefined;
  batch: boolean;
}

const V2_NAMES = { producerGroup: 'a', topic: 'b', defaultTopic: 'c', defaultTopicQueueNums: 'd', queueId: 'e', sysFlag: 'f', bornTimestamp: 'g', flag: 'h', properties: 'i', reconsumeTimes: 'j', maxReconsumeTimes: 'l', batch: 'm' } as const;
const V1_NAMES: { readonly [K in keyof typeof V2_NAMES]: string } = Object.fromEntries(Object.keys(V2_NAMES).map((k) => [k, k])) as never;

export function parseSendHeader(h: ExtFields, v2: boolean): SendHeader {
  const n = v2 ? V2_NAMES : V1_NAMES;
  return {
    producerGroup: reqString(h, n.producerGroup),
    topic: reqString(h, n.topic),
    defaultTopic: reqString(h, n.defaultTopic),
    defaultTopicQueueNums: reqInt(h, n.defaultTopicQueueNums),
    queueId: reqInt(h, n.queueId),
    sysFlag: reqInt(h, n.sysFlag),
    bornTimestamp: reqLong(h, n.bornTimestamp),
    flag: reqInt(h, n.flag),
    properties: optString(h, n.properties),
    reconsumeTimes: optInt(h, n.reconsumeTimes, 0),
    maxReconsumeTimes: optInt(h, n.maxReconsumeTimes),
    batch: optBool(h, n.batch),
  };
}

const bornHosts = new WeakMap<Connection, HostAddress>();

/** The producer's address as a record's BORNHOST, parsed once per connection. */
export function bornHostOf(conn: Connection): HostAddress {
  let h = bornHosts.get(conn);
  if (!h) {
    try {
      h = parseHostAddress(conn.remoteAddress.replace(/^\[?::ffff:([\d.]+)\]?:/, '$1:'));
    } catch {
      h = { ip: Buffer.from([127, 0, 0, 1]), port: 0 };
    }
    bornHosts.set(conn, h);
  }
  return h;
}

const STATUS_CODE: Record<PutMessageResult['status'], number> = {
  PUT_OK: ResponseCode.SUCCESS,
  FLUSH_DISK_TIMEOUT: ResponseCode.FLUSH_DISK_TIMEOUT,
  FLUSH_SLAVE_TIMEOUT: ResponseCode.FLUSH_SLAVE_TIMEOUT,
  SLAVE_NOT_AVAILABLE: ResponseCode.SLAVE_NOT_AVAILABLE,
};

/**
 * SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and CONSUMER_SEND_MSG_BACK
 * (36), following RocketMQ 4.9's SendMessageProcessor: check the topic (auto-creating it from the
 * default topic when allowed), pick a queue when queueId < 0, rebuild the properties string with
 * CLUSTER added and WAIT removed in Java HashMap order, divert delayed messages to the schedule
 * topic, store, and answer msgId/queueId/queueOffset plus MSG_REGION and TRACE_ON.
 */
export function sendProcessors(ctx: BrokerContext): ProcessorTable {
  const send = (v2: boolean) => guarded(ctx.logger, 'send message', (req, conn) => sendOne(ctx, req, conn, parseSendHeader(req.extFields, v2)));
  return [
    [RequestCode.SEND_MESSAGE, send(false)],
    [RequestCode.SEND_MESSAGE_V2, send(true)],
    [RequestCode.SEND_BATCH_MESSAGE, guarded(ctx.logger, 'send batch', (req, conn) => sendBatch(ctx, req, conn, parseSendHeader(req.extFields, true)))],
    [RequestCode.CONSUMER_SEND_MSG_BACK, guarded(ctx.logger, 'send back', (req) => consumerSendMsgBack(ctx, req))],
  ];
}

/** A slave's store only takes replicated data (RocketMQ: "message store is slave mode, so putMessage is forbidden"). */
export function checkWritable(ctx: BrokerContext): void {
  if (ctx.storeConfig.brokerRole === 'SLAVE') {
    throw new BrokerError(ResponseCode.SERVICE_NOT_AVAILABLE, 'message store is slave mode, so putMessage is forbidden');
  }
}

/** Topic checks shared by single and batch sends (AbstractSendMessageProcessor.msgCheck). */
export function checkSendTarget(ctx: BrokerContext, h: SendHeader, conn: Connection): { tc: TopicConfig; queueId: number } {
  checkWritable(ctx);
  if (!isWriteable(ctx.config.brokerPermission)) {
    throw new BrokerError(ResponseCode.NO_PERMISSION, `the broker[${ctx.config.brokerIP1}] sending message is forbidden`);
  }
  checkTopic(h.topic);
  if (isSendForbidden(h.topic)) throw new BrokerError(ResponseCode.NO_PERMISSION, `Sending message to topic[${h.topic}] is forbidden.`);
  let tc = ctx.topics.get(h.topic) ?? null;
  if (!tc) {
    tc = ctx.topics.createFromSend(h.topic, h.defaultTopic, h.defaultTopicQueueNums, 0);
    if (!tc && h.topic.startsWith(RETRY_PREFIX)) tc = ctx.topics.ensure(h.topic, 1, PERM.READ | PERM.WRITE);
    if (!tc) {
      throw new BrokerError(ResponseCode.TOPIC_NOT_EXIST, `topic[${h.topic}] not exist, apply first please! (from ${conn.remoteAddress})`);
    }
  }
  const idValid = Math.max(tc.readQueueNums, tc.writeQueueNums);
  if (h.queueId >= idValid) {
    throw new BrokerError(ResponseCode.SYSTEM_ERROR, `request queueId[${h.queueId}] is illegal, topic ${h.topic} has ${idValid} queues. Producer: ${conn.remoteAddress}`);
  }
  if (tc.writeQueueNums < 1) throw new BrokerError(ResponseCode.NO_PERMISSION, `topic[${h.topic}] has no writable queue`);
  const queueId = h.queueId < 0 ? Math.floor(Math.random() * tc.writeQueueNums) : h.queueId;
  return { tc, queueId };
}

/**
 * Sends to a retry topic (a Java consumer's fallback when send-back failed): past the group's
 * max reconsume times the message goes to the group's DLQ instead.
 */
function retryOrDlq(ctx: BrokerContext, h: SendHeader, target: { tc: TopicConfig; queueId: number }): { topic: string; queueId: number } {
  if (!h.topic.startsWith(RETRY_PREFIX)) return { topic: h.topic, queueId: target.queueId };
  const group = h.topic.slice(RETRY_PREFIX.length);
  const sg = ctx.groups.find(group);
  if (!sg) throw new BrokerError(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group not exist, ${group}`);
  const max = h.maxReconsumeTimes ?? sg.retryMaxTimes;
  if (h.reconsumeTimes < max) return { topic: h.topic, queueId: target.queueId };
  // Readable as well as writable, as the 4.9 releases we follow (4.9.7/4.9.8) create it; 4.9.0 and
  // 4.9.1 made it write-only, so a DLQ could not be queried without first updating its perm.
  const dlq = ctx.topics.ensure(dlqTopic(group), 1, PERM.READ | PERM.WRITE);
  return { topic: dlq.topicName, queueId: 0 };
}

/**
 * A SYNC_MASTER acknowledges a send that waits for the store (WAIT not false) only once a slave
 * has it (RocketMQ's handleHA): SLAVE_NOT_AVAILABLE at once when no slave is connected or it lags
 * too far, FLUSH_SLAVE_TIMEOUT when it does not acknowledge within slaveTimeout. The message is
 * stored either way, and a replication status wins over a flush timeout, as there.
 */
async function replicated(ctx: BrokerContext, r: PutMessageResult, wait: boolean): Promise<PutMessageResult> {
  if (ctx.storeConfig.brokerRole !== 'SYNC_MASTER' || !wait) return r;
  const status = await ctx.store.waitReplica(r.wroteOffset + r.wroteBytes);
  if (status !== 'PUT_OK') r.status = status;
  return r;
}

/** Stores and counts (runtime info's put totals and latency percentiles). */
export async function timedPut(ctx: BrokerContext, topic: string, put: () => Promise<PutMessageResult>, msgs: number, bytes: number): Promise<PutMessageResult> {
  const t0 = performance.now();
  try {
    const r = await put();
    ctx.stats.recordPut(msgs, bytes, performance.now() - t0);
    ctx.brokerStats.putOk(topic, ctx.config.brokerClusterName, msgs, bytes);
    return r;
  } catch (e) {
    ctx.stats.putFailures++;
    throw e;
  }
}

function responseFor(ctx: BrokerContext, req: RemotingCommand, r: PutMessageResult, queueId: number): RemotingCommand {
  return sendResponse(req, STATUS_CODE[r.status] ?? ResponseCode.SYSTEM_ERROR, r.msgId, queueId, r.queueOffset, ctx.config.regionId, ctx.config.traceOn);
}

async function sendOne(ctx: BrokerContext, req: RemotingCommand, conn: Connection, h: SendHeader): Promise<RemotingCommand> {
  const target = checkSendTarget(ctx, h, conn);
  const { topic, queueId } = retryOrDlq(ctx, h, target);
  const body = req.body ?? Buffer.alloc(0);
  const props = decodeProperties(h.properties);
  const half = props.get(PROPERTY.TRAN_MSG) === 'true';
  if (half && ctx.config.rejectTransactionMessage) {
    throw new BrokerError(ResponseCode.NO_PERMISSION, `the broker[${ctx.config.brokerIP1}] sending transaction message is forbidden`);
  }
  const wait = props.get(PROPERTY.WAIT) !== 'false';
  props.delete(PROPERTY.WAIT);
  props.set(PROPERTY.CLUSTER, ctx.config.brokerClusterName);
  let sysFlag = h.sysFlag;
  if (target.tc.topicFilterType === 'MULTI_TAG') sysFlag |= SYSFLAG_MULTI_TAGS;
  let msg: MessageInput = {
    topic,
    queueId,
    body,
    flag: h.flag,
    properties: encodeJavaOrder(props),
    tagsCode: tagsCodeOf(props.get(PROPERTY.TAGS)),
    sysFlag,
    bornTimestamp: h.bornTimestamp,
    bornHost: bornHostOf(conn),
    reconsumeTimes: h.reconsumeTimes,
  };
  const delay = Number(props.get(PROPERTY.DELAY) ?? 0);
  // A transaction's half message waits in the half topic; a delay level does not apply to it.
  if (half) msg = toHalf(msg, props);
  else if (delay > 0 && !topic.startsWith(DLQ_PREFIX)) msg = ctx.schedule.divert(msg, props, delay);
  const r = await timedPut(ctx, topic, () => ctx.store.putMessage(msg), 1, body.length);
  return responseFor(ctx, req, await replicated(ctx, r, wait), queueId);
}

async function sendBatch(ctx: BrokerContext, req: RemotingCommand, conn: Connection, h: SendHeader): Promise<RemotingCommand> {
  const target = checkSendTarget(ctx, h, conn);
  if (h.topic.startsWith(RETRY_PREFIX)) throw new BrokerError(ResponseCode.MESSAGE_ILLEGAL, 'batch request does not support retry group');
  const batchProps = decodeProperties(h.properties);
  if (Number(batchProps.get(PROPERTY.DELAY) ?? 0) > 0) throw new BrokerError(ResponseCode.MESSAGE_ILLEGAL, 'batch messages cannot be delayed');
  if (batchProps.get(PROPERTY.TRAN_MSG) === 'true') throw new BrokerError(ResponseCode.MESSAGE_ILLEGAL, 'batch messages cannot be transactional');
  const wait = batchProps.get(PROPERTY.WAIT) !== 'false';
  batchProps.delete(PROPERTY.WAIT);
  batchProps.set(PROPERTY.CLUSTER, ctx.config.brokerClusterName);
  const batchSuffix = encodeJavaOrder(batchProps);
  // Joined to each message's own properties; the separator is added once here, not per message.
  const sepSuffix = batchSuffix ? PROPERTY_SEPARATOR + batchSuffix : '';
  const bornHost = bornHostOf(conn);
  let sysFlag = h.sysFlag;
  if (target.tc.topicFilterType === 'MULTI_TAG') sysFlag |= SYSFLAG_MULTI_TAGS;
  let bytes = 0;
  const { topic } = h;
  const { queueId } = target;
  const msgs = mapBatchBody(req.body ?? Buffer.alloc(0), (flag, body, own): MessageInput => {
    bytes += body.length;
    let properties: string;
    // A trailing separator (older clients) already separates own and batch properties.
    if (own.length > 1 && batchSuffix && own.endsWith(PROPERTY_SEPARATOR)) properties = own + batchSuffix;
    else {
      if (own.endsWith(PROPERTY_SEPARATOR)) own = own.slice(0, -1);
      properties = own && batchSuffix ? own + sepSuffix : own || batchSuffix;
    }
    return {
      topic,
      queueId,
      body,
      flag,
      properties,
      tagsCode: tagsCodeOf(findProperty(own, PROPERTY.TAGS) || undefined),
      sysFlag,
      bornTimestamp: h.bornTimestamp,
      bornHost,
      reconsumeTimes: h.reconsumeTimes,
    };
  });
  const r = await replicated(ctx, await timedPut(ctx, topic, () => ctx.store.putMessages(msgs), msgs.length, bytes), wait);
  return responseFor(ctx, req, r, target.queueId);
}
