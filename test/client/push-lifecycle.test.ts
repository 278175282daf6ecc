import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { MQAdmin, Message, Producer, PullConsumer, PushConsumer, type MessageListener } from '../../src/net/client/index.js';
import { createRegisterBrokerRequest } from '../../src/net/nameserver/register-broker-request.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { freePort } from '../net/helpers.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';

/**
 * Push consumer behaviour around what is in flight and around brokers that change under it,
 * against a real NameServer and broker: what shutdown commits, how far pulling may run ahead of a
 * slow listener, a queue reset on the broker, and a broker that is gone but still routed.
 */
let cluster: LocalCluster;
let producer: Producer;

beforeAll(async () => {
  cluster = await startTestCluster();
  producer = new Producer({ producerGroup: 'LIFECYCLE_PG', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await producer.start();
});

afterAll(async () => {
  await producer?.shutdown();
  await cluster?.stop();
});

function consumer(group: string, topic: string, listener: MessageListener, extra: Partial<ConstructorParameters<typeof PushConsumer>[0]> = {}): PushConsumer {
  const c = new PushConsumer({ consumerGroup: group, namesrvAddr: cluster.namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', logger: silentLogger, ...extra });
  c.subscribe(topic, '*').registerMessageListener(listener);
  return c;
}

async function committedOffset(group: string, topic: string): Promise<number> {
  const pc = new PullConsumer({ consumerGroup: group, namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await pc.start();
  try {
    const [mq] = await pc.fetchSubscribeMessageQueues(topic);
    return await pc.fetchConsumeOffset(mq!, true);
  } finally {
    await pc.shutdown();
  }
}

describe('push consumer shutdown', () => {
  it('commits the offset of a batch that finishes while shutdown waits for it', async () => {
    const topic = 'LC_Shutdown';
    await createTopic(cluster, topic, 1);
    let started = 0;
    let finished = 0;
    const c = consumer('LC_SHUTDOWN', topic, async () => {
      started++;
      await new Promise((r) => setTimeout(r, 300));
      finished++;
    });
    await c.start();
    await producer.send(new Message(topic, 'in-flight at shutdown'));
    await pollUntil(() => started === 1, 15_000, 'the listener to start');
    await c.shutdown();
    expect(finished).toBe(1);
    // Consumed successfully before shutdown returned: a restarted member must not get it again.
    expect(await committedOffset('LC_SHUTDOWN', topic)).toBe(1);
  });

  it('leaves no pull-loop timer behind: a process whose consumer waits out a long pullInterval exits at shutdown', async () => {
    const topic = 'LC_Exit';
    await createTopic(cluster, topic, 1);
    const client = new URL('../../src/net/client/index.js', import.meta.url).href;
    // The child's first pull comes back empty after 100 ms, then its loop waits 60 s.
    const script = `
      const { PushConsumer } = await import(${JSON.stringify(client)});
      const c = new PushConsumer({ consumerGroup: 'LC_EXIT', namesrvAddr: process.argv[1], pullInterval: 60000, brokerSuspendMaxTimeMillis: 100 });
      c.subscribe(${JSON.stringify(topic)}).registerMessageListener(() => {});
      await c.start();
      while (c.assignedQueues().length === 0) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 500));
      await c.shutdown();
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, cluster.namesrvAddr], { stdio: ['ignore', 'ignore', 'inherit'] });
    try {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const stuck = new Promise<string>((resolve) => setTimeout(() => resolve('still running 30 s later'), 30_000).unref());
      expect(await Promise.race([exited, stuck])).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('push consumer pull flow control', () => {
  /** Messages handed to the listener, which holds on to them until `release()`. */
  function heldConsumer(group: string, topic: string, hold: (body: string) => boolean, extra: Partial<ConstructorParameters<typeof PushConsumer>[0]>) {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    const c = consumer(group, topic, async (msgs) => {
      for (const m of msgs) seen.push(m.body.toString('latin1', 0, 8));
      if (msgs.some((m) => hold(m.body.toString('latin1', 0, 8)))) await released;
    }, extra);
    return { c, seen, release };
  }

  // Long enough for an unthrottled consumer to pull everything several times over; a throttled
  // one stays under its bound however long it waits, so a slow machine cannot make this flaky.
  const SETTLE_MS = 1500;

  it('stops pulling a queue while one stuck message spans more than consumeConcurrentlyMaxSpan offsets', async () => {
    const topic = 'LC_Span';
    await createTopic(cluster, topic, 1);
    for (let i = 0; i < 300; i += 100) await producer.sendBatch(Array.from({ length: 100 }, (_, j) => new Message(topic, `m${String(i + j).padStart(7, '0')}`)));
    const { c, seen, release } = heldConsumer('LC_SPAN', topic, (b) => b === 'm0000000', { consumeConcurrentlyMaxSpan: 40, pullBatchSize: 10 });
    try {
      await c.start();
      await pollUntil(() => seen.length > 0, 15_000, 'the first message');
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      // Pulling stops once the span exceeds 40; the last pull may bring one more batch.
      expect(seen.length).toBeLessThanOrEqual(40 + 1 + 10);
      release();
      await pollUntil(() => seen.length === 300, 15_000, 'the rest once the stuck message finished');
    } finally {
      release();
      await c.shutdown();
    }
  });

  it('stops pulling a queue while its unconsumed bodies exceed pullThresholdSizeForQueue MiB', async () => {
    const topic = 'LC_Size';
    await createTopic(cluster, topic, 1);
    // 40 x 128 KiB = 5 MiB; random bodies so compression does not shrink what is sent.
    const body = (i: number): Buffer => Buffer.concat([Buffer.from(`s${String(i).padStart(7, '0')}`, 'latin1'), randomBytes(128 * 1024 - 8)]);
    for (let i = 0; i < 40; i++) await producer.send(new Message(topic, body(i)));
    const { c, seen, release } = heldConsumer('LC_SIZE', topic, () => true, { pullThresholdSizeForQueue: 1, pullBatchSize: 4, consumeThreadMax: 64 });
    try {
      await c.start();
      await pollUntil(() => seen.length > 0, 15_000, 'the first message');
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      // Pulling stops once more than 1 MiB (8 bodies) is held; the last pull may bring 4 more.
      expect(seen.length).toBeLessThanOrEqual(8 + 1 + 4);
      release();
      await pollUntil(() => seen.length === 40, 15_000, 'the rest once the listener lets go');
    } finally {
      release();
      await c.shutdown();
    }
  });
});

describe('push consumer and a queue reset on the broker', () => {
  it('consumes the new messages of a recreated topic and commits no offset past them', async () => {
    const topic = 'LC_Reset';
    await createTopic(cluster, topic, 1);
    const got: string[] = [];
    const c = consumer('LC_RESET', topic, (msgs) => void got.push(...msgs.map((m) => m.body.toString())), {
      pullTimeDelayMillsWhenException: 100,
      persistConsumerOffsetInterval: 100,
      // A pull parked at offset 10 wakes only for offsets above 10: keep the wait short.
      brokerSuspendMaxTimeMillis: 500,
    });
    try {
      await c.start();
      for (let i = 0; i < 10; i++) await producer.send(new Message(topic, `old-${i}`));
      await pollUntil(() => got.length === 10, 15_000, 'the messages before the reset');
      // Deleting the topic drops its consume queue: the recreated queue counts from 0 again,
      // and the consumer's next pull (at 10) is answered PULL_OFFSET_MOVED to 0.
      const admin = new MQAdmin({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
      await admin.start();
      try {
        await admin.deleteTopic(topic, cluster.clusterName);
      } finally {
        await admin.shutdown();
      }
      await createTopic(cluster, topic, 1);
      for (let i = 0; i < 5; i++) await producer.send(new Message(topic, `new-${i}`));
      await pollUntil(() => got.length === 15, 15_000, 'the messages after the reset');
      expect(got.slice(10).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `new-${i}`));
      // Committing 10 here would skip the next five messages of the queue after a restart.
      await pollUntil(async () => (await committedOffset('LC_RESET', topic)) === 5, 15_000, 'offset 5 committed');
    } finally {
      await c.shutdown();
    }
  });
});

describe('push consumer and a broker that went away', () => {
  it('still takes the queues of one topic when another subscribed topic names an unreachable broker', async () => {
    // A crashed broker stays in the NameServer's routes until its registration expires (120 s):
    // register one on a port nobody listens on, serving topic LC_Ghost.
    const ghostAddr = `127.0.0.1:${await freePort()}`;
    const ghost = { clusterName: cluster.clusterName, brokerAddr: ghostAddr, brokerName: 'broker-ghost', brokerId: 0 };
    const remoting = new RemotingClient({ logger: silentLogger });
    const topic = 'LC_Live';
    const got: string[] = [];
    const c = consumer('LC_GHOST', 'LC_Ghost', (msgs) => void got.push(...msgs.map((m) => m.body.toString())), { pullTimeDelayMillsWhenException: 100 });
    // Subscribed first, so its failing consumer-list lookup comes before the live topic's.
    c.subscribe(topic, '*');
    try {
      const register = createRegisterBrokerRequest(
        { ...ghost, haServerAddr: ghostAddr },
        {
          dataVersion: { counter: 1, timestamp: Date.now() },
          topicConfigs: [{ topicName: 'LC_Ghost', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false }],
          filterServerList: [],
        },
        {},
      );
      expect((await remoting.invoke(cluster.namesrvAddr, register, 5000)).code).toBe(ResponseCode.SUCCESS);
      await createTopic(cluster, topic, 2);
      await c.start();
      await pollUntil(() => c.assignedQueues().filter((q) => q.topic === topic).length === 2, 15_000, 'the live topic queues');
      await producer.send(new Message(topic, 'alive'));
      await pollUntil(() => got.includes('alive'), 15_000, 'the live topic message');
    } finally {
      await c.shutdown();
      // Other tests address the whole cluster: the ghost must not outlive this one.
      await remoting.invoke(cluster.namesrvAddr, RemotingCommand.createRequest(RequestCode.UNREGISTER_BROKER, ghost), 5000);
      remoting.close();
    }
  });
});

describe('push consumer when the broker refuses a send-back', () => {
  it('sends the failed message to the retry topic through the inner producer, as Java does', async () => {
    const topic = 'LC_SendBackRefused';
    await createTopic(cluster, topic, 1);
    const deliveries: { reconsumeTimes: number; commitLogOffset: number; msgId: string; topic: string }[] = [];
    const c = consumer('LC_REFUSED', topic, (msgs) => {
      for (const m of msgs) deliveries.push({ reconsumeTimes: m.reconsumeTimes, commitLogOffset: m.commitLogOffset, msgId: m.msgId, topic: m.topic });
      return deliveries.length === 1 ? 'RECONSUME_LATER' : 'CONSUME_SUCCESS';
      // A new group's retry topic is created by its first heartbeat: find its route soon after.
    }, { pollNameServerInterval: 200 });
    await c.start();
    // The broker's CONSUMER_SEND_MSG_BACK fails (as when the master is gone): only the fallback remains.
    const api = (c as unknown as { instance: { api: { sendMessageBack: () => Promise<void> } } }).instance.api;
    api.sendMessageBack = () => Promise.reject(new Error('send-back refused'));
    const sent = await producer.send(new Message(topic, 'refused once'));
    await pollUntil(() => deliveries.length >= 2, 20_000, 'the redelivery through the retry topic');
    await c.shutdown();
    const [first, second] = deliveries;
    expect(first!.reconsumeTimes).toBe(0);
    // A new record (stored in %RETRY%LC_REFUSED), not the local retry of the same one.
    expect(second!.commitLogOffset).not.toBe(first!.commitLogOffset);
    expect(second).toMatchObject({ reconsumeTimes: 1, msgId: sent.msgId, topic });
    expect(await committedOffset('LC_REFUSED', topic)).toBe(1);
  });
});

describe('suspend, resume and unsubscribe (DefaultMQPushConsumer)', () => {
  it('a suspended consumer pulls nothing until resumed; an unsubscribed topic’s queues go, offsets committed', async () => {
    const [t1, t2] = ['SuspendTopic', 'UnsubTopic'];
    await createTopic(cluster, t1, 1);
    await createTopic(cluster, t2, 1);
    const got: string[] = [];
    const c = consumer('SuspendGroup', t1, (msgs) => void got.push(...msgs.map((m) => m.body.toString())), { persistConsumerOffsetInterval: 100 });
    c.subscribe(t2, '*');
    await c.start();
    try {
      await pollUntil(() => c.assignedQueues().filter((q) => !q.topic.startsWith('%RETRY%')).length === 2, 10_000, 'both topics assigned');
      await producer.send(new Message(t1, 'before'));
      await pollUntil(() => got.includes('before'), 10_000, 'the first message');
      c.suspend();
      // The pull parked at the broker when suspend() came still answers: its message wakes it.
      await producer.send(new Message(t1, 'wakes-the-parked-pull'));
      await pollUntil(() => got.includes('wakes-the-parked-pull'), 10_000, 'the parked pull answered');
      for (let i = 0; i < 3; i++) await producer.send(new Message(t1, `while-suspended-${i}`));
      await new Promise((r) => setTimeout(r, 1500));
      expect(got.filter((b) => b.startsWith('while-suspended'))).toEqual([]);
      c.resume();
      await pollUntil(() => got.filter((b) => b.startsWith('while-suspended')).length === 3, 10_000, 'the messages after resume');

      await producer.send(new Message(t2, 'on-t2'));
      await pollUntil(() => got.includes('on-t2'), 10_000, 'the second topic’s message');
      c.unsubscribe(t2);
      await pollUntil(() => !c.assignedQueues().some((q) => q.topic === t2), 10_000, 'the unsubscribed topic’s queue let go');
      expect(await committedOffset('SuspendGroup', t2)).toBe(1);
      await producer.send(new Message(t2, 'after-unsubscribe'));
      await new Promise((r) => setTimeout(r, 1000));
      expect(got).not.toContain('after-unsubscribe');
    } finally {
      await c.shutdown();
    }
  });
});

it('pullThresholdForTopic and pullThresholdSizeForTopic are spread over the queues held', async () => {
  const topic = 'ThresholdTopic';
  await createTopic(cluster, topic, 4);
  const c = consumer('ThresholdGroup', topic, () => undefined, { pullThresholdForTopic: 100, pullThresholdSizeForTopic: 10 });
  await c.start();
  try {
    // The topic's four queues (and the retry topic's one, once it exists).
    await pollUntil(() => c.assignedQueues().filter((q) => q.topic === topic).length === 4, 10_000, 'the queues assigned');
    await pollUntil(() => c.config.pullThresholdForQueue === Math.floor(100 / c.assignedQueues().length), 5_000, 'the per-queue limit');
    expect(c.config.pullThresholdSizeForQueue).toBe(Math.floor(10 / c.assignedQueues().length));
  } finally {
    await c.shutdown();
  }
});
