import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessages, decodeOffsetMsgId } from '../../src/store/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { parseFastjson, stringifyFastjson } from '../../src/net/fastjson.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { createTopic, props, pullHeader, sendV2Header, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness.js';

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker({ messageDelayLevel: '10ms 10ms 10ms 10ms 10ms' });
  await createTopic(tb, 'OffTopic', 2);
});
afterAll(async () => {
  await tb?.close();
});

function heartbeat(clientID: string, group: string, topics: string[]): Buffer {
  return Buffer.from(
    stringifyFastjson({
      clientID,
      consumerDataSet: [
        {
          groupName: group,
          consumeType: 'CONSUME_PASSIVELY',
          messageModel: 'CLUSTERING',
          consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
          unitMode: false,
          subscriptionDataSet: topics.map((topic) => ({ topic, subString: '*', tagsSet: [], codeSet: [], subVersion: 1, classFilterMode: false })),
        },
      ],
      producerDataSet: [{ groupName: 'CLIENT_INNER_PRODUCER' }],
    }),
  );
}

describe('consumer offsets', () => {
  it('commits and queries offsets; a new group on a young queue starts at 0', async () => {
    const q0 = await tb.invoke(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'NewGroup', topic: 'OffTopic', queueId: 0 });
    expect(q0.code).toBe(ResponseCode.SUCCESS);
    expect(q0.extFields.offset).toBe('0');
    const up = await tb.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'OffGroup', topic: 'OffTopic', queueId: 1, commitOffset: 42 });
    expect(up.code).toBe(ResponseCode.SUCCESS);
    const q1 = await tb.invoke(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'OffGroup', topic: 'OffTopic', queueId: 1 });
    expect(q1.extFields.offset).toBe('42');
    const all = await tb.invoke(RequestCode.GET_ALL_CONSUMER_OFFSET);
    expect(all.body!.toString()).toBe('{"offsetTable":{"OffTopic@OffGroup":{1:42}}}');
  });

  it('writes consumerOffset.json in fastjson pretty form with bare integer keys', async () => {
    await tb.controller.offsets.persist();
    tb.controller.offsets.commit('OffGroup', 'OffTopic', 0, 7);
    await tb.controller.offsets.persist();
    const text = readFileSync(join(tb.dir, 'config', 'consumerOffset.json'), 'utf8');
    expect(text).toBe('{\n\t"offsetTable":{\n\t\t"OffTopic@OffGroup":{1:42,0:7\n\t\t}\n\t}\n}');
    expect(readFileSync(join(tb.dir, 'config', 'consumerOffset.json.bak'), 'utf8')).toContain('{1:42\n');
  });
});

describe('heartbeat, consumer list and NOTIFY_CONSUMER_IDS_CHANGED', () => {
  it('tracks group members per connection and notifies members when membership changes', async () => {
    const notified: string[][] = [[], []];
    const clients = [new RemotingClient(), new RemotingClient()];
    clients.forEach((c, i) =>
      c.registerProcessor(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (req) => {
        notified[i]!.push(req.extFields.consumerGroup!);
        return null;
      }),
    );
    const hb = (i: number) => clients[i]!.invoke(tb.addr, RemotingCommand.createRequest(RequestCode.HEART_BEAT, undefined, heartbeat(`c${i}@1`, 'HbGroup', ['OffTopic'])), 3000);
    const list = async () => {
      const r = await tb.invoke(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'HbGroup' });
      return r.code === ResponseCode.SUCCESS ? (parseFastjson(r.body!.toString()) as { consumerIdList: string[] }).consumerIdList.sort() : r.code;
    };
    try {
      expect((await hb(0)).code).toBe(ResponseCode.SUCCESS);
      expect(await list()).toEqual(['c0@1']);
      expect(tb.controller.topics.get('%RETRY%HbGroup')).toMatchObject({ readQueueNums: 1, writeQueueNums: 1, perm: 6 });
      await waitFor(() => notified[0]!.length === 1, 2000, 'first notify');

      await hb(1);
      expect(await list()).toEqual(['c0@1', 'c1@1']);
      await waitFor(() => notified[0]!.length === 2 && notified[1]!.length === 1, 2000, 'join notify');

      // An unchanged heartbeat is not a membership change.
      await hb(0);
      await new Promise((r) => setTimeout(r, 50));
      expect(notified[0]).toHaveLength(2);

      const conns = await tb.invoke(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: 'HbGroup' });
      expect(conns.code).toBe(ResponseCode.SUCCESS);
      expect(conns.body!.toString()).toContain('"clientId":"c1@1"');

      const un = await clients[1]!.invoke(tb.addr, RemotingCommand.createRequest(RequestCode.UNREGISTER_CLIENT, { clientID: 'c1@1', consumerGroup: 'HbGroup' }), 3000);
      expect(un.code).toBe(ResponseCode.SUCCESS);
      expect(await list()).toEqual(['c0@1']);
      await waitFor(() => notified[0]!.length === 3, 2000, 'leave notify');

      clients[0]!.close();
      await waitFor(async () => (await list()) === ResponseCode.SYSTEM_ERROR, 2000, 'group to empty on close');
      const offline = await tb.invoke(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: 'HbGroup' });
      expect(offline.code).toBe(ResponseCode.CONSUMER_NOT_ONLINE);
    } finally {
      clients.forEach((c) => c.close());
    }
  });

  it('drops channels whose heartbeat expired', async () => {
    const c = new RemotingClient();
    try {
      await c.invoke(tb.addr, RemotingCommand.createRequest(RequestCode.HEART_BEAT, undefined, heartbeat('exp@1', 'ExpGroup', ['OffTopic'])), 3000);
      expect(tb.controller.consumers.clientIds('ExpGroup')).toEqual(['exp@1']);
      expect(tb.controller.consumers.scanExpired(120_000)).toBe(0);
      expect(tb.controller.consumers.scanExpired(120_000, Date.now() + 121_000)).toBe(1);
      expect(tb.controller.consumers.clientIds('ExpGroup')).toEqual([]);
    } finally {
      c.close();
    }
  });

  it('refuses a heartbeat whose group name could escape into a path', async () => {
    const r = await tb.invoke(RequestCode.HEART_BEAT, undefined, heartbeat('bad@1', '../evil', ['OffTopic']));
    expect(r.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(tb.controller.topics.get('%RETRY%../evil')).toBeUndefined();
  });
});

describe('CONSUMER_SEND_MSG_BACK', () => {
  it('re-delivers a failed message through %RETRY%<group> after the delay, then to the DLQ past max', async () => {
    const sent = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('OffTopic', { queueId: 0, properties: props({ TAGS: 'R', KEYS: 'rk' }) }), Buffer.from('retry-me'));
    const offset = decodeOffsetMsgId(sent.extFields.msgId!).offset;
    const back = await tb.invoke(RequestCode.CONSUMER_SEND_MSG_BACK, { offset, group: 'RetryGroup', delayLevel: 0, originMsgId: sent.extFields.msgId, originTopic: 'OffTopic', unitMode: false, maxReconsumeTimes: 16 });
    expect(back.code).toBe(ResponseCode.SUCCESS);
    const store = tb.controller.store;
    await waitFor(() => store.getMaxOffsetInQueue('%RETRY%RetryGroup', 0) === 1, 3000, 'retry delivery');
    const r = await tb.invoke(RequestCode.PULL_MESSAGE, pullHeader('%RETRY%RetryGroup', 'RetryGroup', 0, 0));
    const [m] = decodeMessages(r.body!);
    expect(m!.body.toString()).toBe('retry-me');
    expect(m!.reconsumeTimes).toBe(1);
    expect(m!.properties).toMatchObject({ RETRY_TOPIC: 'OffTopic', ORIGIN_MESSAGE_ID: sent.extFields.msgId, TAGS: 'R', KEYS: 'rk' });

    const dlq = await tb.invoke(RequestCode.CONSUMER_SEND_MSG_BACK, { offset: m!.commitLogOffset, group: 'RetryGroup', delayLevel: 0, maxReconsumeTimes: 1 });
    expect(dlq.code).toBe(ResponseCode.SUCCESS);
    expect(store.getMaxOffsetInQueue('%DLQ%RetryGroup', 0)).toBe(1);
    const missing = await tb.invoke(RequestCode.CONSUMER_SEND_MSG_BACK, { offset: 999_999_999, group: 'RetryGroup', delayLevel: 0 });
    expect(missing.code).toBe(ResponseCode.SYSTEM_ERROR);
  });
});

describe('LOCK_BATCH_MQ / UNLOCK_BATCH_MQ', () => {
  const mq = (queueId: number) => ({ brokerName: 'test-broker', queueId, topic: 'OffTopic' });
  const lock = async (clientId: string, ids: number[]) => {
    const r = await tb.invoke(RequestCode.LOCK_BATCH_MQ, undefined, Buffer.from(JSON.stringify({ clientId, consumerGroup: 'OrderGroup', mqSet: ids.map(mq) })));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    return (JSON.parse(r.body!.toString()) as { lockOKMQSet: { queueId: number }[] }).lockOKMQSet.map((m) => m.queueId).sort();
  };

  it('gives each queue of a group to one client until it unlocks or its lock expires', async () => {
    expect(await lock('A', [0, 1])).toEqual([0, 1]);
    expect(await lock('B', [1, 2])).toEqual([2]);
    expect(await lock('A', [0, 1])).toEqual([0, 1]);
    const un = await tb.invoke(RequestCode.UNLOCK_BATCH_MQ, undefined, Buffer.from(JSON.stringify({ clientId: 'A', consumerGroup: 'OrderGroup', mqSet: [mq(1)] })));
    expect(un.code).toBe(ResponseCode.SUCCESS);
    expect(await lock('B', [1])).toEqual([1]);
    const locks = tb.controller.locks;
    expect(locks.tryLockBatch('OrderGroup', [mq(0)], 'B', Date.now() + 59_000)).toEqual([]);
    expect(locks.tryLockBatch('OrderGroup', [mq(0)], 'B', Date.now() + 61_000)).toEqual([mq(0)]);
    const bad = await tb.invoke(RequestCode.LOCK_BATCH_MQ, undefined, Buffer.from('{"clientId":1}'));
    expect(bad.code).toBe(ResponseCode.SYSTEM_ERROR);
    // Entries of the wrong shape are refused, not locked as topic "[object Object]" or queue 1e300.
    for (const entry of [{ brokerName: 'test-broker', queueId: 1e300, topic: 'OffTopic' }, { brokerName: 'test-broker', queueId: 0, topic: { t: 1 } }, 7]) {
      const r = await tb.invoke(RequestCode.LOCK_BATCH_MQ, undefined, Buffer.from(JSON.stringify({ clientId: 'C', consumerGroup: 'OrderGroup', mqSet: [entry] })));
      expect(r.code, JSON.stringify(entry)).toBe(ResponseCode.SYSTEM_ERROR);
    }
  });
});
