import { decodeMessage, type MessageStore } from '../../src/store/index.js';

/** The bodies of a queue's messages as strings, from `from` (its minimum offset unless given) to its end. */
export function queueBodies(s: MessageStore, topic: string, q: number, from = s.getMinOffsetInQueue(topic, q)): string[] {
  const out: string[] = [];
  for (let off = from; ; ) {
    const r = s.getMessage('g', topic, q, off, 1000);
    if (r.status !== 'FOUND') return out;
    out.push(...r.messages.map((b) => decodeMessage(b, 0).body.toString()));
    off = r.nextBeginOffset;
  }
}
