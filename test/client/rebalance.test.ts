import { describe, expect, it } from 'vitest';
import { allocateAveragely, allocateAveragelyByCircle, allocateByConfig, allocateByMachineRoom, allocateConsistentHash, allocateMachineRoomNearby } from '../../src/net/client/rebalance.js';
import { compareMessageQueue, messageQueue, type MessageQueue } from '../../src/net/client/message-queue.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const cids = (c: number): string[] => range(c).map((i) => `cid-${String(i).padStart(2, '0')}`);

describe('allocateAveragely (AllocateMessageQueueAveragely)', () => {
  it.each([
    // n queues, c consumers, expected share of each consumer
    [8, 3, [[0, 1, 2], [3, 4, 5], [6, 7]]],
    [10, 4, [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]],
    [4, 2, [[0, 1], [2, 3]]],
    [5, 5, [[0], [1], [2], [3], [4]]],
    [3, 5, [[0], [1], [2], [], []]],
    [16, 3, [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15]]],
    [1, 2, [[0], []]],
  ])('%i queues over %i consumers', (n, c, expected) => {
    const all = cids(c);
    expect(all.map((cid) => allocateAveragely(cid, range(n), all))).toEqual(expected);
  });

  it('partitions the queues for every n <= 20, c <= 8: disjoint, complete, contiguous, sizes differ by at most one', () => {
    for (let n = 0; n <= 20; n++) {
      for (let c = 1; c <= 8; c++) {
        const all = cids(c);
        const shares = all.map((cid) => allocateAveragely(cid, range(n), all));
        expect(shares.flat()).toEqual(range(n));
        // Consumers beyond the n-th get nothing; the others' shares differ by at most one queue.
        const sizes = shares.map((s) => s.length).slice(0, Math.max(1, Math.min(n, c)));
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        expect(shares.slice(n).every((s) => s.length === 0)).toBe(true);
      }
    }
  });

  it('gives nothing to a consumer that is not in the list', () => {
    expect(allocateAveragely('stranger', range(4), cids(2))).toEqual([]);
  });
});

describe('allocateAveragelyByCircle', () => {
  it.each([
    [8, 3, [[0, 3, 6], [1, 4, 7], [2, 5]]],
    [3, 5, [[0], [1], [2], [], []]],
    [6, 2, [[0, 2, 4], [1, 3, 5]]],
  ])('%i queues over %i consumers', (n, c, expected) => {
    const all = cids(c);
    expect(all.map((cid) => allocateAveragelyByCircle(cid, range(n), all))).toEqual(expected);
  });

  it('gives nothing to a consumer that is not in the list', () => {
    expect(allocateAveragelyByCircle('stranger', range(4), cids(2))).toEqual([]);
  });
});

const queues = (n: number, broker = 'broker-a', topic = 'T'): MessageQueue[] => range(n).map((i) => messageQueue(topic, broker, i));
const ids = (mqs: MessageQueue[]): string[] => mqs.map((mq) => `${mq.brokerName}:${mq.queueId}`);

describe('allocateConsistentHash (AllocateMessageQueueConsistentHash)', () => {
  const cidAll = ['192.168.0.1@1', '192.168.0.2@2', '192.168.0.3@3'];

  it('hashes queues onto a ring of 10 points per consumer, as Java does (vector from an independent Python MD5 ring)', () => {
    const strategy = allocateConsistentHash();
    const shares = cidAll.map((cid) => strategy(cid, queues(8), cidAll).map((mq) => mq.queueId));
    expect(shares).toEqual([[1, 6, 7], [0], [2, 3, 4, 5]]);
  });

  it('moves only the queues the newcomer takes when a consumer joins', () => {
    const strategy = allocateConsistentHash();
    const mqs = queues(64);
    const before = new Map(cidAll.flatMap((cid) => strategy(cid, mqs, cidAll).map((mq) => [mq.queueId, cid] as const)));
    const grown = [...cidAll, '192.168.0.4@4'];
    const after = new Map(grown.flatMap((cid) => strategy(cid, mqs, grown).map((mq) => [mq.queueId, cid] as const)));
    expect(after.size).toBe(64);
    for (const [q, cid] of after) if (cid !== '192.168.0.4@4') expect(before.get(q)).toBe(cid);
    expect([...after.values()].filter((c) => c === '192.168.0.4@4').length).toBeGreaterThan(0);
  });

  it('gives nothing to a stranger or with no virtual nodes, and refuses a negative count', () => {
    expect(allocateConsistentHash()('stranger', queues(4), cidAll)).toEqual([]);
    expect(allocateConsistentHash(0)(cidAll[0]!, queues(4), cidAll)).toEqual([]);
    expect(() => allocateConsistentHash(-1)).toThrow('illegal virtualNodeCnt :-1');
  });
});

describe('allocateByConfig, allocateByMachineRoom, allocateMachineRoomNearby', () => {
  it('by config: the configured queues, whatever the group', () => {
    const mine = queues(2, 'broker-b');
    expect(allocateByConfig(mine)('anyone', queues(8), ['x'])).toEqual(mine);
  });

  it('by machine room: queues of brokers in the consumers’ rooms, in blocks, the remainder from the end', () => {
    const mqAll = [...queues(3, 'hz@broker-a'), ...queues(2, 'sh@broker-b'), ...queues(2, 'bj@broker-c'), ...queues(1, 'plain')].sort(compareMessageQueue);
    const strategy = allocateByMachineRoom(['hz', 'sh']);
    const cids2 = cids(2);
    // hz@broker-a 0,1,2 and sh@broker-b 0,1: 5 queues over 2 consumers, blocks of 2, the 5th to consumer 0.
    expect(cids2.map((cid) => ids(strategy(cid, mqAll, cids2)))).toEqual([
      ['hz@broker-a:0', 'hz@broker-a:1', 'sh@broker-b:1'],
      ['hz@broker-a:2', 'sh@broker-b:0'],
    ]);
  });

  it('nearby: each room’s queues to its own consumers, rooms without consumers shared by all', () => {
    const mqAll = [...queues(4, 'hz-broker'), ...queues(2, 'sh-broker'), ...queues(2, 'bj-broker')].sort(compareMessageQueue);
    const resolver = { brokerDeployIn: (mq: MessageQueue) => mq.brokerName.split('-')[0]!, consumerDeployIn: (cid: string) => cid.split(':')[0]! };
    const cidAll = ['hz:1', 'hz:2', 'sh:1'];
    const strategy = allocateMachineRoomNearby(allocateAveragely, resolver);
    const shares = cidAll.map((cid) => ids(strategy(cid, mqAll, cidAll)));
    expect(shares).toEqual([
      ['hz-broker:0', 'hz-broker:1', 'bj-broker:0'],
      ['hz-broker:2', 'hz-broker:3', 'bj-broker:1'],
      ['sh-broker:0', 'sh-broker:1'],
    ]);
    expect(shares.flat().sort()).toEqual(ids(mqAll).sort());
    expect(() => allocateMachineRoomNearby(allocateAveragely, { ...resolver, brokerDeployIn: () => '' })('hz:1', mqAll, cidAll)).toThrow(/Machine room is null for mq MessageQueue \[topic=T/);
  });
});
