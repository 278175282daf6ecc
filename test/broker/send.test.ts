import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessages, decodeOffsetMsgId, tagsCodeOf } from '../../src/store/index.js';
import { encodeBatchBody } from '../../src/net/broker/batch-body.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { createTopic, props, pullHeader, sendV2Header, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness.js';

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker({ maxMessageSize: 64 * 1024, messageDelayLevel: '50ms 100ms 150ms' });
  expect((await createTopic(tb, 'SendTopic', 4)).code).toBe(ResponseCode.SUCCESS);
});
afterAll(async () => {
  await tb?.close();
});

async function storedAt(msgId: string) {
  const m = tb.controller.store.lookMessageByOffset(decodeOffsetMsgId(msgId).offset);
  expect(m).not.toBeNull();
  return m!;
}

describe('SEND_MESSAGE / SEND_MESSAGE_V2', () => {
  it('stores a V2 send with properties rebuilt as RocketMQ does and answers the send header fields', async () => {
    // ali-ons style: numbers as JSON numbers, a trailing separator, WAIT present.
    const res = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('SendTopic', { queueId: 1, properties: 'TAGS\u0001TagA\u0002KEYS\u0001k1\u0002WAIT\u0001true\u0002' }), Buffer.from('hello'));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(Object.keys(res.extFields).sort()).toEqual(['MSG_REGION', 'TRACE_ON', 'msgId', 'queueId', 'queueOffset']);
    expect(res.extFields).toMatchObject({ queueId: '1', queueOffset: '0', MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' });
    const m = await storedAt(res.extFields.msgId!);
    // Java HashMap order for these keys, as a real 4.9 broker stored them (fixture frame 0049).
    expect(m.propertiesString).toBe('KEYS\u0001k1\u0002CLUSTER\u0001TestCluster\u0002TAGS\u0001TagA');
    expect(m.body.toString()).toBe('hello');
    expect(m.bornHost).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('accepts V1 long field names and picks a queue when queueId < 0', async () => {
    const res = await tb.invoke(
      RequestCode.SEND_MESSAGE,
      { producerGroup: 'PG', topic: 'SendTopic', defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: -1, sysFlag: 0, bornTimestamp: Date.now(), flag: 7, properties: 'TAGS\u0001T1', reconsumeTimes: 0 },
      Buffer.from('v1'),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const q = Number(res.extFields.queueId);
    expect(q).toBeGreaterThanOrEqual(0);
    expect(q).toBeLessThan(4);
    const m = await storedAt(res.extFields.msgId!);
    expect(m.flag).toBe(7);
    expect(m.queueId).toBe(q);
  });

  it('drops an empty TAGS value: no TAGS stored, tag code 0', async () => {
    const res = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('SendTopic', { queueId: 2, properties: 'TAGS\u0001\u0002KEYS\u0001e1' }), Buffer.from('untagged'));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const m = await storedAt(res.extFields.msgId!);
    expect(m.properties.TAGS).toBeUndefined();
    // A pull subscribed to one tag skips it (tag code 0 is no tag).
    const pull = await tb.invoke(RequestCode.PULL_MESSAGE, pullHeader('SendTopic', 'G', 2, 0, { subscription: 'TagA' }));
    expect(pull.code).toBe(ResponseCode.PULL_RETRY_IMMEDIATELY);
  });

  it('auto-creates an unknown topic from TBW102 with min(requested, 8) queues', async () => {
    const res = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('AutoTopic', { queueId: 0 }), Buffer.from('x'));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const tc = tb.controller.topics.get('AutoTopic')!;
    expect(tc).toMatchObject({ readQueueNums: 4, writeQueueNums: 4, perm: 6 });
  });

  it('refuses illegal and forbidden topics without touching the filesystem', async () => {
    for (const topic of ['a/b', '../escape', '..', 'x'.repeat(128), 'sp ace']) {
      const res = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header(topic), Buffer.from('x'));
      expect(res.code, topic).toBe(ResponseCode.SYSTEM_ERROR);
      expect(res.remark).toMatch(/topic/);
    }
    expect(existsSync(join(tb.dir, 'escape'))).toBe(false);
    expect(existsSync(join(tb.dir, 'consumequeue', 'a'))).toBe(false);
    const res = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('SCHEDULE_TOPIC_XXXX'), Buffer.from('x'));
    expect(res.code).toBe(ResponseCode.NO_PERMISSION);
  });

  it('answers MESSAGE_ILLEGAL for an oversized body and keeps serving', async () => {
    const res = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('SendTopic'), Buffer.alloc(65 * 1024));
    expect(res.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    const ok = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('SendTopic'), Buffer.from('after'));
    expect(ok.code).toBe(ResponseCode.SUCCESS);
  });

  it('refuses a queue id beyond the topic and a missing required field, naming it', async () => {
    const res = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('SendTopic', { queueId: 9 }), Buffer.from('x'));
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toContain('queueId[9]');
    const h = sendV2Header('SendTopic');
    delete h.b;
    const missing = await tb.invoke(RequestCode.SEND_MESSAGE_V2, h, Buffer.from('x'));
    expect(missing.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(missing.remark).toContain('<b>');
  });

  it('holds a delayed message in SCHEDULE_TOPIC_XXXX and delivers it to its topic when due', async () => {
    await createTopic(tb, 'DelayTopic', 1);
    const t0 = Date.now();
    const res = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('DelayTopic', { properties: props({ DELAY: '2', TAGS: 'D' }) }), Buffer.from('later'));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(tb.controller.store.getMaxOffsetInQueue('DelayTopic', 0)).toBe(0);
    await waitFor(() => tb.controller.store.getMaxOffsetInQueue('DelayTopic', 0) === 1, 3000, 'delayed delivery');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    const pull = await tb.invoke(RequestCode.PULL_MESSAGE, pullHeader('DelayTopic', 'G', 0, 0, { subscription: 'D' }));
    expect(pull.code).toBe(ResponseCode.SUCCESS);
    const [m] = decodeMessages(pull.body!);
    expect(m!.body.toString()).toBe('later');
    expect(m!.properties.REAL_TOPIC).toBe('DelayTopic');
    expect(m!.properties.DELAY).toBeUndefined();
  });
});

describe('SEND_BATCH_MESSAGE', () => {
  it('stores every message of a batch contiguously with batch properties appended', async () => {
    const body = encodeBatchBody([
      { body: Buffer.from('b0'), properties: props({ TAGS: 'TagA', KEYS: 'bk0' }) },
      { body: Buffer.from('b1'), properties: props({ TAGS: 'TagB' }) },
      { body: Buffer.from('b2'), properties: '' },
    ]);
    await createTopic(tb, 'BatchTopic', 1);
    const h = sendV2Header('BatchTopic', { queueId: 0, properties: props({ WAIT: 'true' }) });
    h.m = true;
    const res = await tb.invoke(RequestCode.SEND_BATCH_MESSAGE, h, body);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields.msgId!.split(',')).toHaveLength(3);
    expect(res.extFields.queueOffset).toBe('0');
    const pull = await tb.invoke(RequestCode.PULL_MESSAGE, pullHeader('BatchTopic', 'G', 0, 0));
    const msgs = decodeMessages(pull.body!);
    expect(msgs.map((m) => m.body.toString())).toEqual(['b0', 'b1', 'b2']);
    expect(msgs.map((m) => m.queueOffset)).toEqual([0, 1, 2]);
    expect(msgs[0]!.propertiesString).toBe('TAGS\u0001TagA\u0002KEYS\u0001bk0\u0002CLUSTER\u0001TestCluster');
    expect(msgs[2]!.propertiesString).toBe('CLUSTER\u0001TestCluster');
    // Tag codes are per message: a TagB subscription sees only the second.
    const tagged = await tb.invoke(RequestCode.PULL_MESSAGE, pullHeader('BatchTopic', 'G', 0, 0, { subscription: 'TagB' }));
    expect(decodeMessages(tagged.body!).map((m) => m.body.toString())).toEqual(['b1']);
    expect(tagsCodeOf('TagB')).not.toBe(0);
  });

  it('refuses a malformed batch body with MESSAGE_ILLEGAL', async () => {
    const h = sendV2Header('SendTopic', { queueId: 3 });
    const bad = Buffer.alloc(30);
    bad.writeInt32BE(1000, 0);
    const res = await tb.invoke(RequestCode.SEND_BATCH_MESSAGE, h, bad);
    expect(res.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
  });
});
