import { describe, expect, it } from 'vitest';
import { Message, messageQueue, selectMessageQueueByHash } from '../../src/net/client/index.js';
import { javaHashCode } from '../../src/net/client/queue-selectors.js';

describe('selectMessageQueueByHash (SelectMessageQueueByHash)', () => {
  const mqs = [0, 1, 2, 3, 4].map((q) => messageQueue('T', 'b', q));
  const msg = new Message('T', 'x');

  it('hashes as Java’s hashCode: String, Integer, Long and Boolean (values from an independent computation)', () => {
    expect(javaHashCode('order-1')).toBe(-1207111310);
    expect(javaHashCode('订单42')).toBe(1085411761);
    expect(javaHashCode(42)).toBe(42);
    expect(javaHashCode(-7)).toBe(-7);
    expect(javaHashCode(2 ** 40)).toBe(256);
    expect(javaHashCode(-1n)).toBe(0);
    expect(javaHashCode(true)).toBe(1231);
  });

  it('picks |hash % n| like Java, the same queue for the same key', () => {
    expect(selectMessageQueueByHash(mqs, msg, 'order-1').queueId).toBe(0); // -1207111310 % 5 = 0
    expect(selectMessageQueueByHash(mqs, msg, -7).queueId).toBe(2);
    expect(selectMessageQueueByHash(mqs, msg, 13).queueId).toBe(3);
    expect(selectMessageQueueByHash(mqs, msg, 'order-1')).toBe(selectMessageQueueByHash(mqs, msg, 'order-1'));
    expect(() => selectMessageQueueByHash(mqs, msg, { id: 1 })).toThrow(/must be a string, an integer/);
    expect(() => selectMessageQueueByHash(mqs, msg, 1.5)).toThrow(/not 1.5/);
  });
});
