import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { consumeQueueDir } from '../../src/store/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { parseFastjson } from '../../src/net/fastjson.js';
import { parseLenientJson } from '../../src/net/lenient-json.js';
import { createTopic, props, sendV2Header, startTestBroker, type TestBroker } from '../helpers/broker-harness.js';

/**
 * The admin requests of RocketMQ 4.9's AdminBrokerProcessor that inspect and maintain queues and
 * group offsets, in process: bodies and remarks as a 4.9 broker writes them.
 */
let tb: TestBroker;
const TOPIC = 'MaintTopic';

beforeAll(async () => {
  tb = await startTestBroker();
  expect((await createTopic(tb, TOPIC, 2)).code).toBe(ResponseCode.SUCCESS);
  for (let i = 0; i < 6; i++) {
    const r = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header(TOPIC, { queueId: i % 2, properties: props({ TAGS: i % 2 ? 'odd' : 'even' }) }), Buffer.from(`m${i}`));
    expect(r.code).toBe(ResponseCode.SUCCESS);
  }
});

afterAll(async () => {
  await tb?.close();
});

const json = (b: Buffer | undefined) => parseFastjson(b!.toString('utf8')) as Record<string, unknown>;

describe('QUERY_CONSUME_QUEUE (321)', () => {
  it('answers units, bounds and, for a named group, its subscription state', async () => {
    const r = await tb.invoke(RequestCode.QUERY_CONSUME_QUEUE, { topic: TOPIC, queueId: 1, index: 1, count: 5, consumerGroup: 'Nobody' });
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const body = json(r.body);
    expect(Object.keys(body)).toEqual(['filterData', 'maxQueueIndex', 'minQueueIndex', 'queueData']);
    expect(body.filterData).toBe(`Nobody@${TOPIC} is not online!`);
    expect([body.maxQueueIndex, body.minQueueIndex]).toEqual([3, 0]);
    const units = body.queueData as { physicOffset: number; physicSize: number; tagsCode: number; eval: boolean }[];
    expect(units).toHaveLength(2);
    const stored = tb.controller.store.lookMessageByOffset(units[0]!.physicOffset)!;
    expect([stored.body.toString(), stored.storeSize, stored.queueOffset]).toEqual(['m3', units[0]!.physicSize, 1]);
    expect(units[0]!.tagsCode).toBe(109871); // "odd".hashCode()
    expect(units[0]!.eval).toBe(false);
  });

  it('refuses a queue that does not exist and answers an index outside the queue with a remark only', async () => {
    const none = await tb.invoke(RequestCode.QUERY_CONSUME_QUEUE, { topic: TOPIC, queueId: 7, index: 0, count: 1 });
    expect([none.code, none.remark]).toEqual([ResponseCode.SYSTEM_ERROR, `7@${TOPIC} is not exist!`]);
    const past = await tb.invoke(RequestCode.QUERY_CONSUME_QUEUE, { topic: TOPIC, queueId: 0, index: 9, count: 1 });
    expect([past.code, past.remark, past.body]).toEqual([ResponseCode.SUCCESS, `Index 9 of 0@${TOPIC} is not exist!`, undefined]);
  });
});

describe('group offsets', () => {
  it('QUERY_CONSUME_TIME_SPAN gives each write queue its store time span and the group’s lag in time', async () => {
    tb.controller.offsets.commit('SpanGroup', TOPIC, 0, 1);
    const r = await tb.invoke(RequestCode.QUERY_CONSUME_TIME_SPAN, { topic: TOPIC, group: 'SpanGroup' });
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const spans = json(r.body).consumeTimeSpanSet as Record<string, unknown>[];
    expect(spans).toHaveLength(2);
    const store = tb.controller.store;
    const [q0, q1] = spans as { minTimeStamp: number; maxTimeStamp: number; consumeTimeStamp: number; delayTime: number; messageQueue: unknown; minTimeStampStr: string }[];
    expect(Object.keys(spans[0]!)).toEqual(['consumeTimeStamp', 'consumeTimeStampStr', 'delayTime', 'maxTimeStamp', 'maxTimeStampStr', 'messageQueue', 'minTimeStamp', 'minTimeStampStr']);
    expect(q0!.messageQueue).toEqual({ brokerName: 'test-broker', queueId: 0, topic: TOPIC });
    expect(q0!.minTimeStamp).toBe(store.getMessageStoreTimeStamp(TOPIC, 0, 0));
    expect(q0!.maxTimeStamp).toBe(store.getMessageStoreTimeStamp(TOPIC, 0, 2));
    expect(q0!.consumeTimeStamp).toBe(store.getMessageStoreTimeStamp(TOPIC, 0, 0));
    expect(q0!.delayTime).toBeGreaterThanOrEqual(Date.now() - store.getMessageStoreTimeStamp(TOPIC, 0, 1) - 1000);
    expect(q0!.minTimeStampStr).toMatch(/^\d{4}-\d\d-\d\d#\d\d:\d\d:\d\d:\d{3}$/);
    // No offset at all: consumed "up to" the oldest message, lagging from it.
    expect(q1!.consumeTimeStamp).toBe(q1!.minTimeStamp);
    const missing = await tb.invoke(RequestCode.QUERY_CONSUME_TIME_SPAN, { topic: 'NoSuchTopic', group: 'SpanGroup' });
    expect([missing.code, missing.remark]).toEqual([ResponseCode.TOPIC_NOT_EXIST, 'topic[NoSuchTopic] not exist']);
  });

  it('CLONE_GROUP_OFFSET copies one topic or, with none named, every topic of the source group', async () => {
    tb.controller.offsets.commit('CloneSrc', TOPIC, 0, 2);
    tb.controller.offsets.commit('CloneSrc', TOPIC, 1, 3);
    expect((await tb.invoke(RequestCode.CLONE_GROUP_OFFSET, { srcGroup: 'CloneSrc', destGroup: 'CloneOne', topic: TOPIC, offline: false })).code).toBe(ResponseCode.SUCCESS);
    expect([tb.controller.offsets.query('CloneOne', TOPIC, 0), tb.controller.offsets.query('CloneOne', TOPIC, 1)]).toEqual([2, 3]);
    expect((await tb.invoke(RequestCode.CLONE_GROUP_OFFSET, { srcGroup: 'CloneSrc', destGroup: 'CloneAll', offline: false })).code).toBe(ResponseCode.SUCCESS);
    expect([tb.controller.offsets.query('CloneAll', TOPIC, 0), tb.controller.offsets.query('CloneAll', TOPIC, 1)]).toEqual([2, 3]);
    // The copy is its own: moving the source leaves it.
    tb.controller.offsets.commit('CloneSrc', TOPIC, 0, 3);
    expect(tb.controller.offsets.query('CloneOne', TOPIC, 0)).toBe(2);
  });

  it('QUERY_CORRECTION_OFFSET gives the lowest live offset of the other groups, and Long.MAX where the compared group is behind it', async () => {
    tb.controller.offsets.commit('CorrA', TOPIC, 0, 2);
    tb.controller.offsets.commit('CorrA', TOPIC, 1, 1);
    tb.controller.offsets.commit('CorrB', TOPIC, 0, 1);
    tb.controller.offsets.commit('CorrB', TOPIC, 1, 3);
    // Only the two groups of this test: filter out every other group with offsets on the topic.
    const others = tb.controller.offsets.groupsOfTopic(TOPIC).filter((g) => g !== 'CorrA' && g !== 'CorrB');
    const r = await tb.invoke(RequestCode.QUERY_CORRECTION_OFFSET, { topic: TOPIC, compareGroup: 'CorrB', filterGroups: others.join(',') });
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(r.body!.toString()).toBe('{"correctionOffsets":{0:1,1:1}}');
    const cmp = await tb.invoke(RequestCode.QUERY_CORRECTION_OFFSET, { topic: TOPIC, compareGroup: 'CorrA', filterGroups: [...others, 'CorrA'].join(',') });
    // Without CorrA the lowest is CorrB's (1, 3); CorrA is at 1 on queue 1, behind that 3.
    expect(cmp.body!.toString()).toBe('{"correctionOffsets":{0:1,1:9223372036854775807}}');
    // The filtered groups keep their offsets (RocketMQ 4.9 deletes them here).
    expect(tb.controller.offsets.query('CorrA', TOPIC, 0)).toBe(2);
  });
});

describe('topics', () => {
  it('GET_SYSTEM_TOPIC_LIST_FROM_BROKER lists RocketMQ’s system topics and the broker’s own', async () => {
    const r = await tb.invoke(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER);
    const topics = (json(r.body).topicList as string[]).sort();
    expect(topics).toEqual(expect.arrayContaining(['TBW102', 'SCHEDULE_TOPIC_XXXX', 'BenchmarkTest', 'RMQ_SYS_TRANS_HALF_TOPIC', 'RMQ_SYS_TRACE_TOPIC', 'RMQ_SYS_TRANS_OP_HALF_TOPIC', 'TRANS_CHECK_MAX_TIME_TOPIC', 'SELF_TEST_TOPIC', 'OFFSET_MOVED_EVENT', 'TestCluster', 'test-broker', 'TestCluster_REPLY_TOPIC']));
    expect(topics).not.toContain(TOPIC);
  });

  it('CLEAN_UNUSED_TOPIC deletes the queues of topics without a config, never the system ones', async () => {
    const orphan = 'OrphanTopic';
    await createTopic(tb, orphan, 1);
    expect((await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header(orphan), Buffer.from('o'))).code).toBe(ResponseCode.SUCCESS);
    const half = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header(TOPIC, { sysFlag: 0x4, properties: props({ TRAN_MSG: 'true', PGROUP: 'G' }) }), Buffer.from('h'));
    expect(half.code).toBe(ResponseCode.SUCCESS);
    // The config goes without the queues (as a topic deleted by hand from topics.json).
    tb.controller.topics.delete(orphan);
    const dir = join(consumeQueueDir(tb.controller.store.config, orphan, 0), '..');
    expect(existsSync(dir)).toBe(true);
    expect((await tb.invoke(RequestCode.CLEAN_UNUSED_TOPIC)).code).toBe(ResponseCode.SUCCESS);
    expect(existsSync(dir)).toBe(false);
    expect(tb.controller.store.topics()).not.toContain(orphan);
    expect(tb.controller.store.topics()).toEqual(expect.arrayContaining([TOPIC, 'RMQ_SYS_TRANS_HALF_TOPIC']));
  });

  it('CLEAN_EXPIRED_CONSUMEQUEUE answers SUCCESS and keeps live queues', async () => {
    expect((await tb.invoke(RequestCode.CLEAN_EXPIRED_CONSUMEQUEUE)).code).toBe(ResponseCode.SUCCESS);
    expect(tb.controller.store.getMaxOffsetInQueue(TOPIC, 0)).toBe(3);
  });
});

it('GET_ALL_PRODUCER_INFO lists each producer group’s live clients', async () => {
  const hb = { clientID: 'prod-client@1', consumerDataSet: [], producerDataSet: [{ groupName: 'InfoGroup' }] };
  expect((await tb.invoke(RequestCode.HEART_BEAT, {}, Buffer.from(JSON.stringify(hb)))).code).toBe(ResponseCode.SUCCESS);
  const r = await tb.invoke(RequestCode.GET_ALL_PRODUCER_INFO, {});
  expect(r.code).toBe(ResponseCode.SUCCESS);
  const data = (parseLenientJson(r.body!.toString()) as { data: Record<string, Record<string, unknown>[]> }).data;
  expect(Object.keys(data.InfoGroup![0]!)).toEqual(['clientId', 'language', 'lastUpdateTimestamp', 'remoteIP', 'version']);
  expect(data.InfoGroup![0]!.clientId).toBe('prod-client@1');
  expect(data.InfoGroup![0]!.remoteIP).toMatch(/^\/127\.0\.0\.1:\d+$/);
});

it('INVOKE_BROKER_TO_GET_CONSUMER_STATUS refuses a group with nobody online', async () => {
  const r = await tb.invoke(RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, { topic: TOPIC, group: 'Ghosts' });
  expect([r.code, r.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'No Any Consumer online in the consumer group: [Ghosts]']);
});

it('DELETE_SUBSCRIPTIONGROUP with cleanOffset drops the group’s offsets too; without, they stay', async () => {
  for (const g of ['KeepOffsets', 'DropOffsets']) {
    expect((await tb.invoke(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, Buffer.from(JSON.stringify({ groupName: g })))).code).toBe(ResponseCode.SUCCESS);
    tb.controller.offsets.commit(g, TOPIC, 0, 2);
  }
  expect((await tb.invoke(RequestCode.DELETE_SUBSCRIPTIONGROUP, { groupName: 'KeepOffsets' })).code).toBe(ResponseCode.SUCCESS);
  expect((await tb.invoke(RequestCode.DELETE_SUBSCRIPTIONGROUP, { groupName: 'DropOffsets', cleanOffset: true })).code).toBe(ResponseCode.SUCCESS);
  expect(tb.controller.offsets.query('KeepOffsets', TOPIC, 0)).toBe(2);
  expect(tb.controller.offsets.query('DropOffsets', TOPIC, 0)).toBe(-1);
  expect(tb.controller.offsets.topicsOfGroup('DropOffsets')).toEqual([]);
});

it('answers every maintenance request with garbage or missing fields, and stays up', async () => {
  const codes = [303, 305, 306, 308, 314, 316, 321, 323, 223, 328, 207];
  const values = ['', '-1', '1e300', 'NaN', '../../etc', '%RETRY%', 'x'.repeat(300), '9223372036854775807', 'true', '{"a":1}', '__proto__'];
  const fields = ['topic', 'group', 'queueId', 'index', 'count', 'consumerGroup', 'srcGroup', 'destGroup', 'offline', 'compareGroup', 'filterGroups', 'msgId', 'clientAddr', 'groupName', 'cleanOffset'];
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  for (let i = 0; i < 300; i++) {
    const ext: Record<string, string> = {};
    for (let f = 0; f < 4; f++) ext[fields[rnd(fields.length)]!] = values[rnd(values.length)]!;
    const r = await tb.invoke(codes[i % codes.length]!, ext, rnd(3) === 0 ? Buffer.from(values[rnd(values.length)]!) : undefined);
    expect(typeof r.code).toBe('number');
  }
  // Still serving, state intact.
  expect((await tb.invoke(RequestCode.QUERY_CONSUME_QUEUE, { topic: TOPIC, queueId: 0, index: 0, count: 1 })).code).toBe(ResponseCode.SUCCESS);
  expect(tb.controller.store.getMaxOffsetInQueue(TOPIC, 0)).toBe(3);
  expect(() => parseFastjson(tb.controller.offsets.encode())).not.toThrow();
});

it('CLONE_GROUP_OFFSET refuses a destination group no client could use', async () => {
  tb.controller.offsets.commit('CloneSrc2', TOPIC, 0, 1);
  const r = await tb.invoke(RequestCode.CLONE_GROUP_OFFSET, { srcGroup: 'CloneSrc2', destGroup: '../x', topic: TOPIC });
  expect(r.code).toBe(ResponseCode.SYSTEM_ERROR);
  expect(r.remark).toMatch(/illegal characters/);
  expect(tb.controller.offsets.groupsOfTopic(TOPIC)).not.toContain('../x');
});

it('GET_TOPIC_CONFIG and GET_SUBSCRIPTIONGROUP_CONFIG (RocketMQ 5.x, the 2.x dashboard) answer one topic or group', async () => {
  const t = await tb.invoke(RequestCode.GET_TOPIC_CONFIG, { topic: TOPIC });
  expect(t.code).toBe(ResponseCode.SUCCESS);
  expect(JSON.parse(t.body!.toString())).toEqual({ order: false, perm: 6, readQueueNums: 2, topicFilterType: 'SINGLE_TAG', topicName: TOPIC, topicSysFlag: 0, writeQueueNums: 2 });
  const noTopic = await tb.invoke(RequestCode.GET_TOPIC_CONFIG, { topic: 'Nope' });
  expect([noTopic.code, noTopic.remark]).toEqual([ResponseCode.TOPIC_NOT_EXIST, 'No topic in this broker. topic: Nope']);
  expect((await tb.invoke(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, Buffer.from(JSON.stringify({ groupName: 'OneGroup', retryMaxTimes: 3 })))).code).toBe(ResponseCode.SUCCESS);
  const g = await tb.invoke(RequestCode.GET_SUBSCRIPTIONGROUP_CONFIG, { group: 'OneGroup' });
  expect(JSON.parse(g.body!.toString())).toMatchObject({ groupName: 'OneGroup', retryMaxTimes: 3, consumeEnable: true });
  const noGroup = await tb.invoke(RequestCode.GET_SUBSCRIPTIONGROUP_CONFIG, { group: 'Nope' });
  expect([noGroup.code, noGroup.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'No group in this broker']);
});

it('QUERY_TOPICS_BY_CONSUMER and QUERY_SUBSCRIPTION_BY_CONSUMER (RocketMQ 5.x) answer from offsets and online subscriptions', async () => {
  tb.controller.offsets.commit('TopicsGroup', TOPIC, 0, 1);
  const t = await tb.invoke(RequestCode.QUERY_TOPICS_BY_CONSUMER, { group: 'TopicsGroup' });
  expect(JSON.parse(t.body!.toString())).toEqual({ brokerAddr: tb.controller.brokerAddr, topicList: [TOPIC] });
  const hb = { clientID: 'sub-client@1', producerDataSet: [], consumerDataSet: [{ groupName: 'TopicsGroup', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', subscriptionDataSet: [{ topic: TOPIC, subString: 'odd', subVersion: 1 }] }] };
  expect((await tb.invoke(RequestCode.HEART_BEAT, {}, Buffer.from(JSON.stringify(hb)))).code).toBe(ResponseCode.SUCCESS);
  const s = JSON.parse((await tb.invoke(RequestCode.QUERY_SUBSCRIPTION_BY_CONSUMER, { group: 'TopicsGroup', topic: TOPIC })).body!.toString());
  expect([s.group, s.topic, s.subscriptionData.subString, s.subscriptionData.codeSet]).toEqual(['TopicsGroup', TOPIC, 'odd', [109871]]);
  const none = JSON.parse((await tb.invoke(RequestCode.QUERY_SUBSCRIPTION_BY_CONSUMER, { group: 'Nobody', topic: TOPIC })).body!.toString());
  expect(none).toEqual({ group: 'Nobody', topic: TOPIC });
});
