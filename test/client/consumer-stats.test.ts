import { describe, expect, it } from 'vitest';
import { ConsumerStats } from '../../src/net/client/consumer-stats.js';
import { decodeRunningInfo, encodeRunningInfo, type ConsumerRunningInfo } from '../../src/net/client/consumer-running-info.js';

describe('ConsumerStats', () => {
  it('reports the last minute of pulls and consumes, and the last hour of failures', () => {
    const s = new ConsumerStats();
    const t0 = 1_700_000_000_000;
    s.pulled('T', 10, 30, t0);
    s.pulled('T', 30, 30, t0 + 1000);
    s.consumed('T', 4, 50, true, t0 + 2000);
    s.consumed('T', 8, 10, false, t0 + 2000);
    let st = s.status('T', t0 + 30_000);
    expect(st.pullRT).toBe(20);
    expect(st.pullTPS).toBe(1);
    expect(st.consumeRT).toBe(6);
    expect(st.consumeOKTPS).toBeCloseTo(50 / 60, 10);
    expect(st.consumeFailedTPS).toBeCloseTo(10 / 60, 10);
    expect(st.consumeFailedMsgs).toBe(10);
    // A minute later the per-second windows are empty; the failures still count for the hour.
    st = s.status('T', t0 + 65_000);
    expect([st.pullRT, st.pullTPS, st.consumeRT, st.consumeOKTPS, st.consumeFailedTPS]).toEqual([0, 0, 0, 0, 0]);
    expect(st.consumeFailedMsgs).toBe(10);
    expect(s.status('T', t0 + 3_700_000).consumeFailedMsgs).toBe(0);
    // The bucket of t0 is reused a minute later: its 30 are gone, t0 + 1 s's 30 still count.
    s.pulled('T', 5, 1, t0 + 60_000);
    expect(s.status('T', t0 + 60_500).pullTPS).toBeCloseTo(31 / 60, 10);
  });
});

describe('ConsumerRunningInfo body', () => {
  it('writes mqTable keyed by MessageQueue objects, as fastjson does, and reads it back', () => {
    const info: ConsumerRunningInfo = {
      properties: { consumerGroup: 'G', PROP_CONSUME_TYPE: 'CONSUME_PASSIVELY' },
      subscriptionSet: [{ topic: 'T', subString: 'a || b', tagsSet: ['a', 'b'], codeSet: [97, 98], subVersion: 1, classFilterMode: false, expressionType: 'TAG' }],
      mqTable: [[{ topic: 'T', brokerName: 'b', queueId: 1 }, { commitOffset: 7, cachedMsgMinOffset: 7, cachedMsgMaxOffset: 9, cachedMsgCount: 3, cachedMsgSizeInMiB: 0, transactionMsgMinOffset: 0, transactionMsgMaxOffset: 0, transactionMsgCount: 0, locked: false, tryUnlockTimes: 0, lastLockTimestamp: 0, droped: false, lastPullTimestamp: 5, lastConsumeTimestamp: 6 }]],
      statusTable: { T: { pullRT: 1, pullTPS: 2, consumeRT: 3, consumeOKTPS: 4, consumeFailedTPS: 0, consumeFailedMsgs: 0 } },
    };
    const body = encodeRunningInfo(info);
    expect(body.toString()).toMatch(/^\{"mqTable":\{\{"brokerName":"b","queueId":1,"topic":"T"\}:\{"commitOffset":7,/);
    expect(() => JSON.parse(body.toString())).toThrow();
    const back = decodeRunningInfo(body, 'test');
    expect(back.mqTable).toEqual(info.mqTable);
    expect(back.properties).toEqual(info.properties);
    expect(back.statusTable).toEqual(info.statusTable);
    expect(back.subscriptionSet[0]).toMatchObject({ topic: 'T', subString: 'a || b' });
  });
});
