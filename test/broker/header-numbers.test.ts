import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { BrokerError } from '../../src/net/broker/broker-error.js';
import { ConsumerOffsetManager } from '../../src/net/broker/consumer-offset-manager.js';
import { optInt, optLong, reqInt, reqLong } from '../../src/net/broker/request-header.js';
import { javaDoubleString } from '../../src/net/java-number.js';
import { createTopic, startTestBroker, type TestBroker } from '../helpers/broker-harness.js';

describe('doubles written as Java writes them (String.valueOf(double))', () => {
  it('keeps a decimal point, and switches to E notation below 1e-3 and from 1e7', () => {
    const cases: Array<[number, string]> = [
      [0, '0.0'], [-0, '-0.0'], [1178, '1178.0'], [1178.5, '1178.5'], [-1, '-1.0'], [0.0873, '0.0873'], [0.001, '0.001'],
      [0.0001, '1.0E-4'], [0.00012345, '1.2345E-4'], [9999999, '9999999.0'], [1e7, '1.0E7'], [12345678.9, '1.23456789E7'],
      [NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'],
    ];
    for (const [x, java] of cases) expect(javaDoubleString(x), String(x)).toBe(java);
  });
});

// Found by fuzzing a broker process: header numbers went through Number(), which takes "1e300".
describe('request header numbers follow Java parseInt/parseLong', () => {
  it('accepts signed decimal digits and refuses what Java refuses', () => {
    expect(reqInt({ q: '-5' }, 'q')).toBe(-5);
    expect(reqInt({ q: '+7' }, 'q')).toBe(7);
    expect(reqInt({ q: '2147483647' }, 'q')).toBe(2147483647);
    for (const bad of ['1e300', '1e3', '0x10', ' 7 ', '1.0', 'NaN', 'Infinity', '', '2147483648', '-2147483649']) {
      expect(() => reqInt({ q: bad }, 'q'), bad).toThrow(BrokerError);
    }
    expect(() => reqLong({ o: '9223372036854775808' }, 'o')).toThrow(/not a long/);
    expect(() => reqLong({ o: '1e21' }, 'o')).toThrow(/not a long/);
    expect(optInt({}, 'q', 3)).toBe(3);
    expect(optInt({ q: '' }, 'q')).toBeUndefined();
  });

  it('reads Long.MAX_VALUE (a client\'s "no end time") clamped to a safe integer', () => {
    expect(reqLong({ t: '9223372036854775807' }, 't')).toBe(Number.MAX_SAFE_INTEGER);
    expect(optLong({ t: '-9223372036854775808' }, 't')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(reqLong({ t: '1700000000000' }, 't')).toBe(1700000000000);
  });
});

describe('a mistyped queue id never reaches a config file', () => {
  let tb: TestBroker;
  beforeAll(async () => {
    tb = await startTestBroker({}, { memory: true });
    await createTopic(tb, 'NumTopic', 2);
  });
  afterAll(async () => {
    await tb?.close();
  });

  it('refuses UPDATE_CONSUMER_OFFSET with queueId "1e300", and consumerOffset.json still loads', async () => {
    // Before the fix: SUCCESS, then the file held the bare key 1e+300 and the broker could not restart.
    const res = await tb.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'G', topic: 'NumTopic', queueId: '1e300', commitOffset: '5' });
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toMatch(/<queueId> is not an int/);
    const ok = await tb.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'G', topic: 'NumTopic', queueId: 1, commitOffset: 5 });
    expect(ok.code).toBe(ResponseCode.SUCCESS);
    await tb.controller.offsets.persist(true);
    const reloaded = new ConsumerOffsetManager(tb.dir);
    reloaded.load();
    expect(reloaded.query('G', 'NumTopic', 1)).toBe(5);
    expect(reloaded.queueOffsets('G', 'NumTopic')?.size).toBe(1);
  });

  it('refuses queue counts that are not Java ints', async () => {
    const res = await tb.invoke(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'Huge', readQueueNums: '1e2', writeQueueNums: '4', perm: 6 });
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(tb.controller.topics.get('Huge')).toBeUndefined();
  });
});
