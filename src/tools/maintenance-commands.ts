import type { ConsumeQueueView } from '../net/client/index.js';
import { stringifyFastjson } from '../net/fastjson.js';
import { UsageError, int, opt, str } from './cli-args.js';
import { front, left } from './format.js';
import { type CommandContext, type SubCommand, withAdmin } from './sub-command.js';

/** mqadmin's maintenance commands: write perm, consume queue cleaning and inspection, offset cloning. */

function writePermCommand(op: 'wipe' | 'add', desc: string): SubCommand {
  return {
    name: `${op}WritePerm`,
    desc,
    options: [opt('b', 'brokerName', true, 'broker name', true)],
    run: (ctx) =>
      withAdmin(ctx, async (admin) => {
        const brokerName = str(ctx.opts, 'b')!;
        let failed: Error | undefined;
        for (const r of await admin.maintenance.writePermOfBroker(brokerName, op)) {
          if (r.error) {
            failed = r.error;
            ctx.out(`${op} write perm of broker[${brokerName}] in name server[${r.namesrvAddr}] Failed\n`);
            ctx.logger.warn('%s: %s', r.namesrvAddr, r.error.message);
          } else ctx.out(`${op} write perm of broker[${brokerName}] in name server[${r.namesrvAddr}] OK, ${r.topicCount}\n`);
        }
        if (failed) throw failed;
      }),
  };
}

export const wipeWritePerm = writePermCommand('wipe', 'Wipe write perm of broker in all name server');
/** RocketMQ 4.9.3+: undoes wipeWritePerm without waiting for the broker's next topic change. */
export const addWritePerm = writePermCommand('add', 'Add write perm of broker in all name server you defined in the -n param.');

function cleanCommand(name: string, desc: string, clean: 'cleanExpiredConsumeQueue' | 'cleanUnusedTopic'): SubCommand {
  return {
    name,
    desc,
    options: [opt('b', 'brokerAddr', true, 'Broker address'), opt('c', 'cluster', true, 'clustername')],
    run: (ctx) =>
      withAdmin(ctx, async (admin) => {
        const brokerAddr = str(ctx.opts, 'b');
        const clusterName = str(ctx.opts, 'c');
        // RocketMQ's cleanUnusedTopic -c passes the cluster name as a broker address; -c means the cluster here.
        const addrs = await admin.maintenance[clean](brokerAddr ? { brokerAddr } : { clusterName });
        ctx.logger.info('%s on %s', name, addrs.join(', ') || 'no broker');
        ctx.out(addrs.length > 0 ? 'success' : 'false');
      }),
  };
}

export const cleanExpiredCQ = cleanCommand('cleanExpiredCQ', 'Clean expired ConsumeQueue on broker.', 'cleanExpiredConsumeQueue');
export const cleanUnusedTopic = cleanCommand('cleanUnusedTopic', 'Clean unused topic on broker.', 'cleanUnusedTopic');

const SEPARATOR = '======================================\n';

export const queryCq: SubCommand = {
  name: 'queryCq',
  desc: 'Query cq command.',
  options: [
    opt('t', 'topic', true, 'topic name', true),
    opt('q', 'queue', true, 'queue num, ie. 1', true),
    opt('i', 'index', true, 'start queue index.', true),
    opt('c', 'count', true, 'how many.'),
    opt('b', 'broker', true, 'broker addr.'),
    opt('g', 'consumer', true, 'consumer group.'),
  ],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const topic = str(ctx.opts, 't')!;
      const queueId = int(ctx.opts, 'q')!;
      const index = int(ctx.opts, 'i')!;
      const count = int(ctx.opts, 'c') ?? 10;
      let broker = str(ctx.opts, 'b');
      if (!broker) {
        broker = (await admin.examineTopicRouteInfo(topic)).brokerDatas[0]?.brokerAddrs.get(0);
        if (!broker) throw new UsageError('No topic route data!');
      }
      const view = await admin.maintenance.queryConsumeQueue(broker, topic, queueId, index, count, str(ctx.opts, 'g'));
      printConsumeQueue(ctx, view, index);
    }),
};

function printConsumeQueue(ctx: CommandContext, view: ConsumeQueueView, index: number): void {
  if (view.remark) ctx.logger.warn('%s', view.remark);
  if (view.subscriptionData) {
    // SubscriptionData's tag and code sets are HashSets, which fastjson keeps on one line.
    const sets = Object.fromEntries(['codeSet', 'tagsSet'].map((k) => [k, new Set((view.subscriptionData![k] as unknown[] | undefined) ?? [])]));
    ctx.out(`Subscription data: \n${stringifyFastjson({ ...view.subscriptionData, ...sets }, { pretty: true })}\n${SEPARATOR}`);
  }
  if (view.filterData !== undefined) ctx.out(`Filter data: \n${view.filterData}\n${SEPARATOR}`);
  ctx.out(`Queue data: \nmax: ${view.maxQueueIndex}, min: ${view.minQueueIndex}\n${SEPARATOR}`);
  view.queueData.forEach((u, i) => {
    const s = (v: string | undefined) => (v === undefined ? 'null' : `'${v}'`);
    ctx.out(`idx: ${index + i}\n`);
    ctx.out(`ConsumeQueueData{physicOffset=${u.physicOffset}, physicSize=${u.physicSize}, tagsCode=${u.tagsCode}, extendDataJson=${s(u.extendDataJson)}, bitMap=${s(u.bitMap)}, eval=${u.eval ?? false}, msg=${s(u.msg)}}\n`);
    ctx.out(SEPARATOR);
  });
}

export const cloneGroupOffset: SubCommand = {
  name: 'cloneGroupOffset',
  desc: 'clone offset from other group.',
  options: [
    opt('s', 'srcGroup', true, 'set source consumer group', true),
    opt('d', 'destGroup', true, 'set destination consumer group', true),
    opt('t', 'topic', true, 'set the topic', true),
    opt('o', 'offline', true, 'the group or the topic is offline'),
  ],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const srcGroup = str(ctx.opts, 's')!;
      const destGroup = str(ctx.opts, 'd')!;
      const topic = str(ctx.opts, 't')!;
      // RocketMQ's command copies the offsets it reads from the source group's consume stats with
      // UPDATE_CONSUMER_OFFSET, queue by queue, for every topic of the group: what it prints says -t.
      const { offsets } = await admin.examineConsumeStats(srcGroup);
      const route = await admin.examineTopicRouteInfo(topic);
      for (const o of offsets) {
        const bd = route.brokerDatas.find((b) => b.brokerName === o.mq.brokerName);
        const addr = bd?.brokerAddrs.get(0) ?? [...(bd?.brokerAddrs.values() ?? [])][0];
        if (addr && o.consumerOffset >= 0) await admin.maintenance.updateConsumeOffset(addr, destGroup, o.mq, o.consumerOffset);
      }
      ctx.out(`clone group offset success. srcGroup[${srcGroup}], destGroup=[${destGroup}], topic[${topic}]`);
    }),
};

export const getConsumerStatus: SubCommand = {
  name: 'getConsumerStatus',
  desc: 'get consumer status from client.',
  options: [
    opt('g', 'group', true, 'set the consumer group', true),
    opt('t', 'topic', true, 'set the topic', true),
    opt('i', 'originClientId', true, 'set the consumer clientId'),
  ],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const group = str(ctx.opts, 'g')!;
      const topic = str(ctx.opts, 't')!;
      const clientId = str(ctx.opts, 'i') ?? '';
      const table = await admin.maintenance.getConsumeStatus(topic, group, clientId);
      ctx.out(`get consumer status from client. group=${group}, topic=${topic}, originClientId=${clientId}\n`);
      ctx.out(`${left('#clientId', 50)}  ${left('#brokerName', 15)}  ${left('#queueId', 15)}  ${left('#offset', 20)}\n`);
      for (const [cid, offsets] of table) {
        for (const [mq, offset] of offsets) ctx.out(`${left(front(cid, 50), 50)}  ${left(mq.brokerName, 15)}  ${left(mq.queueId, 15)}  ${left(offset, 20)}\n`);
      }
    }),
};
