import { BLANK_MAGIC, bodyCrc, bodyLengthAt, calMsgLength, MESSAGE_MAGIC, OFF_BODYCRC, OFF_QUEUEID, OFF_QUEUEOFFSET, OFF_SYSFLAG, recordLayout } from './message-codec.js';

/**
 * Validation of stored records where they are read back: recovery and dispatch (checkRecord),
 * and reads through consume queue units (isUnitRecord). RocketMQ's BODYCRC covers the body only,
 * so every other field may be damaged on disk; these checks keep such damage from becoming a
 * read outside a buffer, or another message served in this one's place.
 */

/** Result of validating the bytes at a position during recovery or dispatch. */
export const CHECK_END = 0;
export const CHECK_BLANK = -1;
export const CHECK_CORRUPT = -2;
const MIN_RECORD_SIZE = calMsgLength(0, 0, 0, 0);

/**
 * Validates the record at `pos` within `limit`: returns its size (> 0), CHECK_BLANK for an
 * end-of-file marker, CHECK_END for zeroed space, CHECK_CORRUPT for anything else (bad magic,
 * impossible lengths, CRC mismatch).
 */
export function checkRecord(b: Buffer, pos: number, limit: number, checkCRC: boolean, maxSize: number): number {
  if (pos + 8 > limit) return CHECK_END;
  const size = b.readInt32BE(pos);
  const magic = b.readInt32BE(pos + 4);
  if (magic === BLANK_MAGIC) return CHECK_BLANK;
  if (size === 0 && magic === 0) return CHECK_END;
  if (magic !== MESSAGE_MAGIC || size > maxSize || topicLengthAt(b, pos, size, limit) < 0) return CHECK_CORRUPT;
  if (checkCRC) {
    const L = recordLayout(b, pos);
    if (bodyCrc(b.subarray(L.bodyLenAt + 4, L.bodyLenAt + 4 + L.bodyLen)) !== b.readInt32BE(pos + OFF_BODYCRC)) return CHECK_CORRUPT;
  }
  return size;
}

/**
 * Whether `b`, the `size` bytes a consume queue unit of `topic`/`queueId` names at queue position
 * `queueOffset`, is that message: a whole record whose lengths agree, with that QUEUEOFFSET,
 * QUEUEID and topic. A damaged unit (a flipped byte in its offset or size) may point anywhere in
 * the commit log, even at the first byte of another queue's record, and every queue has a message
 * 0. Such a unit is treated as a missing record. One pass, no allocation for an ASCII topic (all a
 * broker accepts): every pulled message passes here. (RocketMQ 4.9's multi-dispatch to light
 * queues, INNER_MULTI_DISPATCH, not built here, would add units whose record names another queue.)
 */
export function isUnitRecord(b: Buffer, size: number, topic: string, queueId: number, queueOffset: number): boolean {
  if (size < 8 || size > b.length || int32At(b, 0) !== size || int32At(b, 4) !== MESSAGE_MAGIC) return false;
  const topicLenAt = topicLengthAt(b, 0, size, size);
  if (topicLenAt < 0 || int32At(b, OFF_QUEUEID) !== queueId) return false;
  if (int32At(b, OFF_QUEUEOFFSET) * 0x1_0000_0000 + (int32At(b, OFF_QUEUEOFFSET + 4) >>> 0) !== queueOffset) return false;
  const n = b[topicLenAt]!;
  const at = topicLenAt + 1;
  if (n !== topic.length) return Buffer.byteLength(topic) === n && b.toString('utf8', at, at + n) === topic;
  for (let i = 0; i < n; i++) {
    // Equal lengths in bytes and UTF-16 units: a non-ASCII topic cannot match.
    if (b[at + i] !== topic.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Where TOPICLENGTH sits in the record at `pos`, if the record is `size` bytes by its own fields
 * (host sizes from SYSFLAG, body, topic and properties lengths) and lies within `limit`; -1 if
 * not. Each length is checked before a field is read through it: a damaged one (the CRC covers
 * the body only) makes the record corrupt instead of sending a read outside the buffer.
 */
function topicLengthAt(b: Buffer, pos: number, size: number, limit: number): number {
  if (size < MIN_RECORD_SIZE || pos + size > limit || limit > b.length) return -1;
  const end = pos + size;
  const sysFlag = int32At(b, pos + OFF_SYSFLAG);
  const bodyLenAt = bodyLengthAt(pos, sysFlag);
  if (bodyLenAt + 4 > end) return -1;
  const bodyLen = int32At(b, bodyLenAt);
  const topicLenAt = bodyLenAt + 4 + bodyLen;
  if (bodyLen < 0 || topicLenAt >= end) return -1;
  const topicLen = b[topicLenAt]!;
  const propsLenAt = topicLenAt + 1 + topicLen;
  if (propsLenAt + 2 > end) return -1;
  // PROPERTIESLENGTH is a signed short; a negative one is corrupt.
  const propsLen = (b[propsLenAt]! << 8) | b[propsLenAt + 1]!;
  return propsLen < 0x8000 && calMsgLength(sysFlag, bodyLen, topicLen, propsLen) === size ? topicLenAt : -1;
}

/**
 * Big-endian int32 from bytes the caller has bounds-checked: element loads, several times
 * cheaper than Buffer#readInt32BE's argument checks on a path every pulled record takes.
 */
function int32At(b: Buffer, p: number): number {
  return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
}
