import { describe, expect, it } from 'vitest';
import { BrokerStatsManager, STATS } from '../../src/net/broker/stats-manager.js';

describe('BrokerStatsManager windows', () => {
  it('computes sum, tps and avgpt between the oldest kept snapshot and now, keeping 7 per minute window', () => {
    const m = new BrokerStatsManager();
    const t0 = 1_000_000;
    m.add(STATS.TOPIC_PUT_NUMS, 'T', 4, 1, t0);
    m.add(STATS.TOPIC_PUT_NUMS, 'T', 6, 1, t0);
    // Seeded with a zero snapshot one period back: 10 in 10 s, 2 puts of 5 on average.
    expect(m.view(STATS.TOPIC_PUT_NUMS, 'T', t0)!.statsMinute).toEqual({ sum: 10, tps: 1, avgpt: 5 });
    for (let i = 1; i <= 8; i++) {
      m.add(STATS.TOPIC_PUT_NUMS, 'T', 10, 1, t0 + i * 10_000);
      m.sample('minute', t0 + i * 10_000);
    }
    // Only the last 7 snapshots stay: the oldest is the one at t0 + 20 s (value 30).
    const w = m.view(STATS.TOPIC_PUT_NUMS, 'T', t0 + 80_000)!.statsMinute;
    expect(w).toEqual({ sum: 60, tps: 1, avgpt: 10 });
    // The hour and day windows were never sampled: everything since their seeds.
    expect(m.view(STATS.TOPIC_PUT_NUMS, 'T', t0 + 80_000)!.statsDay.sum).toBe(90);
    expect(m.view(STATS.TOPIC_PUT_NUMS, 'nope')).toBeNull();
  });
});
