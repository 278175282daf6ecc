import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MQAdmin, Message, Producer, PullConsumer, PushConsumer, messageQueue } from '../../src/net/client/index.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';
import { runMqadmin, type MqadminRun } from '../helpers/mqadmin-run.js';

/**
 * mqadmin's maintenance commands against a real NameServer and broker: write permission given
 * back, consume queues inspected and cleaned, offsets cloned, skipped and read from consumers,
 * one queue's messages counted by tag; output in RocketMQ's formats.
 */
let cluster: LocalCluster;
let producer: Producer;
let adminClient: MQAdmin;
const admin = (...args: string[]): Promise<MqadminRun> => runMqadmin(cluster.namesrvAddr, args);
const topic = 'MaintCmdTopic';
const row = (line: string | undefined): string[] => (line ?? '').trimEnd().split(/\s+/);

beforeAll(async () => {
  cluster = await startTestCluster();
  await createTopic(cluster, topic, 2);
  producer = new Producer({ producerGroup: 'MaintProducer', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await producer.start();
  // Queue 0: tags A, B, A, A; queue 1: one untagged message.
  for (const tags of ['A', 'B', 'A', 'A']) await producer.send(new Message(topic, Buffer.from(`q0-${tags}`), { tags }), { queue: messageQueue(topic, cluster.brokerName, 0) });
  await producer.send(new Message(topic, Buffer.from('q1')), { queue: messageQueue(topic, cluster.brokerName, 1) });
  adminClient = new MQAdmin({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await adminClient.start();
});

afterAll(async () => {
  await adminClient?.shutdown();
  await producer?.shutdown();
  await cluster?.stop();
});

describe('mqadmin maintenance', () => {
  it('addWritePerm gives back what wipeWritePerm took, in every NameServer', async () => {
    const perm = async () => (await adminClient.examineTopicRouteInfo(topic)).queueDatas[0]!.perm;
    const wiped = await admin('wipeWritePerm', '-b', cluster.brokerName);
    expect(wiped.out).toMatch(new RegExp(`^wipe write perm of broker\\[${cluster.brokerName}\\] in name server\\[${cluster.namesrvAddr}\\] OK, \\d+\\n$`));
    expect(await perm()).toBe(4);
    const added = await admin('addWritePerm', '-b', cluster.brokerName);
    expect(added.code).toBe(0);
    expect(added.out).toMatch(new RegExp(`^add write perm of broker\\[${cluster.brokerName}\\] in name server\\[${cluster.namesrvAddr}\\] OK, \\d+\\n$`));
    expect(await perm()).toBe(6);
  });

  it('queryCq prints a queue’s units and bounds as RocketMQ’s tool does', async () => {
    const r = await admin('queryCq', '-t', topic, '-q', '0', '-i', '1', '-c', '2');
    expect(r.code).toBe(0);
    const sep = '======================================';
    const lines = r.out.split('\n');
    expect(lines.slice(0, 3)).toEqual(['Queue data: ', 'max: 4, min: 0', sep]);
    expect(lines[3]).toBe('idx: 1');
    expect(lines[4]).toMatch(/^ConsumeQueueData\{physicOffset=\d+, physicSize=\d+, tagsCode=66, extendDataJson=null, bitMap=null, eval=false, msg=null\}$/);
    expect(lines.slice(5, 7)).toEqual([sep, 'idx: 2']);
    expect(lines.filter((l) => l.startsWith('ConsumeQueueData'))).toHaveLength(2);
  });

  it('printMsgByQueue counts one queue’s messages by tag, most frequent first', async () => {
    const r = await admin('printMsgByQueue', '-t', topic, '-a', cluster.brokerName, '-i', '0', '-f', 'true');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`Tag: ${'A'.padEnd(30)} Count: 3\nTag: ${'B'.padEnd(30)} Count: 1\n`);
    const printed = await admin('printMsgByQueue', '-t', topic, '-a', cluster.brokerName, '-i', '1', '-p', 'true', '-d', 'true');
    expect(printed.out).toMatch(/^MSGID: [0-9A-F]{32} MessageExt \[brokerName=.*BODY: q1\n$/);
  });

  it('getConsumerStatus shows the offsets each member holds, and cloneGroupOffset copies a group’s offsets', async () => {
    const seen: string[] = [];
    const c = new PushConsumer({ consumerGroup: 'HeldGroup', namesrvAddr: cluster.namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', logger: silentLogger, persistConsumerOffsetInterval: 100 });
    c.subscribe(topic).registerMessageListener((msgs) => void seen.push(...msgs.map((m) => m.body.toString())));
    await c.start();
    try {
      await pollUntil(() => seen.length === 5, 10_000, 'the messages consumed');
      let r: MqadminRun = { code: 1, out: '', err: '' };
      await pollUntil(async () => (r = await admin('getConsumerStatus', '-g', 'HeldGroup', '-t', topic)).out.includes(`${cluster.brokerName}`), 10_000, 'the member’s offsets');
      const lines = r.out.split('\n');
      expect(lines[0]).toBe(`get consumer status from client. group=HeldGroup, topic=${topic}, originClientId=`);
      expect(row(lines[1])).toEqual(['#clientId', '#brokerName', '#queueId', '#offset']);
      const rows = lines.slice(2).filter((l) => l !== '').map(row).sort((a, b) => a[2]!.localeCompare(b[2]!));
      expect(rows).toEqual([[c.clientId!, cluster.brokerName, '0', '4'], [c.clientId!, cluster.brokerName, '1', '1']]);
      // One member named: its rows only; an unknown one: none.
      expect((await admin('getConsumerStatus', '-g', 'HeldGroup', '-t', topic, '-i', 'nobody@1')).out.split('\n').filter((l) => l.includes(cluster.brokerName))).toEqual([]);

      await pollUntil(async () => (await adminClient.examineConsumeStats('HeldGroup', topic)).offsets.every((o) => o.consumerOffset === o.brokerOffset), 10_000, 'the offsets committed');
      const cloned = await admin('cloneGroupOffset', '-s', 'HeldGroup', '-d', 'HeldCopy', '-t', topic);
      expect(cloned.out).toBe(`clone group offset success. srcGroup[HeldGroup], destGroup=[HeldCopy], topic[${topic}]`);
      const copy = (await adminClient.examineConsumeStats('HeldCopy', topic)).offsets.map((o) => [o.mq.queueId, o.consumerOffset]).sort();
      expect(copy).toEqual([[0, 4], [1, 1]]);
    } finally {
      await c.shutdown();
    }
  });

  it('skipAccumulatedMessage moves an offline group to the end of every queue', async () => {
    await adminClient.maintenance.updateConsumeOffset(cluster.brokerAddr, 'SkipGroup', messageQueue(topic, cluster.brokerName, 0), 1);
    await adminClient.maintenance.updateConsumeOffset(cluster.brokerAddr, 'SkipGroup', messageQueue(topic, cluster.brokerName, 1), 0);
    const r = await admin('skipAccumulatedMessage', '-g', 'SkipGroup', '-t', topic);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(row(lines[0])).toEqual(['#brokerName', '#queueId', '#brokerOffset', '#consumerOffset', '#timestampOffset', '#rollbackOffset']);
    expect(lines.slice(1, 3).map(row).sort((a, b) => a[1]!.localeCompare(b[1]!))).toEqual([[cluster.brokerName, '0', '4', '1', '4', '4'], [cluster.brokerName, '1', '1', '0', '1', '1']]);
    const after = (await adminClient.examineConsumeStats('SkipGroup', topic)).offsets.map((o) => o.brokerOffset - o.consumerOffset);
    expect(after).toEqual([0, 0]);
  });

  it('cleanExpiredCQ and cleanUnusedTopic answer for a broker or a whole cluster, and the queues in use stay', async () => {
    for (const args of [['cleanExpiredCQ', '-b', cluster.brokerAddr], ['cleanExpiredCQ', '-c', cluster.clusterName], ['cleanUnusedTopic', '-c', cluster.clusterName], ['cleanUnusedTopic']]) {
      const r = await admin(...args);
      expect([args.join(' '), r.code, r.out]).toEqual([args.join(' '), 0, 'success']);
    }
    expect((await adminClient.examineTopicStats(topic)).map((o) => o.maxOffset).sort()).toEqual([1, 4]);
    expect((await admin('cleanUnusedTopic', '-c', 'NoSuchCluster')).code).toBe(1);
  });

  it('system topics come from the NameServer and the broker it names', async () => {
    const topics = await adminClient.maintenance.systemTopicList();
    expect(topics).toEqual(expect.arrayContaining([cluster.clusterName, cluster.brokerName, 'SCHEDULE_TOPIC_XXXX', 'RMQ_SYS_TRANS_HALF_TOPIC', `${cluster.clusterName}_REPLY_TOPIC`]));
    expect(topics).not.toContain(topic);
    expect(await adminClient.maintenance.unitTopicList('unit')).toEqual([]);
  });
});

describe('mqadmin metadata dumps (RocketMQ 4.9.2+)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mqadmin-export-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('getConsumerConfig prints a group’s config on each broker that has it, field by field', async () => {
    expect((await admin('updateSubGroup', '-c', cluster.clusterName, '-g', 'ExportGroup', '-q', '2')).code).toBe(0);
    const r = await admin('getConsumerConfig', '-g', 'ExportGroup');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(`=============================${cluster.clusterName}:${cluster.brokerName}=============================`);
    expect(lines.slice(1, 10).map((l) => l.split('=  ')[0]!.trimEnd())).toEqual(['groupName', 'consumeEnable', 'consumeFromMinEnable', 'consumeBroadcastEnable', 'retryQueueNums', 'retryMaxTimes', 'brokerId', 'whichBrokerWhenConsumeSlowly', 'notifyConsumerIdsChangedEnable']);
    expect(lines[1]).toBe(`${'groupName'.padEnd(40)}=  ExportGroup`);
    expect(lines[5]).toBe(`${'retryQueueNums'.padEnd(40)}=  2`);
    expect((await admin('getConsumerConfig', '-g', 'NoSuchGroup')).out).toBe('');
  });

  it('exportMetadata writes the user topics and groups of a cluster, or of one broker with its data version', async () => {
    const r = await admin('exportMetadata', '-c', cluster.clusterName, '-f', dir);
    expect(r.out).toBe(`export ${join(dir, 'metadata.json')} success\n`);
    const text = readFileSync(join(dir, 'metadata.json'), 'utf8');
    expect(text).toMatch(/^\{\n\t"exportTime":\d+,\n\t"topicConfigTable":\{/);
    const meta = JSON.parse(text) as { topicConfigTable: Record<string, Record<string, unknown>>; subscriptionGroupTable: Record<string, Record<string, unknown>> };
    expect(meta.topicConfigTable[topic]).toEqual({ order: false, perm: 6, readQueueNums: 2, topicFilterType: 'SINGLE_TAG', topicName: topic, topicSysFlag: 0, writeQueueNums: 2 });
    for (const name of Object.keys(meta.topicConfigTable)) expect(name).not.toMatch(/^(%RETRY%|%DLQ%|SCHEDULE_TOPIC_XXXX$|TBW102$|RMQ_SYS_)/);
    expect(Object.keys(meta.topicConfigTable)).not.toContain(cluster.brokerName);
    expect(meta.subscriptionGroupTable.ExportGroup!.retryQueueNums).toBe(2);
    expect(Object.keys(meta.subscriptionGroupTable)).not.toContain('TOOLS_CONSUMER');

    const one = await admin('exportMetadata', '-b', cluster.brokerAddr, '-t', '-s', '-f', dir);
    expect(one.out).toBe(`export ${join(dir, 'topic.json')} success`);
    const topics = JSON.parse(readFileSync(join(dir, 'topic.json'), 'utf8')) as { dataVersion: { counter: number }; topicConfigTable: Record<string, unknown> };
    expect(topics.dataVersion.counter).toBeGreaterThan(0);
    expect(Object.keys(topics.topicConfigTable)).toContain('%RETRY%HeldGroup');
    expect((await admin('exportMetadata', '-f', dir)).code).toBe(1);
  });

  it('exportConfigs and exportMetrics describe the cluster’s brokers', async () => {
    expect((await admin('exportConfigs', '-c', cluster.clusterName, '-f', dir)).out).toBe(`export ${join(dir, 'configs.json')} success`);
    const configs = JSON.parse(readFileSync(join(dir, 'configs.json'), 'utf8')) as { clusterScale: Record<string, number>; brokerConfigs: Record<string, Record<string, string>> };
    expect(configs.clusterScale).toEqual({ namesrvSize: 1, slaveBrokerSize: 0, masterBrokerSize: 1 });
    expect(configs.brokerConfigs[cluster.brokerName]).toMatchObject({ brokerClusterName: cluster.clusterName, brokerId: '0', brokerName: cluster.brokerName, flushDiskType: 'ASYNC_FLUSH' });
    // Every key Java's needBrokerProprties copies is there: it throws on a missing one.
    expect(Object.keys(configs.brokerConfigs[cluster.brokerName]!).sort()).toEqual([
      'autoCreateSubscriptionGroup', 'autoCreateTopicEnable', 'brokerClusterName', 'brokerId', 'brokerName', 'brokerRole', 'fileReservedTime', 'filterServerNums',
      'flushDiskType', 'maxMessageSize', 'messageDelayLevel', 'msgTraceTopicName', 'slaveReadEnable', 'traceOn', 'traceTopicEnable', 'useTLS',
    ]);

    expect((await admin('exportMetrics', '-c', cluster.clusterName, '-f', dir)).out).toBe(`export ${join(dir, 'metrics.json')} success`);
    const text = readFileSync(join(dir, 'metrics.json'), 'utf8');
    const metrics = JSON.parse(text) as { totalData: { totalOneDayNum: Record<string, number>; totalTps: Record<string, number> }; evaluateReport: Record<string, { runtimeEnv: Record<string, unknown>; runtimeQuota: Record<string, unknown>; runtimeVersion: { clientInfo: string[] } }> };
    expect(Object.keys(metrics.totalData.totalTps).sort()).toEqual(['totalNormalInTps', 'totalNormalOutTps', 'totalScheduleInTps', 'totalTransInTps']);
    const report = metrics.evaluateReport[cluster.brokerName]!;
    expect(report.runtimeQuota.topicSize).toBeGreaterThanOrEqual(1);
    expect(report.runtimeQuota.groupSize).toBeGreaterThanOrEqual(1);
    expect(report.runtimeQuota.messageAverageSize).toMatch(/^\d+\.\d+$/);
    expect(Number(report.runtimeEnv.cpuNum)).toBeGreaterThanOrEqual(1);
    expect(report.runtimeVersion.clientInfo).toEqual(expect.any(Array));
    // A set stays on one line, as fastjson writes it.
    expect(text).toMatch(/"clientInfo":\[[^\n]*\]/);
    expect((await admin('exportMetrics', '-c', 'NoSuchCluster', '-f', dir)).code).toBe(1);
  });
});

describe('mqadmin startMonitoring', () => {
  it('reports each group’s backlog per round, and offset moved events as they come', async () => {
    // A group that consumed one of queue 0's four messages, and whose retry topic names it.
    await adminClient.createTopic({ brokerAddr: cluster.brokerAddr }, { topicName: '%RETRY%LaggingGroup', readQueueNums: 1, writeQueueNums: 1 });
    await adminClient.maintenance.updateConsumeOffset(cluster.brokerAddr, 'LaggingGroup', messageQueue(topic, cluster.brokerName, 0), 1);
    await adminClient.maintenance.updateConsumeOffset(cluster.brokerAddr, 'LaggingGroup', messageQueue(topic, cluster.brokerName, 1), 1);
    await pollUntil(async () => (await adminClient.fetchAllTopicList()).includes('%RETRY%LaggingGroup'), 10_000, 'the retry topic routed');
    const running = admin('startMonitoring', '-i', '2', '-r', '2');
    // Between the rounds, a pull far past the end corrects an offset: the broker stores the event.
    await new Promise((r) => setTimeout(r, 1000));
    const puller = new PullConsumer({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumerGroup: 'LaggingGroup' });
    await puller.start();
    await puller.pull(messageQueue(topic, cluster.brokerName, 0), '*', 999, 1).finally(() => puller.shutdown());
    const r = await running;
    expect(r.code).toBe(0);
    const lines = r.out.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.includes(`reportUndoneMsgs: UndoneMsgs [consumerGroup=LaggingGroup, topic=${topic}, undoneMsgsTotal=3, undoneMsgsSingleMQ=3, undoneMsgsDelayTimeMills=`))).toHaveLength(2);
    expect(lines.some((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} reportDeleteMsgsEvent: DeleteMsgsEvent \[offsetMovedEvent=OffsetMovedEvent \[consumerGroup=LaggingGroup, messageQueue=MessageQueue \[topic=MaintCmdTopic, brokerName=[^,]+, queueId=0\], offsetRequest=999, offsetNew=\d+\], eventTimestamp=\d+\]$/.test(l))).toBe(true);
  });
});
