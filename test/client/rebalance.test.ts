import { describe, expect, it } from 'vitest';
import { allocateAveragely, allocateAveragelyByCircle } from '../../src/net/client/rebalance.js';

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
