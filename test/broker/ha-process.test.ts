import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessages } from '../../src/store/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { createTopic, pullHeader, sendV2Header } from '../helpers/broker-harness.js';
import { pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';
import { PullConsumer, PushConsumer } from '../../src/net/client/index.js';
import type { LocalSlave } from '../../src/tools/local-cluster.js';

/** The first commit log segment of a store (the tests write far less than one). */
const commitLog = (root: string) => readFileSync(join(root, 'commitlog', readdirSync(join(root, 'commitlog')).sort()[0]!));
const masterEnd = async () => Number((await invoke(cluster.brokerAddr, RequestCode.GET_BROKER_RUNTIME_INFO)).body!.toString().match(/"commitLogMaxOffset":"(\d+)"/)![1]);

/**
 * A SYNC_MASTER and its slave as real processes, replicating over the HA port (in the brokers'
 * HA workers): sends are acknowledged only once the slave has them, the slave serves them with
 * the master's metadata, and a slave killed with SIGKILL turns acknowledgements into
 * SLAVE_NOT_AVAILABLE again.
 */
const HA_PROPS = { haSendHeartbeatInterval: 300, haHousekeepingInterval: 3000, slaveTimeout: 2000 };
const TOPIC = 'HaProcTopic';

let cluster: LocalCluster;
let slave: LocalSlave | null = null;
const client = new RemotingClient();
const invoke = (addr: string, code: number, ext: Record<string, string | number | boolean | undefined | null> = {}, body?: Buffer): Promise<RemotingCommand> =>
  client.invoke(addr, RemotingCommand.createRequest(code, ext, body), 5000);
const send = (body: string): Promise<RemotingCommand> => invoke(cluster.brokerAddr, RequestCode.SEND_MESSAGE_V2, sendV2Header(TOPIC, { queueId: 0 }), Buffer.from(body));

beforeAll(async () => {
  // Slave reads on, and "memory" of zero bytes: every pull that leaves messages behind is told
  // to go to the slave (RocketMQ's accessMessageInMemoryMaxRatio rule).
  cluster = await startTestCluster({ brokerProps: { brokerRole: 'SYNC_MASTER', slaveReadEnable: true, accessMessageInMemoryMaxRatio: 0, ...HA_PROPS } });
  expect((await createTopic({ invoke: (c, e, b) => invoke(cluster.brokerAddr, c, e, b) }, TOPIC, 1)).code).toBe(ResponseCode.SUCCESS);
});

afterAll(async () => {
  client.close();
  await cluster?.stop();
});

describe('a SYNC_MASTER and its slave, as processes', () => {
  it('answers SLAVE_NOT_AVAILABLE without a slave, and SUCCESS once the slave has each message', async () => {
    const lone = await send('before the slave');
    expect(lone.code).toBe(ResponseCode.SLAVE_NOT_AVAILABLE);
    // A committed consumer offset, for the slave to copy with the topic config.
    const committed = await invoke(cluster.brokerAddr, RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'HaGroup', topic: TOPIC, queueId: 0, commitOffset: 1 });
    expect(committed.code).toBe(ResponseCode.SUCCESS);

    slave = await cluster.startSlave(HA_PROPS);
    // The slave learns the master's HA address when it registers, then connects.
    await pollUntil(async () => (await send('probe')).code === ResponseCode.SUCCESS, 15_000, 'a send acknowledged by the slave');
    for (let i = 0; i < 20; i++) {
      const r = await send(`m${i}`);
      expect(r.code, `send ${i}`).toBe(ResponseCode.SUCCESS);
    }
    const max = Number((await invoke(cluster.brokerAddr, RequestCode.GET_MAX_OFFSET, { topic: TOPIC, queueId: 0 })).extFields.offset);
    expect(max).toBeGreaterThanOrEqual(22);

    // Everything the master acknowledged is in the slave's commit log already: byte for byte.
    const m = commitLog(join(cluster.dir, 'store'));
    const s = commitLog(slave.storePathRootDir);
    const runtime = (await invoke(cluster.brokerAddr, RequestCode.GET_BROKER_RUNTIME_INFO)).body!.toString();
    expect(runtime).toMatch(/"haSlaveCount":"1"/);
    const masterEnd = Number(runtime.match(/"commitLogMaxOffset":"(\d+)"/)![1]);
    expect(s.subarray(0, masterEnd).equals(m.subarray(0, masterEnd))).toBe(true);

    // The slave serves the messages, with the topic and offsets it synchronized from the master.
    await pollUntil(async () => (await invoke(slave!.addr, RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'HaGroup', topic: TOPIC, queueId: 0 })).extFields.offset === '1', 15_000, 'the slave to copy the consumer offset');
    const pulled = await invoke(slave.addr, RequestCode.PULL_MESSAGE, pullHeader(TOPIC, 'HaGroup', 0, 0, { sysFlag: 0x4, subscription: '*', maxMsgNums: 32 }));
    expect(pulled.code).toBe(ResponseCode.SUCCESS);
    const bodies = decodeMessages(pulled.body!).map((x) => x.body.toString());
    expect(bodies.slice(0, 3)).toEqual(['before the slave', 'probe', bodies[2]]);
    // (With no "memory", a pull is sized as from disk: at most 8 messages.)
    expect(bodies).toHaveLength(8);
    // A consumer that lags is sent to the slave, and follows.
    const getsOnSlave = async () => Number((await invoke(slave!.addr, RequestCode.GET_BROKER_RUNTIME_INFO)).body!.toString().match(/"msgGetTotalTodayNow":"(\d+)"/)![1]);
    const before = await getsOnSlave();
    const puller = new PullConsumer({ consumerGroup: 'HaPuller', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await puller.start();
    try {
      const [mq] = await puller.fetchSubscribeMessageQueues(TOPIC);
      const first = await puller.pull(mq!, '*', 0, 1);
      expect(first.msgFoundList.map((x) => x.body.toString())).toEqual(['before the slave']);
      expect(await getsOnSlave()).toBe(before);
      const second = await puller.pull(mq!, '*', first.nextBeginOffset, 1);
      expect(second.msgFoundList.map((x) => x.body.toString())).toEqual(['probe']);
      expect(await getsOnSlave()).toBe(before + 1);
    } finally {
      await puller.shutdown();
    }
    // A slave takes no sends.
    const refused = await invoke(slave.addr, RequestCode.SEND_MESSAGE_V2, sendV2Header(TOPIC, { queueId: 0 }), Buffer.from('no'));
    expect(refused.code).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
  });

  it('serves consumers from the slave while the master is down, and replicates again once it is back', async () => {
    await cluster.stopBroker();
    const consumer = new PushConsumer({ consumerGroup: 'HaGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    const got: string[] = [];
    consumer.subscribe(TOPIC, '*').registerMessageListener((msgs) => void got.push(...msgs.map((m) => m.body.toString())));
    await consumer.start();
    try {
      // From the offset the slave copied (1): everything after the first message.
      await pollUntil(() => got.includes('m19'), 15_000, 'the consumer to read from the slave');
      expect(got).not.toContain('before the slave');
      expect(got).toContain('probe');
    } finally {
      await consumer.shutdown();
    }
    await cluster.startBroker();
    await pollUntil(async () => (await send('after the restart').catch(() => null))?.code === ResponseCode.SUCCESS, 20_000, 'the slave to follow the restarted master');
  });

  it('answers SLAVE_NOT_AVAILABLE once the slave is SIGKILLed mid-stream; restarted, it catches up byte for byte', async () => {
    expect(slave).not.toBeNull();
    // Kill it while a burst of sends is being replicated, so its log may end inside a transfer.
    const burst = Array.from({ length: 300 }, (_, i) => send(`burst-${i}-${'b'.repeat(700)}`).catch(() => null));
    await new Promise((r) => setTimeout(r, 30));
    process.kill(slave!.pid, 'SIGKILL');
    await Promise.all(burst);
    await pollUntil(async () => (await send('after the kill')).code === ResponseCode.SLAVE_NOT_AVAILABLE, 10_000, 'the master to notice the slave is gone');

    slave = await slave!.restart();
    await pollUntil(async () => (await send('after the restart')).code === ResponseCode.SUCCESS, 20_000, 'the restarted slave to catch up');
    const end = masterEnd();
    const m = commitLog(join(cluster.dir, 'store'));
    const s = commitLog(slave.storePathRootDir);
    expect(s.length).toBeGreaterThanOrEqual(await end);
    expect(s.subarray(0, await end).equals(m.subarray(0, await end))).toBe(true);
  });
});
