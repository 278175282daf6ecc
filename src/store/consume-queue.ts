import type { StoreConfig } from './config.js';
import { MappedFileQueue } from './mapped-file-queue.js';
import type { MappedFile } from './mapped-file.js';
import { consumeQueueDir } from './file-names.js';
import { calMsgLength, readLong, writeLong } from './message-codec.js';
import { unlinkSync } from 'node:fs';
import { StoreError } from './errors.js';

/**
 * ConsumeQueue unit, 20 bytes, big-endian:
 *
 *   0  commitLogOffset  long
 *   8  size             int
 *  12  tagsCode         long   Java hashCode of TAGS, sign-extended; 0 = no tag
 *
 * Files live in `consumequeue/<topic>/<queueId>/`, named by the logical byte offset of their
 * first unit (queue index × 20). A queue whose first file starts at a non-zero index is padded
 * with blank units [0][Integer.MAX_VALUE][0], as RocketMQ pads it.
 */
export const CQ_UNIT_SIZE = 20;
/** The smallest record there can be (IPv4 hosts, nothing in body, topic or properties). */
const MIN_RECORD_SIZE = calMsgLength(0, 0, 0, 0);
export const CQ_OFF_PHY = 0;
export const CQ_OFF_SIZE = 8;
export const CQ_OFF_TAGS = 12;
const BLANK_SIZE = 0x7fffffff;
/** recover's window: whole units, about 64 KiB. */
const SCAN = Buffer.alloc(CQ_UNIT_SIZE * 3276);

export function writeUnit(b: Buffer, pos: number, commitLogOffset: number, size: number, tagsCode: number): void {
  writeLong(b, commitLogOffset, pos + CQ_OFF_PHY);
  b.writeInt32BE(size, pos + CQ_OFF_SIZE);
  writeLong(b, tagsCode, pos + CQ_OFF_TAGS);
}

/** Not thread-safe: one writer; readers on the same thread. */
export class ConsumeQueue {
  readonly topic: string;
  readonly queueId: number;
  readonly files: MappedFileQueue;
  /** Byte offset of the first live unit (units before it were deleted or are blank padding). */
  minLogicOffset = 0;
  /** End (offset + size) of the newest record referenced: re-dispatch skips records before it. */
  maxPhysicOffset = -1;
  /**
   * Follower mode (another thread writes the files): the number of units known to be written, as
   * published by the dispatch workers; null when this object is the writer.
   */
  visible: number | null = null;

  constructor(cfg: StoreConfig, topic: string, queueId: number) {
    this.topic = topic;
    this.queueId = queueId;
    this.files = new MappedFileQueue(consumeQueueDir(cfg, topic, queueId), cfg.mappedFileSizeConsumeQueue, { randomTail: true, lazyMap: true });
  }

  load(): void {
    this.files.load();
  }

  /**
   * Finds the end of valid units (offset >= 0 and size > 0), scanning from the third-to-last file.
   * Units are read with pread (MappedFile.readAt): the unit after the last one often lies in a page
   * never written, which through the mapping would cost a page (a SIGBUS on a full tmpfs).
   */
  recover(): void {
    const files = this.files.files;
    if (files.length === 0) return;
    let i = Math.max(0, files.length - 3);
    for (; i < files.length; i++) {
      const f = files[i]!;
      let pos = 0;
      scan: while (pos + CQ_UNIT_SIZE <= f.fileSize) {
        const n = f.readAt(SCAN, pos);
        for (let u = 0; u + CQ_UNIT_SIZE <= n; u += CQ_UNIT_SIZE, pos += CQ_UNIT_SIZE) {
          const phy = readLong(SCAN, u + CQ_OFF_PHY);
          const size = SCAN.readInt32BE(u + CQ_OFF_SIZE);
          if (phy < 0 || size <= 0) break scan;
          if (size !== BLANK_SIZE) this.maxPhysicOffset = phy + size;
        }
        if (n < CQ_UNIT_SIZE) break;
      }
      if (pos < f.fileSize) {
        this.files.truncateFrom(f.fileFromOffset + pos);
        break;
      }
      f.wrotePosition = f.flushedPosition = f.fileSize;
    }
    this.minLogicOffset = this.files.minOffset;
  }

  /** Next queue index to be written (RocketMQ's max offset in queue). */
  get maxOffsetInQueue(): number {
    return this.visible ?? this.files.maxWrotePosition / CQ_UNIT_SIZE;
  }

  /** Turns this queue into a reader of files written elsewhere, starting from what it holds now. */
  follow(): void {
    this.visible = this.maxOffsetInQueue;
  }

  get minOffsetInQueue(): number {
    return this.minLogicOffset / CQ_UNIT_SIZE;
  }

  /**
   * Writes the unit for queue index `cqOffset`. Idempotent: an index already present is skipped
   * (re-dispatch after recovery); a gap is padded with blank units so indexes stay aligned.
   * Returns false, writing nothing, for a queue offset no real record can have (see plausible).
   */
  putEntry(commitLogOffset: number, size: number, tagsCode: number, cqOffset: number): boolean {
    const expected = cqOffset * CQ_UNIT_SIZE;
    let current = this.files.maxWrotePosition;
    if (expected > current && !this.plausible(commitLogOffset, cqOffset, current)) return false;
    if (this.files.isEmpty && expected > 0) {
      const f = this.files.lastForWrite(expected);
      f.ensureBacked(0, expected - f.fileFromOffset);
      for (let p = 0; p < expected - f.fileFromOffset; p += CQ_UNIT_SIZE) writeUnit(f.buffer, p, 0, BLANK_SIZE, 0);
      f.wrotePosition = expected - f.fileFromOffset;
      this.minLogicOffset = expected;
      current = expected;
    }
    if (expected < current) return true;
    while (current < expected) {
      this.append(0, BLANK_SIZE, 0);
      current += CQ_UNIT_SIZE;
    }
    this.append(commitLogOffset, size, tagsCode);
    this.maxPhysicOffset = commitLogOffset + size;
    return true;
  }

  /**
   * Whether the records a gap stands for fit in the commit log before this one. BODYCRC covers
   * the body only, so a byte flipped on disk in QUEUEOFFSET reaches dispatch at recovery, and
   * padding its gap filled the disk with blank units (thousands of files for one flipped bit).
   * Each missing unit is a record of this queue of at least MIN_RECORD_SIZE bytes, lying between
   * the queue's newest record (or the log's start) and this one.
   */
  private plausible(commitLogOffset: number, cqOffset: number, current: number): boolean {
    if (!Number.isSafeInteger(cqOffset) || cqOffset < 0) return false;
    const empty = this.files.isEmpty;
    const missing = empty ? cqOffset : cqOffset - current / CQ_UNIT_SIZE;
    const room = empty || this.maxPhysicOffset < 0 ? commitLogOffset : commitLogOffset - this.maxPhysicOffset;
    return missing * MIN_RECORD_SIZE <= room;
  }

  private append(commitLogOffset: number, size: number, tagsCode: number): void {
    const f = this.files.lastForWrite();
    // A store into a page the disk cannot back is a SIGBUS; this is an error instead.
    f.ensureBacked(f.wrotePosition, CQ_UNIT_SIZE);
    writeUnit(f.buffer, f.wrotePosition, commitLogOffset, size, tagsCode);
    f.wrotePosition += CQ_UNIT_SIZE;
  }

  /**
   * Units from queue index `index` to the end of the file holding it (zero-copy), or null when
   * the index is not stored.
   */
  unitsFrom(index: number): Buffer | null {
    const logic = index * CQ_UNIT_SIZE;
    if (logic < this.minLogicOffset) return null;
    if (this.visible !== null) {
      if (index >= this.visible) return null;
      const f = this.files.catchUp(logic);
      if (!f) return null;
      const end = Math.min(f.fileSize, this.visible * CQ_UNIT_SIZE - f.fileFromOffset);
      return f.buffer.subarray(logic - f.fileFromOffset, end);
    }
    const f = this.files.findByOffset(logic);
    if (!f) return null;
    const pos = logic - f.fileFromOffset;
    if (pos >= f.wrotePosition) return null;
    return f.buffer.subarray(pos, f.wrotePosition);
  }

  /** Decoded unit at a queue index, or null. */
  entry(index: number): { commitLogOffset: number; size: number; tagsCode: number } | null {
    const b = this.unitsFrom(index);
    if (!b) return null;
    return { commitLogOffset: readLong(b, CQ_OFF_PHY), size: b.readInt32BE(CQ_OFF_SIZE), tagsCode: readLong(b, CQ_OFF_TAGS) };
  }

  /** Drops units that point at or past `phyOffset` (the end of the valid commit log). */
  truncateDirty(phyOffset: number): void {
    for (let index = this.maxOffsetInQueue - 1; index >= this.minOffsetInQueue; index--) {
      const logic = index * CQ_UNIT_SIZE;
      const f = this.files.findByOffset(logic);
      if (!f || logic - f.fileFromOffset >= f.wrotePosition) break;
      readUnitAt(f, logic - f.fileFromOffset); // every queue is looked at: no mapping made for it
      if (unitSize !== BLANK_SIZE && unitPhy + unitSize <= phyOffset) {
        this.files.truncateFrom(logic + CQ_UNIT_SIZE);
        this.maxPhysicOffset = unitPhy + unitSize;
        return;
      }
    }
    this.files.truncateFrom(this.minLogicOffset);
    this.maxPhysicOffset = -1;
    if (this.files.isEmpty) this.minLogicOffset = 0;
  }

  /**
   * Retention (RocketMQ's deleteExpiredFile): drops the oldest files whose last unit points below
   * `minPhyOffset`, never the last file, then moves the first live unit. `unlink` false: another
   * thread owns the files and deletes them by the same rule; this object only lets go of them.
   * Unlinked synchronously: a queue file is small, its blocks stay allocated until the mapping is
   * garbage collected anyway, and a deferred unlink could remove a file of the same name that a
   * topic deleted and created again meanwhile.
   */
  deleteExpiredFiles(minPhyOffset: number, unlink: boolean): number {
    let n = 0;
    if (this.visible) {
      // A follower maps files lazily, on reads: map the live ones, from the first live unit on.
      if (this.files.isEmpty) this.files.catchUp(this.minLogicOffset);
      this.files.catchUp((this.visible - 1) * CQ_UNIT_SIZE);
    }
    for (let f = this.files.first; f && this.files.files.length > 1; f = this.files.first) {
      readUnitAt(f, f.fileSize - CQ_UNIT_SIZE);
      if (unitPhy >= minPhyOffset) break;
      this.files.detachFirst();
      if (unlink) {
        try {
          unlinkSync(f.path);
        } catch (cause) {
          if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw new StoreError('IO_ERROR', `cannot delete ${f.path}`, { cause });
        }
      }
      n++;
    }
    this.correctMinOffset(minPhyOffset);
    return n;
  }

  /**
   * Sets the first live unit to the first one whose record is still in the commit log. It looks
   * past the first file when that one holds no live unit: files whose records are all gone may
   * still be there (a stop before retention's paced deletion reached them), and a start that
   * looked at the first file only pointed the queue's min offset at deleted records.
   */
  correctMinOffset(minPhyOffset: number): void {
    const maxEnd = this.maxOffsetInQueue * CQ_UNIT_SIZE;
    for (const f of this.files.files) {
      // A follower's wrotePosition is what it saw when it mapped the file: the visible units bound the scan.
      const written = this.visible === null ? f.wrotePosition : f.fileSize;
      const end = Math.min(written, maxEnd - f.fileFromOffset);
      // Units go up the commit log: a file whose last unit is gone holds no live one (no scan).
      const lastPos = end - CQ_UNIT_SIZE;
      let allGone = false;
      if (lastPos >= 0) {
        readUnitAt(f, lastPos);
        allGone = unitSize !== BLANK_SIZE && unitPhy < minPhyOffset;
      }
      for (let pos = allGone ? end : Math.max(0, this.minLogicOffset - f.fileFromOffset); pos < end; pos += CQ_UNIT_SIZE) {
        readUnitAt(f, pos);
        if (unitSize !== BLANK_SIZE && unitPhy >= minPhyOffset) {
          this.minLogicOffset = f.fileFromOffset + pos;
          return;
        }
      }
      this.minLogicOffset = Math.max(this.minLogicOffset, f.fileFromOffset + Math.max(0, end));
      if (end < f.fileSize) return;
    }
  }

  flush(): Promise<number> {
    return this.files.flush();
  }

  destroy(): void {
    this.files.destroyAll();
    this.minLogicOffset = 0;
    this.maxPhysicOffset = -1;
  }
}

export { BLANK_SIZE as CQ_BLANK_SIZE };

/** readUnitAt's result (module scalars: nothing allocated per unit). */
let unitPhy = 0;
let unitSize = 0;
const UNIT = Buffer.alloc(CQ_UNIT_SIZE);

/**
 * Reads the unit at `pos`: through the mapping when the file has one, else with pread. Retention
 * and the start look at the first unit of every queue, and mapping a file only to look would map
 * every idle queue's (see MappedFile.map).
 */
function readUnitAt(f: MappedFile, pos: number): void {
  const b = f.isMapped ? f.buffer : UNIT;
  const at = f.isMapped ? pos : 0;
  if (!f.isMapped && f.readAt(UNIT, pos) < CQ_UNIT_SIZE) UNIT.fill(0);
  unitPhy = readLong(b, at + CQ_OFF_PHY);
  unitSize = b.readInt32BE(at + CQ_OFF_SIZE);
}
