import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { javaHashMapOrder } from '../store/index.js';
import { DLQ_GROUP_TOPIC_PREFIX, MASTER_ID, RETRY_GROUP_TOPIC_PREFIX, type MQAdmin } from '../net/client/index.js';
import { MQVersion } from '../net/codes.js';
import { stringifyFastjson } from '../net/fastjson.js';
import { UsageError, opt, str } from './cli-args.js';
import { versionDesc } from './format.js';
import { NO_MASTER, clusterBrokers } from './broker-commands.js';
import { type CommandContext, type SubCommand, withAdmin } from './sub-command.js';
import { makeDirs } from '../store/make-dirs.js';

/**
 * mqadmin's metadata dumps (RocketMQ 4.9.2+): getConsumerConfig prints a group's config on every
 * broker; exportMetadata, exportConfigs and exportMetrics write JSON files for migrating or
 * evaluating a cluster, in the shapes and (fastjson pretty) format the Java tool writes.
 */

const DEFAULT_EXPORT_PATH = '/tmp/rocketmq/export';
const pathOption = (what: string) => opt('f', 'filePath', true, `export ${what}.json path | default ${DEFAULT_EXPORT_PATH}`);

/** MixAll's system groups: never part of an export. */
const SYSTEM_GROUPS: ReadonlySet<string> = new Set([
  'DEFAULT_CONSUMER', 'DEFAULT_PRODUCER', 'TOOLS_CONSUMER', 'FILTERSRV_CONSUMER', '__MONITOR_CONSUMER', 'CLIENT_INNER_PRODUCER',
  'SELF_TEST_P_GROUP', 'SELF_TEST_C_GROUP', 'CID_ONS-HTTP-PROXY', 'CID_ONSAPI_PERMISSION', 'CID_ONSAPI_OWNER', 'CID_ONSAPI_PULL', 'CID_RMQ_SYS_TRANS',
]);

/** SubscriptionGroupConfig's fields in declaration order (what getConsumerConfig prints by reflection). */
const GROUP_FIELDS = ['groupName', 'consumeEnable', 'consumeFromMinEnable', 'consumeBroadcastEnable', 'retryQueueNums', 'retryMaxTimes', 'brokerId', 'whichBrokerWhenConsumeSlowly', 'notifyConsumerIdsChangedEnable'] as const;

/** A bean's properties as fastjson writes them: sorted by name, absent ones left out. */
function bean(raw: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of [...fields].sort()) if (raw[f] !== undefined && raw[f] !== null) out[f] = raw[f];
  return out;
}
const TOPIC_FIELDS = ['order', 'perm', 'readQueueNums', 'topicFilterType', 'topicName', 'topicSysFlag', 'writeQueueNums'];

/** A Java HashMap of names: its iteration order, which fastjson writes. */
function hashMap<V>(entries: Map<string, V>): Map<string, V> {
  return new Map(javaHashMapOrder(entries.keys()).map((k) => [k, entries.get(k)!]));
}

/** getUserTopicConfig: a broker's topics without the system ones (nor retry and DLQ topics unless `special`). */
async function userTopics(admin: MQAdmin, addr: string, special: boolean) {
  const [{ table, dataVersion }, system] = await Promise.all([admin.maintenance.allTopicConfig(addr), admin.maintenance.systemTopicsOfBroker(addr)]);
  const sys = new Set(system);
  for (const t of [...table.keys()]) {
    if (sys.has(t) || (!special && (t.startsWith(RETRY_GROUP_TOPIC_PREFIX) || t.startsWith(DLQ_GROUP_TOPIC_PREFIX)))) table.delete(t);
  }
  return { table, dataVersion };
}

/** getUserSubscriptionGroup: a broker's groups without the system ones. */
async function userGroups(admin: MQAdmin, addr: string) {
  const { table, dataVersion } = await admin.maintenance.allSubscriptionGroup(addr);
  for (const g of [...table.keys()]) if (g.startsWith('CID_RMQ_SYS_') || SYSTEM_GROUPS.has(g)) table.delete(g);
  return { table, dataVersion };
}

/** MixAll.string2FileNotSafe: parent directories made, the file overwritten. */
function writeExport(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  makeDirs(dir);
  writeFileSync(path, stringifyFastjson(value, { pretty: true }));
  return path;
}

export const getConsumerConfig: SubCommand = {
  name: 'getConsumerConfig',
  desc: 'Get consumer config by subscription group name!',
  options: [opt('g', 'groupName', true, 'subscription group name', true)],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const group = str(ctx.opts, 'g')!.trim();
      const info = await admin.examineBrokerClusterInfo();
      const found: string[] = [];
      for (const brokerName of javaHashMapOrder(info.brokerAddrTable.keys())) {
        const bd = info.brokerAddrTable.get(brokerName)!;
        const cluster = [...info.clusterAddrTable].find(([, names]) => names.includes(brokerName))?.[0] ?? null;
        const addr = bd.brokerAddrs.get(MASTER_ID) ?? [...bd.brokerAddrs.values()][0];
        const config = addr === undefined ? undefined : (await admin.maintenance.allSubscriptionGroup(addr)).table.get(group);
        if (!config) continue;
        let text = `=============================${cluster}:${brokerName}=============================\n`;
        for (const f of GROUP_FIELDS) text += `${f.padEnd(40)}=  ${String(config[f] ?? '')}\n`;
        found.push(text);
      }
      for (const text of found) ctx.out(text);
    }),
};

export const exportMetadata: SubCommand = {
  name: 'exportMetadata',
  desc: 'export metadata',
  options: [
    opt('c', 'clusterName', true, 'choose a cluster to export'),
    opt('b', 'brokerAddr', true, 'choose a broker to export'),
    pathOption('metadata'),
    opt('t', 'topic', false, 'only export topic metadata'),
    opt('g', 'subscriptionGroup', false, 'only export subscriptionGroup metadata'),
    opt('s', 'specialTopic', false, 'need retryTopic and dlqTopic'),
  ],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const dir = str(ctx.opts, 'f')?.trim() || DEFAULT_EXPORT_PATH;
      const [topics, groups, special] = [ctx.opts.has('t'), ctx.opts.has('g'), ctx.opts.has('s')];
      const brokerAddr = str(ctx.opts, 'b')?.trim();
      const cluster = str(ctx.opts, 'c')?.trim();
      if (brokerAddr) {
        // One broker: its wrapper as it is, data version included.
        let path: string | undefined;
        if (topics) {
          const { table, dataVersion } = await userTopics(admin, brokerAddr, special);
          path = writeExport(dir, 'topic.json', { dataVersion, topicConfigTable: mapValues(table, (t) => bean(t, TOPIC_FIELDS)) });
        } else if (groups) {
          const { table, dataVersion } = await userGroups(admin, brokerAddr);
          path = writeExport(dir, 'subscriptionGroup.json', { dataVersion, subscriptionGroupTable: mapValues(table, (g) => bean(g, GROUP_FIELDS)) });
        }
        if (path) ctx.out(`export ${path} success`);
        return;
      }
      if (!cluster) throw new UsageError('exportMetadata needs -b brokerAddr or -c clusterName');
      // A cluster: every master's, queue counts summed where a topic (retry queues where a group) is on several.
      const topicTable = new Map<string, Record<string, unknown>>();
      const groupTable = new Map<string, Record<string, unknown>>();
      for (const { master } of await clusterBrokers(admin, cluster)) {
        if (master === NO_MASTER) continue;
        const [ts, gs] = await Promise.all([userTopics(admin, master, special), userGroups(admin, master)]);
        for (const [name, t] of ts.table) {
          const seen = topicTable.get(name);
          topicTable.set(name, seen ? { ...t, readQueueNums: Number(t.readQueueNums) + Number(seen.readQueueNums), writeQueueNums: Number(t.writeQueueNums) + Number(seen.writeQueueNums) } : t);
        }
        for (const [name, g] of gs.table) {
          const seen = groupTable.get(name);
          groupTable.set(name, seen ? { ...g, retryQueueNums: Number(g.retryQueueNums) + Number(seen.retryQueueNums) } : g);
        }
      }
      const exportTime = Date.now();
      const topicConfigTable = hashMap(mapValues(topicTable, (t) => bean(t, TOPIC_FIELDS)));
      const subscriptionGroupTable = hashMap(mapValues(groupTable, (g) => bean(g, GROUP_FIELDS)));
      const path = topics
        ? writeExport(dir, 'topic.json', { exportTime, topicConfigTable })
        : groups
          ? writeExport(dir, 'subscriptionGroup.json', { exportTime, subscriptionGroupTable })
          : writeExport(dir, 'metadata.json', { exportTime, topicConfigTable, subscriptionGroupTable });
      ctx.out(`export ${path} success\n`);
    }),
};

/** The broker settings exportConfigs keeps (needBrokerProprties), in its order. */
const EXPORTED_BROKER_KEYS = [
  'brokerClusterName', 'brokerId', 'brokerName', 'brokerRole', 'fileReservedTime', 'filterServerNums', 'flushDiskType', 'maxMessageSize',
  'messageDelayLevel', 'msgTraceTopicName', 'slaveReadEnable', 'traceOn', 'traceTopicEnable', 'useTLS', 'autoCreateTopicEnable', 'autoCreateSubscriptionGroup',
];

export const exportConfigs: SubCommand = {
  name: 'exportConfigs',
  desc: 'export configs',
  options: [opt('c', 'clusterName', true, 'choose a cluster to export', true), pathOption('configs')],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const dir = str(ctx.opts, 'f')?.trim() || DEFAULT_EXPORT_PATH;
      const brokerConfigs = new Map<string, Record<string, string>>();
      let [masterBrokerSize, slaveBrokerSize] = [0, 0];
      for (const { master, slaves } of await clusterBrokers(admin, str(ctx.opts, 'c')!.trim())) {
        if (master === NO_MASTER) continue;
        const props = await admin.brokerConfig(master);
        // A key the broker does not report is left out (Java's tool fails on it: Properties refuses null).
        const kept: Record<string, string> = {};
        for (const k of EXPORTED_BROKER_KEYS) if (props.has(k)) kept[k] = props.get(k)!;
        brokerConfigs.set(props.get('brokerName') ?? master, kept);
        masterBrokerSize++;
        slaveBrokerSize += slaves.length;
      }
      const clusterScale = { namesrvSize: ctx.namesrvAddr.split(';').filter((a) => a.trim()).length, slaveBrokerSize, masterBrokerSize };
      ctx.out(`export ${writeExport(dir, 'configs.json', { clusterScale, brokerConfigs: hashMap(brokerConfigs) })} success`);
    }),
};

export const exportMetrics: SubCommand = {
  name: 'exportMetrics',
  desc: 'export metrics',
  options: [opt('c', 'clusterName', true, 'choose a cluster to export', true), pathOption('metrics')],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const dir = str(ctx.opts, 'f')?.trim() || DEFAULT_EXPORT_PATH;
      const totalTps = { totalScheduleInTps: 0, totalNormalInTps: 0, totalTransInTps: 0, totalNormalOutTps: 0 };
      const totalOneDayNum = { transOneDayInNum: 0, scheduleOneDayInNum: 0, normalOneDayOutNum: 0, normalOneDayInNum: 0 };
      const evaluateReport = new Map<string, unknown>();
      const info = await admin.examineBrokerClusterInfo();
      const names = info.clusterAddrTable.get(str(ctx.opts, 'c')!.trim());
      if (!names) throw new Error(`cluster ${str(ctx.opts, 'c')} not found: make sure the specified clusterName exists or the name server connected to is correct`);
      for (const brokerName of names) {
        const addr = info.brokerAddrTable.get(brokerName)?.brokerAddrs.get(MASTER_ID);
        if (!addr) continue;
        const report = await brokerMetrics(ctx, admin, addr);
        evaluateReport.set(brokerName, report.brokerInfo);
        for (const k of Object.keys(totalTps) as (keyof typeof totalTps)[]) totalTps[k] += report.tps[k];
        for (const k of Object.keys(totalOneDayNum) as (keyof typeof totalOneDayNum)[]) totalOneDayNum[k] += report.oneDay[k];
      }
      const path = writeExport(dir, 'metrics.json', { totalData: { totalOneDayNum, totalTps }, evaluateReport: hashMap(evaluateReport) });
      ctx.out(`export ${path} success`);
    }),
};

/** One master's part of exportMetrics: environment, load, a day's counts, and its clients' versions. */
async function brokerMetrics(ctx: CommandContext, admin: MQAdmin, addr: string) {
  const [kv, props, groups, topics] = await Promise.all([admin.brokerRuntimeInfo(addr), admin.brokerConfig(addr), userGroups(admin, addr), userTopics(admin, addr, false)]);
  // Half and delayed messages put today (TOPIC_PUT_NUMS of the two system topics), 0 when never counted.
  const stats = async (topic: string) => admin.viewBrokerStatsData(addr, 'TOPIC_PUT_NUMS', topic).catch(() => null);
  const [trans, schedule] = await Promise.all([stats('RMQ_SYS_TRANS_HALF_TOPIC'), stats('SCHEDULE_TOPIC_XXXX')]);
  const daySum = (s: typeof trans) => (!s ? 0 : s.statsDay.sum || s.statsHour.sum || s.statsMinute.sum);
  const firstTps = (v: string | undefined) => Number((v ?? '').split(' ')[0]) || 0;
  const n = (k: string) => Number(kv[k] ?? 0) || 0;
  const tps = { totalScheduleInTps: schedule?.statsMinute.tps ?? 0, totalNormalInTps: firstTps(kv.putTps), totalTransInTps: trans?.statsMinute.tps ?? 0, totalNormalOutTps: firstTps(kv.getTransferedTps) };
  const oneDay = {
    transOneDayInNum: daySum(trans),
    scheduleOneDayInNum: daySum(schedule),
    normalOneDayOutNum: n('msgGetTotalTodayMorning') - n('msgGetTotalYesterdayMorning'),
    normalOneDayInNum: n('msgPutTotalTodayMorning') - n('msgPutTotalYesterdayMorning'),
  };
  const clientInfo = new Set<string>();
  for (const group of groups.table.keys()) {
    try {
      for (const c of (await admin.examineConsumerConnectionInfo(group)).connectionSet) clientInfo.add(`${c.language}%${versionDesc(c.version)}`);
    } catch (err) {
      ctx.logger.info('connections of %s: %s', group, (err as Error).message);
    }
  }
  const brokerInfo = {
    runtimeVersion: { rocketmqVersion: versionDesc(MQVersion.CURRENT), clientInfo },
    runtimeQuota: {
      diskRatio: { commitLogDiskRatio: kv.commitLogDiskRatio, consumeQueueDiskRatio: kv.consumeQueueDiskRatio },
      topicSize: topics.table.size,
      tps: { scheduleInTps: tps.totalScheduleInTps, normalInTps: tps.totalNormalInTps, normalOutTps: tps.totalNormalOutTps, transInTps: tps.totalTransInTps },
      groupSize: groups.table.size,
      oneDayNum: oneDay,
      messageAverageSize: kv.putMessageAverageSize,
    },
    runtimeEnv: { cpuNum: props.get('clientCallbackExecutorThreads') },
  };
  return { brokerInfo, tps, oneDay };
}

function mapValues<V, W>(m: Map<string, V>, f: (v: V) => W): Map<string, W> {
  return new Map([...m].map(([k, v]) => [k, f(v)]));
}
