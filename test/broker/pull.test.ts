import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessages } from '../../src/store/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { stringifyFastjson } from '../../src/net/fastjson.js';
import type { RemotingCommand } from '../../src/net/remoting-command.js';
import { createTopic, props, pullHeader, sendV2Header, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness.js';

const SUSPEND = 0x2;
const SUBSCRIPTION = 0x4;
const COMMIT = 0x1;

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker();
  await createTopic(tb, 'PullTopic', 2);
  await createTopic(tb, 'LongPoll', 4);
  for (const tag of ['TagA', 'TagB', 'TagA']) {
    const r = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('PullTopic', { queueId: 0, properties: props({ TAGS: tag }) }), Buffer.from(tag));
    expect(r.code).toBe(ResponseCode.SUCCESS);
  }
});
afterAll(async () => {
  await tb?.close();
});

const pull = (queueId: number, offset: number, o: Parameters<typeof pullHeader>[4] = {}, topic = 'PullTopic', timeoutMs = 5000) =>
  tb.invoke(RequestCode.PULL_MESSAGE, pullHeader(topic, 'PullGroup', queueId, offset, o), undefined, timeoutMs);

const send = (topic: string, queueId: number, tag: string) =>
  tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header(topic, { queueId, properties: props({ TAGS: tag }) }), Buffer.from(tag));

describe('PULL_MESSAGE', () => {
  it('answers FOUND with the raw records and the offsets header', async () => {
    const r = await pull(0, 0);
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(r.remark).toBe('FOUND');
    expect(r.extFields).toEqual({ suggestWhichBrokerId: '0', nextBeginOffset: '3', minOffset: '0', maxOffset: '3' });
    expect(decodeMessages(r.body!).map((m) => m.body.toString())).toEqual(['TagA', 'TagB', 'TagA']);
  });

  it('maps store statuses to PULL_NOT_FOUND / PULL_OFFSET_MOVED as RocketMQ', async () => {
    const atMax = await pull(0, 3);
    expect([atMax.code, atMax.remark]).toEqual([ResponseCode.PULL_NOT_FOUND, 'OFFSET_OVERFLOW_ONE']);
    const beyond = await pull(0, 10);
    expect(beyond.code).toBe(ResponseCode.PULL_OFFSET_MOVED);
    expect(beyond.remark).toBe('OFFSET_OVERFLOW_BADLY');
    // RocketMQ corrects an overflowing offset to minOffset when the queue starts at 0.
    expect(beyond.extFields.nextBeginOffset).toBe('0');
    const emptyAtZero = await pull(1, 0);
    expect(emptyAtZero.code).toBe(ResponseCode.PULL_NOT_FOUND);
    const emptyAtFive = await pull(1, 5);
    expect(emptyAtFive.code).toBe(ResponseCode.PULL_OFFSET_MOVED);
    const badQueue = await pull(7, 0);
    expect(badQueue.code).toBe(ResponseCode.SYSTEM_ERROR);
  });

  it('stores an OFFSET_MOVED_EVENT for each corrected offset, tagged and keyed by the group', async () => {
    const store = tb.controller.store;
    const before = store.getMaxOffsetInQueue('OFFSET_MOVED_EVENT', 0);
    expect((await pull(0, 42)).code).toBe(ResponseCode.PULL_OFFSET_MOVED);
    await waitFor(() => store.getMaxOffsetInQueue('OFFSET_MOVED_EVENT', 0) === before + 1);
    const m = store.lookMessageByOffset(store.getCommitLogOffsetInQueue('OFFSET_MOVED_EVENT', 0, before))!;
    expect(m.body.toString()).toBe('{"consumerGroup":"PullGroup","messageQueue":{"brokerName":"test-broker","queueId":0,"topic":"PullTopic"},"offsetNew":0,"offsetRequest":42}');
    expect([m.properties.TAGS, m.properties.KEYS]).toEqual(['PullGroup', 'PullGroup']);
  });

  it('filters by tag code: one tag, several tags, no match', async () => {
    const a = await pull(0, 0, { subscription: 'TagA' });
    expect(decodeMessages(a.body!).map((m) => m.queueOffset)).toEqual([0, 2]);
    const ab = await pull(0, 0, { subscription: 'TagA || TagB' });
    expect(decodeMessages(ab.body!)).toHaveLength(3);
    const none = await pull(0, 0, { subscription: 'TagC' });
    expect(none.code).toBe(ResponseCode.PULL_RETRY_IMMEDIATELY);
    expect(none.extFields.nextBeginOffset).toBe('3');
  });

  it('uses the heartbeat subscription when the pull carries none', async () => {
    const noSub = await pull(0, 0, { sysFlag: 0 });
    expect(noSub.code).toBe(ResponseCode.SUBSCRIPTION_NOT_EXIST);
    const hb = {
      clientID: '127.0.0.1@pull-test',
      consumerDataSet: [{ groupName: 'PullGroup', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', unitMode: false,
        subscriptionDataSet: [{ topic: 'PullTopic', subString: 'TagB', tagsSet: ['TagB'], codeSet: [], subVersion: 5, classFilterMode: false }] }],
      producerDataSet: [],
    };
    expect((await tb.invoke(RequestCode.HEART_BEAT, {}, Buffer.from(stringifyFastjson(hb)))).code).toBe(ResponseCode.SUCCESS);
    const r = await pull(0, 0, { sysFlag: 0 });
    expect(decodeMessages(r.body!).map((m) => m.body.toString())).toEqual(['TagB']);
    const newer = await tb.invoke(RequestCode.PULL_MESSAGE, { ...pullHeader('PullTopic', 'PullGroup', 0, 0, { sysFlag: 0 }), subVersion: 6 });
    expect(newer.code).toBe(ResponseCode.SUBSCRIPTION_NOT_LATEST);
  });

  it('stores the commit offset carried by a pull', async () => {
    await pull(0, 3, { sysFlag: SUBSCRIPTION | COMMIT, commitOffset: 2 });
    const q = await tb.invoke(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'PullGroup', topic: 'PullTopic', queueId: 0 });
    expect(q.extFields.offset).toBe('2');
  });
});

describe('long polling', () => {
  it('wakes a parked pull as soon as a matching message arrives', async () => {
    const parked = pull(0, 0, { sysFlag: SUSPEND | SUBSCRIPTION, suspendMs: 5000, subscription: 'TagA' }, 'LongPoll', 10_000);
    await waitFor(() => tb.controller.holdService.size === 1, 3000, 'pull to be parked');
    const t0 = performance.now();
    expect((await send('LongPoll', 0, 'TagA')).code).toBe(ResponseCode.SUCCESS);
    const r = await parked;
    const latency = performance.now() - t0;
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(decodeMessages(r.body!)[0]!.body.toString()).toBe('TagA');
    expect(latency).toBeLessThan(50);
  });

  it('does not wake for a tag the subscription does not match', async () => {
    let answered: RemotingCommand | null = null;
    const parked = pull(1, 0, { sysFlag: SUSPEND | SUBSCRIPTION, suspendMs: 5000, subscription: 'TagA' }, 'LongPoll', 10_000).then((r) => (answered = r));
    await waitFor(() => tb.controller.holdService.size === 1, 3000, 'pull to be parked');
    await send('LongPoll', 1, 'TagB');
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBeNull();
    await send('LongPoll', 1, 'TagA');
    const r = await parked;
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(decodeMessages(r.body!).map((m) => m.body.toString())).toEqual(['TagA']);
  });

  it('answers PULL_NOT_FOUND when the suspend time runs out', async () => {
    const t0 = Date.now();
    const r = await pull(2, 0, { sysFlag: SUSPEND | SUBSCRIPTION, suspendMs: 300 }, 'LongPoll');
    const waited = Date.now() - t0;
    expect(r.code).toBe(ResponseCode.PULL_NOT_FOUND);
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(waited).toBeLessThan(2000);
  });

  it('with longPollingEnable=false waits shortPollingTimeMills and is not woken by arrivals', async () => {
    const sp = await startTestBroker({ longPollingEnable: false, shortPollingTimeMills: 300 }, { memory: true });
    try {
      await createTopic(sp, 'Short', 1);
      const hold = sp.controller.holdService;
      const parked = sp.invoke(RequestCode.PULL_MESSAGE, pullHeader('Short', 'G', 0, 0, { sysFlag: SUSPEND | SUBSCRIPTION, suspendMs: 10_000 }), undefined, 10_000);
      await waitFor(() => hold.size === 1, 3000, 'pull to be parked');
      const scansBefore = hold.scans;
      const sentAt = Date.now();
      await sp.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('Short'), Buffer.from('s'));
      // As RocketMQ: the arrival itself wakes nobody; the next check (every shortPollingTimeMills)
      // or the pull's own short-polling deadline answers it. A check that ran meanwhile may have.
      if (hold.scans === scansBefore) expect(hold.size).toBe(1);
      const r = await parked;
      expect(r.code).toBe(ResponseCode.SUCCESS);
      expect(Date.now() - sentAt).toBeLessThan(300 + 250);
      expect(hold.size).toBe(0);
    } finally {
      await sp.close();
    }
  });
});
