import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestCode } from '../../src/net/codes.js';
import { parseFastjson } from '../../src/net/fastjson.js';
import { ConsumerOffsetManager } from '../../src/net/broker/consumer-offset-manager.js';
import { NameServer } from '../../src/net/nameserver/nameserver.js';
import { namesrvConfig } from '../../src/net/nameserver/namesrv-config.js';
import { parseClusterInfo } from '../../src/net/client/route.js';
import { registerBodyCrc32 } from '../../src/net/nameserver/register-broker-body.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { silentLogger } from '../../src/net/logger.js';
import { startTestBroker, type TestBroker } from '../helpers/broker-harness.js';

/**
 * A short seeded fuzz of the numeric header and body fields that end up in persisted or
 * broadcast state (offsets, topics, groups, cluster info). Every bug of this kind the process
 * fuzzer found left a file or a body no reader could parse: that is the invariant checked.
 */
const NUMBERS = ['1e300', '1e21', '0x10', ' 7 ', '1.0', 'NaN', '-1', '2147483648', '9223372036854775807', '99999999999999999999', '', '+3', '-0', '5'];
const JSON_NUMBERS = ['1e300', '-1e300', '1.5', '"x"', '{}', '[]', 'null', 'true', '"7"', '2147483648', '3'];

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('seeded fuzz of numeric fields that reach persisted or broadcast state', () => {
  let tb: TestBroker;
  let ns: NameServer;
  let nsAddr: string;
  let dir: string;
  beforeAll(async () => {
    tb = await startTestBroker({}, { memory: true });
    dir = mkdtempSync(join(tmpdir(), 'fuzz-ns-'));
    ns = new NameServer({ ...namesrvConfig(), listenPort: 0, bindAddress: '127.0.0.1', kvConfigPath: join(dir, 'kv.json') }, silentLogger);
    nsAddr = `127.0.0.1:${await ns.start()}`;
  });
  afterAll(async () => {
    await tb?.close();
    await ns?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves every table readable after 300 mistyped requests', async () => {
    const rnd = prng(20240611);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
    const num = () => pick(NUMBERS);
    const requests: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      switch (i % 5) {
        case 0:
          requests.push(tb.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'FG', topic: 'FT', queueId: num(), commitOffset: num() }));
          break;
        case 1:
          requests.push(tb.invoke(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: `FT${i % 7}`, readQueueNums: num(), writeQueueNums: num(), perm: num(), topicSysFlag: num() }));
          break;
        case 2: {
          const body = `{"groupName":"FG${i % 7}","retryQueueNums":${pick(JSON_NUMBERS)},"retryMaxTimes":${pick(JSON_NUMBERS)},"brokerId":${pick(JSON_NUMBERS)},"consumeEnable":${pick(JSON_NUMBERS)}}`;
          requests.push(tb.invoke(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, Buffer.from(body)));
          break;
        }
        case 3: {
          const body = Buffer.from(`{"topicConfigSerializeWrapper":{"dataVersion":{"counter":${pick(JSON_NUMBERS)}},"topicConfigTable":{"NT${i % 7}":{"readQueueNums":${pick(JSON_NUMBERS)},"perm":${pick(JSON_NUMBERS)}}}}}`);
          const ext = { clusterName: 'FC', brokerAddr: `127.0.0.${i % 7}:1`, brokerName: `fb${i % 3}`, haServerAddr: 'x', brokerId: num(), bodyCrc32: String(registerBodyCrc32(body)) };
          requests.push(tb.client.invoke(nsAddr, RemotingCommand.createRequest(RequestCode.REGISTER_BROKER, ext, body), 5000));
          break;
        }
        default:
          requests.push(tb.invoke(RequestCode.PULL_MESSAGE, { consumerGroup: 'FG', topic: 'FT1', queueId: num(), queueOffset: num(), maxMsgNums: num(), sysFlag: '1', commitOffset: num(), suspendTimeoutMillis: '0', subVersion: num() }));
      }
    }
    await Promise.all(requests);

    await tb.controller.offsets.persist(true);
    const offsets = new ConsumerOffsetManager(tb.dir);
    expect(() => offsets.load()).not.toThrow();
    for (const [, q] of offsets.queueOffsets('FG', 'FT') ?? []) expect(Number.isSafeInteger(q)).toBe(true);
    const topics = parseFastjson(JSON.stringify(tb.controller.topics.serializeWrapper())) as { topicConfigTable: Record<string, { readQueueNums: number }> };
    for (const tc of Object.values(topics.topicConfigTable)) expect(tc.readQueueNums).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(() => parseFastjson(tb.controller.groups.encode(true))).not.toThrow();
    for (const g of tb.controller.groups.groups()) expect(Number.isInteger(g.retryQueueNums) && typeof g.consumeEnable === 'boolean').toBe(true);
    const info = await tb.client.invoke(nsAddr, RemotingCommand.createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 5000);
    expect(() => parseClusterInfo(info.body)).not.toThrow();
  });
});
