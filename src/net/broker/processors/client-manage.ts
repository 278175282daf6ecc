import { RequestCode, ResponseCode } from '../../codes.js';
import type { Connection } from '../../connection.js';
import { parseFastjson } from '../../fastjson.js';
import type { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { optString, reqString } from '../request-header.js';
import { buildSubscription, subscriptionFromHeartbeat, type SubscriptionData } from '../subscription-data.js';
import { checkFilterType } from './pull.js';
import { PERM } from '../topic-config.js';
import { checkGroup, retryTopic } from '../topic-validator.js';
import { guarded, success, type ProcessorTable } from './processor-support.js';

/**
 * HEART_BEAT (34) and UNREGISTER_CLIENT (35), as RocketMQ 4.9's ClientManageProcessor: a consumer
 * heartbeat creates the group's retry topic (retryQueueNums queues) and registers the channel and
 * its subscriptions, which notifies the group's members when anything changed; a producer
 * heartbeat registers the channel under its group (transaction check-backs go there).
 */
export function clientManageProcessors(ctx: BrokerContext): ProcessorTable {
  return [
    [RequestCode.HEART_BEAT, guarded(ctx.logger, 'heartbeat', (req, conn) => heartbeat(ctx, req, conn))],
    // A Java push consumer with an SQL92 subscription asks at start whether this broker can filter by it.
    [RequestCode.CHECK_CLIENT_CONFIG, guarded(ctx.logger, 'check client config', (req) => {
      let body: { subscriptionData?: { topic?: unknown; subString?: unknown; expressionType?: unknown } };
      try {
        body = (parseFastjson((req.body ?? Buffer.alloc(0)).toString('utf8') || '{}') ?? {}) as typeof body;
      } catch (e) {
        throw new BrokerError(ResponseCode.SYSTEM_ERROR, `check client config: the body is not JSON: ${(e as Error).message}`, { cause: e });
      }
      const sd = body.subscriptionData ?? {};
      const type = typeof sd.expressionType === 'string' ? sd.expressionType : 'TAG';
      if (type === 'TAG') return success(req);
      checkFilterType(ctx, type);
      buildSubscription(String(sd.topic ?? ''), typeof sd.subString === 'string' ? sd.subString : '', type);
      return success(req);
    })],
    [RequestCode.UNREGISTER_CLIENT, guarded(ctx.logger, 'unregister client', (req, conn) => {
      const h = req.extFields;
      reqString(h, 'clientID');
      const producerGroup = optString(h, 'producerGroup');
      if (producerGroup) ctx.producers.unregister(producerGroup, conn);
      const group = optString(h, 'consumerGroup');
      if (group) {
        const notify = ctx.groups.get(group)?.notifyConsumerIdsChangedEnable ?? true;
        ctx.consumers.unregister(group, conn, notify);
      }
      return success(req, {});
    })],
  ];
}

interface HeartbeatConsumer {
  groupName: string;
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  subscriptions: SubscriptionData[];
}

export function parseHeartbeat(body: Buffer | undefined): { clientID: string; consumers: HeartbeatConsumer[]; producers: string[] } {
  let data: Record<string, unknown>;
  try {
    data = (parseFastjson(body ? body.toString('utf8') : '{}') ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new BrokerError(ResponseCode.SYSTEM_ERROR, `heartbeat body is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const consumers: HeartbeatConsumer[] = [];
  for (const c of Array.isArray(data.consumerDataSet) ? data.consumerDataSet : []) {
    const o = (c ?? {}) as Record<string, unknown>;
    const subs = (Array.isArray(o.subscriptionDataSet) ? o.subscriptionDataSet : [])
      .map(subscriptionFromHeartbeat)
      .filter((s): s is SubscriptionData => s !== null);
    consumers.push({
      groupName: checkGroup(typeof o.groupName === 'string' ? o.groupName : undefined),
      consumeType: String(o.consumeType ?? 'CONSUME_PASSIVELY'),
      messageModel: String(o.messageModel ?? 'CLUSTERING'),
      consumeFromWhere: String(o.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET'),
      subscriptions: subs,
    });
  }
  const producers: string[] = [];
  for (const p of Array.isArray(data.producerDataSet) ? data.producerDataSet : []) {
    const name = ((p ?? {}) as Record<string, unknown>).groupName;
    if (typeof name === 'string' && name.length > 0) producers.push(name);
  }
  return { clientID: typeof data.clientID === 'string' ? data.clientID : '', consumers, producers };
}

function heartbeat(ctx: BrokerContext, req: RemotingCommand, conn: Connection): RemotingCommand {
  const hb = parseHeartbeat(req.body);
  for (const c of hb.consumers) {
    const sg = ctx.groups.find(c.groupName);
    if (sg) ctx.topics.ensure(retryTopic(c.groupName), Math.max(1, sg.retryQueueNums), PERM.READ | PERM.WRITE);
    const changed = ctx.consumers.register({
      group: c.groupName,
      conn,
      clientId: hb.clientID,
      language: req.language,
      version: req.version,
      consumeType: c.consumeType,
      messageModel: c.messageModel,
      consumeFromWhere: c.consumeFromWhere,
      subscriptions: c.subscriptions,
      notify: sg?.notifyConsumerIdsChangedEnable ?? true,
    });
    if (changed) ctx.logger.info(`consumer group ${c.groupName} changed: ${hb.clientID} from ${conn.remoteAddress}`);
  }
  for (const group of hb.producers) ctx.producers.register(group, conn, hb.clientID, req.language, req.version);
  return success(req);
}
