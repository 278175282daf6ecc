import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, MessageSelector, Producer, PullConsumer, PushConsumer } from '../../src/net/client/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';
import { createTopic as createTopicIn, pullHeader, startTestBroker } from '../helpers/broker-harness.js';

/**
 * SQL92 selection end to end: a push consumer subscribed with MessageSelector.bySql gets exactly
 * the messages whose properties match, filtered on the broker; a broker without
 * enablePropertyFilter refuses such a subscription, as RocketMQ's does.
 */
const TOPIC = 'SqlTopic';
let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ brokerProps: { enablePropertyFilter: true } });
  await createTopic(cluster, TOPIC, 2);
});

afterAll(async () => {
  await cluster?.stop();
});

describe('SQL92 filtering', () => {
  it('delivers only the messages whose properties match the expression', async () => {
    const producer = new Producer({ producerGroup: 'SqlProducer', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await producer.start();
    for (let i = 0; i < 12; i++) {
      await producer.send(new Message(TOPIC, `m${i}`, { tags: i % 4 === 0 ? 'special' : 'plain', properties: { a: String(i), region: i < 6 ? 'eu' : 'us' } }));
    }
    await producer.shutdown();
    const got: string[] = [];
    const consumer = new PushConsumer({ consumerGroup: 'SqlGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(TOPIC, MessageSelector.bySql("(a BETWEEN 3 AND 5 AND region = 'eu') OR TAGS = 'special'")).registerMessageListener((msgs) => void got.push(...msgs.map((m) => m.body.toString())));
    await consumer.start();
    try {
      const want = ['m0', 'm3', 'm4', 'm5', 'm8'];
      await pollUntil(() => got.length >= want.length, 15_000, 'the matching messages');
      await new Promise((r) => setTimeout(r, 500));
      expect(got.sort()).toEqual(want);
    } finally {
      await consumer.shutdown();
    }
  });

  it('a pull consumer selects by SQL92 too', async () => {
    const puller = new PullConsumer({ consumerGroup: 'SqlPuller', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await puller.start();
    try {
      const got: string[] = [];
      for (const mq of await puller.fetchSubscribeMessageQueues(TOPIC)) {
        for (let off = 0; ; ) {
          const r = await puller.pull(mq, MessageSelector.bySql("region = 'us' AND a >= 10"), off, 32);
          got.push(...r.msgFoundList.map((m) => m.body.toString()));
          if (r.pullStatus !== 'FOUND' && r.pullStatus !== 'NO_MATCHED_MSG') break;
          off = r.nextBeginOffset;
        }
      }
      expect(got.sort()).toEqual(['m10', 'm11']);
    } finally {
      await puller.shutdown();
    }
  });

  it('a broker without enablePropertyFilter, or a bad expression, refuses the subscription', async () => {
    const tb = await startTestBroker();
    try {
      await createTopicIn(tb, TOPIC, 1);
      const check = (subString: string) =>
        tb.invoke(RequestCode.CHECK_CLIENT_CONFIG, {}, Buffer.from(JSON.stringify({ clientId: 'c', group: 'g', subscriptionData: { topic: TOPIC, subString, expressionType: 'SQL92' } })));
      const off = await check('a > 1');
      expect([off.code, off.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'The broker does not support consumer to filter message by SQL92']);
      const pulled = await tb.invoke(RequestCode.PULL_MESSAGE, { ...pullHeader(TOPIC, 'g', 0, 0, { sysFlag: 0x4, subscription: 'a > 1' }), expressionType: 'SQL92' });
      expect(pulled.code).toBe(ResponseCode.SYSTEM_ERROR);
    } finally {
      await tb.close();
    }
    const on = await startTestBroker({ enablePropertyFilter: true });
    try {
      await createTopicIn(on, TOPIC, 1);
      const r = await on.invoke(RequestCode.CHECK_CLIENT_CONFIG, {}, Buffer.from(JSON.stringify({ subscriptionData: { topic: TOPIC, subString: 'a >', expressionType: 'SQL92' } })));
      expect([r.code, r.remark]).toEqual([ResponseCode.SUBSCRIPTION_PARSE_FAILED, expect.stringMatching(/bad SQL92 expression "a >"/)]);
      expect((await on.invoke(RequestCode.CHECK_CLIENT_CONFIG, {}, Buffer.from(JSON.stringify({ subscriptionData: { topic: TOPIC, subString: 'a > 1', expressionType: 'SQL92' } })))).code).toBe(ResponseCode.SUCCESS);
    } finally {
      await on.close();
    }
    // Our consumer asks at start, as Java's does, and fails with the broker's reason.
    const plain = await startTestCluster();
    try {
      await createTopic(plain, TOPIC, 1);
      const c = new PushConsumer({ consumerGroup: 'SqlGroup2', namesrvAddr: plain.namesrvAddr, logger: silentLogger });
      c.subscribe(TOPIC, MessageSelector.bySql('a > 1')).registerMessageListener(() => undefined);
      await expect(c.start()).rejects.toThrow(/does not support consumer to filter message by SQL92/);
    } finally {
      await plain.stop();
    }
  });
});
