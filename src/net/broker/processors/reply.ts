import { PROPERTY, decodeProperties, tagsCodeOf, type MessageInput } from '../../../store/index.js';
import { RequestCode, ResponseCode } from '../../codes.js';
import type { Connection } from '../../connection.js';
import { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { encodeJavaOrder } from '../properties-order.js';
import { guarded, type ProcessorTable } from './processor-support.js';
import { bornHostOf, checkSendTarget, parseSendHeader, timedPut, type SendHeader } from './send.js';
import { sendResponse } from './send-response.js';

/** Broker2Client.callClient's fixed timeout. */
const PUSH_TIMEOUT_MS = 10_000;

/**
 * SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325), RocketMQ 4.9's ReplyMessageProcessor:
 * a consumer answering a request-reply message. The reply is pushed at once to the requesting
 * client (PUSH_REPLY_MESSAGE_TO_CLIENT, 326, to the producer channel whose client id the
 * REPLY_TO_CLIENT property names) and, with storeReplyMessageEnable, also stored in
 * <cluster>_REPLY_TOPIC. The answer says whether the push worked; a store failure only logs.
 */
export function replyProcessors(ctx: BrokerContext): ProcessorTable {
  const reply = (v2: boolean) => guarded(ctx.logger, 'reply message', (req, conn) => replyOne(ctx, req, conn, parseSendHeader(req.extFields, v2)));
  return [
    [RequestCode.SEND_REPLY_MESSAGE, reply(false)],
    [RequestCode.SEND_REPLY_MESSAGE_V2, reply(true)],
  ];
}

async function push(ctx: BrokerContext, req: RemotingCommand, conn: Connection, h: SendHeader, senderId: string | undefined): Promise<string | null> {
  if (!senderId) return 'reply message properties[REPLY_TO_CLIENT] is null';
  const channel = ctx.producers.findChannel(senderId);
  if (!channel) return `push reply message fail, channel of <${senderId}> not found.`;
  const props = decodeProperties(h.properties);
  props.set(PROPERTY.PUSH_REPLY_TIME, String(Date.now()));
  const header = {
    producerGroup: h.producerGroup,
    topic: h.topic,
    defaultTopic: h.defaultTopic,
    defaultTopicQueueNums: h.defaultTopicQueueNums,
    queueId: h.queueId,
    sysFlag: h.sysFlag,
    bornTimestamp: h.bornTimestamp,
    flag: h.flag,
    properties: encodeJavaOrder(props),
    reconsumeTimes: h.reconsumeTimes,
    unitMode: false,
    // InetSocketAddress.toString, as a Java broker sends them.
    bornHost: `/${conn.remoteAddress}`,
    storeHost: `/${ctx.brokerAddr}`,
    storeTimestamp: Date.now(),
  };
  try {
    const res = await channel.conn.invoke(RemotingCommand.createRequest(RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT, header, req.body), PUSH_TIMEOUT_MS);
    if (res.code === ResponseCode.SUCCESS) return null;
    ctx.logger.warn(`push reply message to ${senderId}: the client answered ${res.code} ${res.remark ?? ''}`);
  } catch (e) {
    ctx.logger.warn(`push reply message to ${senderId} failed: ${(e as Error).message}`);
  }
  return `push reply message to ${senderId}fail.`;
}

async function replyOne(ctx: BrokerContext, req: RemotingCommand, conn: Connection, h: SendHeader): Promise<RemotingCommand> {
  const target = checkSendTarget(ctx, h, conn);
  const props = decodeProperties(h.properties);
  const failure = await push(ctx, req, conn, h, props.get(PROPERTY.REPLY_TO_CLIENT));
  let msgId = '0';
  let queueOffset = 0;
  if (ctx.config.storeReplyMessageEnable) {
    const body = req.body ?? Buffer.alloc(0);
    const msg: MessageInput = {
      topic: h.topic,
      queueId: target.queueId,
      body,
      flag: h.flag,
      properties: h.properties ?? '',
      tagsCode: tagsCodeOf(props.get(PROPERTY.TAGS)),
      sysFlag: h.sysFlag,
      bornTimestamp: h.bornTimestamp,
      bornHost: bornHostOf(conn),
      reconsumeTimes: h.reconsumeTimes,
    };
    try {
      const r = await timedPut(ctx, h.topic, () => ctx.store.putMessage(msg), 1, body.length);
      msgId = r.msgId;
      queueOffset = r.queueOffset;
    } catch (e) {
      ctx.logger.warn(`storing the reply message in ${h.topic} failed: ${(e as Error).message}`);
    }
  }
  const res = sendResponse(req, failure ? ResponseCode.SYSTEM_ERROR : ResponseCode.SUCCESS, msgId, target.queueId, queueOffset, ctx.config.regionId, ctx.config.traceOn);
  if (failure) res.remark = failure;
  return res;
}
