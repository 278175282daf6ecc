import { describe, expect, it } from 'vitest';
import { decodeProperties, encodeProperties, javaStringHashCode } from '../../src/store/index.js';
import { Message } from '../../src/net/client/message.js';
import { createUniqId, parseUniqId } from '../../src/net/client/message-id.js';
import { decodeBatchBody, encodeBatchBody } from '../../src/net/client/message-batch.js';
import { buildSubscriptionData, matchesSubscription } from '../../src/net/client/subscription.js';
import { ProcessQueue } from '../../src/net/client/process-queue.js';
import { parseConsumeTimestamp } from '../../src/net/client/start-offset.js';
import type { MessageExt } from '../../src/net/client/message.js';

describe('UNIQ_KEY (MessageClientIDSetter)', () => {
  it('is 32 uppercase hex digits: ip, pid, loader hash, ms since month start, counter', () => {
    const now = Date.now();
    const a = createUniqId(now);
    const b = createUniqId(now);
    expect(a).toMatch(/^[0-9A-F]{32}$/);
    expect(a.slice(0, 20)).toBe(b.slice(0, 20));
    const pa = parseUniqId(a);
    const pb = parseUniqId(b);
    expect(pa.pid).toBe(process.pid & 0xffff);
    expect(pa.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(pa.timestamp).toBe(now);
    expect(pb.counter).toBe((pa.counter + 1) & 0xffff);
    const d = new Date(now);
    const sinceMonth = now - new Date(d.getFullYear(), d.getMonth(), 1).getTime();
    expect(parseInt(a.slice(20, 28), 16)).toBe(sinceMonth >>> 0);
  });

  it('ids made in one millisecond are all distinct', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 5000 }, () => createUniqId(now)));
    expect(ids.size).toBe(5000);
  });
});

describe('Message properties', () => {
  it('keeps tags, keys (space-joined), delay level and the wait flag under RocketMQ names', () => {
    const m = new Message('T', 'hello', { tags: 'TagA', keys: ['k1', 'k2'], delayTimeLevel: 3, properties: { color: 'red' } });
    const s = encodeProperties(m.properties);
    expect(s).toBe('TAGS\u0001TagA\u0002KEYS\u0001k1 k2\u0002DELAY\u00013\u0002WAIT\u0001true\u0002color\u0001red');
    expect(Object.fromEntries(decodeProperties(s))).toEqual({ TAGS: 'TagA', KEYS: 'k1 k2', DELAY: '3', WAIT: 'true', color: 'red' });
    expect(m.body.toString()).toBe('hello');
    expect([m.tags, m.keys, m.delayTimeLevel, m.waitStoreMsgOK]).toEqual(['TagA', 'k1 k2', 3, true]);
  });

  it('drops empty tags and rejects reserved or empty user properties', () => {
    const m = new Message('T', Buffer.from('x'), { tags: '' });
    expect(m.tags).toBeUndefined();
    expect(() => m.putUserProperty('UNIQ_KEY', 'x')).toThrow(/used by system/);
    expect(() => m.putUserProperty('a', '')).toThrow(/blank/);
    expect(() => (m.delayTimeLevel = -1)).toThrow(/delayTimeLevel/);
  });
});

describe('batch body (SEND_BATCH_MESSAGE)', () => {
  it('encodes [size][magic 0][crc 0][flag][bodyLen][body][short propsLen][props] per message', () => {
    const m1 = new Message('T', 'ab', { flag: 5, waitStoreMsgOK: true });
    const m2 = new Message('T', 'xyz', { tags: 'TagB' });
    const p1 = 'WAIT\u0001true';
    const p2 = 'TAGS\u0001TagB\u0002WAIT\u0001true';
    const rec = (flag: number, body: string, props: string): Buffer => {
      const head = Buffer.alloc(20);
      head.writeInt32BE(20 + body.length + 2 + props.length, 0);
      head.writeInt32BE(flag, 12);
      head.writeInt32BE(body.length, 16);
      const pl = Buffer.alloc(2);
      pl.writeInt16BE(props.length);
      return Buffer.concat([head, Buffer.from(body), pl, Buffer.from(props)]);
    };
    const expected = Buffer.concat([rec(5, 'ab', p1), rec(0, 'xyz', p2)]);
    const got = encodeBatchBody([m1, m2]);
    expect(got.toString('hex')).toBe(expected.toString('hex'));
    expect(decodeBatchBody(got).map((r) => [r.flag, r.body.toString(), r.properties])).toEqual([[5, 'ab', p1], [0, 'xyz', p2]]);
  });
});

describe('subscriptions', () => {
  it('parses "TagA || TagB" into tags and their Java hash codes', () => {
    const s = buildSubscriptionData('T', ' TagA || TagB ||');
    expect(s.tagsSet).toEqual(['TagA', 'TagB']);
    expect(s.codeSet).toEqual([2598919, javaStringHashCode('TagB')]);
    expect(matchesSubscription(s, 'TagA')).toBe(true);
    expect(matchesSubscription(s, 'TagC')).toBe(false);
    expect(matchesSubscription(s, undefined)).toBe(false);
    const all = buildSubscriptionData('T', '*');
    expect([all.subString, all.tagsSet, matchesSubscription(all, undefined)]).toEqual(['*', [], true]);
    expect(() => buildSubscriptionData('T', '||')).toThrow(/no tag/);
  });
});

describe('ProcessQueue commit offsets', () => {
  const msg = (queueOffset: number, size = 1): MessageExt => ({ queueOffset, body: Buffer.alloc(size) }) as MessageExt;
  it('commits the lowest offset still in flight, or one past the last when none is', () => {
    const pq = new ProcessQueue({ topic: 'T', brokerName: 'b', queueId: 0 }, 10);
    expect(pq.remove([])).toBe(-1);
    pq.put([10, 11, 12, 13].map(msg));
    expect(pq.count).toBe(4);
    expect(pq.remove([msg(12)])).toBe(10);
    expect(pq.remove([msg(10)])).toBe(11);
    expect(pq.count).toBe(2);
    expect(pq.remove([msg(11)])).toBe(13);
    expect(pq.remove([msg(13)])).toBe(14);
    expect(pq.count).toBe(0);
    expect(pq.put([13, 14].map((o) => msg(o)))).toEqual([msg(14)]);
    expect(pq.count).toBe(1);
  });

  it('reports the count, body bytes and offset span in flight for pull flow control', () => {
    const pq = new ProcessQueue({ topic: 'T', brokerName: 'b', queueId: 0 }, 0);
    expect([pq.count, pq.size, pq.span]).toEqual([0, 0, 0]);
    pq.put([msg(0, 100), msg(1, 10), msg(5, 1000)]);
    expect([pq.count, pq.size, pq.span]).toEqual([3, 1110, 5]);
    pq.remove([msg(1, 10), msg(1, 10)]);
    expect([pq.count, pq.size, pq.span]).toEqual([2, 1100, 5]);
    pq.remove([msg(0, 100)]);
    expect([pq.count, pq.size, pq.span]).toEqual([1, 1000, 0]);
    pq.remove([msg(5, 1000)]);
    expect([pq.count, pq.size, pq.span]).toEqual([0, 0, 0]);
  });
});

describe('consumeTimestamp', () => {
  it('parses yyyyMMddHHmmss as local time; empty means 30 minutes ago', () => {
    expect(parseConsumeTimestamp('20240131235959')).toBe(new Date(2024, 0, 31, 23, 59, 59).getTime());
    expect(parseConsumeTimestamp('', 1_000_000_000)).toBe(1_000_000_000 - 1_800_000);
    expect(() => parseConsumeTimestamp('2024-01-31')).toThrow(/consumeTimestamp/);
  });
});

describe('decodeMessageExts (pull bodies)', () => {
  it('stops at a record that does not decode, keeping the ones before it, as Java does', async () => {
    const { encodeMessage, calMsgLength, SYSFLAG_COMPRESSED } = await import('../../src/store/message-codec.js');
    const { decodeMessageExts } = await import('../../src/net/client/message.js');
    const record = (body: Buffer, sysFlag: number): Buffer => {
      const b = Buffer.alloc(calMsgLength(sysFlag, body.length, 1, 0));
      encodeMessage(b, 0, { topic: 'T', queueId: 0, body, sysFlag }, 1, 0, { queueOffset: 0, physicalOffset: 0, storeTimestamp: 1, storeHost: { ip: Buffer.from([127, 0, 0, 1]), port: 1 } });
      return b;
    };
    // The second record claims a zlib body that is not one: inflating it throws.
    const body = Buffer.concat([record(Buffer.from('good'), 0), record(Buffer.from('not zlib'), SYSFLAG_COMPRESSED), record(Buffer.from('after'), 0)]);
    const bad: unknown[] = [];
    const msgs = decodeMessageExts(body, 'b', (e) => bad.push(e));
    expect(msgs.map((m) => m.body.toString())).toEqual(['good']);
    expect(bad).toHaveLength(1);
  });
});
