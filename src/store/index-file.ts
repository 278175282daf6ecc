import { MappedFile } from './mapped-file.js';
import { StoreError } from './errors.js';
import { javaStringHashCode } from './java-hash.js';

/**
 * One RocketMQ IndexFile: a hash table of `topic#key` -> commit log offsets, kept on disk and
 * byte-compatible with RocketMQ 4.x (IndexFile.java, IndexHeader.java). All big-endian.
 *
 *   0          8          16           24           32        36        40
 *   +----------+----------+------------+------------+---------+---------+
 *   | beginTs  | endTs    | beginPhyOff| endPhyOff  | slots   | index   |  header (40 bytes)
 *   | long     | long     | long       | long       | used int| count   |
 *   +----------+----------+------------+------------+---------+---------+
 *   | slot 0 .. slot N-1: int, number of the newest entry in the bucket, 0 = empty       |
 *   +-----------------------------------------------------------------------------------+
 *   | entry 0 (never used) | entry 1 | ... | entry M-1                                   |
 *   +-----------------------------------------------------------------------------------+
 *   entry (20 bytes): +0 keyHash int | +4 phyOffset long | +12 timeDiff int | +16 prevIndex int
 *
 * keyHash = |String.hashCode(topic#key)| (MIN_VALUE -> 0); bucket = keyHash % N. timeDiff = whole
 * seconds since beginTimestamp, clamped to [0, 2^31-1]. prevIndex chains a bucket's entries from
 * newest to oldest. indexCount starts at 1 and is the next entry number. Entries are appended in
 * commit log order, so their phyOffsets never decrease (truncation relies on that).
 *
 * The mapped header is the only copy of the header: a reader mapping the same file in another
 * thread sees what the writer wrote. Not thread-safe for writers: one writing thread per file.
 */
export const INDEX_HEADER_SIZE = 40;
export const H_BEGIN_TIMESTAMP = 0;
export const H_END_TIMESTAMP = 8;
export const H_BEGIN_PHY_OFFSET = 16;
export const H_END_PHY_OFFSET = 24;
export const H_HASH_SLOT_COUNT = 32;
export const H_INDEX_COUNT = 36;

export const HASH_SLOT_SIZE = 4;

export const INDEX_ENTRY_SIZE = 20;
export const E_KEY_HASH = 0;
export const E_PHY_OFFSET = 4;
export const E_TIME_DIFF = 12;
export const E_PREV_INDEX = 16;

const TWO_32 = 4294967296;
const INT_MAX = 2147483647;

export interface IndexHeader {
  beginTimestamp: number;
  endTimestamp: number;
  beginPhyOffset: number;
  endPhyOffset: number;
  hashSlotCount: number;
  indexCount: number;
}

export interface IndexEntry {
  keyHash: number;
  phyOffset: number;
  timeDiff: number;
  prevIndex: number;
}

export function indexFileSize(hashSlotNum: number, indexNum: number): number {
  return INDEX_HEADER_SIZE + hashSlotNum * HASH_SLOT_SIZE + indexNum * INDEX_ENTRY_SIZE;
}

/** RocketMQ's indexKeyHashMethod over `topic#key`: |hashCode|, and MIN_VALUE (still negative) -> 0. */
export function indexKeyHash(topic: string, key: string): number {
  return indexKeyHashFrom(indexKeyPrefixHash(topic), key);
}

/** Java hash of `topic#`, the prefix every index key of a topic shares (cache it per topic). */
export function indexKeyPrefixHash(topic: string): number {
  return javaStringHashCode(`${topic}#`);
}

/**
 * indexKeyHash of the key `s[start, end)` after a prefix hashed by indexKeyPrefixHash: Java's
 * hash of a concatenation continues the prefix's, so the index path needs no key strings.
 */
export function indexKeyHashFrom(prefixHash: number, s: string, start = 0, end = s.length): number {
  let h = prefixHash;
  for (let i = start; i < end; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h === -2147483648 ? 0 : Math.abs(h);
}

/** Reads a Java long (below 2^53 in magnitude) as two 32-bit halves, avoiding BigInt. */
export function getLong(v: DataView, off: number): number {
  return v.getInt32(off) * TWO_32 + v.getUint32(off + 4);
}

export function setLong(v: DataView, off: number, x: number): void {
  v.setInt32(off, Math.floor(x / TWO_32));
  v.setUint32(off + 4, x >>> 0);
}

/** Header encoder (layout above). */
export function writeIndexHeader(v: DataView, h: IndexHeader): void {
  setLong(v, H_BEGIN_TIMESTAMP, h.beginTimestamp);
  setLong(v, H_END_TIMESTAMP, h.endTimestamp);
  setLong(v, H_BEGIN_PHY_OFFSET, h.beginPhyOffset);
  setLong(v, H_END_PHY_OFFSET, h.endPhyOffset);
  v.setInt32(H_HASH_SLOT_COUNT, h.hashSlotCount);
  v.setInt32(H_INDEX_COUNT, h.indexCount);
}

/** Header decoder (layout above). */
export function readIndexHeader(v: DataView): IndexHeader {
  return {
    beginTimestamp: getLong(v, H_BEGIN_TIMESTAMP),
    endTimestamp: getLong(v, H_END_TIMESTAMP),
    beginPhyOffset: getLong(v, H_BEGIN_PHY_OFFSET),
    endPhyOffset: getLong(v, H_END_PHY_OFFSET),
    hashSlotCount: v.getInt32(H_HASH_SLOT_COUNT),
    indexCount: v.getInt32(H_INDEX_COUNT),
  };
}

/** Entry encoder (layout above); scalar arguments so the put path allocates nothing. */
export function writeIndexEntry(v: DataView, pos: number, keyHash: number, phyOffset: number, timeDiff: number, prevIndex: number): void {
  v.setInt32(pos + E_KEY_HASH, keyHash);
  setLong(v, pos + E_PHY_OFFSET, phyOffset);
  v.setInt32(pos + E_TIME_DIFF, timeDiff);
  v.setInt32(pos + E_PREV_INDEX, prevIndex);
}

/** Entry decoder (layout above). */
export function readIndexEntry(v: DataView, pos: number): IndexEntry {
  return {
    keyHash: v.getInt32(pos + E_KEY_HASH),
    phyOffset: getLong(v, pos + E_PHY_OFFSET),
    timeDiff: v.getInt32(pos + E_TIME_DIFF),
    prevIndex: v.getInt32(pos + E_PREV_INDEX),
  };
}

export class IndexFile {
  readonly hashSlotNum: number;
  readonly indexNum: number;
  readonly readOnly: boolean;
  private readonly file: MappedFile;
  private readonly v: DataView;
  private readonly entriesStart: number;
  private closed = false;

  private constructor(file: MappedFile, hashSlotNum: number, indexNum: number, readOnly: boolean) {
    // A hash table: slot reads and writes land anywhere, so read-ahead only allocates (or reads)
    // megabytes nobody asked for. Before the first access, which reads the header.
    file.adviseRandom(true);
    this.file = file;
    this.hashSlotNum = hashSlotNum;
    this.indexNum = indexNum;
    this.readOnly = readOnly;
    this.v = new DataView(file.buffer.buffer, file.buffer.byteOffset, file.buffer.byteLength);
    this.entriesStart = INDEX_HEADER_SIZE + hashSlotNum * HASH_SLOT_SIZE;
    file.wrotePosition = this.entryPos(Math.max(1, this.indexCount));
  }

  /**
   * A new, empty file. A successor of a full file starts from its predecessor's end offset and
   * end time (as RocketMQ does), so queries and deletion see contiguous ranges.
   */
  static create(path: string, hashSlotNum: number, indexNum: number, prevEndPhyOffset = 0, prevEndTimestamp = 0): IndexFile {
    checkSizes(hashSlotNum, indexNum);
    const file = MappedFile.open(path, 0, indexFileSize(hashSlotNum, indexNum), { create: true });
    try {
      // Backed before the constructor reads the header: a read fault in a hole can fail too (a
      // SIGBUS on a full tmpfs). Random access first, so the populate reads nothing around it.
      file.adviseRandom(true);
      file.ensureBacked(0, INDEX_HEADER_SIZE);
    } catch (e) {
      file.destroy(); // no headerless file left behind for the next start
      throw e;
    }
    const f = new IndexFile(file, hashSlotNum, indexNum, false);
    f.initHeader(prevEndPhyOffset, prevEndTimestamp);
    return f;
  }

  /** An existing file; its size must match the slot and entry counts. */
  static open(path: string, hashSlotNum: number, indexNum: number, opts: { readOnly?: boolean } = {}): IndexFile {
    checkSizes(hashSlotNum, indexNum);
    const file = MappedFile.open(path, 0, indexFileSize(hashSlotNum, indexNum), { create: false, readOnly: opts.readOnly });
    return new IndexFile(file, hashSlotNum, indexNum, opts.readOnly ?? false);
  }

  get path(): string {
    return this.file.path;
  }

  get name(): string {
    return this.file.name;
  }

  get beginTimestamp(): number {
    return getLong(this.v, H_BEGIN_TIMESTAMP);
  }

  get endTimestamp(): number {
    return getLong(this.v, H_END_TIMESTAMP);
  }

  get beginPhyOffset(): number {
    return getLong(this.v, H_BEGIN_PHY_OFFSET);
  }

  get endPhyOffset(): number {
    return getLong(this.v, H_END_PHY_OFFSET);
  }

  get hashSlotCount(): number {
    return this.v.getInt32(H_HASH_SLOT_COUNT);
  }

  /** Next entry number. A file RocketMQ created but never wrote holds 0 here, which means 1. */
  get indexCount(): number {
    const c = this.v.getInt32(H_INDEX_COUNT);
    return c > 0 ? c : 1;
  }

  header(): IndexHeader {
    return readIndexHeader(this.v);
  }

  /** Decoded entry `n` (1 <= n < indexCount); for tests and tools. */
  entry(n: number): IndexEntry {
    return readIndexEntry(this.v, this.entryPos(n));
  }

  isFull(): boolean {
    return this.indexCount >= this.indexNum;
  }

  /** RocketMQ's isTimeMatched: [begin, end] overlaps [beginTimestamp, endTimestamp]. */
  isTimeMatched(begin: number, end: number): boolean {
    const b = this.beginTimestamp;
    const e = this.endTimestamp;
    return (begin < b && end > e) || (begin >= b && begin <= e) || (end >= b && end <= e);
  }

  /** Adds one key (hash from indexKeyHash). False when the file is full. Allocation-free. */
  putKey(keyHash: number, phyOffset: number, storeTimestamp: number): boolean {
    this.checkWritable();
    const v = this.v;
    const count = this.indexCount;
    if (count >= this.indexNum) return false;
    const slotPos = this.slotPos(keyHash);
    // A store into a page the disk cannot back is a SIGBUS; this is an error instead.
    this.file.ensureBacked(slotPos, HASH_SLOT_SIZE);
    this.file.ensureBacked(this.entryPos(count), INDEX_ENTRY_SIZE);
    let slotValue = v.getInt32(slotPos);
    if (slotValue <= 0 || slotValue > count) slotValue = 0;

    const begin = getLong(v, H_BEGIN_TIMESTAMP);
    let timeDiff = Math.trunc((storeTimestamp - begin) / 1000);
    if (begin <= 0 || timeDiff < 0) timeDiff = 0;
    else if (timeDiff > INT_MAX) timeDiff = INT_MAX;

    writeIndexEntry(v, this.entryPos(count), keyHash, phyOffset, timeDiff, slotValue);
    v.setInt32(slotPos, count);
    if (count <= 1) {
      setLong(v, H_BEGIN_PHY_OFFSET, phyOffset);
      setLong(v, H_BEGIN_TIMESTAMP, storeTimestamp);
    }
    if (slotValue === 0) v.setInt32(H_HASH_SLOT_COUNT, v.getInt32(H_HASH_SLOT_COUNT) + 1);
    v.setInt32(H_INDEX_COUNT, count + 1);
    setLong(v, H_END_PHY_OFFSET, phyOffset);
    setLong(v, H_END_TIMESTAMP, storeTimestamp);
    this.file.wrotePosition = this.entryPos(count + 1);
    return true;
  }

  /**
   * Appends to `out` the offsets of entries with this key hash stored within [begin, end], newest
   * first, until `out` holds maxNum offsets; offsets already in `out` are not added again (a record
   * re-dispatched after a restart may be indexed twice). Walks the bucket chain as RocketMQ does:
   * stops at an invalid or non-decreasing link or at an entry older than `begin`.
   */
  selectPhyOffsets(out: number[], keyHash: number, maxNum: number, begin: number, end: number): void {
    const v = this.v;
    const count = this.indexCount;
    // The slot through pread: an empty bucket's page may be a hole, which a read through the
    // mapping would have to back (a SIGBUS on a full tmpfs; see MappedFile.readAt). Entries below
    // the count were written, so their pages are backed.
    if (count <= 1 || this.file.readAt(SLOT, this.slotPos(keyHash)) < HASH_SLOT_SIZE) return;
    let n = SLOT.readInt32BE(0);
    if (n <= 0 || n >= count) return;
    const beginTs = getLong(v, H_BEGIN_TIMESTAMP);
    while (out.length < maxNum) {
      const pos = this.entryPos(n);
      const timeDiff = v.getInt32(pos + E_TIME_DIFF);
      if (timeDiff < 0) break;
      const timeRead = beginTs + timeDiff * 1000;
      if (v.getInt32(pos + E_KEY_HASH) === keyHash && timeRead >= begin && timeRead <= end) {
        const phyOffset = getLong(v, pos + E_PHY_OFFSET);
        if (!out.includes(phyOffset)) out.push(phyOffset);
      }
      const prev = v.getInt32(pos + E_PREV_INDEX);
      // prev >= n also stops cycles a corrupt file could hold (RocketMQ only checks prev == n).
      if (prev <= 0 || prev >= n || timeRead < begin) break;
      n = prev;
    }
  }

  /**
   * Removes every entry whose phyOffset >= `phyOffset` (records past the valid commit log end
   * after a crash), newest first, undoing exactly what putKey did: the bucket goes back to the
   * entry's prevIndex, counts go down, the freed entries are zeroed, and the end offset and time
   * become the last remaining entry's (the time at one-second precision, as entries store it).
   * Returns the number of entries removed.
   */
  truncateFrom(phyOffset: number): number {
    this.checkWritable();
    const v = this.v;
    const count = this.indexCount;
    let lo = 1;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (getLong(v, this.entryPos(mid) + E_PHY_OFFSET) >= phyOffset) hi = mid;
      else lo = mid + 1;
    }
    const keep = lo;
    if (keep >= count) return 0;
    let slotsUsed = v.getInt32(H_HASH_SLOT_COUNT);
    for (let n = count - 1; n >= keep; n--) {
      const pos = this.entryPos(n);
      const slotPos = this.slotPos(v.getInt32(pos + E_KEY_HASH));
      if (v.getInt32(slotPos) === n) {
        const prev = v.getInt32(pos + E_PREV_INDEX);
        v.setInt32(slotPos, prev);
        if (prev === 0) slotsUsed--;
      }
    }
    v.setInt32(H_HASH_SLOT_COUNT, slotsUsed);
    v.setInt32(H_INDEX_COUNT, keep);
    if (keep > 1) {
      const last = this.entryPos(keep - 1);
      setLong(v, H_END_PHY_OFFSET, getLong(v, last + E_PHY_OFFSET));
      setLong(v, H_END_TIMESTAMP, getLong(v, H_BEGIN_TIMESTAMP) + v.getInt32(last + E_TIME_DIFF) * 1000);
    }
    this.file.truncateTo(this.entryPos(keep));
    return count - keep;
  }

  /** Closed or destroyed: its contents no longer count. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Makes the file durable (fdatasync); a no-op once closed (a rolled file may expire first). */
  async flush(): Promise<void> {
    if (!this.closed && !this.readOnly) await this.file.flush();
  }

  /** Closes the descriptor; the mapping goes with garbage collection. */
  close(): void {
    this.closed = true;
    this.file.close();
  }

  /** Closes and deletes the file. */
  destroy(): void {
    this.closed = true;
    this.file.destroy();
  }

  private initHeader(prevEndPhyOffset: number, prevEndTimestamp: number): void {
    const begin = prevEndTimestamp > 0 ? prevEndTimestamp : 0;
    const offset = prevEndPhyOffset > 0 ? prevEndPhyOffset : 0;
    writeIndexHeader(this.v, {
      beginTimestamp: begin,
      endTimestamp: begin,
      beginPhyOffset: offset,
      endPhyOffset: offset,
      hashSlotCount: 0,
      indexCount: 1,
    });
  }

  private slotPos(keyHash: number): number {
    return INDEX_HEADER_SIZE + (keyHash % this.hashSlotNum) * HASH_SLOT_SIZE;
  }

  private entryPos(n: number): number {
    return this.entriesStart + n * INDEX_ENTRY_SIZE;
  }

  private checkWritable(): void {
    if (this.readOnly) throw new StoreError('IO_ERROR', `${this.path} is open read-only`);
  }
}

/** selectPhyOffsets' slot, read with pread. */
const SLOT = Buffer.alloc(HASH_SLOT_SIZE);

function checkSizes(hashSlotNum: number, indexNum: number): void {
  if (!Number.isInteger(hashSlotNum) || hashSlotNum < 1 || !Number.isInteger(indexNum) || indexNum < 2) {
    throw new StoreError('BAD_CONFIG', `index file needs maxHashSlotNum >= 1 and maxIndexNum >= 2, got ${hashSlotNum} and ${indexNum}`);
  }
}
