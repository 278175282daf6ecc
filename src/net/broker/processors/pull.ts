import { PROPERTY, tagsCodeOf, type GetMessageResult, type GetMessageStatus } from '../../../store/index.js';
import { stringifyFastjson } from '../../fastjson.js';
import { encodeJavaOrder } from '../properties-order.js';
import { RequestCode, ResponseCode } from '../../codes.js';
import type { Connection } from '../../connection.js';
import { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { optString, reqInt, reqLong, reqString } from '../request-header.js';
import { buildSubscription, messageFilter, type SubscriptionData } from '../subscription-data.js';
import { isReadable } from '../topic-config.js';
import { SYSTEM_TOPIC, checkTopic } from '../topic-validator.js';
import { guarded, type ProcessorTable } from './processor-support.js';

/** PullSysFlag bits. */
export const PULL_FLAG = { COMMIT_OFFSET: 0x1, SUSPEND: 0x2, SUBSCRIPTION: 0x4, CLASS_FILTER: 0x8 } as const;

export interface PullHeader {
  consumerGroup: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  sysFlag: number;
  commitOffset: number;
  suspendTimeoutMillis: number;
  subscription: string | undefined;
  subVersion: number;
  expressionType: string | undefined;
}

export function parsePullHeader(h: RemotingCommand['extFields']): PullHeader {
  return {
    consumerGroup: reqString(h, 'consumerGroup'),
    topic: reqString(h, 'topic'),
    queueId: reqInt(h, 'queueId'),
    queueOffset: reqLong(h, 'queueOffset'),
    maxMsgNums: reqInt(h, 'maxMsgNums'),
    sysFlag: reqInt(h, 'sysFlag'),
    commitOffset: reqLong(h, 'commitOffset'),
    suspendTimeoutMillis: reqLong(h, 'suspendTimeoutMillis'),
    subscription: optString(h, 'subscription'),
    subVersion: reqLong(h, 'subVersion'),
    expressionType: optString(h, 'expressionType'),
  };
}

/** Store status -> response code (RocketMQ 4.9 PullMessageProcessor). */
export function pullResponseCode(status: GetMessageStatus, requestOffset: number): number {
  switch (status) {
    case 'FOUND':
      return ResponseCode.SUCCESS;
    case 'MESSAGE_WAS_REMOVING':
    case 'NO_MATCHED_MESSAGE':
      return ResponseCode.PULL_RETRY_IMMEDIATELY;
    case 'NO_MATCHED_LOGIC_QUEUE':
    case 'NO_MESSAGE_IN_QUEUE':
      return requestOffset !== 0 ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND;
    case 'OFFSET_FOUND_NULL':
    case 'OFFSET_OVERFLOW_ONE':
      return ResponseCode.PULL_NOT_FOUND;
    case 'OFFSET_OVERFLOW_BADLY':
    case 'OFFSET_TOO_SMALL':
      return ResponseCode.PULL_OFFSET_MOVED;
    default:
      return ResponseCode.SYSTEM_ERROR;
  }
}

/**
 * PULL_MESSAGE (11). The subscription comes from the request when it carries the SUBSCRIPTION
 * flag, otherwise from the group's heartbeat; messages are filtered by tag code in the store. A
 * pull that finds nothing and may suspend is parked in the hold service and answered later (the
 * handler returns null now); the replay runs this same code without suspending or committing.
 */
export function pullProcessors(ctx: BrokerContext): ProcessorTable {
  return [[RequestCode.PULL_MESSAGE, guarded(ctx.logger, 'pull message', (req, conn) => pull(ctx, req, conn, true))]];
}

function pull(ctx: BrokerContext, req: RemotingCommand, conn: Connection, allowSuspend: boolean): RemotingCommand | null {
  const h = parsePullHeader(req.extFields);
  if (!isReadable(ctx.config.brokerPermission)) {
    throw new BrokerError(ResponseCode.NO_PERMISSION, `the broker[${ctx.config.brokerIP1}] pulling message is forbidden`);
  }
  const sg = ctx.groups.find(h.consumerGroup);
  if (!sg) throw new BrokerError(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group [${h.consumerGroup}] does not exist`);
  if (!sg.consumeEnable) throw new BrokerError(ResponseCode.NO_PERMISSION, `subscription group no permission, ${h.consumerGroup}`);
  checkTopic(h.topic);
  const tc = ctx.topics.get(h.topic);
  if (!tc) throw new BrokerError(ResponseCode.TOPIC_NOT_EXIST, `topic[${h.topic}] not exist, apply first please!`);
  if (!isReadable(tc.perm)) throw new BrokerError(ResponseCode.NO_PERMISSION, `the topic[${h.topic}] pulling message is forbidden`);
  if (h.queueId < 0 || h.queueId >= tc.readQueueNums) {
    throw new BrokerError(
      ResponseCode.SYSTEM_ERROR,
      `queueId[${h.queueId}] is illegal, topic:[${h.topic}] topicConfig.readQueueNums:[${tc.readQueueNums}] consumer:[${conn.remoteAddress}]`,
    );
  }
  const sub = subscriptionOf(ctx, h);
  const filter = messageFilter(sub);
  const maxMsgNums = Math.max(1, Math.min(h.maxMsgNums, 1024));
  const r = ctx.store.getMessage(h.consumerGroup, h.topic, h.queueId, h.queueOffset, maxMsgNums, filter);
  const code = pullResponseCode(r.status, h.queueOffset);
  ctx.stats.recordGet(r.status === 'FOUND', r.messages.length);
  if (r.status === 'FOUND') ctx.brokerStats.got(h.consumerGroup, h.topic, ctx.config.brokerClusterName, r.messages.length, byteLength(r.messages));

  // Commit before answering (RocketMQ does it after building the response, suspended or not).
  const isSlave = ctx.storeConfig.brokerRole === 'SLAVE';
  if (code === ResponseCode.PULL_OFFSET_MOVED && !isSlave) offsetMovedEvent(ctx, h, r.nextBeginOffset);
  if (allowSuspend && (h.sysFlag & PULL_FLAG.COMMIT_OFFSET) !== 0 && !isSlave && h.commitOffset >= 0) {
    ctx.offsets.commit(h.consumerGroup, h.topic, h.queueId, h.commitOffset);
  }

  if (code === ResponseCode.PULL_NOT_FOUND && allowSuspend && (h.sysFlag & PULL_FLAG.SUSPEND) !== 0) {
    ctx.holdService.suspend(h.topic, h.queueId, h.queueOffset, filter, h.suspendTimeoutMillis, () => {
      if (conn.closed) return;
      let res: RemotingCommand | null;
      try {
        res = pull(ctx, req, conn, false);
      } catch (e) {
        res = RemotingCommand.createResponse(req, e instanceof BrokerError ? e.responseCode : ResponseCode.SYSTEM_ERROR, (e as Error).message);
      }
      if (res) conn.send(res);
    });
    return null;
  }
  return response(ctx, req, r, code, sg.whichBrokerWhenConsumeSlowly, sg.brokerId, isSlave);
}

/**
 * A consumer's offset is corrected (its messages expired, or it asked past the end): the event
 * goes to OFFSET_MOVED_EVENT, tagged and keyed by the group (generateOffsetMovedEvent), where
 * RocketMQ's monitor reads it as messages a group lost. Best effort: the pull is answered anyway.
 */
function offsetMovedEvent(ctx: BrokerContext, h: PullHeader, offsetNew: number): void {
  const group = h.consumerGroup;
  ctx.logger.warn(`PULL_OFFSET_MOVED:correction offset. topic=${h.topic}, groupId=${group}, requestOffset=${h.queueOffset}, newOffset=${offsetNew}`);
  const event = { consumerGroup: group, messageQueue: { brokerName: ctx.config.brokerName, queueId: h.queueId, topic: h.topic }, offsetNew, offsetRequest: h.queueOffset };
  const properties = encodeJavaOrder(new Map([[PROPERTY.TAGS, group], [PROPERTY.KEYS, group], [PROPERTY.DELAY, '0']]));
  const input = { topic: SYSTEM_TOPIC.OFFSET_MOVED_EVENT, queueId: 0, body: Buffer.from(stringifyFastjson(event)), properties, tagsCode: tagsCodeOf(group), bornHost: ctx.storeHost };
  ctx.store.putMessage(input).then(
    (r) => r.status !== 'PUT_OK' && ctx.logger.warn(`offset moved event of ${group} stored with status ${r.status}`),
    (err: unknown) => ctx.logger.warn(`offset moved event of ${group} not stored: ${(err as Error).message}`),
  );
}

function subscriptionOf(ctx: BrokerContext, h: PullHeader): SubscriptionData {
  const type = (h.sysFlag & PULL_FLAG.SUBSCRIPTION) !== 0 ? h.expressionType ?? 'TAG' : ctx.consumers.group(h.consumerGroup)?.subscriptions.get(h.topic)?.expressionType;
  checkFilterType(ctx, type);
  if ((h.sysFlag & PULL_FLAG.SUBSCRIPTION) !== 0) {
    return buildSubscription(h.topic, h.subscription, h.expressionType ?? 'TAG', h.subVersion);
  }
  const group = ctx.consumers.group(h.consumerGroup);
  if (!group) throw new BrokerError(ResponseCode.SUBSCRIPTION_NOT_EXIST, `the consumer's group info not exist, group: ${h.consumerGroup}`);
  const sub = group.subscriptions.get(h.topic);
  if (!sub) throw new BrokerError(ResponseCode.SUBSCRIPTION_NOT_EXIST, `the consumer's subscription not exist, group: ${h.consumerGroup} topic: ${h.topic}`);
  if (sub.subVersion < h.subVersion) {
    throw new BrokerError(ResponseCode.SUBSCRIPTION_NOT_LATEST, `the consumer's subscription not latest, group: ${h.consumerGroup}`);
  }
  return sub;
}

/** Filtering by anything but tags needs `enablePropertyFilter` (PullMessageProcessor and CHECK_CLIENT_CONFIG). */
export function checkFilterType(ctx: BrokerContext, expressionType: string | undefined): void {
  if (!expressionType || expressionType === 'TAG' || ctx.config.enablePropertyFilter) return;
  throw new BrokerError(ResponseCode.SYSTEM_ERROR, `The broker does not support consumer to filter message by ${expressionType}`);
}

function response(
  ctx: BrokerContext,
  req: RemotingCommand,
  r: GetMessageResult,
  code: number,
  whichBrokerWhenConsumeSlowly: number,
  groupBrokerId: number,
  isSlave: boolean,
): RemotingCommand {
  let suggest = 0;
  if (ctx.config.slaveReadEnable) suggest = r.suggestPullingFromSlave ? whichBrokerWhenConsumeSlowly : groupBrokerId;
  // A slave does not move a consumer's offset: it asks for a retry on the master instead.
  if (code === ResponseCode.PULL_OFFSET_MOVED && isSlave) code = ResponseCode.PULL_RETRY_IMMEDIATELY;
  const body = code === ResponseCode.SUCCESS ? Buffer.concat(r.messages) : undefined;
  return RemotingCommand.createResponse(
    req,
    code,
    r.status,
    { suggestWhichBrokerId: suggest, nextBeginOffset: r.nextBeginOffset, minOffset: r.minOffset, maxOffset: r.maxOffset },
    body,
  );
}

function byteLength(bufs: readonly Buffer[]): number {
  let n = 0;
  for (const b of bufs) n += b.length;
  return n;
}
