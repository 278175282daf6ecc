import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timestampArg } from '../../src/tools/message-commands.js';
import { parseFastjson } from '../../src/net/fastjson.js';
import { Message, PushConsumer } from '../../src/net/client/index.js';
import { repoRoot } from '../net/helpers.js';
import { pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';
import { runMqadmin, type MqadminRun } from '../helpers/mqadmin-run.js';

/**
 * mqadmin's topic and message subcommands against a real NameServer and broker, output checked
 * against RocketMQ's formats (the broker, group and NameServer ones: mqadmin-ops.test.ts). Most run in-process through main() (same code path as bin/mqadmin, without a node
 * start per command); the launcher itself and its exit codes are checked by spawning it.
 */
let cluster: LocalCluster;
const admin = (...args: string[]): Promise<MqadminRun> => runMqadmin(cluster.namesrvAddr, args);

beforeAll(async () => {
  cluster = await startTestCluster();
});

afterAll(async () => {
  await cluster?.stop();
});

describe('mqadmin', () => {
  const topic = 'AdminTopic';
  let msgId = '';

  it('updateTopic creates a topic on every master of a cluster', async () => {
    const r = await admin('updateTopic', '-c', cluster.clusterName, '-t', topic, '-r', '3', '-w', '3');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `create topic to ${cluster.brokerAddr} success.\n` +
        `TopicConfig [topicName=${topic}, readQueueNums=3, writeQueueNums=3, perm=RW-, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false]\n`,
    );
    await pollUntil(async () => (await admin('topicList')).out.split('\n').includes(topic), 10_000, 'topic in the NameServer');
  });

  it('topicRoute prints the route as fastjson pretty JSON', async () => {
    const r = await admin('topicRoute', '-t', topic);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`"brokerAddrs":{0:"${cluster.brokerAddr}"\n\t\t\t}`);
    const route = parseFastjson(r.out) as { queueDatas: { brokerName: string; readQueueNums: number; perm: number }[] };
    expect(route.queueDatas).toEqual([{ brokerName: cluster.brokerName, perm: 6, readQueueNums: 3, topicSysFlag: 0, writeQueueNums: 3 }]);
    expect((await admin('topicRoute', '-t', 'NoSuchTopic')).code).toBe(1);
  });

  it('sendMessage sends one message and prints its queue and id', async () => {
    const r = await admin('sendMessage', '-t', topic, '-p', 'hello admin', '-k', 'adminKey', '-c', 'TagX', '-b', cluster.brokerName, '-i', '1');
    expect(r.code).toBe(0);
    const [header, row] = r.out.trimEnd().split('\n');
    expect(header).toBe(`${'#Broker Name'.padEnd(32)}  #QID  ${'#Send Result'.padEnd(20)}    #MsgId`);
    expect(row).toMatch(new RegExp(`^${cluster.brokerName} +1 +SEND_OK +[0-9A-F]{32}$`));
  });

  it('topicStatus shows each queue’s offsets', async () => {
    const r = await admin('topicStatus', '-t', topic);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`${'#Broker Name'.padEnd(32)}  #QID  ${'#Min Offset'.padEnd(20)}  ${'#Max Offset'.padEnd(20)}    #Last Updated`);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
      [cluster.brokerName, '0', '0', '0'],
      [cluster.brokerName, '1', '0', '1'],
      [cluster.brokerName, '2', '0', '0'],
    ]);
    expect(lines[2]).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}$/);
  });

  it('queryMsgByKey finds the message by key, queryMsgById shows it by offset id', async () => {
    let lines: string[] = [];
    await pollUntil(async () => {
      lines = (await admin('queryMsgByKey', '-t', topic, '-k', 'adminKey')).out.trimEnd().split('\n');
      return lines.length === 2;
    }, 10_000, 'the key to be indexed');
    expect(lines[0]).toBe(`${'#Message ID'.padEnd(50)} #QID ${'#Offset'.padStart(40)}`);
    const [id, qid, offset] = lines[1]!.trim().split(/\s+/);
    expect([qid, offset]).toEqual(['1', '0']);
    msgId = id!;
    const r = await admin('queryMsgById', '-i', msgId, '-f', 'UTF-8');
    expect(r.code).toBe(0);
    const field = (label: string): string => r.out.split('\n').find((l) => l.startsWith(label))!.slice(21);
    expect(field('OffsetID:')).toBe(msgId);
    expect(field('Topic:')).toBe(topic);
    expect(field('Tags:')).toBe('[TagX]');
    expect(field('Keys:')).toBe('[adminKey]');
    expect(field('Queue ID:')).toBe('1');
    expect(field('Store Host:')).toBe(cluster.brokerAddr);
    expect(field('Message Body:')).toBe('hello admin');
    expect(readFileSync(field('Message Body Path:'), 'utf8')).toBe('hello admin');
    expect((await admin('queryMsgById', '-i', 'not-an-id')).code).toBe(1);
  });

  it('queryMsgByOffset shows the message at a queue offset', async () => {
    const r = await admin('queryMsgByOffset', '-t', topic, '-b', cluster.brokerName, '-i', '1', '-o', '0');
    expect(r.code).toBe(0);
    const field = (label: string): string => r.out.split('\n').find((l) => l.startsWith(label))!.slice(21);
    expect(field('OffsetID:')).toBe(msgId);
    expect(field('Queue ID:')).toBe('1');
    expect(field('Queue Offset:')).toBe('0');
    expect(field('Keys:')).toBe('[adminKey]');
    const past = await admin('queryMsgByOffset', '-t', topic, '-b', cluster.brokerName, '-i', '1', '-o', '5');
    expect([past.code, past.out]).toEqual([1, '']);
    expect(past.err).toContain('no message at offset 5');
  });

  it('consumeMessage pulls and prints messages', async () => {
    const r = await admin('consumeMessage', '-t', topic, '-b', cluster.brokerName, '-i', '1');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Consume ok\n');
    expect(r.out).toMatch(/MSGID: [0-9A-F]{32} MessageExt \[brokerName=.*queueId=1, .*topic='AdminTopic'.* BODY: hello admin\n/);
    expect(r.out).toContain(`MessageQueue [topic=${topic}, brokerName=${cluster.brokerName}, queueId=1] print msg finished. status=NO_NEW_MSG, offset=1`);
  });

  it('consumerProgress shows a group’s committed offsets against the broker’s', async () => {
    const c = new PushConsumer({ consumerGroup: 'AdminGroup', namesrvAddr: cluster.namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', logger: silentLogger, persistConsumerOffsetInterval: 100 });
    let got = 0;
    c.subscribe(topic).registerMessageListener(() => void got++);
    await c.start();
    try {
      await pollUntil(() => got === 1, 10_000, 'the message consumed');
      let rows: string[][] = [];
      await pollUntil(async () => {
        rows = (await admin('consumerProgress', '-g', 'AdminGroup')).out.split('\n').filter((l) => l.startsWith(topic)).map((l) => l.split(/\s+/));
        return rows.some((r) => r[2] === '1' && r[4] === '1');
      }, 10_000, 'the committed offset');
      expect(rows.map((r) => r.slice(0, 6))).toEqual([0, 1, 2].map((q) => [topic, cluster.brokerName, String(q), q === 1 ? '1' : '0', q === 1 ? '1' : '0', 'NA']));
      const groups = (await admin('consumerProgress')).out;
      expect(groups).toMatch(/^AdminGroup +1 +V4_9_8 +PUSH +CLUSTERING /m);
    } finally {
      await c.shutdown();
    }
  });

  it('clusterList shows the broker with its version', async () => {
    const r = await admin('clusterList');
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^#Cluster Name +#Broker Name +#BID +#Addr +#Version +#InTPS\(LOAD\) +#OutTPS\(LOAD\) +#PCWait\(ms\) +#Hour +#SPACE$/);
    expect(lines[1]).toMatch(new RegExp(`^${cluster.clusterName} +${cluster.brokerName} +0 +${cluster.brokerAddr} +V4_9_8 +\\d+\\.\\d\\d\\(`));
  });

  it('clusterList -i refuses an interval under one second instead of spinning', async () => {
    for (const bad of ['0', '-3']) {
      const r = await admin('clusterList', '-i', bad);
      expect(r.code).toBe(1);
      expect(r.err).toContain('must be at least 1');
      expect(r.out).toBe('');
    }
  });

  it('clusterList -m shows message totals per broker', async () => {
    const lines = (await admin('clusterList', '-m')).out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^#Cluster Name +#Broker Name +#InTotalYest +#OutTotalYest +#InTotalToday +#OutTotalToday$/);
    expect(lines[1]).toMatch(new RegExp(`^${cluster.clusterName} +${cluster.brokerName} +-?\\d+ +-?\\d+ +-?\\d+ +-?\\d+$`));
  });

  it('consumeMessage takes -s/-e as milliseconds or yyyy-MM-dd#HH:mm:ss:SSS', async () => {
    expect(timestampArg('1700000000123')).toBe(1700000000123);
    expect(timestampArg('2024-01-31#23:59:58:123')).toBe(new Date(2024, 0, 31, 23, 59, 58, 123).getTime());
    const r = await admin('consumeMessage', '-t', topic, '-s', '2000-01-01#00:00:00:000');
    expect(r.code).toBe(0);
    expect(r.out).toContain('BODY: hello admin');
    expect((await admin('consumeMessage', '-t', topic, '-s', 'yesterday')).code).toBe(1);
  });

  it('bin/mqadmin stops quietly when its reader has gone (a closed pipe, as with `| head`)', async () => {
    const child = spawn(join(repoRoot, 'bin', 'mqadmin'), ['brokerStatus', '-b', cluster.brokerAddr, '-n', cluster.namesrvAddr], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before node has even started, so every write the tool makes meets EPIPE.
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(err).toBe('');
    expect(code).toBe(0);
  });

  it('bin/mqadmin exits non-zero with the usage on an unknown command or a missing option', () => {
    const bin = join(repoRoot, 'bin', 'mqadmin');
    const unknown = spawnSync(bin, ['noSuchCommand', '-n', cluster.namesrvAddr], { encoding: 'utf8' });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('The command noSuchCommand not exist');
    expect(unknown.stderr).toContain('topicStatus');
    // MQAdminStartup's "   %-20s %s": a name longer than 20 still gets its space.
    expect(unknown.stderr).toContain(`   ${'topicStatus'.padEnd(20)} Examine topic Status info\n`);
    expect(unknown.stderr).toContain('   getAccessConfigSubCommand List all of acl config information in cluster\n');
    const missing = spawnSync(bin, ['topicStatus', '-n', cluster.namesrvAddr], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('Missing required option: t');
    expect(missing.stderr).toContain('usage: mqadmin topicStatus');
    const env = spawnSync(bin, ['topicList'], { encoding: 'utf8', env: { ...process.env, NAMESRV_ADDR: cluster.namesrvAddr } });
    expect(env.status).toBe(0);
    expect(env.stdout.split('\n')).toContain(topic);
  });

  it('deleteTopic removes the topic from the broker and the NameServer', async () => {
    await admin('sendMessage', '-t', topic, '-p', 'x');
    const r = await admin('deleteTopic', '-t', topic, '-c', cluster.clusterName);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`delete topic [${topic}] from cluster [${cluster.clusterName}] success.\ndelete topic [${topic}] from NameServer success.\n`);
    expect((await admin('topicList')).out.split('\n')).not.toContain(topic);
  });

  it('deleteExpiredCommitLog triggers deletion on every master of a cluster', async () => {
    const r = await admin('deleteExpiredCommitLog', '-c', cluster.clusterName);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^127\.0\.0\.1:\d+: delete expired commit log files triggered\nsuccess\n$/);
  });
});

describe('mqadmin with the id sendMessage prints', () => {
  // sendMessage prints the UNIQ_KEY; queryMsgById read it as an address and failed with
  // "bad address 192.0.2.2:1866837979". It now says which command takes the id, and that one works.
  it('queryMsgById points to queryMsgByUniqueKey, which finds the message', async () => {
    const sent = await admin('sendMessage', '-t', 'UniqTopic', '-p', 'by unique key');
    const uniq = sent.out.trimEnd().split('\n')[1]!.trim().split(/\s+/).pop()!;
    const byOffsetId = await admin('queryMsgById', '-i', uniq);
    expect(byOffsetId.code).toBe(1);
    expect(byOffsetId.err).toContain(`use queryMsgByUniqueKey -i ${uniq} -t <topic>`);
    const r = await admin('queryMsgByUniqueKey', '-i', uniq, '-t', 'UniqTopic');
    expect(r.err).toBe('');
    expect(r.out).toContain('Topic:               UniqTopic\n');
    expect(r.out).toMatch(new RegExp(`Properties: +\\{.*UNIQ_KEY=${uniq}`));
  });
});

describe('mqadmin with a producer-made message', () => {
  it('queryMsgById works with the offsetMsgId a send returns', async () => {
    const { Producer } = await import('../../src/net/client/index.js');
    const p = new Producer({ producerGroup: 'AdminPG', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await p.start();
    try {
      const r = await p.send(new Message('AutoCreated', 'auto'));
      const out = await admin('queryMsgById', '-i', r.offsetMsgId);
      expect(out.out).toContain(`Topic:               AutoCreated`);
    } finally {
      await p.shutdown();
    }
  });
});
