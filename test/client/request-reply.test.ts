import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, Producer, PullConsumer, PushConsumer, createReplyMessage, type MessageExt } from '../../src/net/client/index.js';
import { createTopic, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';

/**
 * Request-reply (RocketMQ 4.6+) through a broker process: the requester's wait is settled by the
 * reply the broker pushes to it, matched by correlation id; the reply is also stored in the
 * cluster's reply topic; a missing responder times out with RocketMQ's words, and a reply whose
 * requester is gone is refused with the broker's.
 */
let cluster: LocalCluster;
let responder: PushConsumer;
let replier: Producer;

beforeAll(async () => {
  cluster = await startTestCluster();
  await createTopic(cluster, 'RequestTopic', 2);
  await createTopic(cluster, 'NobodyListens', 1);
  replier = new Producer({ producerGroup: 'Replier', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await replier.start();
  responder = new PushConsumer({ consumerGroup: 'Responder', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  responder.subscribe('RequestTopic', '*').registerMessageListener(async (msgs) => {
    for (const m of msgs) await replier.send(createReplyMessage(m, `re:${m.body.toString()}`));
  });
  await responder.start();
});

afterAll(async () => {
  await responder?.shutdown();
  await replier?.shutdown();
  await cluster?.stop();
});

describe('request-reply', () => {
  it('each request gets its own reply, pushed by the broker and stored in the reply topic', async () => {
    const requester = new Producer({ producerGroup: 'Requester', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await requester.start();
    try {
      const requests = Array.from({ length: 10 }, (_, i) => new Message('RequestTopic', `ping-${i}`));
      const replies = await Promise.all(requests.map((m) => requester.request(m, 10_000)));
      expect(replies.map((r) => r.body.toString())).toEqual(requests.map((_, i) => `re:ping-${i}`));
      for (const [i, r] of replies.entries()) {
        expect(r.topic).toBe(`${cluster.clusterName}_REPLY_TOPIC`);
        expect(r.properties.CORRELATION_ID).toBe(requests[i]!.properties.get('CORRELATION_ID'));
        expect(r.properties.REPLY_TO_CLIENT).toBe(requester.clientId);
        expect(r.properties.TTL).toBe('10000');
        expect(r.properties.MSG_TYPE).toBe('reply');
        expect(Number(r.properties.ARRIVE_TIME)).toBeGreaterThan(0);
        expect(Number(r.properties.PUSH_REPLY_TIME)).toBeGreaterThan(0);
      }
    } finally {
      await requester.shutdown();
    }
    const puller = new PullConsumer({ consumerGroup: 'ReplyReader', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await puller.start();
    try {
      const [mq] = await puller.fetchSubscribeMessageQueues(`${cluster.clusterName}_REPLY_TOPIC`);
      const stored: MessageExt[] = (await puller.pull(mq!, '*', 0, 32)).msgFoundList;
      expect(stored.map((m) => m.body.toString()).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `re:ping-${i}`).sort());
    } finally {
      await puller.shutdown();
    }
  });

  it('times out without a responder, and a reply to a requester that is gone is refused', async () => {
    const requester = new Producer({ producerGroup: 'Requester2', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await requester.start();
    try {
      const t0 = Date.now();
      await expect(requester.request(new Message('NobodyListens', 'hello'), 500)).rejects.toThrow('send request message to <NobodyListens> OK, but wait reply message timeout, 500 ms.');
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await requester.shutdown();
    }
    const orphan = createReplyMessage({ properties: { CLUSTER: cluster.clusterName, CORRELATION_ID: 'x', REPLY_TO_CLIENT: 'nobody@gone' } } as unknown as MessageExt, 'late');
    await expect(replier.send(orphan)).rejects.toThrow('push reply message fail, channel of <nobody@gone> not found.');
    expect(() => createReplyMessage({ properties: {} } as unknown as MessageExt, 'x')).toThrow('create reply message fail, requestMessage error, property[CLUSTER] is null.');
  });
});
