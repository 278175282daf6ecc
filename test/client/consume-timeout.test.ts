import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, Producer, PullConsumer, PushConsumer } from '../../src/net/client/index.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';

/**
 * consumeTimeout: a listener call that never returns does not hold its queue's committed offset
 * back for ever; past the timeout its message is sent back for redelivery, as Java's
 * cleanExpireMsg does.
 */
let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
  await createTopic(cluster, 'StuckTopic', 1);
});

afterAll(async () => {
  await cluster?.stop();
});

describe('consumeTimeout', () => {
  it('a hung listener call is sent back and the queue commits past it', async () => {
    const p = new Producer({ producerGroup: 'StuckProducer', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await p.start();
    for (const b of ['a', 'hang', 'b']) await p.send(new Message('StuckTopic', b));
    await p.shutdown();
    const seen: string[] = [];
    // 0.01 minutes: 600 ms.
    const c = new PushConsumer({ consumerGroup: 'StuckGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', consumeTimeout: 0.01, awaitTerminationMillisWhenShutdown: 100 });
    c.subscribe('StuckTopic', '*').registerMessageListener((msgs) => {
      seen.push(...msgs.map((m) => m.body.toString()));
      if (msgs.some((m) => m.body.toString() === 'hang')) return new Promise<void>(() => {});
      return 'CONSUME_SUCCESS';
    });
    await c.start();
    const commit = (): number => c.runningInfo().mqTable.find(([mq]) => mq.topic === 'StuckTopic')?.[1].commitOffset ?? -1;
    try {
      await pollUntil(() => seen.length >= 3, 10_000, 'all three handed to the listener');
      // Held back by the hung call at first, then past it once it expired.
      expect(commit()).toBe(1);
      await pollUntil(() => commit() === 3, 10_000, 'the commit past the hung message');
    } finally {
      await c.shutdown();
    }
    const puller = new PullConsumer({ consumerGroup: 'StuckReader', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await puller.start();
    try {
      let back: string[] = [];
      await pollUntil(async () => {
        const mqs = await puller.fetchSubscribeMessageQueues('%RETRY%StuckGroup').catch(() => []);
        back = mqs.length ? (await puller.pull(mqs[0]!, '*', 0, 32)).msgFoundList.map((m) => m.body.toString()) : [];
        return back.length > 0;
      }, 10_000, 'the hung message in the retry topic');
      expect(back).toEqual(['hang']);
    } finally {
      await puller.shutdown();
    }
  });
});
