import { PROPERTY } from '../../../store/index.js';
import { ResponseCode } from '../../codes.js';
import { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { optInt, optString, reqInt, reqLong, reqString } from '../request-header.js';
import { inputFromStored } from '../stored-to-input.js';
import { STATS } from '../stats-manager.js';
import { checkWritable } from './send.js';
import { PERM, isWriteable } from '../topic-config.js';
import { checkGroup, dlqTopic, retryTopic } from '../topic-validator.js';

/**
 * CONSUMER_SEND_MSG_BACK (36): a consumer failed a message. The original (found by commit log
 * offset) is stored again in `%RETRY%<group>` with reconsumeTimes + 1 and a delay of level
 * 3 + reconsumeTimes when the client asks for level 0; past the max reconsume times, or for a
 * negative level, it goes to `%DLQ%<group>` instead (RocketMQ 4.9 SendMessageProcessor.consumerSendMsgBack).
 */
export async function consumerSendMsgBack(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const h = req.extFields;
  const offset = reqLong(h, 'offset');
  const group = checkGroup(reqString(h, 'group'));
  let delayLevel = reqInt(h, 'delayLevel');
  const originMsgId = optString(h, 'originMsgId');
  checkWritable(ctx);
  const sg = ctx.groups.find(group);
  if (!sg) throw new BrokerError(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group not exist, ${group}`);
  if (!isWriteable(ctx.config.brokerPermission)) {
    throw new BrokerError(ResponseCode.NO_PERMISSION, `the broker[${ctx.config.brokerIP1}] sending message is forbidden`);
  }
  if (sg.retryQueueNums <= 0) return RemotingCommand.createResponse(req, ResponseCode.SUCCESS);

  const orig = ctx.store.lookMessageByOffset(offset);
  if (!orig) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `look message by offset failed, ${offset}`);
  const props = new Map(Object.entries(orig.properties));
  if (!props.has(PROPERTY.RETRY_TOPIC)) props.set(PROPERTY.RETRY_TOPIC, orig.topic);

  const maxReconsumeTimes = optInt(h, 'maxReconsumeTimes') ?? sg.retryMaxTimes;
  let topic = retryTopic(group);
  let queueId = Math.floor(Math.random() * sg.retryQueueNums);
  if (orig.reconsumeTimes >= maxReconsumeTimes || delayLevel < 0) {
    topic = dlqTopic(group);
    queueId = 0;
    // Readable too, as 4.9.7/4.9.8 create it; see retryOrDlq in send.ts.
    ctx.topics.ensure(topic, 1, PERM.READ | PERM.WRITE);
    delayLevel = 0;
  } else {
    ctx.topics.ensure(topic, sg.retryQueueNums, PERM.READ | PERM.WRITE);
    if (delayLevel === 0) delayLevel = 3 + orig.reconsumeTimes;
  }
  props.delete(PROPERTY.DELAY);
  if (!props.has(PROPERTY.ORIGIN_MESSAGE_ID)) props.set(PROPERTY.ORIGIN_MESSAGE_ID, originMsgId || orig.msgId);
  props.set(PROPERTY.WAIT, 'false');
  let msg = inputFromStored(orig, topic, queueId, props, orig.reconsumeTimes + 1);
  if (delayLevel > 0) msg = ctx.schedule.divert(msg, props, delayLevel);
  const r = await ctx.store.putMessage(msg);
  ctx.brokerStats.add(STATS.SNDBCK_PUT_NUMS, `${orig.topic}@${group}`, 1);
  if (r.status !== 'PUT_OK') {
    return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, `send back to ${topic} stored with status ${r.status}`);
  }
  return RemotingCommand.createResponse(req, ResponseCode.SUCCESS);
}
