import { cleanExpiredConsumeQueues } from '../../../store/index.js';
import { RequestCode, ResponseCode } from '../../codes.js';
import { stringifyFastjson } from '../../fastjson.js';
import { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { optInt, optLong, optString } from '../request-header.js';
import { subscriptionJson } from '../subscription-data.js';
import { SYSTEM_TOPIC } from '../topic-validator.js';
import { guarded, jsonBody, success, type ProcessorTable } from './processor-support.js';

/**
 * Consume queue maintenance, as RocketMQ 4.9's AdminBrokerProcessor answers it:
 * QUERY_CONSUME_QUEUE (321, `mqadmin queryCq`), CLEAN_EXPIRED_CONSUMEQUEUE (306,
 * `mqadmin cleanExpiredCQ`) and CLEAN_UNUSED_TOPIC (316, `mqadmin cleanUnusedTopic`).
 */
export function queueMaintenanceProcessors(ctx: BrokerContext): ProcessorTable {
  const { logger } = ctx;
  return [
    [RequestCode.QUERY_CONSUME_QUEUE, guarded(logger, 'query consume queue', (req) => queryConsumeQueue(ctx, req))],
    [RequestCode.CLEAN_EXPIRED_CONSUMEQUEUE, guarded(logger, 'clean expired consume queues', async (req, conn) => {
      logger.warn('invoke cleanExpiredConsumeQueue start by %s', conn.remoteAddress);
      const r = await cleanExpiredConsumeQueues(ctx.store);
      logger.warn('cleanExpiredConsumeQueue: deleted %s; kept partly expired %s', r.deleted.join(',') || 'none', r.partlyExpired.join(',') || 'none');
      return success(req);
    })],
    [RequestCode.CLEAN_UNUSED_TOPIC, guarded(logger, 'clean unused topics', (req) => {
      // A slave's topic table is a copy refreshed every minute: topics its master created since
      // would lose their queues, so a slave keeps everything (RocketMQ cleans there too).
      if (ctx.storeConfig.brokerRole === 'SLAVE') {
        logger.warn('cleanUnusedTopic ignored: this broker is a slave, its topic table may lag its master');
        return success(req);
      }
      const unused = ctx.store.topics().filter((t) => !ctx.topics.get(t) && !KEPT_WITHOUT_CONFIG.has(t));
      if (unused.length > 0) ctx.store.deleteTopics(unused);
      logger.warn('cleanUnusedTopic: deleted the consume queues of %s', unused.join(',') || 'no topic');
      return success(req);
    })],
  ];
}

/**
 * Topics whose queues the broker writes without a topic config of their own: transaction halves
 * and their ops, the delay queues, and halves past their check limit. RocketMQ keeps the first two
 * and gives the half topic a config when it stores one; ours has none, so all are kept by name.
 */
const KEPT_WITHOUT_CONFIG: ReadonlySet<string> = new Set([
  SYSTEM_TOPIC.SCHEDULE,
  SYSTEM_TOPIC.TRANS_HALF,
  SYSTEM_TOPIC.TRANS_OP_HALF,
  SYSTEM_TOPIC.TRANS_CHECK_MAX_TIME,
]);

/**
 * QueryConsumeQueueResponseBody: `count` units from `index` (none when absent, as Java's int
 * default), the queue's bounds, and when a group is named its online subscription and filter.
 * Java reads no further than the end of the unit's file; this reads across files.
 */
function queryConsumeQueue(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const topic = optString(req.extFields, 'topic') ?? '';
  const queueId = optInt(req.extFields, 'queueId', 0);
  const index = optLong(req.extFields, 'index', 0);
  const count = optInt(req.extFields, 'count', 0);
  const group = optString(req.extFields, 'consumerGroup');
  if (!ctx.store.queueIds(topic).includes(queueId)) {
    return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, `${queueId}@${topic} is not exist!`);
  }
  const units = ctx.store.getConsumeQueueUnits(topic, queueId, index, Math.max(0, count));
  if (!units) return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, `Index ${index} of ${queueId}@${topic} is not exist!`);
  // Bean properties in fastjson's (alphabetical) order; absent ones are left out.
  let filterData: string | undefined;
  let subscriptionData: Record<string, unknown> | undefined;
  if (group !== undefined) {
    const sub = ctx.consumers.subscription(group, topic);
    if (sub) {
      subscriptionData = subscriptionJson(sub);
      filterData = sub.expressionType === 'SQL92' ? filterDataJson(group, sub.topic, sub.subString, sub.subVersion) : 'null';
    } else filterData = `${group}@${topic} is not online!`;
  }
  const body = {
    filterData,
    maxQueueIndex: ctx.store.getMaxOffsetInQueue(topic, queueId),
    minQueueIndex: ctx.store.getMinOffsetInQueue(topic, queueId),
    queueData: units.map((u) => ({ eval: false, physicOffset: u.commitLogOffset, physicSize: u.size, tagsCode: u.tagsCode })),
    subscriptionData,
  };
  return success(req, undefined, jsonBody(stringifyFastjson(body)));
}

/** ConsumerFilterData, pretty-printed as the field is a string: what the broker filters an SQL92 group by. */
function filterDataJson(consumerGroup: string, topic: string, expression: string, version: number): string {
  return stringifyFastjson({ bornTime: version, clientVersion: version, consumerGroup, dead: false, deadTime: 0, expression, expressionType: 'SQL92', topic }, { pretty: true });
}
