import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LitePullConsumer, MQAdmin, Message, Producer, type MessageExt } from '../../src/net/client/index.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';

/**
 * DefaultLitePullConsumer against a broker process: subscribed members share the queues and poll
 * every message once; offsets reach the broker by commitSync or auto commit; an assigned queue
 * can be sought and paused.
 */
let cluster: LocalCluster;
const TOPIC = 'LiteTopic';

beforeAll(async () => {
  cluster = await startTestCluster();
  await createTopic(cluster, TOPIC, 4);
  const p = new Producer({ producerGroup: 'LiteProducer', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await p.start();
  try {
    for (let i = 0; i < 20; i++) await p.send(new Message(TOPIC, `m${i}`), { selector: (mqs) => mqs[i % 4]!, arg: i });
  } finally {
    await p.shutdown();
  }
});

afterAll(async () => {
  await cluster?.stop();
});

const bodies = (msgs: MessageExt[]): string[] => msgs.map((m) => m.body.toString());

async function drain(c: LitePullConsumer, into: string[], until: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!until() && Date.now() < deadline) into.push(...bodies(await c.poll(200)));
}

async function committedTotal(group: string): Promise<number> {
  const admin = new MQAdmin({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await admin.start();
  try {
    return (await admin.examineConsumeStats(group, TOPIC)).offsets.reduce((n, o) => n + o.consumerOffset, 0);
  } finally {
    await admin.shutdown();
  }
}

describe('LitePullConsumer', () => {
  it('subscribed members split the queues and poll every message once; commitSync writes the offsets', async () => {
    const make = () => new LitePullConsumer({ consumerGroup: 'LiteGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', autoCommit: false, rebalanceInterval: 200 });
    const a = make().subscribe(TOPIC, '*');
    const b = make().subscribe(TOPIC, '*');
    await a.start();
    await b.start();
    try {
      await pollUntil(() => a.assignment().length === 2 && b.assignment().length === 2, 10_000, 'the queues split');
      const got: string[] = [];
      await Promise.all([drain(a, got, () => got.length >= 20), drain(b, got, () => got.length >= 20)]);
      expect(got.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
      expect(await committedTotal('LiteGroup')).toBe(0);
      await a.commitSync();
      await b.commitSync();
      expect(await committedTotal('LiteGroup')).toBe(20);
      expect(await a.committed(a.assignment()[0]!)).toBe(5);
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  });

  it('without auto commit, what was polled and not committed is polled again after a restart', async () => {
    const make = () => new LitePullConsumer({ consumerGroup: 'LiteManual', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', autoCommit: false }).subscribe(TOPIC, '*');
    const first = make();
    await first.start();
    const got: string[] = [];
    await drain(first, got, () => got.length >= 20);
    await first.shutdown();
    expect(await committedTotal('LiteManual')).toBe(0);
    const second = make();
    await second.start();
    const again: string[] = [];
    try {
      await drain(second, again, () => again.length >= 20);
      await second.commitSync();
    } finally {
      await second.shutdown();
    }
    expect(again.sort()).toEqual(got.sort());
    expect(await committedTotal('LiteManual')).toBe(20);
  });

  it('an assigned queue is sought back and forth and paused; auto commit writes what was polled', async () => {
    const c = new LitePullConsumer({ consumerGroup: 'LiteAssign', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', autoCommitIntervalMillis: 100 });
    const probe = new LitePullConsumer({ consumerGroup: 'LiteProbe', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    probe.assign([]);
    await probe.start();
    const [q0] = await probe.fetchMessageQueues(TOPIC);
    await probe.shutdown();
    c.assign([q0!]);
    await c.start();
    try {
      const got: string[] = [];
      await drain(c, got, () => got.length >= 5);
      expect(got).toEqual(['m0', 'm4', 'm8', 'm12', 'm16']);
      await c.seek(q0!, 3);
      const again: string[] = [];
      await drain(c, again, () => again.length >= 2);
      expect(again).toEqual(['m12', 'm16']);
      await expect(c.seek(q0!, 99)).rejects.toThrow('Seek offset illegal, seek offset = 99, min offset = 0, max offset = 5');
      c.pause([q0!]);
      await c.seekToBegin(q0!);
      expect(await c.poll(300)).toEqual([]);
      c.resume([q0!]);
      const resumed: string[] = [];
      await drain(c, resumed, () => resumed.length >= 5);
      expect(resumed).toEqual(['m0', 'm4', 'm8', 'm12', 'm16']);
      // The next poll after the interval commits what was polled so far.
      await new Promise((r) => setTimeout(r, 150));
      await c.poll(10);
      await pollUntil(async () => (await c.committed(q0!)) === 5, 5000, 'the auto commit');
    } finally {
      await c.shutdown();
    }
  });
});

describe('LitePullConsumer.unsubscribe', () => {
  it('lets the topic’s queues go', async () => {
    const c = new LitePullConsumer({ consumerGroup: 'LiteUnsub', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', rebalanceInterval: 200 });
    c.subscribe(TOPIC, '*');
    await c.start();
    try {
      await pollUntil(() => c.assignment().length === 4, 10_000, 'the queues assigned');
      c.unsubscribe(TOPIC);
      await pollUntil(() => c.assignment().length === 0, 10_000, 'the queues let go');
      expect(c.subscriptions()).toEqual([]);
    } finally {
      await c.shutdown();
    }
  });
});
