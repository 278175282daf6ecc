import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MQAdmin, Message, Producer, PullConsumer, PushConsumer, type MessageExt, type MessageQueue, type SendResult } from '../../src/net/client/index.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';

/**
 * The client against a real NameServer and broker (child processes): every send mode read back,
 * ordered sends, a two-member push group, tag filtering, offsets resumed by a new member, and
 * redelivery of a failed message through the retry topic.
 */
let cluster: LocalCluster;
let producer: Producer;

beforeAll(async () => {
  cluster = await startTestCluster();
  producer = new Producer({ producerGroup: 'E2E_PG', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await producer.start();
});

afterAll(async () => {
  await producer?.shutdown();
  await cluster?.stop();
});

async function pullAll(topic: string): Promise<Map<number, MessageExt[]>> {
  const pc = new PullConsumer({ consumerGroup: `PULL_${topic}`, namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await pc.start();
  try {
    const out = new Map<number, MessageExt[]>();
    for (const mq of await pc.fetchSubscribeMessageQueues(topic)) {
      const msgs: MessageExt[] = [];
      for (let offset = 0; ; ) {
        const r = await pc.pull(mq, '*', offset, 32);
        if (r.pullStatus !== 'FOUND') break;
        msgs.push(...r.msgFoundList);
        offset = r.nextBeginOffset;
      }
      out.set(mq.queueId, msgs);
    }
    return out;
  } finally {
    await pc.shutdown();
  }
}

function pushConsumer(group: string, topic: string, sub: string, onMsg: (m: MessageExt, c: PushConsumer) => void, extra: Partial<ConstructorParameters<typeof PushConsumer>[0]> = {}): PushConsumer {
  const c = new PushConsumer({ consumerGroup: group, namesrvAddr: cluster.namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', logger: silentLogger, ...extra });
  c.subscribe(topic, sub).registerMessageListener((msgs) => {
    for (const m of msgs) onMsg(m, c);
  });
  return c;
}

describe('producer round trip', () => {
  it('sync, callback, oneway and batch sends are all read back by a pull consumer', async () => {
    const topic = 'E2E_RoundTrip';
    await createTopic(cluster, topic, 4);
    const results: SendResult[] = [];
    for (let i = 0; i < 5; i++) results.push(await producer.send(new Message(topic, `sync-${i}`, { tags: 'TagS', keys: [`ks${i}`, 'both'] })));
    results.push(
      ...(await Promise.all(
        [0, 1, 2, 3, 4].map(
          (i) => new Promise<SendResult>((resolve, reject) => producer.sendCallback(new Message(topic, `async-${i}`, { tags: 'TagA' }), (err, r) => (err ? reject(err) : resolve(r!)))),
        ),
      )),
    );
    for (let i = 0; i < 5; i++) await producer.sendOneway(new Message(topic, `oneway-${i}`));
    const batch = await producer.sendBatch([0, 1, 2, 3, 4].map((i) => new Message(topic, `batch-${i}`, { keys: `kb${i}` })));
    expect(results.every((r) => r.sendStatus === 'SEND_OK')).toBe(true);
    expect(batch.msgId.split(',')).toHaveLength(5);
    expect(batch.offsetMsgId.split(',')).toHaveLength(5);

    let byQueue = new Map<number, MessageExt[]>();
    await pollUntil(async () => {
      byQueue = await pullAll(topic);
      return [...byQueue.values()].flat().length === 20;
    }, 10_000, 'all 20 messages pullable');
    const all = [...byQueue.values()].flat();
    expect(all.map((m) => m.body.toString()).sort()).toEqual(
      ['sync', 'async', 'oneway', 'batch'].flatMap((k) => [0, 1, 2, 3, 4].map((i) => `${k}-${i}`)).sort(),
    );
    const sync0 = all.find((m) => m.body.toString() === 'sync-0')!;
    expect([sync0.tags, sync0.keys, sync0.msgId, sync0.offsetMsgId]).toEqual(['TagS', 'ks0 both', results[0]!.msgId, results[0]!.offsetMsgId]);
    expect(sync0.properties.CLUSTER).toBe(cluster.clusterName);
    // A batch lands in one queue, consecutively, in order.
    const bq = byQueue.get(batch.messageQueue.queueId)!.filter((m) => m.body.toString().startsWith('batch-'));
    expect(bq.map((m) => m.body.toString())).toEqual(['batch-0', 'batch-1', 'batch-2', 'batch-3', 'batch-4']);
    expect(bq.map((m) => m.queueOffset)).toEqual([0, 1, 2, 3, 4].map((i) => batch.queueOffset + i));
    expect(bq.map((m) => m.msgId).join(',')).toBe(batch.msgId);
  });

  it('ordered messages with a selector land in one queue in send order', async () => {
    const topic = 'E2E_Ordered';
    await createTopic(cluster, topic, 4);
    const selector = (mqs: readonly MessageQueue[], _m: Message, orderId: unknown): MessageQueue => mqs[(orderId as number) % mqs.length]!;
    const sent = await Promise.all([0, 1].map(async (orderId) => {
      const rs: SendResult[] = [];
      for (let i = 0; i < 10; i++) rs.push(await producer.send(new Message(topic, `order${orderId}-${i}`), { selector, arg: orderId + 2 }));
      return rs;
    }));
    for (const [orderId, rs] of sent.entries()) expect(new Set(rs.map((r) => r.messageQueue.queueId))).toEqual(new Set([(orderId + 2) % 4]));
    const byQueue = await pullAll(topic);
    expect(byQueue.get(2)!.map((m) => m.body.toString())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `order0-${i}`));
    expect(byQueue.get(3)!.map((m) => m.body.toString())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `order1-${i}`));
  });
});

describe('producer send window', () => {
  it('a send whose selector throws rejects and frees its in-flight slot', async () => {
    const topic = 'E2E_SelectorThrows';
    await createTopic(cluster, topic, 2);
    const p = new Producer({ producerGroup: 'E2E_PG_WINDOW', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, maxInFlightSends: 3 });
    await p.start();
    try {
      // The first send caches the route, so the later selector calls run synchronously in send().
      expect((await p.send(new Message(topic, 'warm-up'))).sendStatus).toBe('SEND_OK');
      const boom = new Error('selector bug');
      const selector = (): MessageQueue => {
        throw boom;
      };
      for (let i = 0; i < 3; i++) {
        let sent: Promise<SendResult> | undefined;
        expect(() => (sent = p.send(new Message(topic, `bad-${i}`), { selector }))).not.toThrow();
        await expect(sent).rejects.toMatchObject({ name: 'MQClientError', cause: boom });
      }
      // Had the three failures kept their slots, this send would wait for a slot forever.
      const next = p.send(new Message(topic, 'after'));
      const timeout = new Promise<string>((r) => setTimeout(() => r('still waiting for a send slot'), 3000).unref());
      expect(await Promise.race([next.then((r) => r.sendStatus), timeout])).toBe('SEND_OK');
    } finally {
      await p.shutdown();
    }
  });
});

describe('pull consumer', () => {
  it('reads queue offsets and stores a group offset that a later pull consumer fetches from the broker', async () => {
    const topic = 'E2E_PullOffsets';
    await createTopic(cluster, topic, 1);
    const before = Date.now();
    for (let i = 0; i < 3; i++) await producer.send(new Message(topic, `p${i}`));
    const pc = new PullConsumer({ consumerGroup: 'E2E_PULL_G', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await pc.start();
    const [mq] = await pc.fetchSubscribeMessageQueues(topic);
    try {
      expect([await pc.minOffset(mq!), await pc.maxOffset(mq!)]).toEqual([0, 3]);
      expect(await pc.searchOffset(mq!, before - 60_000)).toBe(0);
      expect(await pc.earliestMsgStoreTime(mq!)).toBeGreaterThanOrEqual(before - 1000);
      const r = await pc.pull(mq!, '*', 1, 32);
      expect([r.pullStatus, r.nextBeginOffset, r.msgFoundList.map((m) => m.body.toString())]).toEqual(['FOUND', 3, ['p1', 'p2']]);
      expect((await pc.pull(mq!, '*', 3, 32)).pullStatus).toBe('NO_NEW_MSG');
      expect(await pc.fetchConsumeOffset(mq!, true)).toBeLessThanOrEqual(0);
      pc.updateConsumeOffset(mq!, 2);
    } finally {
      await pc.shutdown();
    }
    const again = new PullConsumer({ consumerGroup: 'E2E_PULL_G', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await again.start();
    try {
      expect(await again.fetchConsumeOffset(mq!, true)).toBe(2);
    } finally {
      await again.shutdown();
    }
  });
});

describe('push consumer', () => {
  it('two members of a group split the queues and together receive every message exactly once', async () => {
    const topic = 'E2E_Group';
    await createTopic(cluster, topic, 4);
    const seen = new Map<string, string[]>();
    const onMsg = (m: MessageExt, c: PushConsumer): void => {
      const body = m.body.toString();
      seen.set(body, [...(seen.get(body) ?? []), c.clientId!]);
    };
    const c1 = pushConsumer('E2E_GROUP', topic, '*', onMsg);
    const c2 = pushConsumer('E2E_GROUP', topic, '*', onMsg);
    try {
      await c1.start();
      await c2.start();
      const mine = (c: PushConsumer): number[] => c.assignedQueues().filter((q) => q.topic === topic).map((q) => q.queueId);
      await pollUntil(() => mine(c1).length === 2 && mine(c2).length === 2, 15_000, 'each member to own 2 queues');
      expect(new Set([...mine(c1), ...mine(c2)])).toEqual(new Set([0, 1, 2, 3]));
      for (let i = 0; i < 40; i++) await producer.send(new Message(topic, `g-${i}`));
      await pollUntil(() => seen.size === 40, 15_000, 'all 40 messages consumed');
      expect([...seen.values()].every((who) => who.length === 1)).toBe(true);
      const perMember = new Set([...seen.values()].map((w) => w[0]));
      expect(perMember).toEqual(new Set([c1.clientId, c2.clientId]));
    } finally {
      await c1.shutdown();
      await c2.shutdown();
    }
  });

  it('a tag subscription receives only its tags', async () => {
    const topic = 'E2E_Tags';
    await createTopic(cluster, topic, 2);
    const got: string[] = [];
    const c = pushConsumer('E2E_TAGS', topic, 'TagA || TagC', (m) => got.push(`${m.tags}:${m.body.toString()}`));
    try {
      await c.start();
      for (let i = 0; i < 12; i++) await producer.send(new Message(topic, `t${i}`, { tags: ['TagA', 'TagB', 'TagC'][i % 3] }));
      await producer.send(new Message(topic, 'last', { tags: 'TagC' }));
      await pollUntil(() => got.includes('TagC:last'), 15_000, 'the last TagC message');
      expect(got.sort()).toEqual(['TagA:t0', 'TagA:t3', 'TagA:t6', 'TagA:t9', 'TagC:last', 'TagC:t11', 'TagC:t2', 'TagC:t5', 'TagC:t8']);
    } finally {
      await c.shutdown();
    }
  });

  it('a new member of the group resumes from the committed offsets', async () => {
    const topic = 'E2E_Resume';
    await createTopic(cluster, topic, 2);
    const first: string[] = [];
    const c1 = pushConsumer('E2E_RESUME', topic, '*', (m) => first.push(m.body.toString()));
    await c1.start();
    for (let i = 0; i < 10; i++) await producer.send(new Message(topic, `before-${i}`));
    await pollUntil(() => first.length === 10, 15_000, 'first consumer to get 10');
    await c1.shutdown();
    for (let i = 0; i < 10; i++) await producer.send(new Message(topic, `after-${i}`));
    const second: string[] = [];
    const c2 = pushConsumer('E2E_RESUME', topic, '*', (m) => second.push(m.body.toString()));
    try {
      await c2.start();
      await pollUntil(() => second.length >= 10, 15_000, 'second consumer to get 10');
      expect(second.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `after-${i}`).sort());
    } finally {
      await c2.shutdown();
    }
  });

  it('a message whose listener fails comes back through the retry topic', async () => {
    const topic = 'E2E_Retry';
    await createTopic(cluster, topic, 1);
    const deliveries: { body: string; reconsumeTimes: number; topic: string }[] = [];
    const c = new PushConsumer({ consumerGroup: 'E2E_RETRY', namesrvAddr: cluster.namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', logger: silentLogger, pollNameServerInterval: 200 });
    c.subscribe(topic, '*').registerMessageListener((msgs) => {
      for (const m of msgs) deliveries.push({ body: m.body.toString(), reconsumeTimes: m.reconsumeTimes, topic: m.topic });
      if (msgs.some((m) => m.reconsumeTimes === 0 && m.body.toString() === 'fail-once')) throw new Error('not now');
    });
    try {
      await c.start();
      await producer.send(new Message(topic, 'fail-once'));
      await pollUntil(() => deliveries.length >= 2, 20_000, 'the redelivery');
      expect(deliveries.slice(0, 2)).toEqual([
        { body: 'fail-once', reconsumeTimes: 0, topic },
        { body: 'fail-once', reconsumeTimes: 1, topic },
      ]);
    } finally {
      await c.shutdown();
    }
  });

  it('producer and consumer carry on across a broker restart, without redelivering consumed messages', async () => {
    const topic = 'E2E_Restart';
    await createTopic(cluster, topic, 2);
    const got: string[] = [];
    const c = pushConsumer('E2E_RESTART', topic, '*', (m) => got.push(m.body.toString()), { pullTimeDelayMillsWhenException: 100, persistConsumerOffsetInterval: 100 });
    try {
      await c.start();
      for (let i = 0; i < 5; i++) await producer.send(new Message(topic, `pre-${i}`));
      await pollUntil(() => got.length === 5, 15_000, 'messages before the restart');
      await cluster.restartBroker();
      for (let i = 0; i < 5; i++) await producer.send(new Message(topic, `post-${i}`));
      // The restarted broker knows its producer and consumer groups at once, from the heartbeat
      // each client sends on reconnecting, not at their next periodic one (30 s away).
      const admin = new MQAdmin({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
      await admin.start();
      try {
        await pollUntil(async () => (await admin.examineProducerConnectionInfo('E2E_PG', topic).catch(() => [])).length === 1, 3000, 'the producer group on the restarted broker');
        await pollUntil(async () => (await admin.examineConsumerConnectionInfo('E2E_RESTART').catch(() => null))?.connectionSet.length === 1, 3000, 'the consumer group on the restarted broker');
      } finally {
        await admin.shutdown();
      }
      await pollUntil(() => got.length >= 10, 20_000, 'messages after the restart');
      expect(got.sort()).toEqual([...[0, 1, 2, 3, 4].map((i) => `post-${i}`), ...[0, 1, 2, 3, 4].map((i) => `pre-${i}`)]);
    } finally {
      await c.shutdown();
    }
  });
});
