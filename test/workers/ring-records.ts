import type { DispatchFacts } from '../../src/workers/messages.js';

/**
 * The records ring tests push, a pure function of their sequence number so the consumer thread
 * can check each one. Offsets climb past 2^32 and tag codes go negative and past 2^31, to catch
 * any narrowing in the slot layout.
 */
const BASE_OFFSET = 2 ** 32 - 50_000;
const RECORD_STRIDE = 1000;

export function expectedRecord(seq: number): DispatchFacts {
  return {
    phyOffset: BASE_OFFSET + seq * RECORD_STRIDE,
    size: 100 + (seq % 900),
    topicId: seq % 5,
    queueId: seq % 4,
    queueOffset: seq,
    tagsCode: seq % 2 === 0 ? -seq : 1_700_000_000_000 + seq,
    storeTimestamp: 1_700_000_000_000 + seq,
    flags: seq & 0xf,
  };
}

/** Commit log offset just past record `seq`. */
export function endOf(seq: number): number {
  const r = expectedRecord(seq);
  return r.phyOffset + r.size;
}
