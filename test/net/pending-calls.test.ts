import { describe, expect, it } from 'vitest';
import { PendingCalls, type PendingCall } from '../../src/net/pending-calls.js';

function call(opaque: number, deadline = 1000): PendingCall {
  return { opaque, deadline, timeoutMs: 3000, resolve: () => undefined, reject: () => undefined };
}

describe('PendingCalls', () => {
  it('finds each call by its opaque exactly once', () => {
    const p = new PendingCalls();
    const a = call(7);
    const b = call(8);
    p.add(a);
    p.add(b);
    expect(p.size).toBe(2);
    expect(p.has(7)).toBe(true);
    expect(p.take(8)).toBe(b);
    expect(p.take(8)).toBeUndefined();
    expect(p.take(9)).toBeUndefined();
    expect(p.take(7)).toBe(a);
    expect(p.size).toBe(0);
  });

  it('keeps calls whose ring slot is taken (opaques 4096 apart) and negative opaques apart', () => {
    const p = new PendingCalls();
    const calls = [call(5), call(5 + 4096), call(5 + 8192), call(-5), call(-5 - 4096)];
    for (const c of calls) p.add(c);
    expect(p.size).toBe(5);
    // A response for an opaque that only shares the slot finds nothing.
    expect(p.take(5 + 3 * 4096)).toBeUndefined();
    for (const c of [...calls].reverse()) expect(p.take(c.opaque)).toBe(c);
    expect(p.size).toBe(0);
    expect(p.has(5)).toBe(false);
  });

  it('hands out expired calls once, ring and overflow alike, and everything on takeAll', () => {
    const p = new PendingCalls();
    p.add(call(1, 100));
    p.add(call(2, 300));
    p.add(call(1 + 4096, 100)); // overflow
    p.add(call(3, 500));
    expect(p.takeExpired(200).map((c) => c.opaque).sort((x, y) => x - y)).toEqual([1, 1 + 4096]);
    expect(p.takeExpired(200)).toEqual([]);
    expect(p.size).toBe(2);
    expect(p.takeAll().map((c) => c.opaque).sort((x, y) => x - y)).toEqual([2, 3]);
    expect(p.size).toBe(0);
    expect(p.takeExpired(Infinity)).toEqual([]);
  });
});
