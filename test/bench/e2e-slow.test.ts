import { describe, expect, it } from 'vitest';
import { SlowSends, medianBurstGapMs } from '../../bench/e2e-slow.js';

describe('e2e --slow-ms bursts', () => {
  it('keeps only sends over the threshold and groups them by issue time', () => {
    const slow = new SlowSends(4);
    // A stall every 500 ms makes a burst of late sends; one fast send and a lone slow one aside.
    for (const start of [1000, 1500, 2000]) for (let k = 0; k < 30; k++) slow.record(start + k * 0.1, 6 + k / 10);
    slow.record(1200, 3.9);
    slow.record(1750, 9);
    const bursts = slow.bursts(1000);
    expect(bursts.map((b) => [b.atMs, b.sends])).toEqual([
      [0, 30],
      [500, 30],
      [750, 1],
      [1000, 30],
    ]);
    expect(bursts[0]!.spanMs).toBeCloseTo(2.9);
    expect(bursts[1]!.maxRtMs).toBeCloseTo(8.9);
    expect(medianBurstGapMs(bursts, 20)).toBe(500);
    expect(medianBurstGapMs(bursts.slice(0, 1), 20)).toBe(0);
  });

  it('counts what it cannot keep', () => {
    const slow = new SlowSends(1, 2);
    for (let i = 0; i < 5; i++) slow.record(i * 10, 2);
    expect(slow.bursts(0)).toHaveLength(2);
    expect(slow.dropped).toBe(3);
  });
});
