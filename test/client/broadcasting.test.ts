import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, Producer, PushConsumer } from '../../src/net/client/index.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';
import { removeTempDirs, tempDir } from '../helpers/broker-harness.js';

/**
 * BROADCASTING push consumers: every member gets every message, keeps its own offsets in a local
 * file (RocketMQ's LocalFileOffsetStore format), resumes from it after a restart, and drops a
 * failed message instead of redelivering it.
 */
let cluster: LocalCluster;
const TOPIC = 'CastTopic';
let offsetsDir: string;

beforeAll(async () => {
  cluster = await startTestCluster();
  await createTopic(cluster, TOPIC, 2);
  offsetsDir = tempDir('cast-offsets-');
});

afterAll(async () => {
  await cluster?.stop();
  removeTempDirs();
});

async function send(bodies: string[]): Promise<void> {
  const p = new Producer({ producerGroup: 'CastProducer', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await p.start();
  try {
    for (const b of bodies) expect((await p.send(new Message(TOPIC, b))).sendStatus).toBe('SEND_OK');
  } finally {
    await p.shutdown();
  }
}

function member(name: string, got: string[], failOn?: string): PushConsumer {
  const c = new PushConsumer({
    consumerGroup: 'CastGroup', messageModel: 'BROADCASTING', instanceName: name, localOffsetStoreDir: offsetsDir,
    namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  });
  c.subscribe(TOPIC, '*').registerMessageListener((msgs) => {
    for (const m of msgs) got.push(m.body.toString());
    if (msgs.some((m) => m.body.toString() === failOn)) return 'RECONSUME_LATER';
    return 'CONSUME_SUCCESS';
  });
  return c;
}

describe('broadcasting push consumers', () => {
  it('every member gets every message once, a failure is dropped, and a restarted member resumes from its own file', async () => {
    const gotA: string[] = [];
    const gotB: string[] = [];
    const a = member('cast-a', gotA, 'm2');
    const b = member('cast-b', gotB);
    await a.start();
    await b.start();
    const idA = a.clientId!;
    try {
      expect(a.assignedQueues().filter((mq) => mq.topic === TOPIC)).toHaveLength(2);
      expect(b.assignedQueues().filter((mq) => mq.topic === TOPIC)).toHaveLength(2);
      // No retry topic for broadcasting members.
      expect(a.subscriptions().map((s) => s.topic)).toEqual([TOPIC]);
      await send(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
      await pollUntil(() => gotA.length >= 6 && gotB.length >= 6, 15_000, 'both members to get all six');
      await new Promise((r) => setTimeout(r, 500));
      expect(gotA.sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
      expect(gotB.sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    } finally {
      await a.shutdown();
    }
    const file = join(offsetsDir, idA, 'CastGroup', 'offsets.json');
    expect(existsSync(file)).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^\{"offsetTable":\{\{"brokerName":"[^"]+","queueId":[01],"topic":"CastTopic"\}:\d+,\{"brokerName":"[^"]+","queueId":[01],"topic":"CastTopic"\}:\d+\}\}$/);
    const total = [...text.matchAll(/\}:(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(total).toBe(6);

    // a is back (same instance name, so the same file): only what came while it was away.
    const again: string[] = [];
    const a2 = member('cast-a', again);
    await a2.start();
    try {
      await send(['m6', 'm7']);
      await pollUntil(() => again.length >= 2 && gotB.length >= 8, 15_000, 'the restarted member to resume');
      await new Promise((r) => setTimeout(r, 500));
      expect(again.sort()).toEqual(['m6', 'm7']);
    } finally {
      await a2.shutdown();
      await b.shutdown();
    }
  });
});
