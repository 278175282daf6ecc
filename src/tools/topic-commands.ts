import { stringifyFastjson } from '../net/fastjson.js';
import { MASTER_ID, permToString, RETRY_GROUP_TOPIC_PREFIX, DLQ_GROUP_TOPIC_PREFIX, type TopicRouteData } from '../net/client/index.js';
import { UsageError, int, opt, str } from './cli-args.js';
import { fixed, formatDateTime, front, humanTime, left, right, versionDesc } from './format.js';
import { type CommandContext, type SubCommand, withAdmin } from './sub-command.js';
import type { MQAdmin } from '../net/client/index.js';

/** mqadmin's cluster, topic and consumer-progress commands (tools/command/{cluster,topic,consumer}). */

/** One row per broker address of every cluster, brokers in name order (ClusterListSubCommand). */
async function printClusterList(ctx: CommandContext, admin: MQAdmin, more: boolean): Promise<void> {
  const info = await admin.examineBrokerClusterInfo();
  if (more) ctx.out(`${left('#Cluster Name', 16)}  ${left('#Broker Name', 32)} ${right('#InTotalYest', 14)} ${right('#OutTotalYest', 14)} ${right('#InTotalToday', 14)} ${right('#OutTotalToday', 14)}\n`);
  else ctx.out(`${left('#Cluster Name', 16)}  ${left('#Broker Name', 22)}  ${left('#BID', 4)}  ${left('#Addr', 22)} ${left('#Version', 16)} ${right('#InTPS(LOAD)', 19)} ${right('#OutTPS(LOAD)', 19)} ${right('#PCWait(ms)', 10)} ${right('#Hour', 5)} ${right('#SPACE', 6)}\n`);
  for (const cluster of [...info.clusterAddrTable.keys()].sort()) {
    for (const brokerName of [...info.clusterAddrTable.get(cluster)!].sort()) {
      const bd = info.brokerAddrTable.get(brokerName);
      if (!bd) continue;
      for (const [id, addr] of [...bd.brokerAddrs].sort((a, b) => a[0] - b[0])) {
        let t: Record<string, string> = {};
        try {
          t = await admin.brokerRuntimeInfo(addr);
        } catch (err) {
          ctx.logger.warn('runtime info of %s: %s', addr, (err as Error).message);
        }
        if (more) {
          const n = (k: string): number => Number(t[k] ?? 0) || 0;
          const cols = [
            n('msgPutTotalTodayMorning') - n('msgPutTotalYesterdayMorning'),
            n('msgGetTotalTodayMorning') - n('msgGetTotalYesterdayMorning'),
            n('msgPutTotalTodayNow') - n('msgPutTotalTodayMorning'),
            n('msgGetTotalTodayNow') - n('msgGetTotalTodayMorning'),
          ];
          ctx.out(`${left(cluster, 16)}  ${left(brokerName, 32)} ${cols.map((c) => right(c, 14)).join(' ')}\n`);
          continue;
        }
        const first = (v: string | undefined): number => Number((v ?? '0').split(' ')[0]) || 0;
        const earliest = t.earliestMessageTimeStamp;
        const hour = earliest ? (Date.now() - Number(earliest)) / 3_600_000 : 0;
        const space = t.commitLogDiskRatio ? Number(t.commitLogDiskRatio) : 0;
        const inTps = `${right(fixed(first(t.putTps), 2), 9)}(${t.sendThreadPoolQueueSize ?? ''},${t.sendThreadPoolQueueHeadWaitTimeMills ?? ''}ms)`;
        const outTps = `${right(fixed(first(t.getTransferedTps), 2), 9)}(${t.pullThreadPoolQueueSize ?? ''},${t.pullThreadPoolQueueHeadWaitTimeMills ?? ''}ms)`;
        ctx.out(`${left(cluster, 16)}  ${left(brokerName, 22)}  ${left(id, 4)}  ${left(addr, 22)} ${left(t.brokerVersionDesc ?? '', 16)} ${right(inTps, 19)} ${right(outTps, 19)} ${right(t.pageCacheLockTimeMills ?? '', 10)} ${right(right(fixed(hour, 2), 2), 5)} ${right(fixed(space, 4), 6)}\n`);
      }
    }
  }
}

export const clusterList: SubCommand = {
  name: 'clusterList',
  desc: 'List all of clusters',
  options: [opt('m', 'moreStats', false, 'Print more stats'), opt('i', 'interval', true, 'specify intervals numbers, it is in seconds')],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const interval = int(ctx.opts, 'i');
      // Java's tool spins without pause on -i 0 and dies on a negative one; neither is useful
      // against live NameServers and brokers.
      if (interval !== undefined && interval < 1) throw new UsageError(`option -i: the interval is in seconds and must be at least 1, not ${interval}`);
      // With -i it prints again every interval until interrupted, as Java's tool does.
      for (let round = 0; ; round++) {
        if (round > 0) await new Promise((r) => setTimeout(r, interval! * 1000));
        await printClusterList(ctx, admin, ctx.opts.has('m'));
        if (interval === undefined) return;
      }
    }),
};

export const topicList: SubCommand = {
  name: 'topicList',
  desc: 'Fetch all topic list from name server',
  options: [opt('c', 'clusterModel', false, 'clusterModel')],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const topics = await admin.fetchAllTopicList();
      if (!ctx.opts.has('c')) {
        for (const t of topics) ctx.out(`${t}\n`);
        return;
      }
      const info = await admin.examineBrokerClusterInfo();
      ctx.out(`${left('#Cluster Name', 20)}  ${left('#Topic', 48)}  ${left('#Consumer Group', 48)}\n`);
      for (const topic of topics) {
        if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || topic.startsWith(DLQ_GROUP_TOPIC_PREFIX)) continue;
        let cluster = '';
        try {
          const brokerName = (await admin.examineTopicRouteInfo(topic)).brokerDatas[0]?.brokerName;
          cluster = [...info.clusterAddrTable].find(([, names]) => brokerName !== undefined && names.includes(brokerName))?.[0] ?? '';
        } catch {
          // A topic without a route still gets its line, with an empty cluster (as Java).
        }
        ctx.out(`${left(front(cluster, 20), 20)}  ${left(front(topic, 48), 48)}  ${left('', 48)}\n`);
      }
    }),
};

function topicConfigString(t: { topicName: string; readQueueNums: number; writeQueueNums: number; perm: number; order: boolean; topicSysFlag: number }): string {
  return `TopicConfig [topicName=${t.topicName}, readQueueNums=${t.readQueueNums}, writeQueueNums=${t.writeQueueNums}, perm=${permToString(t.perm)}, topicFilterType=SINGLE_TAG, topicSysFlag=${t.topicSysFlag}, order=${t.order}]`;
}

export const topicClusterList: SubCommand = {
  name: 'topicClusterList',
  desc: 'get cluster info for topic',
  options: [opt('t', 'topic', true, 'topic name', true)],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      for (const cluster of await admin.topicClusterList(str(ctx.opts, 't')!)) ctx.out(`${cluster}\n`);
    }),
};

export const updateTopic: SubCommand = {
  name: 'updateTopic',
  desc: 'Update or create topic',
  options: [
    opt('b', 'brokerAddr', true, 'create topic to which broker'),
    opt('c', 'clusterName', true, 'create topic to which cluster'),
    opt('t', 'topic', true, 'topic name', true),
    opt('r', 'readQueueNums', true, 'set read queue nums'),
    opt('w', 'writeQueueNums', true, 'set write queue nums'),
    opt('p', 'perm', true, "set topic's permission(2|4|6), intro[2:W 4:R; 6:RW]"),
    opt('o', 'order', true, "set topic's order(true|false)"),
    opt('u', 'unit', true, 'is unit topic (true|false)'),
    opt('s', 'hasUnitSub', true, 'has unit sub (true|false)'),
  ],
  async run(ctx: CommandContext) {
    const brokerAddr = str(ctx.opts, 'b');
    const clusterName = str(ctx.opts, 'c');
    if (!brokerAddr && !clusterName) throw new UsageError('one of -b <brokerAddr> or -c <clusterName> is required');
    const unit = str(ctx.opts, 'u') === 'true';
    const unitSub = str(ctx.opts, 's') === 'true';
    const cfg = {
      topicName: str(ctx.opts, 't')!,
      readQueueNums: int(ctx.opts, 'r') ?? 8,
      writeQueueNums: int(ctx.opts, 'w') ?? 8,
      perm: int(ctx.opts, 'p') ?? 6,
      order: str(ctx.opts, 'o') === 'true',
      // TopicSysFlag.buildSysFlag(unit, hasUnitSub)
      topicSysFlag: (unit ? 1 : 0) | (unitSub ? 2 : 0),
    };
    await withAdmin(ctx, async (admin) => {
      const addrs = await admin.createTopic(brokerAddr ? { brokerAddr } : { clusterName: clusterName! }, cfg);
      for (const addr of addrs) ctx.out(`create topic to ${addr} success.\n`);
      ctx.out(`${topicConfigString(cfg)}\n`);
    });
  },
};

export const updateTopicPerm: SubCommand = {
  name: 'updateTopicPerm',
  desc: 'Update topic perm',
  options: [
    opt('b', 'brokerAddr', true, 'create topic to which broker'),
    opt('c', 'clusterName', true, 'create topic to which cluster'),
    opt('t', 'topic', true, 'topic name', true),
    opt('p', 'perm', true, "set topic's permission(2|4|6), intro[2:W; 4:R; 6:RW]", true),
  ],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const topic = str(ctx.opts, 't')!;
      const perm = int(ctx.opts, 'p')!;
      if (![2, 4, 6].includes(perm)) throw new UsageError(`-p ${perm}: a topic's permission is 2 (W), 4 (R) or 6 (RW)`);
      const brokerAddr = str(ctx.opts, 'b');
      const clusterName = str(ctx.opts, 'c');
      if (!brokerAddr && !clusterName) throw new UsageError('one of -b <brokerAddr> or -c <clusterName> is required');
      // As UpdateTopicPermSubCommand: queue counts and flags from the route, only the perm changes.
      const route = await admin.examineTopicRouteInfo(topic);
      const first = route.queueDatas[0];
      if (!first) throw new Error(`topic ${topic} has no queue data in its route`);
      const cfg = { topicName: topic, readQueueNums: first.readQueueNums, writeQueueNums: first.writeQueueNums, perm, order: false, topicSysFlag: first.topicSysFlag };
      if (brokerAddr) {
        const bd = route.brokerDatas.find((b) => b.brokerAddrs.get(MASTER_ID) === brokerAddr);
        if (!bd) {
          ctx.out('updateTopicPerm error broker not exit or broker is not master!.\n');
          return;
        }
        const oldPerm = route.queueDatas.find((q) => q.brokerName === bd.brokerName)?.perm ?? 6;
        if (oldPerm === perm) {
          ctx.out('new perm equals to the old one!\n');
          return;
        }
        await admin.createTopic({ brokerAddr }, cfg);
        ctx.out(`update topic perm from ${oldPerm} to ${perm} in ${brokerAddr} success.\n${topicConfigString(cfg)}.\n`);
        return;
      }
      // Java compares every broker with a fresh TopicConfig's perm (6), so it can never set 6 again;
      // here each master is compared with the perm its own queues have.
      for (const addr of await admin.createTopic({ clusterName: clusterName! }, cfg)) {
        const name = route.brokerDatas.find((b) => b.brokerAddrs.get(MASTER_ID) === addr)?.brokerName;
        const oldPerm = route.queueDatas.find((q) => q.brokerName === name)?.perm ?? 6;
        ctx.out(`update topic perm from ${oldPerm} to ${perm} in ${addr} success.\n`);
      }
    }),
};

export const deleteTopic: SubCommand = {
  name: 'deleteTopic',
  desc: 'Delete topic from broker and NameServer.',
  options: [opt('t', 'topic', true, 'topic name', true), opt('c', 'clusterName', true, 'delete topic from which cluster', true)],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const topic = str(ctx.opts, 't')!;
      const cluster = str(ctx.opts, 'c')!;
      await admin.deleteTopic(topic, cluster);
      ctx.out(`delete topic [${topic}] from cluster [${cluster}] success.\n`);
      ctx.out(`delete topic [${topic}] from NameServer success.\n`);
    }),
};

export const deleteExpiredCommitLog: SubCommand = {
  name: 'deleteExpiredCommitLog',
  desc: 'Delete expired CommitLog files',
  options: [opt('b', 'brokerAddr', true, 'Broker address'), opt('c', 'cluster', true, 'clustername')],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const brokerAddr = str(ctx.opts, 'b');
      const clusterName = str(ctx.opts, 'c');
      const addrs = await admin.deleteExpiredCommitLog(brokerAddr ? { brokerAddr } : clusterName ? { clusterName } : {});
      for (const addr of addrs) ctx.out(`${addr}: delete expired commit log files triggered\n`);
      ctx.out('success\n');
    }),
};

/** TopicRouteData.toJson(true): fastjson pretty format, broker ids as bare integer keys. */
export function routeJson(route: TopicRouteData): string {
  return stringifyFastjson(
    {
      brokerDatas: route.brokerDatas.map((bd) => ({ brokerAddrs: bd.brokerAddrs, brokerName: bd.brokerName, cluster: bd.cluster })),
      filterServerTable: {},
      orderTopicConf: route.orderTopicConf,
      queueDatas: route.queueDatas.map((q) => ({ brokerName: q.brokerName, perm: q.perm, readQueueNums: q.readQueueNums, topicSysFlag: q.topicSysFlag, writeQueueNums: q.writeQueueNums })),
    },
    { pretty: true },
  );
}

export const topicRoute: SubCommand = {
  name: 'topicRoute',
  desc: 'Examine topic route info',
  options: [opt('t', 'topic', true, 'topic name', true)],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      ctx.out(`${routeJson(await admin.examineTopicRouteInfo(str(ctx.opts, 't')!))}\n`);
    }),
};

export const topicStatus: SubCommand = {
  name: 'topicStatus',
  desc: 'Examine topic Status info',
  options: [opt('t', 'topic', true, 'topic name', true)],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const stats = await admin.examineTopicStats(str(ctx.opts, 't')!);
      ctx.out(`${left('#Broker Name', 32)}  ${left('#QID', 4)}  ${left('#Min Offset', 20)}  ${left('#Max Offset', 20)}    #Last Updated\n`);
      for (const s of stats) {
        const last = s.lastUpdateTimestamp > 0 ? humanTime(s.lastUpdateTimestamp) : '';
        ctx.out(`${left(front(s.mq.brokerName, 32), 32)}  ${left(s.mq.queueId, 4)}  ${left(s.minOffset, 20)}  ${left(s.maxOffset, 20)}    ${last}\n`);
      }
    }),
};

export const consumerProgress: SubCommand = {
  name: 'consumerProgress',
  desc: "Query consumers's progress, speed",
  options: [opt('g', 'groupName', true, 'consumer group name')],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const group = str(ctx.opts, 'g');
      if (group) {
        const stats = await admin.examineConsumeStats(group);
        ctx.out(`${left('#Topic', 32)}  ${left('#Broker Name', 32)}  ${left('#QID', 4)}  ${left('#Broker Offset', 20)}  ${left('#Consumer Offset', 20)}  ${left('#Client IP', 20)} ${left('#Diff', 20)}  #LastTime\n`);
        let diffTotal = 0;
        for (const o of stats.offsets) {
          const diff = o.brokerOffset - o.consumerOffset;
          diffTotal += diff;
          ctx.out(`${left(front(o.mq.topic, 32), 32)}  ${left(front(o.mq.brokerName, 32), 32)}  ${left(o.mq.queueId, 4)}  ${left(o.brokerOffset, 20)}  ${left(o.consumerOffset, 20)}  ${left('NA', 20)} ${left(diff, 20)}  ${formatDateTime(o.lastTimestamp)}\n`);
        }
        ctx.out(`\nConsume TPS: ${fixed(stats.consumeTps, 1)}\nDiff Total: ${diffTotal}\n`);
        return;
      }
      ctx.out(`${left('#Group', 32)}  ${left('#Count', 6)}  ${left('#Version', 24)} ${left('#Type', 5)}  ${left('#Model', 14)}  ${left('#TPS', 7)}  #Diff Total\n`);
      for (const topic of await admin.fetchAllTopicList()) {
        if (!topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) continue;
        const g = topic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
        const stats = await admin.examineConsumeStats(g).catch(() => null);
        const conn = await admin.examineConsumerConnectionInfo(g).catch(() => null);
        const count = conn?.connectionSet.length ?? 0;
        const diff = stats?.offsets.reduce((s, o) => s + o.brokerOffset - o.consumerOffset, 0) ?? 0;
        const version = count > 0 ? versionDesc(Math.min(...conn!.connectionSet.map((c) => c.version))) : 'OFFLINE';
        const type = count > 0 ? (conn!.consumeType === 'CONSUME_ACTIVELY' ? 'PULL' : 'PUSH') : '';
        const model = count > 0 && conn!.consumeType === 'CONSUME_PASSIVELY' ? (conn!.messageModel ?? '') : '';
        ctx.out(`${left(front(g, 32), 32)}  ${left(count, 6)}  ${left(version, 24)} ${left(type, 5)}  ${left(model, 14)}  ${left(Math.trunc(stats?.consumeTps ?? 0), 7)}  ${diff}\n`);
      }
    }),
};
