import { describe, expect, it } from 'vitest';
import { LatencyFaultTolerance, notAvailableDuration } from '../../src/net/client/latency-fault.js';
import { messageQueue } from '../../src/net/client/message-queue.js';

describe('LatencyFaultTolerance (MQFaultStrategy)', () => {
  it('keeps a broker out for as long as RocketMQ’s latency steps say', () => {
    expect([0, 49, 50, 99, 100, 549, 550, 999, 1000, 2000, 3000, 14_999, 15_000, 60_000].map(notAvailableDuration)).toEqual([
      0, 0, 0, 0, 0, 0, 30_000, 30_000, 60_000, 120_000, 180_000, 180_000, 600_000, 600_000,
    ]);
  });

  it('skips unavailable brokers in rotation, and picks among the better half when all are out', () => {
    const f = new LatencyFaultTolerance();
    const queues = ['a', 'b', 'c'].flatMap((b) => [0, 1].map((q) => messageQueue('T', b, q)));
    let i = 0;
    const next = () => i++;
    f.update('a', 600, false, 1000);
    f.update('b', 10, true, 1000);
    expect([f.isAvailable('a', 1000), f.isAvailable('b', 1000), f.isAvailable('c', 1000)]).toEqual([false, false, true]);
    for (let k = 0; k < 6; k++) expect(f.select(queues, next, 2000).brokerName).toBe('c');
    expect(f.isAvailable('a', 31_000)).toBe(true);
    // Everything out: the least bad of the better half (lowest latency, then soonest back).
    f.update('c', 20_000, false, 2000);
    expect(f.pickOneAtLeast(3000)).toBe('b');
    expect(f.select(queues, next, 3000).brokerName).toBe('b');
    // A broker with no record is available.
    const only = [messageQueue('T', 'z', 0)];
    expect(f.select(only, next, 3000).brokerName).toBe('z');
  });
});
