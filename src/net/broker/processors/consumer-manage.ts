import { totalmem } from 'node:os';
import { RequestCode, ResponseCode } from '../../codes.js';
import { stringifyFastjson } from '../../fastjson.js';
import { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { reqInt, reqLong, reqString } from '../request-header.js';
import { guarded, jsonBody, success, type ProcessorTable } from './processor-support.js';

/**
 * QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15), GET_CONSUMER_LIST_BY_GROUP (38), as
 * RocketMQ 4.9's ConsumerManageProcessor.
 */
export function consumerManageProcessors(ctx: BrokerContext): ProcessorTable {
  return [
    [RequestCode.QUERY_CONSUMER_OFFSET, guarded(ctx.logger, 'query consumer offset', (req) => queryConsumerOffset(ctx, req))],
    [RequestCode.UPDATE_CONSUMER_OFFSET, guarded(ctx.logger, 'update consumer offset', (req) => {
      const h = req.extFields;
      ctx.offsets.commit(reqString(h, 'consumerGroup'), reqString(h, 'topic'), reqInt(h, 'queueId'), reqLong(h, 'commitOffset'));
      return success(req, {});
    })],
    [RequestCode.GET_CONSUMER_LIST_BY_GROUP, guarded(ctx.logger, 'get consumer list', (req) => {
      const group = reqString(req.extFields, 'consumerGroup');
      const ids = ctx.consumers.clientIds(group);
      if (ids.length === 0) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `no consumer for this group, ${group}`);
      return success(req, {}, jsonBody(stringifyFastjson({ consumerIdList: ids })));
    })],
  ];
}

/**
 * A group with no committed offset starts at 0 when the queue still begins at 0 and that first
 * message is in memory (a young queue); otherwise QUERY_NOT_FOUND lets the client apply its
 * consumeFromWhere (RocketMQ's checkInDiskByConsumeOffset rule).
 */
function queryConsumerOffset(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields;
  const group = reqString(h, 'consumerGroup');
  const topic = reqString(h, 'topic');
  const queueId = reqInt(h, 'queueId');
  const offset = ctx.offsets.query(group, topic, queueId);
  if (offset >= 0) return success(req, { offset });
  const min = ctx.store.getMinOffsetInQueue(topic, queueId);
  if (min <= 0 && !firstMessageOnDisk(ctx, topic, queueId)) return success(req, { offset: 0 });
  return RemotingCommand.createResponse(req, ResponseCode.QUERY_NOT_FOUND, 'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first');
}

function firstMessageOnDisk(ctx: BrokerContext, topic: string, queueId: number): boolean {
  const phy = ctx.store.getCommitLogOffsetInQueue(topic, queueId, 0);
  if (phy < 0) return false;
  const memory = (totalmem() * ctx.storeConfig.accessMessageInMemoryMaxRatio) / 100;
  return ctx.store.getMaxPhyOffset() - phy > memory;
}
