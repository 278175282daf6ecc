import { DISPATCH_FLAG_KEY_HASHES, DISPATCH_KEY_COUNT_SHIFT, keyHashCount, RING_KEY_HASHES, type DispatchFacts } from '../../src/workers/messages.js';

/**
 * The records ring tests push, a pure function of their sequence number so the consumer thread
 * can check each one. Offsets climb past 2^32 and tag codes go negative and past 2^31, to catch
 * any narrowing in the slot layout. Two records in three carry 0 to 4 key hashes (negative ones too).
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
    flags: (seq & 0xf) | (seq % 3 === 0 ? 0 : DISPATCH_FLAG_KEY_HASHES | (seq % (RING_KEY_HASHES + 1)) << DISPATCH_KEY_COUNT_SHIFT),
    keyHashes: Int32Array.from({ length: RING_KEY_HASHES }, (_, k) => (k < seq % (RING_KEY_HASHES + 1) && seq % 3 !== 0 ? Math.imul(seq + 1, 0x9e3779b1) + k : 0)),
  };
}

/** What differs between a record read and the one expected (null: none); key hashes past their count are not compared. */
export function recordMismatch(got: DispatchFacts, want: DispatchFacts): string | null {
  for (const k of Object.keys(want) as Array<keyof DispatchFacts>) {
    if (k !== 'keyHashes' && got[k] !== want[k]) return `${k} = ${got[k]}, expected ${want[k]}`;
  }
  for (let k = 0; k < keyHashCount(want.flags); k++) {
    if (got.keyHashes[k] !== want.keyHashes[k]) return `keyHashes[${k}] = ${got.keyHashes[k]}, expected ${want.keyHashes[k]}`;
  }
  return null;
}

/** Commit log offset just past record `seq`. */
export function endOf(seq: number): number {
  const r = expectedRecord(seq);
  return r.phyOffset + r.size;
}
