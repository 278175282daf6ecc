import { statfsSync } from 'node:fs';
import { RequestCode, ResponseCode, MQVersion } from '../../codes.js';
import { stringifyFastjson } from '../../fastjson.js';
import { javaDoubleString } from '../../java-number.js';
import type { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { optString, reqString } from '../request-header.js';
import { checkTopic } from '../topic-validator.js';
import { subscriptionJson } from '../subscription-data.js';
import { guarded, jsonBody, mqKey, objectKeyedMap, success, type ProcessorTable } from './processor-support.js';

/**
 * Monitoring answers: GET_BROKER_RUNTIME_INFO (28, KVTable), GET_TOPIC_STATS_INFO (202),
 * GET_CONSUME_STATS (208), GET_CONSUMER_CONNECTION_LIST (203), GET_PRODUCER_CONNECTION_LIST (204),
 * VIEW_BROKER_STATS_DATA (315), QUERY_TOPIC_CONSUME_BY_WHO (300), GET_ALL_PRODUCER_INFO (328), and
 * 5.x's QUERY_TOPICS_BY_CONSUMER (343) and QUERY_SUBSCRIPTION_BY_CONSUMER (345).
 * TopicStatsTable and ConsumeStats are maps keyed by MessageQueue objects, which fastjson writes
 * with the object itself as the key (`{{"brokerName":"b","queueId":0,"topic":"T"}:{...}}`); we
 * write that form too.
 */
export function runtimeInfoProcessors(ctx: BrokerContext): ProcessorTable {
  const { logger } = ctx;
  return [
    [RequestCode.GET_BROKER_RUNTIME_INFO, guarded(logger, 'runtime info', (req) =>
      success(req, undefined, jsonBody(stringifyFastjson({ table: runtimeTable(ctx) }))))],
    [RequestCode.GET_TOPIC_STATS_INFO, guarded(logger, 'topic stats', (req) => topicStats(ctx, req))],
    [RequestCode.GET_CONSUME_STATS, guarded(logger, 'consume stats', (req) => consumeStats(ctx, req))],
    [RequestCode.GET_CONSUMER_CONNECTION_LIST, guarded(logger, 'consumer connections', (req) => {
      const group = reqString(req.extFields, 'consumerGroup');
      const body = ctx.consumers.connectionJson(group);
      if (!body) throw new BrokerError(ResponseCode.CONSUMER_NOT_ONLINE, `the consumer group[${group}] not online`);
      return success(req, undefined, jsonBody(stringifyFastjson(body)));
    })],
    [RequestCode.VIEW_BROKER_STATS_DATA, guarded(logger, 'broker stats data', (req) => {
      const name = reqString(req.extFields, 'statsName');
      const key = reqString(req.extFields, 'statsKey');
      const data = ctx.brokerStats.view(name, key);
      if (!data) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `The stats <${name}> <${key}> not exist`);
      return success(req, undefined, jsonBody(stringifyFastjson(data)));
    })],
    // RocketMQ 5.x: the topics a group has offsets for here, and a group's online subscription to one.
    [RequestCode.QUERY_TOPICS_BY_CONSUMER, guarded(logger, 'topics by consumer', (req) => {
      const topicList = ctx.offsets.topicsOfGroup(reqString(req.extFields, 'group'));
      return success(req, undefined, jsonBody(stringifyFastjson({ brokerAddr: ctx.brokerAddr, topicList })));
    })],
    [RequestCode.QUERY_SUBSCRIPTION_BY_CONSUMER, guarded(logger, 'subscription by consumer', (req) => {
      const group = reqString(req.extFields, 'group');
      const topic = reqString(req.extFields, 'topic');
      const sub = ctx.consumers.subscription(group, topic);
      return success(req, undefined, jsonBody(stringifyFastjson({ group, subscriptionData: sub ? subscriptionJson(sub) : undefined, topic })));
    })],
    // Groups online with a subscription to the topic, and groups that committed an offset on it.
    [RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, guarded(logger, 'topic consumed by', (req) => {
      const topic = reqString(req.extFields, 'topic');
      const groups = new Set([...ctx.consumers.groupsOfTopic(topic), ...ctx.offsets.groupsOfTopic(topic)]);
      return success(req, undefined, jsonBody(stringifyFastjson({ groupList: [...groups] })));
    })],
    [RequestCode.GET_PRODUCER_CONNECTION_LIST, guarded(logger, 'producer connections', (req) => {
      const group = reqString(req.extFields, 'producerGroup');
      const channels = ctx.producers.channels(group);
      if (channels.length === 0) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `the producer group[${group}] not exist`);
      const connectionSet = channels.map((c) => ({ clientAddr: c.conn.remoteAddress, clientId: c.clientId, language: c.language, version: c.version }));
      return success(req, undefined, jsonBody(stringifyFastjson({ connectionSet })));
    })],
    // ProducerTableInfo (RocketMQ 4.9.4+): every producer group's live clients.
    [RequestCode.GET_ALL_PRODUCER_INFO, guarded(logger, 'all producer info', (req) => {
      const data = new Map<string, unknown[]>();
      for (const [group, channels] of ctx.producers.allGroups()) {
        data.set(group, [...channels.values()].map((c) => ({
          clientId: c.clientId,
          language: c.language,
          lastUpdateTimestamp: c.lastUpdate,
          remoteIP: `/${c.conn.remoteAddress}`,
          version: c.version,
        })));
      }
      return success(req, undefined, jsonBody(stringifyFastjson({ data })));
    })],
  ];
}

export function runtimeTable(ctx: BrokerContext): Record<string, string> {
  const { store } = ctx;
  const t: Record<string, string> = {
    brokerVersionDesc: 'V4_9_8',
    brokerVersion: String(MQVersion.CURRENT),
    sendThreadPoolQueueSize: '0',
    sendThreadPoolQueueCapacity: '10000',
    pullThreadPoolQueueSize: '0',
    pullThreadPoolQueueCapacity: '100000',
    queryThreadPoolQueueSize: '0',
    queryThreadPoolQueueCapacity: '20000',
    sendThreadPoolQueueHeadWaitTimeMills: '0',
    pullThreadPoolQueueHeadWaitTimeMills: '0',
    queryThreadPoolQueueHeadWaitTimeMills: '0',
    pageCacheLockTimeMills: '0',
    earliestMessageTimeStamp: String(store.getEarliestMessageTime()),
    commitLogMinOffset: String(store.getMinPhyOffset()),
    commitLogMaxOffset: String(store.getMaxPhyOffset()),
    commitLogDiskRatio: diskRatio(ctx.storeConfig.storePathCommitLog || ctx.storeConfig.storePathRootDir),
    consumeQueueDiskRatio: diskRatio(ctx.storeConfig.storePathConsumerQueue || ctx.storeConfig.storePathRootDir),
    dispatchBehindBytes: '0',
    remainHowManyDataToFlush: '0 B',
    ...ctx.stats.table(),
  };
  // The store's own numbers win where both know a key.
  Object.assign(t, store.runtimeInfo());
  // StoreStatsService's average record size (exportMetrics reports it as messageAverageSize).
  t.putMessageAverageSize = javaDoubleString(Number(t.putMessageSizeTotal ?? 0) / Math.max(1, Number(t.putMessageTimesTotal ?? 0)));
  return t;
}

/** Used fraction of the partition holding `dir`, RocketMQ's UtilAll.getDiskPartitionSpaceUsedPercent. */
function diskRatio(dir: string): string {
  try {
    const s = statfsSync(dir);
    const total = s.blocks * s.bsize;
    return javaDoubleString(total > 0 ? (total - s.bfree * s.bsize) / total : -1);
  } catch {
    return '-1.0';
  }
}


function topicStats(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const topic = checkTopic(reqString(req.extFields, 'topic'));
  const tc = ctx.topics.get(topic);
  if (!tc) throw new BrokerError(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
  const entries: [string, unknown][] = [];
  for (let q = 0; q < tc.writeQueueNums; q++) {
    const min = Math.max(0, ctx.store.getMinOffsetInQueue(topic, q));
    const max = Math.max(0, ctx.store.getMaxOffsetInQueue(topic, q));
    const last = max > 0 ? ctx.store.getMessageStoreTimeStamp(topic, q, max - 1) : 0;
    entries.push([mqKey(ctx.config.brokerName, topic, q), { lastUpdateTimestamp: Math.max(0, last), maxOffset: max, minOffset: min }]);
  }
  return success(req, undefined, jsonBody(`{"offsetTable":${objectKeyedMap(entries)}}`));
}

function consumeStats(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const group = reqString(req.extFields, 'consumerGroup');
  const one = optString(req.extFields, 'topic');
  const topics = one ? [checkTopic(one)] : ctx.offsets.topicsOfGroup(group);
  const entries: [string, unknown][] = [];
  for (const topic of topics) {
    const tc = ctx.topics.get(topic);
    if (tc) entries.push(...queueOffsets(ctx, group, topic, tc.readQueueNums).entries);
  }
  return success(req, undefined, jsonBody(`{"consumeTps":0.0,"offsetTable":${objectKeyedMap(entries)}}`));
}

/** OffsetWrappers of a group's queues of a topic, as ConsumeStats' offsetTable entries, and their summed lag. */
export function queueOffsets(ctx: BrokerContext, group: string, topic: string, queues: number): { entries: [string, unknown][]; diff: number } {
  const entries: [string, unknown][] = [];
  let diff = 0;
  for (let q = 0; q < queues; q++) {
    const brokerOffset = Math.max(0, ctx.store.getMaxOffsetInQueue(topic, q));
    const consumerOffset = Math.max(0, ctx.offsets.query(group, topic, q));
    const last = consumerOffset > 0 ? ctx.store.getMessageStoreTimeStamp(topic, q, consumerOffset - 1) : 0;
    entries.push([mqKey(ctx.config.brokerName, topic, q), { brokerOffset, consumerOffset, lastTimestamp: Math.max(0, last) }]);
    diff += brokerOffset - consumerOffset;
  }
  return { entries, diff };
}
