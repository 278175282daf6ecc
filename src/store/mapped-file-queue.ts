import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MappedFile } from './mapped-file.js';
import { CREATING_SEGMENT } from './sized-file.js';
import { SegmentAllocator } from './segment-allocator.js';
import type { PagePopulator } from './page-populator.js';
import { StoreError } from './errors.js';
import { fileNameToOffset, offsetToFileName } from './file-names.js';
import { makeDirs } from './make-dirs.js';

/**
 * An ordered run of equally sized segment files in one directory, each named by the offset of
 * its first byte. Knows no record format: callers decide when to roll. Not thread-safe.
 */
export class MappedFileQueue {
  readonly dir: string;
  readonly fileSize: number;
  readonly files: MappedFile[] = [];
  private readonly readOnly: boolean;
  /**
   * Existing files are mapped on first use (see MappedFile.map): all of them (consume queues, of
   * which a broker may have thousands), or all but the last ('older': the commit log, whose older
   * segments may be hundreds of GiB that nobody reads, while its last one is written at once).
   */
  private readonly lazyMap: boolean | 'older';
  private readonly allocator: SegmentAllocator | null;
  /** Handed to every segment this queue creates (see MappedFile.prefault). */
  populator: PagePopulator | null = null;
  /** Set by `load` when it dropped an empty last segment (for the caller to report). */
  droppedEmptyTail: string | null = null;
  /** Awaited before a flush: staged bytes must be in the files first (see StagedWrites). */
  beforeFlush: (() => Promise<void>) | null = null;

  /** The segment being appended to gets MADV_RANDOM (see MappedFile.adviseRandom). */
  private readonly randomTail: boolean;

  /** Append-only segments: pages the writer has left behind are unmapped (see MappedFile.releaseWritten). */
  private readonly releaseBehind: boolean;

  constructor(dir: string, fileSize: number, opts: { readOnly?: boolean; preallocate?: boolean; randomTail?: boolean; releaseBehind?: boolean; lazyMap?: boolean | 'older' } = {}) {
    this.dir = dir;
    this.fileSize = fileSize;
    this.readOnly = opts.readOnly ?? false;
    this.lazyMap = opts.lazyMap ?? false;
    this.randomTail = opts.randomTail ?? false;
    this.releaseBehind = (opts.releaseBehind ?? false) && !this.readOnly;
    this.allocator = opts.preallocate && !this.readOnly ? new SegmentAllocator(dir, fileSize) : null;
  }

  /** Starts preparing the segment after the last one (call once the queue is loaded and recovered). */
  preallocateNext(): void {
    const last = this.last;
    if (this.allocator && last) this.allocator.prepare(last.fileFromOffset + this.fileSize);
  }

  /** Whether the segment after the last one is preallocated and can be taken now. */
  get nextReady(): boolean {
    const last = this.last;
    return this.allocator !== null && last !== undefined && this.allocator.isReady(last.fileFromOffset + this.fileSize);
  }

  get allocatorStats(): { served: number; missed: number } {
    return { served: this.allocator?.served ?? 0, missed: this.allocator?.missed ?? 0 };
  }

  /**
   * Opens every existing segment, mapping it now or on first use (lazyMap). Files that are not named by a 20-digit offset, are of the wrong
   * size, or leave a hole in the offsets are refused with a clear error before anything is touched.
   */
  load(): void {
    if (!existsSync(this.dir)) return;
    this.allocator?.removeStale();
    if (!statSync(this.dir).isDirectory()) throw new StoreError('NOT_A_STORE', `${this.dir} is not a directory`);
    const all = readdirSync(this.dir);
    // A segment being created when the process died: never renamed, so never held data.
    if (!this.readOnly) for (const n of all) if (CREATING_SEGMENT.test(n)) rmSync(join(this.dir, n), { force: true });
    const names = all.filter((n) => !n.startsWith('.')).sort();
    let expected = -1;
    for (const [i, name] of names.entries()) {
      const offset = fileNameToOffset(name);
      const path = join(this.dir, name);
      // Versions before atomic creation could be killed between creating the last segment and
      // sizing it: an empty last file holds nothing and is dropped (an empty file elsewhere is
      // refused below like any file of the wrong size).
      if (i === names.length - 1 && offset !== null && !this.readOnly && statSync(path).size === 0) {
        rmSync(path);
        this.droppedEmptyTail = path;
        continue;
      }
      if (offset === null) {
        throw new StoreError('NOT_A_STORE', `${path}: unexpected file in a segment directory (names are 20-digit offsets)`);
      }
      if (offset % this.fileSize !== 0 || (expected >= 0 && offset !== expected)) {
        throw new StoreError('CORRUPT_FILE', `${path}: offset does not follow the previous segment (file size ${this.fileSize})`);
      }
      const lazy = this.lazyMap === true || (this.lazyMap === 'older' && i < names.length - 1);
      const f = MappedFile.open(path, offset, this.fileSize, { create: false, readOnly: this.readOnly, lazy });
      f.releaseBehind = this.releaseBehind;
      this.files.push(f);
      expected = offset + this.fileSize;
    }
    // Until recovery says otherwise every loaded file counts as fully written.
    for (const f of this.files) f.wrotePosition = f.flushedPosition = this.fileSize;
  }

  get isEmpty(): boolean {
    return this.files.length === 0;
  }

  get last(): MappedFile | undefined {
    return this.files[this.files.length - 1];
  }

  get first(): MappedFile | undefined {
    return this.files[0];
  }

  /** The segment to append to, creating the first or the next one when needed. */
  lastForWrite(startOffset = 0): MappedFile {
    const last = this.last;
    if (last && !last.isFull) {
      if (this.randomTail) last.adviseRandom(true);
      return last;
    }
    const from = last ? last.fileFromOffset + this.fileSize : startOffset - (startOffset % this.fileSize);
    return this.create(from);
  }

  create(fromOffset: number): MappedFile {
    makeDirs(this.dir);
    const path = join(this.dir, offsetToFileName(fromOffset));
    const prepared = this.allocator?.take(fromOffset, path) ?? false;
    const f = MappedFile.open(path, fromOffset, this.fileSize, { create: true });
    // A prepared segment was renamed into place: its new name must become durable too.
    if (prepared) f.syncDirectory();
    f.populator = this.populator;
    f.releaseBehind = this.releaseBehind;
    if (this.randomTail) {
      // Appends go to the new segment from now on; readers of the old one get read-ahead back.
      f.adviseRandom(true);
      this.last?.adviseRandom(false);
    }
    this.files.push(f);
    this.allocator?.prepare(fromOffset + this.fileSize);
    return f;
  }

  /** Segment holding `offset`, or undefined. O(1): segments are contiguous. */
  findByOffset(offset: number): MappedFile | undefined {
    const first = this.first;
    if (!first || offset < first.fileFromOffset) return undefined;
    return this.files[Math.floor((offset - first.fileFromOffset) / this.fileSize)];
  }

  get minOffset(): number {
    return this.first ? this.first.fileFromOffset : 0;
  }

  /** Offset just past the last written byte. */
  get maxWrotePosition(): number {
    const last = this.last;
    return last ? last.fileFromOffset + last.wrotePosition : 0;
  }

  get maxFlushedPosition(): number {
    let flushed = this.minOffset;
    for (const f of this.files) {
      flushed = f.fileFromOffset + f.flushedPosition;
      if (f.flushedPosition < f.fileSize) break;
    }
    return flushed;
  }

  /** Flushes every segment with unflushed bytes; resolves the durable end offset. */
  async flush(): Promise<number> {
    if (this.beforeFlush) await this.beforeFlush();
    const pending: Promise<number>[] = [];
    for (const f of this.files) if (f.flushedPosition < f.wrotePosition) pending.push(f.flush());
    await Promise.all(pending);
    return this.maxFlushedPosition;
  }

  /** Bytes written but not yet durable. */
  get unflushedBytes(): number {
    let n = 0;
    for (const f of this.files) n += f.wrotePosition - f.flushedPosition;
    return n;
  }

  /**
   * Cuts everything at and after `offset`: the segment holding it is truncated there, later
   * segments are deleted (RocketMQ's truncateDirtyFiles). A segment that starts at `offset` is
   * the one holding it, and is kept, empty: were it the only one, deleting it would leave no file
   * to say where the log goes on, and the next append would start over at offset 0.
   */
  truncateFrom(offset: number): void {
    for (let i = this.files.length - 1; i >= 0; i--) {
      const f = this.files[i]!;
      if (f.fileFromOffset > offset) {
        f.destroy();
        this.files.pop();
      } else if (f.fileFromOffset + this.fileSize > offset) {
        f.truncateTo(offset - f.fileFromOffset);
      } else break;
    }
  }

  /**
   * For a reader whose files another thread writes: maps segments created since `load`, up to the
   * one holding `offset`. Undefined when that segment does not exist (yet).
   */
  catchUp(offset: number): MappedFile | undefined {
    let f = this.findByOffset(offset);
    while (!f) {
      const last = this.last;
      const next = last ? last.fileFromOffset + this.fileSize : offset - (offset % this.fileSize);
      if (next > offset) return undefined;
      const path = join(this.dir, offsetToFileName(next));
      if (!existsSync(path)) return undefined;
      try {
        const mf = MappedFile.open(path, next, this.fileSize, { create: false, readOnly: this.readOnly, lazy: this.lazyMap === true });
        mf.wrotePosition = mf.flushedPosition = this.fileSize;
        this.files.push(mf);
      } catch {
        return undefined; // being created right now: not sized yet
      }
      f = this.findByOffset(offset);
    }
    return f;
  }

  /**
   * Retention: takes the first segment out of the queue and closes it, leaving the file for the
   * caller to unlink (when and how suits it). Never the last segment: appends go there. Readers
   * holding slices of it stay safe: the mapping is only released by garbage collection.
   */
  detachFirst(): MappedFile | undefined {
    if (this.files.length <= 1) return undefined;
    const f = this.files.shift()!;
    f.close();
    return f;
  }

  /**
   * For a reader of files another thread deletes: closes the segments that end at or before
   * `offset` (never the last), so their mappings no longer keep the deleted files' blocks.
   */
  forgetBefore(offset: number): number {
    let n = 0;
    while (this.files.length > 1 && this.files[0]!.fileFromOffset + this.fileSize <= offset) {
      this.detachFirst();
      n++;
    }
    return n;
  }

  close(): void {
    this.allocator?.close();
    for (const f of this.files) f.close();
  }

  destroyAll(): void {
    this.allocator?.close();
    for (const f of this.files) f.destroy();
    this.files.length = 0;
  }
}
