import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { requireAliOns } from '../helpers/ali-ons.js';
import { Proc, brokerConf, brokerPort, spawnBroker, spawnNamesrv, tempDir, waitFor } from '../helpers/broker-harness.js';

/** The slice of ali-ons (a pure-JS RocketMQ 4.x client written by others) this test uses. */
interface OnsMessage {
  topic: string;
  tags: string;
  keys: string;
  body: Buffer;
  msgId: string;
  queueId: number;
  queueOffset: number;
}
interface OnsProducer {
  ready(): Promise<void>;
  send(msg: unknown): Promise<{ sendStatus: string; msgId: string; messageQueue: { queueId: number } }>;
  close(): Promise<void>;
  on(event: 'error', cb: (err: Error) => void): void;
}
interface OnsConsumer {
  ready(): Promise<void>;
  subscribe(topic: string, expr: string, handler: (msg: OnsMessage) => Promise<void>): void;
  close(): Promise<void>;
  on(event: 'error', cb: (err: Error) => void): void;
  pullKernelImpl(...args: unknown[]): Promise<{ msgFoundList?: OnsMessage[] }>;
}
interface AliOns {
  Producer: new (o: Record<string, unknown>) => OnsProducer;
  Consumer: new (o: Record<string, unknown>) => OnsConsumer;
  Message: new (topic: string, tags: string, body: string) => { keys: string[] };
}
const ons = requireAliOns<AliOns>();

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const TOPIC = 'OnsTopic';
/** Errors ali-ons reports to its clients' listeners, such as refused reconnects while the broker restarts. */
const errors: Error[] = [];

let dir: string;
let ns: { proc: Proc; addr: string };
let broker: Proc;
let port: number;
let conf: string;
const admin = new RemotingClient();

/** ali-ons options with its timers shortened so nothing waits on its 10-30 s defaults. */
function options(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    nameSrv: ns.addr,
    httpclient: {},
    logger: quiet,
    rebalanceInterval: 300,
    persistConsumerOffsetInterval: 200,
    heartbeatBrokerInterval: 1000,
    pollNameServerInteval: 1000,
    ...extra,
  };
}

async function waitForRoute(topic = TOPIC): Promise<void> {
  await waitFor(async () => {
    const r = await admin.invoke(ns.addr, RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }), 3000);
    return r.code === ResponseCode.SUCCESS;
  }, 10_000, `route of ${topic}`);
}

async function createTopic(topic: string, queues: number): Promise<void> {
  const created = await admin.invoke(
    `127.0.0.1:${port}`,
    RemotingCommand.createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic, readQueueNums: queues, writeQueueNums: queues, perm: 6, topicFilterType: 'SINGLE_TAG', defaultTopic: 'TBW102', topicSysFlag: 0, order: false }),
    3000,
  );
  expect(created.code).toBe(ResponseCode.SUCCESS);
  await waitForRoute(topic);
}

async function startConsumer(group: string, expr: string, received: OnsMessage[], pulledTags?: string[]): Promise<OnsConsumer> {
  const c = new ons.Consumer(options({ consumerGroup: group, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' }));
  c.on('error', (e) => errors.push(e));
  if (pulledTags) {
    // What the broker hands out, before ali-ons' own client-side tag check.
    const pull = c.pullKernelImpl.bind(c);
    c.pullKernelImpl = async (...args) => {
      const r = await pull(...args);
      for (const m of r.msgFoundList ?? []) pulledTags.push(m.tags);
      return r;
    };
  }
  c.subscribe(TOPIC, expr, async (msg) => {
    received.push(msg);
  });
  await c.ready();
  return c;
}

async function committedTotal(group: string): Promise<number> {
  let sum = 0;
  for (let q = 0; q < 4; q++) {
    const r = await admin.invoke(`127.0.0.1:${port}`, RemotingCommand.createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: group, topic: TOPIC, queueId: q }), 3000);
    sum += Number(r.extFields.offset ?? 0);
  }
  return sum;
}

beforeAll(async () => {
  dir = tempDir('broker-ons-');
  ns = await spawnNamesrv(dir);
  port = await brokerPort();
  conf = join(dir, 'broker.properties');
  writeFileSync(conf, brokerConf(port, dir, ns.addr, { brokerName: 'ons-broker', brokerClusterName: 'OnsCluster' }));
  broker = (await spawnBroker(conf)).proc;
  // ali-ons cannot auto-create topics: create it first and wait until the NameServer routes it.
  await createTopic(TOPIC, 4);
  // The retry topics would be created by the first heartbeat; ali-ons logs loudly (and carries on)
  // when it looks up their routes before that, so create them up front to keep test output clean.
  for (const g of ['OnsGroupAll', 'OnsGroupTagA']) await createTopic(`%RETRY%${g}`, 1);
});

afterAll(() => {
  admin.close();
  Proc.killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('ali-ons against our NameServer and broker', () => {
  it('sends with tags and keys; "*" receives all, a tag subscription only its tag; a group resumes from its committed offset after a broker restart', async () => {
    const producer = new ons.Producer(options({ producerGroup: 'OnsProducer' }));
    // ali-ons reports a refused reconnect while the broker restarts below as an 'error' event;
    // unheard, it would be an uncaught exception.
    producer.on('error', (e) => errors.push(e));
    await producer.ready();
    const sent = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      const tag = i % 2 === 0 ? 'TagA' : 'TagB';
      const msg = new ons.Message(TOPIC, tag, `ons-body-${i}`);
      msg.keys = [`ons-key-${i}`];
      const r = await producer.send(msg);
      expect(r.sendStatus).toBe('SEND_OK');
      sent.set(`ons-body-${i}`, tag);
    }

    const all: OnsMessage[] = [];
    const tagA: OnsMessage[] = [];
    const pulledByTagGroup: string[] = [];
    const g1 = await startConsumer('OnsGroupAll', '*', all);
    const g2 = await startConsumer('OnsGroupTagA', 'TagA', tagA, pulledByTagGroup);
    await waitFor(() => all.length >= 20 && tagA.length >= 10, 20_000, 'consumers to receive');
    await new Promise((r) => setTimeout(r, 300));
    expect(new Set(all.map((m) => m.body.toString()))).toEqual(new Set(sent.keys()));
    expect(all).toHaveLength(20);
    const first = all.find((m) => m.body.toString() === 'ons-body-3')!;
    expect(first.tags).toBe('TagB');
    expect(first.keys).toBe('ons-key-3');
    expect(tagA.map((m) => m.tags).every((t) => t === 'TagA')).toBe(true);
    expect(tagA).toHaveLength(10);
    // The broker filtered: TagB messages never reached the TagA group.
    expect(pulledByTagGroup.length).toBeGreaterThanOrEqual(10);
    expect(pulledByTagGroup.every((t) => t === 'TagA')).toBe(true);

    await g2.close();
    await g1.close();
    await waitFor(async () => (await committedTotal('OnsGroupAll')) === 20, 5000, 'offsets committed');

    broker.child.kill('SIGTERM');
    expect(await broker.exited()).toBe(0);
    broker = (await spawnBroker(conf)).proc;
    await waitForRoute();
    expect(await committedTotal('OnsGroupAll')).toBe(20);

    for (let i = 20; i < 25; i++) {
      const r = await producer.send(new ons.Message(TOPIC, 'TagA', `ons-body-${i}`));
      expect(r.sendStatus).toBe('SEND_OK');
    }
    const resumed: OnsMessage[] = [];
    const again = await startConsumer('OnsGroupAll', '*', resumed);
    await waitFor(() => resumed.length >= 5, 20_000, 'resumed consumer');
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed.map((m) => m.body.toString()).sort()).toEqual(['ons-body-20', 'ons-body-21', 'ons-body-22', 'ons-body-23', 'ons-body-24']);
    await again.close();
    await producer.close();
  });
});
