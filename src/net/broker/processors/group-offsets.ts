import { RequestCode, ResponseCode } from '../../codes.js';
import { stringifyFastjson } from '../../fastjson.js';
import type { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { optBool, optString, reqString } from '../request-header.js';
import { checkGroup } from '../topic-validator.js';
import { guarded, jsonBody, success, type ProcessorTable } from './processor-support.js';

/**
 * Admin questions about groups' committed offsets, as RocketMQ 4.9's AdminBrokerProcessor answers
 * them: QUERY_CONSUME_TIME_SPAN (303), QUERY_CORRECTION_OFFSET (308) and CLONE_GROUP_OFFSET (314,
 * what `DefaultMQAdminExt.cloneGroupOffset` sends).
 */
export function groupOffsetProcessors(ctx: BrokerContext): ProcessorTable {
  const { logger } = ctx;
  return [
    [RequestCode.QUERY_CONSUME_TIME_SPAN, guarded(logger, 'query consume time span', (req) => consumeTimeSpan(ctx, req))],
    [RequestCode.QUERY_CORRECTION_OFFSET, guarded(logger, 'query correction offset', (req) => correctionOffset(ctx, req))],
    [RequestCode.CLONE_GROUP_OFFSET, guarded(logger, 'clone group offset', (req, conn) => {
      const srcGroup = reqString(req.extFields, 'srcGroup');
      // The new group's offsets are persisted and served: its name must be one a client can use.
      const destGroup = checkGroup(reqString(req.extFields, 'destGroup'));
      const topic = optString(req.extFields, 'topic');
      const offline = optBool(req.extFields, 'offline');
      const online = ctx.consumers.group(srcGroup)?.subscriptions.size ?? 0;
      const cloned: string[] = [];
      for (const t of topic ? [topic] : ctx.offsets.topicsOfGroup(srcGroup)) {
        if (!ctx.topics.get(t)) {
          logger.warn('[cloneGroupOffset], topic config not exist, %s', t);
          continue;
        }
        // An online source group that no longer subscribes the topic has stale offsets there.
        if (!offline && online > 0 && !ctx.consumers.subscription(srcGroup, t)) {
          logger.warn('[cloneGroupOffset], the consumer group[%s], topic[%s] not exist', srcGroup, t);
          continue;
        }
        // RocketMQ 4.9 clones the request's topic on every round, so a blank topic clones nothing;
        // each topic of the group is cloned here, as the loop means.
        if (ctx.offsets.cloneOffset(srcGroup, destGroup, t)) cloned.push(t);
      }
      logger.info('[cloneGroupOffset] %s -> %s by %s: %s', srcGroup, destGroup, conn.remoteAddress, cloned.join(',') || 'nothing');
      return success(req);
    })],
  ];
}

/** QueueTimeSpan per write queue: oldest and newest store times, and how far the group lags in time. */
function consumeTimeSpan(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const topic = reqString(req.extFields, 'topic');
  const group = reqString(req.extFields, 'group');
  const tc = ctx.topics.get(topic);
  if (!tc) throw new BrokerError(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
  const { store } = ctx;
  const spans: Record<string, unknown>[] = [];
  const now = Date.now();
  for (let q = 0; q < tc.writeQueueNums; q++) {
    const minTimeStamp = store.getEarliestMessageTime(topic, q);
    const max = store.getMaxOffsetInQueue(topic, q);
    const maxTimeStamp = max > 0 ? store.getMessageStoreTimeStamp(topic, q, max - 1) : -1;
    const consumerOffset = ctx.offsets.query(group, topic, q);
    const consumeTimeStamp = consumerOffset > 0 ? store.getMessageStoreTimeStamp(topic, q, consumerOffset - 1) : minTimeStamp;
    // Java's arithmetic, -1 store times included: the age of the next message the group has to consume.
    const delayTime = consumerOffset < max ? now - store.getMessageStoreTimeStamp(topic, q, consumerOffset) : 0;
    spans.push({
      consumeTimeStamp,
      consumeTimeStampStr: javaDateString(consumeTimeStamp),
      delayTime,
      maxTimeStamp,
      maxTimeStampStr: javaDateString(maxTimeStamp),
      messageQueue: { brokerName: ctx.config.brokerName, queueId: q, topic },
      minTimeStamp,
      minTimeStampStr: javaDateString(minTimeStamp),
    });
  }
  return success(req, undefined, jsonBody(stringifyFastjson({ consumeTimeSpanSet: spans })));
}

/**
 * Per queue, the lowest offset any group (but the filtered ones) committed that the store still
 * holds; a queue where `compareGroup` is behind that answers Long.MAX_VALUE. RocketMQ 4.9 deletes
 * the filtered groups' offsets from its table while computing this and looks `compareGroup` up
 * with topic and group swapped; neither is repeated here.
 */
function correctionOffset(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const topic = reqString(req.extFields, 'topic');
  const compareGroup = reqString(req.extFields, 'compareGroup');
  const filter = new Set((optString(req.extFields, 'filterGroups') ?? '').split(',').filter((g) => g !== ''));
  const correction = new Map<number, number>();
  for (const group of ctx.offsets.groupsOfTopic(topic)) {
    if (filter.has(group)) continue;
    for (const [q, offset] of ctx.offsets.queueOffsets(group, topic) ?? []) {
      if (offset < ctx.store.getMinOffsetInQueue(topic, q)) continue;
      correction.set(q, Math.min(correction.get(q) ?? Number.MAX_SAFE_INTEGER, offset));
    }
  }
  const parts: string[] = [];
  const compare = ctx.offsets.queueOffsets(compareGroup, topic);
  for (const [q, offset] of correction) {
    const behind = compare !== undefined && offset > (compare.get(q) ?? Number.MAX_SAFE_INTEGER);
    parts.push(`${q}:${behind ? JAVA_LONG_MAX : offset}`);
  }
  return success(req, undefined, jsonBody(`{"correctionOffsets":{${parts.join(',')}}}`));
}

const JAVA_LONG_MAX = '9223372036854775807';

/** UtilAll.timeMillisToHumanString3-style `yyyy-MM-dd#HH:mm:ss:SSS` (local time) of QueueTimeSpan's getters. */
function javaDateString(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}#${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}`;
}
