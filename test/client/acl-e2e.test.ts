import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MQAdmin, Message, Producer, PushConsumer } from '../../src/net/client/index.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';
import { runMqadmin } from '../helpers/mqadmin-run.js';
import { removeTempDirs, tempDir } from '../helpers/broker-harness.js';
import { requireAliOns } from '../helpers/ali-ons.js';

/**
 * A broker process with aclEnable=true: clients sign with their keys (ours, and ali-ons as an
 * independent implementation of RocketMQ's signature), the broker refuses what the ACL file does
 * not allow with RocketMQ's messages, mqadmin administers accounts with the credentials of
 * conf/tools.yml, and a hand edit of the files is in force within a second or two.
 */
const TOPIC = 'AclTopic';
const ADMIN = { accessKey: 'AdminUser', secretKey: 'admin-secret' };
const APP = { accessKey: 'AppUser1', secretKey: 'app-secret' };
const ACL = `accounts:
  - accessKey: AdminUser
    secretKey: admin-secret
    admin: true
  - accessKey: AppUser1
    secretKey: app-secret
    defaultTopicPerm: DENY
    defaultGroupPerm: DENY
    topicPerms: [AclTopic=PUB|SUB, ReadOnlyTopic=SUB]
    groupPerms: [AppGroup=SUB, OnsGroup=SUB]
`;

interface OnsMessage { body: Buffer }
interface Ons {
  Producer: new (o: Record<string, unknown>) => { ready(): Promise<void>; send(m: unknown): Promise<{ sendStatus: string }>; close(): Promise<void>; on(e: 'error', f: (e: Error) => void): void };
  Consumer: new (o: Record<string, unknown>) => { ready(): Promise<void>; subscribe(t: string, e: string, h: (m: OnsMessage) => Promise<void>): void; close(): Promise<void>; on(e: 'error', f: (e: Error) => void): void };
  Message: new (topic: string, tags: string, body: string) => unknown;
}
const ons = requireAliOns<Ons>();

let home: string;
let cluster: LocalCluster;

/** mqadmin as a user whose keys are in a conf/tools.yml of its own home. */
async function mqadminAs(user: { accessKey: string; secretKey: string }, args: string[]) {
  const toolsHome = tempDir('acl-tools-');
  mkdirSync(join(toolsHome, 'conf'));
  writeFileSync(join(toolsHome, 'conf', 'tools.yml'), `accessKey: ${user.accessKey}\nsecretKey: ${user.secretKey}\n`);
  const saved = process.env.ROCKETMQ_HOME;
  process.env.ROCKETMQ_HOME = toolsHome;
  try {
    return await runMqadmin(cluster.namesrvAddr, args);
  } finally {
    if (saved === undefined) delete process.env.ROCKETMQ_HOME;
    else process.env.ROCKETMQ_HOME = saved;
  }
}

async function sendAs(creds: { accessKey?: string; secretKey?: string }, topic: string, body: string): Promise<string> {
  const p = new Producer({ producerGroup: `P${Date.now()}${Math.random()}`.replace('.', ''), namesrvAddr: cluster.namesrvAddr, logger: silentLogger, retryTimesWhenSendFailed: 0, ...creds });
  await p.start();
  try {
    return (await p.send(new Message(topic, body))).sendStatus;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await p.shutdown();
  }
}

beforeAll(async () => {
  home = tempDir('acl-home-');
  mkdirSync(join(home, 'conf', 'acl'), { recursive: true });
  writeFileSync(join(home, 'conf', 'plain_acl.yml'), ACL);
  cluster = await startTestCluster({ brokerProps: { aclEnable: true, rocketmqHome: home } });
  // Topic creation needs an admin account now.
  const admin = new MQAdmin({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger, ...ADMIN });
  await admin.start();
  try {
    for (const t of [TOPIC, 'ReadOnlyTopic']) await admin.createTopic({ brokerAddr: cluster.brokerAddr }, { topicName: t, readQueueNums: 2, writeQueueNums: 2 });
  } finally {
    await admin.shutdown();
  }
  await pollUntil(async () => (await sendAs(APP, TOPIC, 'warm-up')) === 'SEND_OK', 10_000, 'the topic to be routed');
});

afterAll(async () => {
  await cluster?.stop();
  removeTempDirs();
});

describe('ACL end to end', () => {
  it('signed clients send and consume what the file allows; others are refused with RocketMQ\'s reasons', async () => {
    for (let i = 0; i < 10; i++) expect(await sendAs(APP, TOPIC, `m${i}`)).toBe('SEND_OK');
    expect(await sendAs(APP, 'ReadOnlyTopic', 'x')).toContain('No default permission for topic:ReadOnlyTopic');
    expect(await sendAs({ accessKey: APP.accessKey, secretKey: 'wrong-secret' }, TOPIC, 'x')).toContain('Check signature failed for accessKey=AppUser1');
    expect(await sendAs({}, TOPIC, 'x')).toContain('No accessKey is configured');
    expect(await sendAs({ accessKey: 'Stranger', secretKey: 'stranger-secret' }, TOPIC, 'x')).toContain('No acl config for Stranger');

    const got = new Set<string>();
    const consumer = new PushConsumer({ consumerGroup: 'AppGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', ...APP });
    consumer.subscribe(TOPIC, '*').registerMessageListener((msgs) => void msgs.forEach((m) => got.add(m.body.toString())));
    await consumer.start();
    try {
      await pollUntil(() => got.size >= 11, 15_000, 'the consumer to receive');
    } finally {
      await consumer.shutdown();
    }
    expect([...got].sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'warm-up']);
  });

  it('ali-ons, which signs by its own code, sends and consumes through the ACL', async () => {
    const errors: Error[] = [];
    const base = { nameSrv: cluster.namesrvAddr, httpclient: {}, logger: { info() {}, warn() {}, error() {}, debug() {} }, rebalanceInterval: 300, persistConsumerOffsetInterval: 200, heartbeatBrokerInterval: 1000, pollNameServerInteval: 1000, accessKey: APP.accessKey, secretKey: APP.secretKey };
    const producer = new ons.Producer({ ...base, producerGroup: 'OnsAclProducer' });
    producer.on('error', (e) => errors.push(e));
    await producer.ready();
    for (let i = 0; i < 3; i++) expect((await producer.send(new ons.Message(TOPIC, 'TagA', `ons-${i}`))).sendStatus).toBe('SEND_OK');
    const got: string[] = [];
    const consumer = new ons.Consumer({ ...base, consumerGroup: 'OnsGroup', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.on('error', (e) => errors.push(e));
    consumer.subscribe(TOPIC, 'TagA', async (m) => void got.push(m.body.toString()));
    await consumer.ready();
    await pollUntil(() => got.length >= 3, 20_000, 'ali-ons to consume');
    await consumer.close();
    await producer.close();
    expect(got.sort()).toEqual(['ons-0', 'ons-1', 'ons-2']);
  });

  it('mqadmin with an admin\'s tools.yml manages accounts; a non-admin is refused', async () => {
    const created = await mqadminAs(ADMIN, ['updateAclConfig', '-b', cluster.brokerAddr, '-a', 'NewUser01', '-s', 'new-secret', '-t', `${TOPIC}=PUB`]);
    expect(created.err).toBe('');
    expect(created.out).toBe(`create or update plain access config to ${cluster.brokerAddr} success.\n`);
    expect(await sendAs({ accessKey: 'NewUser01', secretKey: 'new-secret' }, TOPIC, 'from-new-user')).toBe('SEND_OK');
    expect(readFileSync(join(home, 'conf', 'plain_acl.yml'), 'utf8')).toContain('NewUser01');

    const version = await mqadminAs(ADMIN, ['clusterAclConfigVersion', '-b', cluster.brokerAddr]);
    expect(version.out).toMatch(new RegExp(`${cluster.brokerName}\\s+${cluster.brokerAddr.replace(/\./g, '\\.')}\\s+\\S+plain_acl\\.yml\\s+1\\s+\\d{4}-`));
    const listed = await mqadminAs(ADMIN, ['getAclConfig', '-b', cluster.brokerAddr]);
    expect(listed.out).toMatch(/accessKey\s+: NewUser01/);

    const denied = await mqadminAs(APP, ['updateTopic', '-b', cluster.brokerAddr, '-t', 'NotAllowed']);
    expect(denied.code).toBe(1);
    expect(denied.err).toContain('Need admin permission for request code=17, but accessKey=AppUser1 is not');
    const deniedAcl = await mqadminAs(APP, ['getAclConfig', '-b', cluster.brokerAddr]);
    expect(deniedAcl.err).toContain('Need admin permission for request code=54');

    const deleted = await mqadminAs(ADMIN, ['deleteAccessConfig', '-b', cluster.brokerAddr, '-a', 'NewUser01']);
    expect(deleted.out).toBe(`delete plain access config account to ${cluster.brokerAddr} success.\n`);
    expect(await sendAs({ accessKey: 'NewUser01', secretKey: 'new-secret' }, TOPIC, 'x')).toContain('No acl config for NewUser01');
    const again = await mqadminAs(ADMIN, ['deleteAccessConfig', '-b', cluster.brokerAddr, '-a', 'NewUser01']);
    expect(again.code).toBe(1);
    expect(again.err).toContain('has been deleted failed');
  });

  it('a hand edit of conf/acl/ is in force without a restart', async () => {
    const creds = { accessKey: 'HandWritten', secretKey: 'hand-secret' };
    expect(await sendAs(creds, TOPIC, 'x')).toContain('No acl config for HandWritten');
    writeFileSync(join(home, 'conf', 'acl', 'team.yml'), `accounts:\n  - accessKey: ${creds.accessKey}\n    secretKey: ${creds.secretKey}\n    defaultTopicPerm: PUB\n`);
    await pollUntil(async () => (await sendAs(creds, TOPIC, 'by-hand')) === 'SEND_OK', 10_000, 'the new account to be loaded');
  });
});
