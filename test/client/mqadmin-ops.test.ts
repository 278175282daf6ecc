import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseFastjson } from '../../src/net/fastjson.js';
import { Message, Producer, PullConsumer, PushConsumer, messageQueue } from '../../src/net/client/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';
import { runMqadmin, type MqadminRun } from '../helpers/mqadmin-run.js';

/**
 * mqadmin's broker, consumer group and NameServer subcommands against a real NameServer and
 * broker, output checked against RocketMQ's formats, and their effect checked on the servers.
 */
let cluster: LocalCluster;
const admin = (...args: string[]): Promise<MqadminRun> => runMqadmin(cluster.namesrvAddr, args);
const topic = 'OpsTopic';

beforeAll(async () => {
  cluster = await startTestCluster();
  await createTopic(cluster, topic, 3);
});

afterAll(async () => {
  await cluster?.stop();
});

describe('mqadmin operations', () => {
  it('consumerConnection shows a group’s clients and subscriptions in RocketMQ’s format', async () => {
    const c = new PushConsumer({ consumerGroup: 'ConnGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    c.subscribe(topic, 'TagX || TagY').registerMessageListener(() => undefined);
    await c.start();
    try {
      let r = { code: 1, out: '', err: '' };
      await pollUntil(async () => (r = await admin('consumerConnection', '-g', 'ConnGroup')).code === 0, 10_000, 'the group online');
      const lines = r.out.split('\n');
      expect(lines[0]).toMatch(/^001  \S+ +127\.0\.0\.1:\d+ +JAVA +V4_9_8$/);
      expect(lines[1]).toBe('');
      expect(lines[2]).toBe(`Below is subscription:001  Topic: ${topic.padEnd(40)} SubExpression: TagX || TagY`);
      expect(lines.slice(3)).toEqual([`002  Topic: ${'%RETRY%ConnGroup'.padEnd(40)} SubExpression: *`, 'ConsumeType: CONSUME_PASSIVELY', 'MessageModel: CLUSTERING', 'ConsumeFromWhere: CONSUME_FROM_LAST_OFFSET', '']);
    } finally {
      await c.shutdown();
    }
    expect((await admin('consumerConnection', '-g', 'NoSuchGroup')).code).toBe(1);
  });

  it('consumerStatus relays each client\'s running info through the broker, in RocketMQ\'s format', async () => {
    const topic = 'StatusTopic';
    await createTopic(cluster, topic, 3);
    for (let i = 0; i < 6; i++) expect((await admin('sendMessage', '-t', topic, '-p', `status-${i}`, '-b', cluster.brokerName, '-i', String(i % 3))).code).toBe(0);
    const consumed: string[] = [];
    const c = new PushConsumer({ consumerGroup: 'StatusGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    c.subscribe(topic, '*').registerMessageListener((msgs) => {
      for (const m of msgs) consumed.push(m.body.toString());
      if (msgs.some((m) => m.body.toString() === 'status-5' && m.reconsumeTimes === 0)) throw new Error('fails once');
    });
    await c.start();
    try {
      await pollUntil(() => consumed.length >= 6, 15_000, 'the group to consume');
      const clientId = c.clientId!;
      // The failed one's send-back done, every queue's commit is at 2.
      await pollUntil(async () => ((await admin('consumerStatus', '-g', 'StatusGroup', '-i', clientId)).out.match(/commitOffset=2,/g) ?? []).length === 3, 10_000, 'the commits');
      const all = await admin('consumerStatus', '-g', 'StatusGroup');
      expect(all.code).toBe(0);
      const first = all.out.split('\n')[0]!;
      expect(first).toMatch(new RegExp(`^001  ${clientId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +V4_9_8 +\\S+consumerStatus\\S+$`));
      expect(all.out).toContain('Same subscription in the same group of consumer');
      expect(all.out).toContain('Rebalance OK');
      // Each client's report is written to a file, as Java's tool does.
      const path = first.split(/ +/).pop()!;
      expect(readFileSync(path, 'utf8')).toMatch(/^#Consumer Properties#\n[^]*\nconsumerGroup +: StatusGroup\n/);
      rmSync(dirname(path), { recursive: true, force: true });
      const one = await admin('consumerStatus', '-g', 'StatusGroup', '-i', clientId, '-s');
      expect(one.code).toBe(0);
      const text = one.out;
      expect(text).toMatch(/^#Consumer Properties#\n/);
      expect(text).toMatch(/\nconsumerGroup +: StatusGroup\n/);
      expect(text).toMatch(/\nPROP_CONSUME_TYPE +: CONSUME_PASSIVELY\n/);
      expect(text).not.toContain('secretKey');
      expect(text).toContain(`001 Topic: ${topic.padEnd(40)} ClassFilter: false    SubExpression: *`);
      expect(text).toMatch(new RegExp(`\\n${topic} +${cluster.brokerName} +0 +2 *\\n`));
      expect(text).toMatch(/ProcessQueueInfo \[commitOffset=2, cachedMsgMinOffset=0, cachedMsgMaxOffset=0, cachedMsgCount=0, .*droped=false, lastPullTimestamp=\d{17}, lastConsumeTimestamp=\d{17}\]/);
      // Six consumed, one of them failed once (sent back): the minute's figures say so.
      const rates = new RegExp(`\\n${topic} +(\\d+\\.\\d\\d) +(\\d+\\.\\d\\d) +(\\d+\\.\\d\\d) +(\\d+\\.\\d\\d) +(\\d+\\.\\d\\d) +(\\d+)\\n`).exec(text);
      expect(rates).not.toBeNull();
      expect(Number(rates![6])).toBe(1);
      expect(Number(rates![2])).toBeCloseTo(6 / 60, 2);
      expect(text).toContain('#Consumer jstack#\nnode v');
      const missing = await admin('consumerStatus', '-g', 'StatusGroup', '-i', 'no-such-client');
      expect(missing.code).toBe(1);
      expect(missing.err).toContain('The Consumer <StatusGroup> <no-such-client> not online');
    } finally {
      await c.shutdown();
    }
  });

  it('queryMsgById -g -d has a consumer run a stored message directly; -s true sends it again', async () => {
    const topic = 'DirectTopic';
    await createTopic(cluster, topic, 1);
    const got: string[] = [];
    const c = new PushConsumer({ consumerGroup: 'DirectGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    c.subscribe(topic, '*').registerMessageListener((msgs) => {
      const body = msgs[0]!.body.toString();
      got.push(body);
      if (body === 'boom') throw new Error('listener exploded');
      return body === 'later' ? 'RECONSUME_LATER' : 'CONSUME_SUCCESS';
    });
    await c.start();
    const p = new Producer({ producerGroup: 'DirectProducer', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await p.start();
    try {
      const ids: Record<string, string> = {};
      for (const body of ['hello', 'later', 'boom']) ids[body] = (await p.send(new Message(topic, body))).offsetMsgId;
      await pollUntil(() => got.includes('hello') && got.includes('later') && got.includes('boom'), 15_000, 'the normal deliveries');
      const before = got.filter((b) => b === 'hello').length;
      const direct = (id: string) => admin('queryMsgById', '-i', id, '-g', 'DirectGroup', '-d', c.clientId!);
      const ok = await direct(ids.hello!);
      expect(ok.out).toMatch(/^ConsumeMessageDirectlyResult \[order=false, autoCommit=true, consumeResult=CR_SUCCESS, remark=null, spentTimeMills=\d+\]\n$/);
      expect(got.filter((b) => b === 'hello').length).toBe(before + 1);
      expect((await direct(ids.later!)).out).toContain('consumeResult=CR_LATER');
      expect((await direct(ids.boom!)).out).toContain('consumeResult=CR_THROW_EXCEPTION, remark=Error: listener exploded');
      const offline = await admin('queryMsgById', '-i', ids.hello!, '-g', 'DirectGroup', '-d', 'nobody@nowhere');
      expect(offline.code).toBe(1);
      expect(offline.err).toContain('The Consumer <DirectGroup> <nobody@nowhere> not online');
      const resent = await admin('queryMsgById', '-i', ids.hello!, '-s', 'true');
      expect(resent.out).toMatch(new RegExp(`^prepare resend msg. originalMsgId=${ids.hello}\\nSendResult \\[sendStatus=SEND_OK, `));
      await pollUntil(() => got.filter((b) => b === 'hello').length === before + 2, 10_000, 'the resent message');
    } finally {
      await p.shutdown();
      await c.shutdown();
    }
  });

  it('updateTopicPerm changes only the permission, by broker or by cluster', async () => {
    await createTopic(cluster, 'PermTopic', 2);
    const routePerm = async () => {
      const r = await admin('topicRoute', '-t', 'PermTopic');
      return Number(/"perm":(\d+)/.exec(r.out)?.[1]);
    };
    const one = await admin('updateTopicPerm', '-b', cluster.brokerAddr, '-t', 'PermTopic', '-p', '4');
    expect(one.out).toBe(`update topic perm from 6 to 4 in ${cluster.brokerAddr} success.\nTopicConfig [topicName=PermTopic, readQueueNums=2, writeQueueNums=2, perm=R--, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false].\n`);
    await pollUntil(async () => (await routePerm()) === 4, 10_000, 'the route to show perm 4');
    expect((await admin('updateTopicPerm', '-b', cluster.brokerAddr, '-t', 'PermTopic', '-p', '4')).out).toBe('new perm equals to the old one!\n');
    expect((await admin('updateTopicPerm', '-c', cluster.clusterName, '-t', 'PermTopic', '-p', '6')).out).toBe(`update topic perm from 4 to 6 in ${cluster.brokerAddr} success.\n`);
    await pollUntil(async () => (await routePerm()) === 6, 10_000, 'the route to show perm 6');
    const bad = await admin('updateTopicPerm', '-b', cluster.brokerAddr, '-t', 'PermTopic', '-p', '5');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("a topic's permission is 2 (W), 4 (R) or 6 (RW)");
  });

  it('sendMsgStatus, checkMsgSendRT, printMsg and allocateMQ probe a topic as RocketMQ\'s tools do', async () => {
    await createTopic(cluster, 'ProbeTopic', 2);
    const rt = await admin('checkMsgSendRT', '-t', 'ProbeTopic', '-a', '4', '-s', '16');
    const lines = rt.out.trim().split('\n');
    expect(lines[0]).toMatch(/^#Broker Name +#QID +#Send Result +#RT$/);
    expect(lines.slice(1, 5).map((l) => l.split(/ +/).slice(0, 3))).toEqual([0, 1, 0, 1].map((q) => [cluster.brokerName, String(q), 'true']));
    expect(lines[5]).toMatch(/^Avg RT: \d+\.\d\d$/);
    const status = await admin('sendMsgStatus', '-b', cluster.brokerName, '-c', '2', '-s', '8');
    expect(status.out.trim().split('\n')).toHaveLength(2);
    expect(status.out).toMatch(/^rt:\d+ms, SendResult=SendResult \[sendStatus=SEND_OK, msgId=[0-9A-F]{32}, offsetMsgId=[0-9A-F]{32}, messageQueue=MessageQueue \[topic=broker-local, /);
    const printed = await admin('printMsg', '-t', 'ProbeTopic');
    expect(printed.out.match(/^MSGID: /gm)).toHaveLength(4);
    expect(printed.out).toContain('minOffset=0, maxOffset=2, MessageQueue [topic=ProbeTopic, brokerName=broker-local, queueId=0]');
    expect(printed.out).toContain(' BODY: aaaaaaaaaaaaaaaa\n');
    expect((await admin('printMsg', '-t', 'ProbeTopic', '-d', 'false')).out).toContain(' BODY: NOT PRINT BODY\n');
    const crt = (await admin('clusterRT', '-a', '3', '-s', '8', '-r', '1')).out.split('\n');
    expect(crt[0]).toMatch(/^#Cluster Name +#Broker Name +#RT +#successCount +#failCount$/);
    expect(crt[1]).toMatch(new RegExp(`^${cluster.clusterName} +${cluster.brokerName} +\\d+\\.\\d\\d +3 +0 *$`));
    const alloc = await admin('allocateMQ', '-t', 'ProbeTopic', '-i', '10.0.0.2,10.0.0.1');
    expect(JSON.parse(alloc.out)).toEqual({ result: { '10.0.0.1': [{ brokerName: cluster.brokerName, queueId: 0, topic: 'ProbeTopic' }], '10.0.0.2': [{ brokerName: cluster.brokerName, queueId: 1, topic: 'ProbeTopic' }] } });
  });

  it('brokerConsumeStats lists every group\'s lag on a broker, above a level', async () => {
    await createTopic(cluster, 'LagTopic', 1);
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) expect((await admin('sendMessage', '-t', 'LagTopic', '-p', `lag-${i}`)).code).toBe(0);
    };
    await send(5);
    const got: string[] = [];
    const c = new PushConsumer({ consumerGroup: 'LagGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    c.subscribe('LagTopic', '*').registerMessageListener((msgs) => void got.push(...msgs.map((m) => m.body.toString())));
    await c.start();
    await pollUntil(() => got.length >= 5, 15_000, 'five consumed');
    await c.shutdown();
    await send(2);
    const r = await admin('brokerConsumeStats', '-b', cluster.brokerAddr);
    expect(r.out.split('\n')[0]).toMatch(/^#Topic +#Group +#Broker Name +#QID +#Broker Offset +#Consumer Offset +#Diff +#LastTime$/);
    expect(r.out).toMatch(new RegExp(`\\nLagTopic +LagGroup +${cluster.brokerName} +0 +7 +5 +2 +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\n`));
    expect(Number(/\nDiff Total: (\d+)\n$/.exec(r.out)?.[1])).toBeGreaterThanOrEqual(2);
    expect((await admin('brokerConsumeStats', '-b', cluster.brokerAddr, '-l', '3')).out).not.toContain('LagGroup');
  });

  it('updateOrderConf puts, gets and deletes a topic\'s order conf in the NameServers', async () => {
    expect((await admin('updateOrderConf', '-t', 'OrderConfTopic', '-m', 'put', '-v', 'broker-a:4;broker-b:4')).out).toBe('update orderConf success. topic=[OrderConfTopic], orderConf=[broker-a:4;broker-b:4]\n');
    expect((await admin('updateOrderConf', '-t', 'OrderConfTopic', '-m', 'get')).out).toBe('get orderConf success. topic=[OrderConfTopic], orderConf=[broker-a:4;broker-b:4] \n');
    expect((await admin('updateOrderConf', '-t', 'OrderConfTopic', '-m', 'delete')).out).toBe('delete orderConf success. topic=[OrderConfTopic]\n');
    const gone = await admin('updateOrderConf', '-t', 'OrderConfTopic', '-m', 'get');
    expect(gone.code).toBe(1);
    expect(gone.err).toContain('No config item, Namespace: ORDER_TOPIC_CONFIG Key: OrderConfTopic');
    expect((await admin('updateOrderConf', '-t', 'OrderConfTopic', '-m', 'put')).err).toContain('please set orderConf with option -v.');
  });

  it('resetOffsetByTime moves a running group back through its consumers, and an offline one itself', async () => {
    const send = (body: string, queue = 0) => admin('sendMessage', '-t', topic, '-p', body, '-b', cluster.brokerName, '-i', String(queue));
    // As in RocketMQ, the broker resets a group only once it has committed an offset for every
    // queue of the topic ("group not exist" otherwise): the other queues get a message each.
    for (const q of [1, 2]) expect((await send(`other-${q}`, q)).code).toBe(0);
    expect((await send('before')).code).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect((await send('after-1')).code).toBe(0);
    expect((await send('after-2')).code).toBe(0);
    // The time to reset to is after-1's own store time: a time lookup picks the message stored
    // nearest to the time asked (RocketMQ's binary search), so a time merely between two
    // messages could land on either.
    const puller = new PullConsumer({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await puller.start();
    const at = (await puller.pull(messageQueue(topic, cluster.brokerName, 0), '*', 1, 1).finally(() => puller.shutdown())).msgFoundList[0]!.storeTimestamp;
    const reset = () => admin('resetOffsetByTime', '-g', 'ResetGroup', '-t', topic, '-s', String(at));
    const header = `rollback consumer offset by specified %s[ResetGroup], topic[${topic}], force[true], timestamp(string)[${at}], timestamp(long)[${at}]`;
    const row = (out: string, n: number): string[] => out.split('\n')[n]!.trimEnd().split(/\s+/);

    const bodies: string[] = [];
    const consumer = async (): Promise<PushConsumer> => {
      const c = new PushConsumer({ consumerGroup: 'ResetGroup', namesrvAddr: cluster.namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', logger: silentLogger, persistConsumerOffsetInterval: 100 });
      c.subscribe(topic).registerMessageListener((msgs) => void bodies.push(...msgs.filter((m) => m.queueId === 0).map((m) => m.body.toString())));
      await c.start();
      return c;
    };
    const c = await consumer();
    try {
      await pollUntil(() => bodies.length === 3, 10_000, 'the messages consumed');
      expect(bodies).toEqual(['before', 'after-1', 'after-2']);
      // Running: the broker tells the consumer, which starts over at after-1 without a restart.
      let r = await reset();
      await pollUntil(async () => r.code === 0 || (r = await reset()).code === 0, 10_000, 'the reset through the broker').catch((e: Error) => { throw new Error(`${e.message}: ${r.err}`); });
      expect(r.out.split('\n')[0]).toBe(header.replace('%s', 'group'));
      expect(row(r.out, 1)).toEqual(['#brokerName', '#queueId', '#offset']);
      expect(row(r.out, 2)).toEqual([cluster.brokerName, '0', '1']);
      await pollUntil(() => bodies.length === 5, 10_000, 'the two later messages again');
      expect(bodies.slice(3)).toEqual(['after-1', 'after-2']);
    } finally {
      await c.shutdown();
    }
    // Offline: the tool commits the offsets itself, and a restarted consumer reads from there.
    await pollUntil(async () => (await admin('consumerConnection', '-g', 'ResetGroup')).code === 1, 10_000, 'the group offline');
    const r = await reset();
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe(header.replace('%s', 'consumerGroup'));
    expect(row(r.out, 1)).toEqual(['#brokerName', '#queueId', '#brokerOffset', '#consumerOffset', '#timestampOffset', '#resetOffset']);
    expect(row(r.out, 2)).toEqual([cluster.brokerName, '0', '3', '3', '1', '1']);
    const again = await consumer();
    try {
      await pollUntil(() => bodies.length === 7, 10_000, 'the two later messages once more');
      expect(bodies.slice(5)).toEqual(['after-1', 'after-2']);
    } finally {
      await again.shutdown();
    }
  });

  it('updateSubGroup creates a subscription group the broker then applies, and refuses a mistyped flag', async () => {
    const r = await admin('updateSubGroup', '-c', cluster.clusterName, '-g', 'SubGroupX', '-r', '3', '-s', 'false');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `create subscription group to ${cluster.brokerAddr} success.\n` +
        'SubscriptionGroupConfig [groupName=SubGroupX, consumeEnable=false, consumeFromMinEnable=false, consumeBroadcastEnable=false, retryQueueNums=1, ' +
        'retryMaxTimes=3, brokerId=0, whichBrokerWhenConsumeSlowly=1, notifyConsumerIdsChangedEnable=true]\n',
    );
    const client = new RemotingClient();
    try {
      const res = await client.invoke(cluster.brokerAddr, RemotingCommand.createRequest(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG), 3000);
      const table = (parseFastjson(res.body!.toString('utf8')) as { subscriptionGroupTable: Record<string, { retryMaxTimes: number; consumeEnable: boolean }> }).subscriptionGroupTable;
      expect(table.SubGroupX).toMatchObject({ retryMaxTimes: 3, consumeEnable: false });
      // consumeEnable=false is enforced: the group may not pull.
      const pull = await client.invoke(
        cluster.brokerAddr,
        RemotingCommand.createRequest(RequestCode.PULL_MESSAGE, { consumerGroup: 'SubGroupX', topic, queueId: 0, queueOffset: 0, maxMsgNums: 1, sysFlag: 0, commitOffset: 0, suspendTimeoutMillis: 0, subVersion: 0 }),
        3000,
      );
      expect(pull.code).toBe(ResponseCode.NO_PERMISSION);
    } finally {
      client.close();
    }
    const typo = await admin('updateSubGroup', '-b', cluster.brokerAddr, '-g', 'SubGroupY', '-s', 'ture');
    expect([typo.code, typo.out]).toEqual([1, '']);
    expect(typo.err).toContain('option -s: "ture" is not true or false');
    expect((await admin('updateSubGroup', '-g', 'SubGroupY')).code).toBe(1);
  });

  it('deleteSubGroup removes a group, and with -c also its retry and dead-letter topics', async () => {
    const groups = async (): Promise<Record<string, unknown>> => {
      const client = new RemotingClient();
      try {
        const res = await client.invoke(cluster.brokerAddr, RemotingCommand.createRequest(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG), 3000);
        return (parseFastjson(res.body!.toString('utf8')) as { subscriptionGroupTable: Record<string, unknown> }).subscriptionGroupTable;
      } finally {
        client.close();
      }
    };
    expect(await admin('updateSubGroup', '-b', cluster.brokerAddr, '-g', 'SubGroupZ')).toMatchObject({ code: 0 });
    expect(Object.keys(await groups())).toContain('SubGroupZ');
    const one = await admin('deleteSubGroup', '-b', cluster.brokerAddr, '-g', 'SubGroupZ');
    expect([one.code, one.out]).toEqual([0, `delete subscription group [SubGroupZ] from broker [${cluster.brokerAddr}] success.\n`]);
    expect(Object.keys(await groups())).not.toContain('SubGroupZ');

    // ConnGroup consumed earlier, so its retry topic exists; it has no dead-letter topic.
    await pollUntil(async () => (await admin('topicList')).out.split('\n').includes('%RETRY%ConnGroup'), 10_000, 'the retry topic in the NameServer');
    expect(Object.keys(await groups())).toContain('ConnGroup');
    const all = await admin('deleteSubGroup', '-c', cluster.clusterName, '-g', 'ConnGroup');
    expect(all.code).toBe(0);
    expect(all.out.split('\n')).toEqual(
      expect.arrayContaining([
        `delete subscription group [ConnGroup] from broker [${cluster.brokerAddr}] in cluster [${cluster.clusterName}] success.`,
        `delete topic [%RETRY%ConnGroup] from cluster [${cluster.clusterName}] success.`,
        'delete topic [%RETRY%ConnGroup] from NameServer success.',
      ]),
    );
    expect(Object.keys(await groups())).not.toContain('ConnGroup');
    expect((await admin('topicList')).out.split('\n')).not.toContain('%RETRY%ConnGroup');
    expect((await admin('deleteSubGroup', '-g', 'ConnGroup')).code).toBe(1);
  });

  it('brokerStatus prints the runtime statistics of a broker, or of every broker of a cluster, sorted', async () => {
    const one = await admin('brokerStatus', '-b', cluster.brokerAddr);
    expect(one.code).toBe(0);
    const lines = one.out.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    const keys = lines.map((l) => l.slice(0, 32).trimEnd());
    expect(keys).toEqual([...keys].sort());
    expect(lines).toContain(`${'brokerVersionDesc'.padEnd(32)}: V4_9_8`);
    for (const l of lines) expect(l).toMatch(/^\S+ *: /);
    const all = await admin('brokerStatus', '-c', cluster.clusterName);
    expect(all.code).toBe(0);
    expect(all.out.trimEnd().split('\n').map((l) => l.slice(0, 25))).toEqual(lines.map(() => `${cluster.brokerAddr.padEnd(24)} `));
    expect(all.out).toContain(`${cluster.brokerAddr.padEnd(24)} ${'brokerVersionDesc'.padEnd(32)}: V4_9_8\n`);
    const neither = await admin('brokerStatus');
    expect([neither.code, neither.out]).toEqual([1, '']);
    expect(neither.err).toContain('one of -b <brokerAddr> or -c <clusterName> is required');
    const unknown = await admin('brokerStatus', '-c', 'NoSuchCluster');
    expect([unknown.code, unknown.out]).toEqual([1, '']);
    expect(unknown.err).toContain('cluster NoSuchCluster not found');
  });

  it('getBrokerConfig prints the settings a broker runs with, defaults included', async () => {
    const one = await admin('getBrokerConfig', '-b', cluster.brokerAddr);
    expect(one.code).toBe(0);
    const lines = one.out.split('\n');
    expect(lines[0]).toBe(`============${cluster.brokerAddr}============`);
    expect(lines.slice(-2)).toEqual(['', '']);
    const settings = new Map(lines.slice(1, -2).map((l) => [l.slice(0, 50).trimEnd(), l.slice(50)]));
    for (const l of lines.slice(1, -2)) expect(l).toMatch(/^\S+ *=  /);
    expect(settings.get('brokerClusterName')).toBe(`=  ${cluster.clusterName}`);
    expect(settings.get('brokerName')).toBe(`=  ${cluster.brokerName}`);
    // Store settings too, and defaults nobody configured.
    expect(settings.get('flushDiskType')).toBe('=  ASYNC_FLUSH');
    expect(settings.get('maxMessageSize')).toBe('=  4194304');
    const all = await admin('getBrokerConfig', '-c', cluster.clusterName);
    expect(all.code).toBe(0);
    expect(all.out).toBe(one.out.replace(`============${cluster.brokerAddr}`, `============Master: ${cluster.brokerAddr}`));
    expect((await admin('getBrokerConfig')).code).toBe(1);
  });

  it('statsAll prints each topic and group with its traffic and backlog; the broker answers VIEW_BROKER_STATS_DATA', async () => {
    const statsTopic = 'StatsTopic';
    await createTopic(cluster, statsTopic, 1);
    for (let i = 0; i < 5; i++) expect((await admin('sendMessage', '-t', statsTopic, '-p', `s${i}`)).code).toBe(0);
    const c = new PushConsumer({ consumerGroup: 'StatsGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    let consumed = 0;
    c.subscribe(statsTopic, '*').registerMessageListener((msgs) => void (consumed += msgs.length));
    await c.start();
    try {
      await pollUntil(() => consumed >= 5, 15_000, 'the consumer to take all five');
      // Its offset is committed every 5 s; the backlog counts from the committed offset.
      await pollUntil(async () => / 0 +\d+\.\d\d +\d+\.\d\d +5 +5$/m.test((await admin('statsAll', '-t', statsTopic)).out), 15_000, 'statsAll to show the traffic');
      const r = await admin('statsAll', '-t', statsTopic);
      const lines = r.out.split('\n');
      expect(lines[0]).toBe(`${'#Topic'.padEnd(32)}  ${'#Consumer Group'.padEnd(32)} #Accumulation      #InTPS     #OutTPS   #InMsg24Hour  #OutMsg24Hour`);
      expect(lines[1]).toMatch(new RegExp(`^${statsTopic.padEnd(64)}  ${'StatsGroup'.padEnd(64)} {12}0 +\\d+\\.\\d\\d +\\d+\\.\\d\\d {14}5 {14}5$`));
      expect(lines.slice(2)).toEqual(['']);
    } finally {
      await c.shutdown();
    }
    // The raw request: minute, hour and day windows; an unknown item is SYSTEM_ERROR, as RocketMQ.
    const client = new RemotingClient();
    try {
      const view = (statsName: string, statsKey: string) => client.invoke(cluster.brokerAddr, RemotingCommand.createRequest(RequestCode.VIEW_BROKER_STATS_DATA, { statsName, statsKey }), 5000);
      const put = parseFastjson((await view('TOPIC_PUT_NUMS', statsTopic)).body!.toString()) as Record<string, { sum: number; tps: number }>;
      expect([put.statsMinute!.sum, put.statsHour!.sum, put.statsDay!.sum]).toEqual([5, 5, 5]);
      expect(put.statsMinute!.tps).toBeGreaterThan(0);
      const missing = await view('TOPIC_PUT_NUMS', 'NoSuchTopic');
      expect([missing.code, missing.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'The stats <TOPIC_PUT_NUMS> <NoSuchTopic> not exist']);
    } finally {
      client.close();
    }
    // -a: a topic with no traffic today is left out.
    await createTopic(cluster, 'QuietTopic', 1);
    expect((await admin('statsAll', '-a', '-t', 'QuietTopic')).out.split('\n').slice(1)).toEqual(['']);
    expect((await admin('statsAll', '-t', 'QuietTopic')).out.split('\n')[1]).toMatch(/^QuietTopic +0 +0\.00 +0 +NO_CONSUMER$/);
  });

  it('updateBrokerConfig changes a running broker and its config file; a bad key or value changes nothing', async () => {
    const setting = async (key: string) => new Map((await admin('getBrokerConfig', '-b', cluster.brokerAddr)).out.split('\n').map((l) => [l.slice(0, 50).trimEnd(), l.slice(53)])).get(key);
    const conf = () => readFileSync(join(cluster.dir, 'broker.conf'), 'utf8');
    const set = (k: string, v: string) => admin('updateBrokerConfig', '-b', cluster.brokerAddr, '-k', k, '-v', v);
    const r = await set('defaultQueryMaxNum', '7');
    expect([r.code, r.out]).toEqual([0, `update broker config success, ${cluster.brokerAddr}\n`]);
    expect(await setting('defaultQueryMaxNum')).toBe('7');
    expect(conf()).toMatch(/^defaultQueryMaxNum=7$/m);
    // A key read only at start: written to the file, in effect after a restart.
    expect((await set('flushConsumeQueueLeastPages', '3')).code).toBe(0);
    expect(await setting('flushConsumeQueueLeastPages')).toBe('2');
    expect(conf()).toMatch(/^flushConsumeQueueLeastPages=3$/m);
    // Read-only: sends are refused, and the NameServer's route says so; then writable again.
    expect((await admin('updateBrokerConfig', '-c', cluster.clusterName, '-k', 'brokerPermission', '-v', '4')).out).toBe(`update broker config success, ${cluster.brokerAddr}\n`);
    await pollUntil(async () => (await admin('topicRoute', '-t', topic)).out.includes('"perm":4'), 10_000, 'the route to show the broker read-only');
    expect((await admin('sendMessage', '-t', topic, '-p', 'refused')).code).toBe(1);
    expect((await set('brokerPermission', '6')).code).toBe(0);
    await pollUntil(async () => (await admin('topicRoute', '-t', topic)).out.includes('"perm":6'), 10_000, 'the route to show the broker writable');
    // Refusals name the key; nothing changes.
    const before = conf();
    const bad = await set('defaultQueryMaxNum', 'lots');
    expect([bad.code, bad.err]).toEqual([1, expect.stringMatching(/defaultQueryMaxNum/)]);
    expect((await set('noSuchKey', '1')).code).toBe(1);
    const client = new RemotingClient();
    try {
      // A value that would add a line to the file (a properties escape for a line break).
      const res = await client.invoke(cluster.brokerAddr, RemotingCommand.createRequest(RequestCode.UPDATE_BROKER_CONFIG, {}, Buffer.from('regionId=a\\nbrokerRole=SLAVE\n')), 5000);
      expect([res.code, res.remark]).toEqual([ResponseCode.SYSTEM_ERROR, expect.stringMatching(/regionId.*cannot span lines/)]);
    } finally {
      client.close();
    }
    expect(conf()).toBe(before);
    expect(await setting('defaultQueryMaxNum')).toBe('7');
  });

  it('topicClusterList names the clusters serving a topic', async () => {
    expect(await admin('topicClusterList', '-t', topic)).toMatchObject({ code: 0, out: `${cluster.clusterName}\n` });
    expect((await admin('topicClusterList', '-t', 'NoSuchTopic')).code).toBe(1);
  });

  it('updateKvConfig and deleteKvConfig set and remove a NameServer KV entry', async () => {
    const kv = async (): Promise<{ code: number; value?: string }> => {
      const client = new RemotingClient();
      try {
        const res = await client.invoke(cluster.namesrvAddr, RemotingCommand.createRequest(RequestCode.GET_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'KvTopic' }), 3000);
        return { code: res.code, value: res.extFields.value };
      } finally {
        client.close();
      }
    };
    const put = await admin('updateKvConfig', '-s', 'ORDER_TOPIC_CONFIG', '-k', 'KvTopic', '-v', 'broker-a:4');
    expect([put.code, put.out]).toEqual([0, 'create or update kv config to namespace success.\n']);
    expect(await kv()).toEqual({ code: ResponseCode.SUCCESS, value: 'broker-a:4' });
    const del = await admin('deleteKvConfig', '-s', 'ORDER_TOPIC_CONFIG', '-k', 'KvTopic');
    expect([del.code, del.out]).toEqual([0, 'delete kv config from namespace success.\n']);
    expect((await kv()).code).toBe(ResponseCode.QUERY_NOT_FOUND);
    expect((await admin('updateKvConfig', '-s', 'ORDER_TOPIC_CONFIG', '-k', 'KvTopic')).code).toBe(1);
  });
});

// Last: until its topic config next changes, the broker takes no sends.
describe('mqadmin wipeWritePerm', () => {
  it('takes write permission from a broker in every NameServer, until its topic config changes', async () => {
    const perm = async (): Promise<number> => (parseFastjson((await admin('topicRoute', '-t', 'WipeTopic')).out) as { queueDatas: { perm: number }[] }).queueDatas[0]!.perm;
    expect((await admin('updateTopic', '-c', cluster.clusterName, '-t', 'WipeTopic')).code).toBe(0);
    await pollUntil(async () => (await admin('topicRoute', '-t', 'WipeTopic')).code === 0 && (await perm()) === 6, 10_000, 'the topic writable in the NameServer');
    const r = await admin('wipeWritePerm', '-b', cluster.brokerName);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^wipe write perm of broker\\[${cluster.brokerName}\\] in name server\\[${cluster.namesrvAddr}\\] OK, [1-9]\\d*\\n$`));
    expect(await perm()).toBe(4);
    // The broker's periodic registrations carry an unchanged data version and leave it so; a
    // topic change makes the broker register its topics again, with their own permissions.
    expect((await admin('updateTopic', '-c', cluster.clusterName, '-t', 'WipeTopic2')).code).toBe(0);
    await pollUntil(async () => (await perm()) === 6, 10_000, 'write permission back after a topic change');
    expect((await admin('wipeWritePerm')).code).toBe(1);
  });
});
