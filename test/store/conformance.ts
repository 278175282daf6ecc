import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import {
  decodeMessage,
  decodeOffsetMsgId,
  StoreError,
  javaStringHashCode,
  TRANSACTION_PREPARED_TYPE,
  type MessageInput,
  type MessageStore,
  type StoreConfig,
} from '../../src/store/index.js';

export interface StoreFactory {
  /** A started store over fresh storage, with these config overrides. */
  open(overrides?: Partial<StoreConfig>): Promise<MessageStore>;
  /** Releases everything `open` created. */
  cleanup(): Promise<void>;
}

const tagFilter = (...tags: string[]) => {
  const codes = new Set(tags.map(javaStringHashCode));
  return { isMatchedByConsumeQueue: (code: number) => codes.has(code) };
};

export function msg(topic: string, queueId: number, body: string, props: Record<string, string> = {}): MessageInput {
  return {
    topic,
    queueId,
    body: Buffer.from(body),
    properties: Object.entries(props)
      .map(([k, v]) => `${k}\u0001${v}`)
      .join('\u0002'),
  };
}

/**
 * Behaviour every MessageStore implementation must show. Run over the file store and the memory
 * store (conformance-*.test.ts), so the in-memory store used in broker tests can't drift.
 */
export function conformanceSuite(name: string, makeFactory: () => StoreFactory): void {
  describe(`MessageStore conformance: ${name}`, () => {
    let f: StoreFactory;
    let store: MessageStore;
    beforeEach(async () => {
      f = makeFactory();
      store = await f.open();
    });
    afterEach(async () => {
      await store.shutdown();
      await f.cleanup();
    });

    it('appends and reads back messages with per-queue offsets', async () => {
      const results = [];
      for (let i = 0; i < 10; i++) results.push(await store.putMessage(msg('T', i % 2, `body-${i}`, { TAGS: 'A', KEYS: `k${i}` })));
      expect(results.map((r) => r.queueOffset)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
      expect(results.every((r) => r.status === 'PUT_OK' && r.msgNum === 1)).toBe(true);
      expect(decodeOffsetMsgId(results[3]!.msgId).offset).toBe(results[3]!.wroteOffset);
      const got = store.getMessage('g', 'T', 1, 0, 32);
      expect(got.status).toBe('FOUND');
      expect(got.messages.map((b) => decodeMessage(b, 0).body.toString())).toEqual(['body-1', 'body-3', 'body-5', 'body-7', 'body-9']);
      expect(got.queueOffsets).toEqual([0, 1, 2, 3, 4]);
      expect(got.nextBeginOffset).toBe(5);
      expect([got.minOffset, got.maxOffset]).toEqual([0, 5]);
      expect(store.getMaxOffsetInQueue('T', 0)).toBe(5);
      expect(store.getMinOffsetInQueue('T', 0)).toBe(0);
      const m = store.lookMessageByOffset(results[4]!.wroteOffset)!;
      expect(m.properties).toEqual({ TAGS: 'A', KEYS: 'k4' });
      expect(m.queueOffset).toBe(2);
      expect(store.selectOneMessageByOffset(results[4]!.wroteOffset)!.length).toBe(results[4]!.wroteBytes);
      expect(store.lookMessageByOffsetMsgId(results[4]!.msgId)?.body.toString()).toBe('body-4');
      expect(store.lookMessageByOffsetMsgId('0A0000FF00002A9F0000000000000000')).toBeNull();
      expect(store.lookMessageByOffsetMsgId('not-an-id')).toBeNull();
      expect(store.getCommitLogOffsetInQueue('T', 0, 2)).toBe(results[4]!.wroteOffset);
      expect(store.getMaxPhyOffset()).toBe(results[9]!.wroteOffset + results[9]!.wroteBytes);
      expect(store.queueIds('T').sort()).toEqual([0, 1]);
    });

    it('honours maxMsgNums and continues from nextBeginOffset', async () => {
      for (let i = 0; i < 7; i++) await store.putMessage(msg('T', 0, `m${i}`));
      const a = store.getMessage('g', 'T', 0, 0, 3);
      expect(a.messages.length).toBe(3);
      expect(a.nextBeginOffset).toBe(3);
      const b = store.getMessage('g', 'T', 0, a.nextBeginOffset, 100);
      expect(b.messages.map((x) => decodeMessage(x, 0).body.toString())).toEqual(['m3', 'm4', 'm5', 'm6']);
    });

    it('stores a batch contiguously with consecutive queue offsets', async () => {
      await store.putMessage(msg('B', 2, 'before'));
      const r = await store.putMessages([msg('B', 2, 'x0'), msg('B', 2, 'x1'), msg('B', 2, 'x2')]);
      expect(r.msgNum).toBe(3);
      expect(r.queueOffset).toBe(1);
      const ids = r.msgId.split(',');
      expect(ids.length).toBe(3);
      const offs = ids.map((id) => decodeOffsetMsgId(id).offset);
      expect(offs[0]).toBe(r.wroteOffset);
      expect(offs[2]! - offs[0]!).toBe(r.wroteBytes - (r.wroteBytes / 3) * 1);
      const got = store.getMessage('g', 'B', 2, 1, 32);
      expect(got.messages.map((x) => decodeMessage(x, 0).body.toString())).toEqual(['x0', 'x1', 'x2']);
      await expect(store.putMessages([msg('B', 2, 'a'), msg('C', 2, 'b')])).rejects.toThrow(StoreError);
    });

    it('filters by tag hash code', async () => {
      for (let i = 0; i < 6; i++) await store.putMessage(msg('T', 0, `m${i}`, { TAGS: i % 3 === 0 ? 'TagA' : 'TagB' }));
      await store.putMessage(msg('T', 0, 'untagged'));
      const a = store.getMessage('g', 'T', 0, 0, 32, tagFilter('TagA'));
      expect(a.status).toBe('FOUND');
      expect(a.messages.map((x) => decodeMessage(x, 0).body.toString())).toEqual(['m0', 'm3']);
      expect(a.nextBeginOffset).toBe(7);
      const none = store.getMessage('g', 'T', 0, 0, 32, tagFilter('TagC'));
      expect(none.status).toBe('NO_MATCHED_MESSAGE');
      expect(none.messages.length).toBe(0);
      expect(none.nextBeginOffset).toBe(7);
    });

    it('answers every offset status RocketMQ defines for out-of-range pulls', async () => {
      expect(store.getMessage('g', 'Nope', 0, 0, 32).status).toBe('NO_MATCHED_LOGIC_QUEUE');
      for (let i = 0; i < 3; i++) await store.putMessage(msg('T', 0, `m${i}`));
      const one = store.getMessage('g', 'T', 0, 3, 32);
      expect([one.status, one.nextBeginOffset]).toEqual(['OFFSET_OVERFLOW_ONE', 3]);
      const badly = store.getMessage('g', 'T', 0, 10, 32);
      expect([badly.status, badly.nextBeginOffset]).toEqual(['OFFSET_OVERFLOW_BADLY', 0]);
      const small = store.getMessage('g', 'T', 0, -1, 32);
      expect([small.status, small.nextBeginOffset]).toEqual(['OFFSET_TOO_SMALL', 0]);
      // A prepared (half) transaction message takes no queue slot: the queue exists but is empty.
      await store.putMessage({ ...msg('H', 0, 'half'), sysFlag: TRANSACTION_PREPARED_TYPE });
      const empty = store.getMessage('g', 'H', 0, 0, 32);
      expect([empty.status, empty.nextBeginOffset, empty.maxOffset]).toEqual(['NO_MESSAGE_IN_QUEUE', 0, 0]);
    });

    it('finds offsets and times by store timestamp', async () => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await store.putMessage({ ...msg('T', 0, `m${i}`), storeTimestamp: 1_000_000 + i * 1000 });
        times.push(r.storeTimestamp);
      }
      expect(times[0]).toBe(1_000_000);
      // RocketMQ 4.9's answers: the exact hit, else the nearer neighbour (the older one on a tie),
      // the first offset before all messages and the last one (not the max) after them.
      expect(store.getOffsetInQueueByTime('T', 0, 1_002_000)).toBe(2);
      expect(store.getOffsetInQueueByTime('T', 0, 1_002_400)).toBe(2);
      expect(store.getOffsetInQueueByTime('T', 0, 1_002_500)).toBe(2);
      expect(store.getOffsetInQueueByTime('T', 0, 1_002_600)).toBe(3);
      expect(store.getOffsetInQueueByTime('T', 0, 0)).toBe(0);
      expect(store.getOffsetInQueueByTime('T', 0, 1_000_400)).toBe(0);
      expect(store.getOffsetInQueueByTime('T', 0, 1_003_999)).toBe(4);
      expect(store.getOffsetInQueueByTime('T', 0, 9_999_999)).toBe(4);
      expect(store.getOffsetInQueueByTime('Empty', 0, 1_002_000)).toBe(0);
      expect(store.getMessageStoreTimeStamp('T', 0, 4)).toBe(1_004_000);
      expect(store.getEarliestMessageTime('T', 0)).toBe(1_000_000);
      expect(store.getEarliestMessageTime()).toBe(1_000_000);
    });

    it('notifies the arriving listener once a message is readable', async () => {
      const seen: unknown[] = [];
      store.setMessageArrivingListener((topic, queueId, next, tags) => {
        seen.push([topic, queueId, next, tags, store.getMaxOffsetInQueue(topic, queueId)]);
      });
      await store.putMessage(msg('T', 3, 'a', { TAGS: 'TagA' }));
      await store.putMessage(msg('T', 3, 'b'));
      expect(seen).toEqual([
        ['T', 3, 1, 2598919, 1],
        ['T', 3, 2, 0, 2],
      ]);
    });

    it('finds messages by key and by unique key', async () => {
      await store.putMessage(msg('Q', 0, 'a', { KEYS: 'order-1 order-2' }));
      await store.putMessage(msg('Q', 1, 'b', { KEYS: 'order-2', UNIQ_KEY: 'U1' }));
      await store.putMessage(msg('Other', 0, 'c', { KEYS: 'order-2' }));
      const bodies = async (key: string, max = 32) =>
        (await store.queryMessage('Q', key, max, 0, Date.now() + 1000)).messages.map((b) => decodeMessage(b, 0).body.toString()).sort();
      expect(await bodies('order-1')).toEqual(['a']);
      expect(await bodies('order-2')).toEqual(['a', 'b']);
      expect(await bodies('U1')).toEqual(['b']);
      expect(await bodies('missing')).toEqual([]);
      expect((await bodies('order-2', 1)).length).toBe(1);
    });

    it('rejects illegal messages with MESSAGE_ILLEGAL errors and keeps what was stored', async () => {
      const ok = await store.putMessage(msg('T', 0, 'keep-me'));
      const cases: MessageInput[] = [
        { ...msg('T', 0, ''), body: Buffer.alloc(store.config.maxMessageSize + 1) },
        msg('x'.repeat(128), 0, 'long topic'),
        msg('', 0, 'empty topic'),
        msg('../evil', 0, 'path'),
        { ...msg('T', 0, 'props'), properties: 'K\u0001' + 'v'.repeat(40000) },
        msg('T', -1, 'bad queue'),
        // The record's queue id is a Java int: 2^31 would be stored wrapped (found by fuzzing a broker).
        msg('T', 2 ** 31, 'queue id past int'),
        msg('T', 1e300, 'queue id 1e300'),
      ];
      for (const c of cases) {
        const err = await store.putMessage(c).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, c.topic.slice(0, 20)).toBeInstanceOf(StoreError);
        expect((err as StoreError).responseCode).toBe(13);
      }
      const got = store.getMessage('g', 'T', 0, 0, 32);
      expect(got.messages.length).toBe(1);
      expect(decodeMessage(got.messages[0]!, 0).body.toString()).toBe('keep-me');
      expect(store.getMaxPhyOffset()).toBe(ok.wroteOffset + ok.wroteBytes);
    });

    it('deletes topics', async () => {
      await store.putMessage(msg('Gone', 0, 'x'));
      await store.putMessage(msg('Stays', 0, 'y'));
      store.deleteTopics(['Gone']);
      expect(store.getMessage('g', 'Gone', 0, 0, 32).status).toBe('NO_MATCHED_LOGIC_QUEUE');
      expect(store.getMessage('g', 'Stays', 0, 0, 32).status).toBe('FOUND');
    });
  });
}
