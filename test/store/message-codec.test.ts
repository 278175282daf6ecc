import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bodyCrc,
  createOffsetMsgId,
  decodeMessage,
  decodeOffsetMsgId,
  decodeProperties,
  decodePropertiesObject,
  encodeMessage,
  encodePropertiesJavaOrder,
  javaStringHashCode,
  parseHostAddress,
  calMsgLength,
} from '../../src/store/index.js';
import { FIXTURES } from '../helpers/store-paths.js';

/** Builds the expected bytes field by field straight from the reference table (no encoder code). */
function handEncoded(): Buffer {
  const body = Buffer.from('Hello');
  const topic = Buffer.from('TopicTest');
  const props = Buffer.from('TAGS\u0001TagA');
  const hex = [
    'xxxxxxxx', // TOTALSIZE, filled below
    'daa320a7', // MAGICCODE
    '77d18982', // BODYCRC: crc32("Hello") = 0xF7D18982 with the top bit cleared
    '00000001', // QUEUEID
    '00000000', // FLAG
    '0000000000000007', // QUEUEOFFSET
    '00000000000004d2', // PHYSICALOFFSET 1234
    '00000000', // SYSFLAG
    '0000018bcfe56800', // BORNTIMESTAMP 1700000000000
    '0a000005' + '000015b3', // BORNHOST 10.0.0.5:5555
    '0000018bcfe56801', // STORETIMESTAMP
    '0a000001' + '00002a9f', // STOREHOST 10.0.0.1:10911
    '00000000', // RECONSUMETIMES
    '0000000000000000', // PREPARED TRANSACTION OFFSET
    '00000005' + body.toString('hex'),
    '09' + topic.toString('hex'),
    props.length.toString(16).padStart(4, '0') + props.toString('hex'),
  ].join('');
  const total = (hex.length - 8) / 2 + 4;
  return Buffer.from(total.toString(16).padStart(8, '0') + hex.slice(8), 'hex');
}

describe('stored-message codec', () => {
  it('encodes a record byte for byte as the reference layout says, and decodes every field', () => {
    const expected = handEncoded();
    expect(expected.length).toBe(calMsgLength(0, 5, 9, 'TAGS\u0001TagA'.length));
    const buf = Buffer.alloc(expected.length + 10, 0xee);
    const n = encodeMessage(
      buf,
      3,
      {
        topic: 'TopicTest',
        queueId: 1,
        body: Buffer.from('Hello'),
        properties: 'TAGS\u0001TagA',
        bornTimestamp: 1700000000000,
        bornHost: parseHostAddress('10.0.0.5:5555'),
      },
      9,
      9,
      { queueOffset: 7, physicalOffset: 1234, storeTimestamp: 1700000000001, storeHost: parseHostAddress('10.0.0.1:10911') },
    );
    expect(n).toBe(expected.length);
    expect(buf.subarray(3, 3 + n).toString('hex')).toBe(expected.toString('hex'));
    expect(buf[2]).toBe(0xee);
    expect(buf[3 + n]).toBe(0xee);

    const m = decodeMessage(expected, 0);
    expect(m).toMatchObject({
      storeSize: expected.length,
      bodyCRC: 2010220930,
      queueId: 1,
      flag: 0,
      queueOffset: 7,
      commitLogOffset: 1234,
      sysFlag: 0,
      bornTimestamp: 1700000000000,
      bornHost: '10.0.0.5:5555',
      storeTimestamp: 1700000000001,
      storeHost: '10.0.0.1:10911',
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
      topic: 'TopicTest',
      propertiesString: 'TAGS\u0001TagA',
      properties: { TAGS: 'TagA' },
      msgId: '0A00000100002A9F00000000000004D2',
    });
    expect(m.body.toString()).toBe('Hello');
  });

  it('round-trips IPv6 hosts and negative longs', () => {
    const buf = Buffer.alloc(300);
    const n = encodeMessage(
      buf,
      0,
      { topic: 'T', queueId: 0, body: Buffer.alloc(0), bornHost: parseHostAddress('[2001:db8::1]:80'), preparedTransactionOffset: 5 },
      1,
      0,
      { queueOffset: 2 ** 40, physicalOffset: 2 ** 33 + 7, storeTimestamp: 1, storeHost: parseHostAddress('[::1]:10911') },
    );
    expect(n).toBe(calMsgLength(0x30, 0, 1, 0));
    const m = decodeMessage(buf, 0);
    expect(m.sysFlag & 0x30).toBe(0x30);
    expect(m.bornHost).toBe('[2001:db8:0:0:0:0:0:1]:80');
    expect(m.storeHost).toBe('[0:0:0:0:0:0:0:1]:10911');
    expect(m.queueOffset).toBe(2 ** 40);
    expect(m.commitLogOffset).toBe(2 ** 33 + 7);
    expect(decodeOffsetMsgId(m.msgId)).toEqual({ address: '[0:0:0:0:0:0:0:1]:10911', offset: 2 ** 33 + 7 });
  });

  it('computes RocketMQ hashes, CRCs and ids', () => {
    expect(javaStringHashCode('TagA')).toBe(2598919);
    expect(javaStringHashCode('TopicTest#key1')).toBe(-1655984460);
    expect(bodyCrc(Buffer.from('Hello'))).toBe(0x77d18982);
    expect(createOffsetMsgId(parseHostAddress('127.0.0.1:20911'), 0x9c)).toBe('7F000001000051AF000000000000009C');
    expect(() => decodeOffsetMsgId('xyz')).toThrow(/bad message id/);
  });

  it('parses properties like RocketMQ (empty values dropped, malformed pieces ignored)', () => {
    const text = 'TAGS\u0001\u0002KEYS\u0001k1 k2\u0002junk\u0002\u0001x\u0002A\u0001b';
    const p = decodeProperties(text);
    expect([...p.entries()]).toEqual([
      ['KEYS', 'k1 k2'],
      ['A', 'b'],
    ]);
    // The object form decoded messages carry says the same.
    expect(decodePropertiesObject(text)).toEqual({ KEYS: 'k1 k2', A: 'b' });
  });

  it('keeps a __proto__ property an ordinary own property of a decoded message', () => {
    const p = decodePropertiesObject('__proto__\u0001evil\u0002TAGS\u0001t');
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(Object.keys(p)).toEqual(['__proto__', 'TAGS']);
    expect(Object.getOwnPropertyDescriptor(p, '__proto__')?.value).toBe('evil');
  });
});

interface FixtureMessage {
  seq: number;
  body: string;
  stored: {
    commitLogOffset: number;
    storeSize: number;
    bodyCrc: number;
    sysFlag: number;
    flag: number;
    queueId: number;
    queueOffset: number;
    bornTimestamp: number;
    storeTimestamp: number;
    reconsumeTimes: number;
    bodyLength: number;
    propertiesAsStored: Record<string, string>;
  };
  propertiesSentByClient: Record<string, string>;
  sendResult: { msgId: string };
}

describe('records written by Apache RocketMQ 4.9', () => {
  const json = JSON.parse(readFileSync(join(FIXTURES, 'rocketmq-4.9-store.json'), 'utf8')) as { messages: FixtureMessage[]; brokerConfig: { brokerClusterName: string } };
  const commitLog = readFileSync(join(FIXTURES, 'rocketmq-4.9-store/commitlog/00000000000000000000'));
  const bodyOf = (m: FixtureMessage) => (m.body === "'x' x 3000" ? Buffer.alloc(3000, 'x') : Buffer.from(m.body));

  it('decodes every fixture record with the fields the broker reported', () => {
    for (const m of json.messages) {
      const d = decodeMessage(commitLog, m.stored.commitLogOffset);
      expect(d.storeSize).toBe(m.stored.storeSize);
      expect(d.bodyCRC).toBe(m.stored.bodyCrc);
      expect(d.queueId).toBe(m.stored.queueId);
      expect(d.queueOffset).toBe(m.stored.queueOffset);
      expect(d.commitLogOffset).toBe(m.stored.commitLogOffset);
      expect(d.bornTimestamp).toBe(m.stored.bornTimestamp);
      expect(d.storeTimestamp).toBe(m.stored.storeTimestamp);
      expect(d.properties).toEqual(m.stored.propertiesAsStored);
      expect(d.body.equals(bodyOf(m))).toBe(true);
      expect(d.msgId).toBe(m.sendResult.msgId);
    }
  });

  it('re-encodes the same inputs into exactly the bytes RocketMQ stored', () => {
    for (const m of json.messages) {
      const orig = decodeMessage(commitLog, m.stored.commitLogOffset);
      // What the broker does with a send: parse the client's properties (dropping empty values),
      // add CLUSTER, re-serialize in Java HashMap order.
      const props = decodeProperties(
        Object.entries(m.propertiesSentByClient)
          .map(([k, v]) => `${k}\u0001${v}`)
          .join('\u0002'),
      );
      props.set('CLUSTER', json.brokerConfig.brokerClusterName);
      const properties = encodePropertiesJavaOrder(props);
      const out = Buffer.alloc(m.stored.storeSize);
      encodeMessage(
        out,
        0,
        { topic: orig.topic, queueId: orig.queueId, body: bodyOf(m), flag: orig.flag, properties, bornTimestamp: orig.bornTimestamp, bornHost: parseHostAddress(orig.bornHost) },
        Buffer.byteLength(orig.topic),
        Buffer.byteLength(properties),
        { queueOffset: orig.queueOffset, physicalOffset: orig.commitLogOffset, storeTimestamp: orig.storeTimestamp, storeHost: parseHostAddress(orig.storeHost) },
      );
      expect(out.toString('hex'), `message ${m.seq}`).toBe(commitLog.subarray(m.stored.commitLogOffset, m.stored.commitLogOffset + m.stored.storeSize).toString('hex'));
    }
  });
});
