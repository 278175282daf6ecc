import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, Producer, PullConsumer, PushConsumer, type MessageExt, type MessageQueue } from '../../src/net/client/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';

/**
 * Orderly push consumption (MessageListenerOrderly) against a broker process: each queue is
 * consumed in order by the one member holding its broker lock, a suspended batch holds its queue
 * back until it succeeds, a message out of attempts goes to the DLQ, and a member that stops
 * gives its locks back at once.
 */
let cluster: LocalCluster;
const TOPIC = 'OrderTopic';

beforeAll(async () => {
  cluster = await startTestCluster();
  await createTopic(cluster, TOPIC, 4);
});

afterAll(async () => {
  await cluster?.stop();
});

async function sendOrdered(tag: string, orders: number, steps: number): Promise<void> {
  const p = new Producer({ producerGroup: `OrderProducer${tag}`, namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await p.start();
  try {
    for (let step = 0; step < steps; step++) {
      for (let order = 0; order < orders; order++) {
        const r = await p.send(new Message(TOPIC, `${tag}:${order}:${step}`, { tags: tag }), { selector: (mqs) => mqs[order % mqs.length]!, arg: order });
        expect(r.sendStatus).toBe('SEND_OK');
      }
    }
  } finally {
    await p.shutdown();
  }
}

/** A raw LOCK_BATCH_MQ as another client would send it: the queues it was granted. */
async function lockAs(clientId: string, group: string, mqs: MessageQueue[]): Promise<number> {
  const raw = new RemotingClient();
  try {
    const body = Buffer.from(JSON.stringify({ clientId, consumerGroup: group, mqSet: mqs }));
    const res = await raw.invoke(cluster.brokerAddr, RemotingCommand.createRequest(RequestCode.LOCK_BATCH_MQ, {}, body), 3000);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    return (JSON.parse(res.body!.toString()) as { lockOKMQSet: unknown[] }).lockOKMQSet.length;
  } finally {
    raw.close();
  }
}

describe('orderly push consumers', () => {
  it('two members split the queues and consume each in order; a leaving member hands over, a stopped one lets its locks go', async () => {
    const seen = new Map<string, { consumer: string; queueId: number; body: string }[]>();
    const make = (name: string) => {
      const c = new PushConsumer({ consumerGroup: 'OrderGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', rebalanceInterval: 200 });
      let busy = 0;
      c.subscribe(TOPIC, 'A').registerMessageListenerOrderly(async (msgs, ctx) => {
        // One batch at a time per queue: never two of one queue in the listener together.
        expect(busy & (1 << ctx.mq.queueId)).toBe(0);
        busy |= 1 << ctx.mq.queueId;
        await new Promise((r) => setTimeout(r, 2));
        for (const m of msgs) {
          const order = m.body.toString().split(':')[1]!;
          const list = seen.get(order) ?? [];
          list.push({ consumer: name, queueId: m.queueId, body: m.body.toString() });
          seen.set(order, list);
        }
        busy &= ~(1 << ctx.mq.queueId);
        return 'SUCCESS' as const;
      });
      return c;
    };
    const a = make('a');
    const b = make('b');
    await a.start();
    await b.start();
    try {
      // The retry topic's queue goes to one of them as well: count the topic's own.
      const mine = (c: PushConsumer) => c.assignedQueues().filter((mq) => mq.topic === TOPIC);
      await pollUntil(() => mine(a).length === 2 && mine(b).length === 2, 10_000, 'the queues split between the members');
      // Held on the broker: another client cannot lock them.
      expect(await lockAs('intruder', 'OrderGroup', [...mine(a), ...mine(b)])).toBe(0);
      await sendOrdered('A', 8, 10);
      await pollUntil(() => [...seen.values()].reduce((n, l) => n + l.length, 0) >= 80, 20_000, 'all 80 consumed');
      for (let order = 0; order < 8; order++) {
        const list = seen.get(String(order))!;
        expect(list.map((e) => e.body)).toEqual(Array.from({ length: 10 }, (_, step) => `A:${order}:${step}`));
        expect(new Set(list.map((e) => e.consumer)).size).toBe(1);
      }
      // A member leaving hands its queues over: the other locks and takes all four.
      const all = [...mine(a), ...mine(b)];
      await a.shutdown();
      await pollUntil(() => mine(b).length === 4, 10_000, 'b to take over');
      expect(await lockAs('intruder', 'OrderGroup', all)).toBe(0);
      // Stopping gives the locks back at once (the broker would hold them for 60 s otherwise).
      await b.shutdown();
      expect(await lockAs('intruder', 'OrderGroup', all)).toBe(4);
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  });

  it('a suspended batch holds its queue back and is retried with a count; out of attempts it goes to the DLQ', async () => {
    const got: { body: string; reconsumeTimes: number }[] = [];
    const c = new PushConsumer({ consumerGroup: 'OrderDlqGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', suspendCurrentQueueTimeMillis: 50, maxReconsumeTimes: 2 });
    c.subscribe(TOPIC, 'B').registerMessageListenerOrderly((msgs: MessageExt[]) => {
      const m = msgs[0]!;
      got.push({ body: m.body.toString(), reconsumeTimes: m.reconsumeTimes });
      if (m.body.toString() === 'B:0:1') return 'SUSPEND_CURRENT_QUEUE_A_MOMENT';
      if (m.body.toString() === 'B:0:2' && m.reconsumeTimes === 0) throw new Error('fails once');
      return 'SUCCESS';
    });
    await c.start();
    try {
      await sendOrdered('B', 1, 4);
      await pollUntil(() => got.some((g) => g.body === 'B:0:3'), 15_000, 'the queue to move past the poison message');
      expect(got).toEqual([
        { body: 'B:0:0', reconsumeTimes: 0 },
        { body: 'B:0:1', reconsumeTimes: 0 },
        { body: 'B:0:1', reconsumeTimes: 1 },
        { body: 'B:0:1', reconsumeTimes: 2 },
        { body: 'B:0:2', reconsumeTimes: 0 },
        { body: 'B:0:2', reconsumeTimes: 1 },
        { body: 'B:0:3', reconsumeTimes: 0 },
      ]);
    } finally {
      await c.shutdown();
    }
    const puller = new PullConsumer({ consumerGroup: 'DlqReader', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await puller.start();
    try {
      let dead: MessageExt[] = [];
      await pollUntil(async () => {
        const mqs = await puller.fetchSubscribeMessageQueues('%DLQ%OrderDlqGroup').catch(() => []);
        dead = mqs.length ? (await puller.pull(mqs[0]!, '*', 0, 32)).msgFoundList : [];
        return dead.length > 0;
      }, 10_000, 'the DLQ');
      expect(dead.map((m) => m.body.toString())).toEqual(['B:0:1']);
    } finally {
      await puller.shutdown();
    }
  });
});
