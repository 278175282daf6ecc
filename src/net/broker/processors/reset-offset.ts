import { RequestCode, ResponseCode } from '../../codes.js';
import { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { checkTopic } from '../topic-validator.js';
import { optBool, reqLong, reqString } from '../request-header.js';
import { guarded, jsonBody, mqKey, objectKeyedMap, success, type ProcessorTable } from './processor-support.js';

/**
 * INVOKE_BROKER_TO_RESET_OFFSET (222, RocketMQ's Broker2Client.resetOffset): an admin asks to move
 * a consumer group's offsets on a topic to a time (-1: the end of each queue). The broker works
 * out each queue's offset, then tells every online consumer of the group, oneway with
 * RESET_CONSUMER_CLIENT_OFFSET (220): a running consumer holds its offsets in memory, so only it
 * can move them, and its next commit stores them. A group with no consumer online gets
 * CONSUMER_NOT_ONLINE, and the admin tool then commits the offsets itself.
 */
export function resetOffsetProcessors(ctx: BrokerContext): ProcessorTable {
  return [[RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, guarded(ctx.logger, 'reset offset', (req) => resetOffset(ctx, req))]];
}

function resetOffset(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const topic = checkTopic(reqString(req.extFields, 'topic'));
  const group = reqString(req.extFields, 'group');
  const timestamp = reqLong(req.extFields, 'timestamp');
  const isForce = optBool(req.extFields, 'isForce');
  const tc = ctx.topics.get(topic);
  if (!tc) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `[reset-offset] reset offset failed, no topic in this broker. topic=${topic}`);
  const entries: [string, number][] = [];
  for (let q = 0; q < tc.writeQueueNums; q++) {
    const consumerOffset = ctx.offsets.query(group, topic, q);
    if (consumerOffset === -1) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `THe consumer group <${group}> not exist`);
    let at = timestamp === -1 ? ctx.store.getMaxOffsetInQueue(topic, q) : ctx.store.getOffsetInQueueByTime(topic, q, timestamp);
    if (at < 0) at = 0;
    // Without force an offset only moves back, as in RocketMQ.
    entries.push([mqKey(ctx.config.brokerName, topic, q), isForce || at < consumerOffset ? at : consumerOffset]);
  }
  const body = jsonBody(`{"offsetTable":${objectKeyedMap(entries)}}`);
  const conns = [...(ctx.consumers.group(group)?.channels.keys() ?? [])].filter((c) => !c.closed);
  if (conns.length === 0) {
    throw new BrokerError(ResponseCode.CONSUMER_NOT_ONLINE, `Consumer not online, so can not reset offset, Group: ${group} Topic: ${topic} Timestamp: ${timestamp}`);
  }
  for (const conn of conns) {
    try {
      conn.invokeOneway(RemotingCommand.createRequest(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, { topic, group, timestamp, isForce }, body));
    } catch (e) {
      ctx.logger.warn(`reset offset of ${group} to ${conn.remoteAddress} failed: ${(e as Error).message}`);
    }
  }
  ctx.logger.info(`[reset-offset] reset offset of group ${group} on topic ${topic} to ${timestamp}, told ${conns.length} client(s)`);
  return success(req, undefined, body);
}
