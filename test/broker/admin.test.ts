import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessages, decodeOffsetMsgId } from '../../src/store/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { parseFastjson } from '../../src/net/fastjson.js';
import { javaDoubleString } from '../../src/net/java-number.js';
import { createTopic, props, pullHeader, sendV2Header, startTestBroker, type TestBroker } from '../helpers/broker-harness.js';

let tb: TestBroker;
let firstRuntime: Awaited<ReturnType<TestBroker['invoke']>>;

beforeAll(async () => {
  tb = await startTestBroker();
  // Runtime info must answer from the very first moment (RocketMQ answers SYSTEM_ERROR for ~1 s).
  firstRuntime = await tb.invoke(RequestCode.GET_BROKER_RUNTIME_INFO);
});
afterAll(async () => {
  await tb?.close();
});

const kv = (r: { body?: Buffer }) => (parseFastjson(r.body!.toString()) as { table: Record<string, string> }).table;

describe('topic administration', () => {
  it('creates a topic, lists it, persists topics.json (with .bak) and deletes it with its queues and offsets', async () => {
    expect((await createTopic(tb, 'AdminTopic', 3)).code).toBe(ResponseCode.SUCCESS);
    const all = await tb.invoke(RequestCode.GET_ALL_TOPIC_CONFIG);
    const wrapper = parseFastjson(all.body!.toString()) as { topicConfigTable: Record<string, Record<string, unknown>>; dataVersion: { counter: number } };
    expect(wrapper.topicConfigTable.AdminTopic).toEqual({ order: false, perm: 6, readQueueNums: 3, topicFilterType: 'SINGLE_TAG', topicName: 'AdminTopic', topicSysFlag: 0, writeQueueNums: 3 });
    expect(wrapper.topicConfigTable.TBW102).toMatchObject({ perm: 7, readQueueNums: 8 });
    const file = join(tb.dir, 'config', 'topics.json');
    expect(readFileSync(file, 'utf8')).toMatch(/^\{\n\t"dataVersion":\{\n\t\t"counter":\d+,\n\t\t"timestamp":\d+\n\t\},\n\t"topicConfigTable":\{/);
    expect(readFileSync(file, 'utf8')).toContain('\t\t"AdminTopic":{\n\t\t\t"order":false,\n\t\t\t"perm":6,');

    await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('AdminTopic', { queueId: 0 }), Buffer.from('x'));
    await tb.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'AG', topic: 'AdminTopic', queueId: 0, commitOffset: 1 });
    expect(tb.controller.store.queueIds('AdminTopic')).toEqual([0]);
    expect((await createTopic(tb, 'Other', 1)).code).toBe(ResponseCode.SUCCESS);
    expect(existsSync(`${file}.bak`)).toBe(true);

    expect((await tb.invoke(RequestCode.DELETE_TOPIC_IN_BROKER, { topic: 'AdminTopic' })).code).toBe(ResponseCode.SUCCESS);
    expect(tb.controller.topics.get('AdminTopic')).toBeUndefined();
    expect(tb.controller.store.queueIds('AdminTopic')).toEqual([]);
    expect(tb.controller.offsets.query('AG', 'AdminTopic', 0)).toBe(-1);
    expect(readFileSync(file, 'utf8')).not.toContain('AdminTopic');
  });

  it('refuses illegal names (path separators, .., length) and system topics before touching the filesystem', async () => {
    for (const topic of ['a/b', '../../etc', '..', 'a\\b', 'x'.repeat(128), '', 'white space']) {
      const r = await createTopic(tb, topic);
      expect(r.code, JSON.stringify(topic)).toBe(ResponseCode.SYSTEM_ERROR);
      const d = await tb.invoke(RequestCode.DELETE_TOPIC_IN_BROKER, { topic });
      expect(d.code, JSON.stringify(topic)).toBe(ResponseCode.SYSTEM_ERROR);
    }
    expect(existsSync(join(tb.dir, '..', 'etc'))).toBe(false);
    expect(readFileSync(join(tb.dir, 'config', 'topics.json'), 'utf8')).not.toContain('..');
    const sys = await createTopic(tb, 'SCHEDULE_TOPIC_XXXX');
    expect(sys.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(sys.remark).toContain('conflict with system topic');
    expect((await createTopic(tb, 'x'.repeat(127))).code).toBe(ResponseCode.SUCCESS);
  });

  it('refuses a send to an unknown topic when autoCreateTopicEnable=false', async () => {
    const strict = await startTestBroker({ autoCreateTopicEnable: false }, { memory: true });
    try {
      expect(strict.controller.topics.get('TBW102')).toBeUndefined();
      const r = await strict.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('NoSuchTopic'), Buffer.from('x'));
      expect(r.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    } finally {
      await strict.close();
    }
  });
});

describe('slave role', () => {
  it('refuses writes with SERVICE_NOT_AVAILABLE and never stores a pull commit offset', async () => {
    const slave = await startTestBroker({ brokerRole: 'SLAVE', brokerId: 1 }, { memory: true });
    try {
      await createTopic(slave, 'SlaveTopic', 1);
      const r = await slave.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('SlaveTopic'), Buffer.from('x'));
      expect(r.code).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
      const p = await slave.invoke(RequestCode.PULL_MESSAGE, { ...pullHeader('SlaveTopic', 'SG', 0, 0), sysFlag: 0x4 | 0x1, commitOffset: 5 });
      expect(p.code).toBe(ResponseCode.PULL_NOT_FOUND);
      expect(slave.controller.offsets.query('SG', 'SlaveTopic', 0)).toBe(-1);
    } finally {
      await slave.close();
    }
  });
});

describe('runtime info and queue offsets', () => {
  it('answers GET_BROKER_RUNTIME_INFO from the first request, then counts puts', async () => {
    expect(firstRuntime.code).toBe(ResponseCode.SUCCESS);
    const t0 = kv(firstRuntime);
    expect(t0).toMatchObject({ brokerVersionDesc: 'V4_9_8', brokerVersion: '409' });
    expect(t0.putTps).toMatch(/^\d+\.\d\d \d+\.\d\d \d+\.\d\d$/);
    for (const k of ['getTransferedTps', 'commitLogMaxOffset', 'commitLogMinOffset', 'earliestMessageTimeStamp', 'bootTimestamp', 'msgPutTotalTodayNow', 'commitLogDiskRatio']) {
      expect(t0[k], k).toBeDefined();
    }
    await createTopic(tb, 'StatTopic', 2);
    for (let i = 0; i < 3; i++) await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('StatTopic', { queueId: 1 }), Buffer.from(`m${i}`));
    const t1 = kv(await tb.invoke(RequestCode.GET_BROKER_RUNTIME_INFO));
    expect(Number(t1.msgPutTotalTodayNow)).toBeGreaterThanOrEqual(3);
    expect(Number(t1.commitLogMaxOffset)).toBeGreaterThan(Number(t0.commitLogMaxOffset));
    // StoreStatsService's average record size, a Java double (exportMetrics' messageAverageSize).
    expect(t1.putMessageAverageSize).toBe(javaDoubleString(Number(t1.putMessageSizeTotal) / Number(t1.putMessageTimesTotal)));
    expect(t1.putMessageAverageSize).toMatch(/^\d+\.\d+$/);
    expect(Number(t1.putMessageAverageSize)).toBeGreaterThan(100);
    expect(t1.commitLogDiskRatio).toMatch(/^(0\.\d+|1\.0|-1\.0)$/);
  });

  it('answers max/min offsets, offset by time, earliest time, topic and consume stats', async () => {
    const q = { topic: 'StatTopic', queueId: 1 };
    expect((await tb.invoke(RequestCode.GET_MAX_OFFSET, q)).extFields.offset).toBe('3');
    expect((await tb.invoke(RequestCode.GET_MIN_OFFSET, q)).extFields.offset).toBe('0');
    const earliest = Number((await tb.invoke(RequestCode.GET_EARLIEST_MSG_STORETIME, q)).extFields.timestamp);
    expect(earliest).toBeGreaterThan(Date.now() - 60_000);
    const byTime = await tb.invoke(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { ...q, timestamp: Date.now() + 60_000 });
    expect(byTime.code).toBe(ResponseCode.SUCCESS);
    expect(byTime.extFields.offset).toBe('2'); // the last message, as RocketMQ answers a time past them all
    const stats = await tb.invoke(RequestCode.GET_TOPIC_STATS_INFO, { topic: 'StatTopic' });
    expect(stats.body!.toString()).toContain('{"brokerName":"test-broker","queueId":1,"topic":"StatTopic"}:{"lastUpdateTimestamp":');
    expect(stats.body!.toString()).toContain('"maxOffset":3');
    await tb.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'SG', topic: 'StatTopic', queueId: 1, commitOffset: 2 });
    const cs = await tb.invoke(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'SG' });
    expect(cs.body!.toString()).toContain('"queueId":1,"topic":"StatTopic"}:{"brokerOffset":3,"consumerOffset":2,');
    expect((await tb.invoke(RequestCode.GET_TOPIC_STATS_INFO, { topic: 'Nope' })).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });
});

describe('QUERY_MESSAGE and VIEW_MESSAGE_BY_ID', () => {
  it('finds messages by key and by unique key, and views one by offset message id', async () => {
    await createTopic(tb, 'QueryTopic', 1);
    const sent = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('QueryTopic', { properties: props({ KEYS: 'order-1 order-2', UNIQ_KEY: 'AC11000100002A9F0000000000000001', TAGS: 'Q' }) }), Buffer.from('findme'));
    await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('QueryTopic', { properties: props({ KEYS: 'order-3' }) }), Buffer.from('other'));
    const range = { beginTimestamp: 0, endTimestamp: Date.now() + 60_000 };
    const byKey = await tb.invoke(RequestCode.QUERY_MESSAGE, { topic: 'QueryTopic', key: 'order-2', maxNum: 32, ...range });
    expect(byKey.code).toBe(ResponseCode.SUCCESS);
    expect(decodeMessages(byKey.body!).map((m) => m.body.toString())).toEqual(['findme']);
    expect(Object.keys(byKey.extFields).sort()).toEqual(['indexLastUpdatePhyoffset', 'indexLastUpdateTimestamp']);
    const byUniq = await tb.invoke(RequestCode.QUERY_MESSAGE, { topic: 'QueryTopic', key: 'AC11000100002A9F0000000000000001', maxNum: 1, _UNIQUE_KEY_QUERY: 'true', ...range });
    expect(decodeMessages(byUniq.body!).map((m) => m.body.toString())).toEqual(['findme']);
    const none = await tb.invoke(RequestCode.QUERY_MESSAGE, { topic: 'QueryTopic', key: 'nope', maxNum: 32, ...range });
    expect(none.code).toBe(ResponseCode.QUERY_NOT_FOUND);

    const view = await tb.invoke(RequestCode.VIEW_MESSAGE_BY_ID, { offset: decodeOffsetMsgId(sent.extFields.msgId!).offset });
    expect(view.code).toBe(ResponseCode.SUCCESS);
    expect(decodeMessages(view.body!)[0]!.body.toString()).toBe('findme');
    expect((await tb.invoke(RequestCode.VIEW_MESSAGE_BY_ID, { offset: 123_456_789 })).code).toBe(ResponseCode.SYSTEM_ERROR);
  });

  it('answers REQUEST_CODE_NOT_SUPPORTED for an unknown code', async () => {
    const r = await tb.invoke(9999, {});
    expect(r.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
  });
});
