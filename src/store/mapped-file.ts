import { closeSync, constants, fdatasync, openSync, readSync, unlinkSync, writev } from 'node:fs';
import { basename, dirname } from 'node:path';
import { takeFile } from './file-budget.js';
import { openSized } from './sized-file.js';
import { zeroTornTail } from './torn-tail.js';
import { syncDir } from './dir-sync.js';
import { mapShared, mmap } from './mmap.js';
import type { PagePopulator } from './page-populator.js';
import { StoreError } from './errors.js';

/**
 * One fixed-size segment file, memory-mapped read-write and shared (MAP_SHARED), so that writes
 * land in the page cache and other threads/processes mapping the same file see them. Knows
 * nothing of record formats. Not thread-safe: one writer (the thread that owns it).
 *
 * Positions: `wrotePosition` = bytes written; `flushedPosition` = bytes known durable (fdatasync).
 * Durability goes through `fs.fdatasync` on libuv's pool because the binding's msync blocks the
 * calling thread. The mapping is made on first use of `buffer` (see map) and released by garbage
 * collection only (the binding has no unmap), so a destroyed file's memory goes away once no
 * slice of it is referenced.
 */
export class MappedFile {
  readonly path: string;
  readonly fileFromOffset: number;
  readonly fileSize: number;
  /** The mapping, once made (see map). */
  private mapping: Buffer | null = null;
  /** Mapped for reading only (see map). */
  private mappedReadOnly = false;
  private readonly readOnlyOpen: boolean;
  private fd: number;
  /** A second descriptor opened O_DSYNC, for writes that must be durable when they return. */
  private dsyncFd = -1;
  wrotePosition = 0;
  flushedPosition = 0;
  /** Written through StagedWrites: bytes reach the file (and readers) only once committed. */
  staged = false;
  /** With `staged`: bytes [0, committedPosition) are in the file. */
  committedPosition = 0;
  /** Created sparse in this process (blocks not yet allocated): the writer leaves it early when a preallocated successor is ready. */
  sparse = false;
  /** Bytes [0, populatedTo) are populated already or hold data (see prefault); set to the write position's page on open. */
  populatedTo = 0;
  /** Pages known backed, for files written at scattered positions (see ensureBacked). */
  private backedPages: Uint8Array | null = null;
  /** Where the populator was last asked to go (see requestAhead). */
  private requestedTo = 0;
  /** When set, another thread populates pages ahead of this one (see prefault). */
  populator: PagePopulator | null = null;
  /** Read-around is off for this mapping (see adviseRandom). */
  private random = false;
  /** An append-only file: pages the writer passed more than a chunk ago are unmapped (see releaseWritten). */
  releaseBehind = false;
  /**
   * Pages from where this process started writing up to here are unmapped (until touched again);
   * -1 before the first write. Pages below the start were never written through this mapping.
   */
  private releasedTo = -1;
  private flushing: Promise<number> | null = null;
  /** fsync of the directory this file was just created in; durable writes wait for it. */
  private dirSync: Promise<void> | null = null;

  private constructor(path: string, fileFromOffset: number, fileSize: number, fd: number, readOnly: boolean) {
    this.path = path;
    this.fileFromOffset = fileFromOffset;
    this.fileSize = fileSize;
    this.fd = fd;
    this.readOnlyOpen = readOnly;
  }

  /** The file's bytes, shared with the page cache; mapped on first use. */
  get buffer(): Buffer {
    return this.mapping ?? this.map();
  }

  get isMapped(): boolean {
    return this.mapping !== null;
  }

  /**
   * Maps the file: at open, or on first use for files opened `lazy` (consume queues, older commit
   * log segments). V8 counts a mapping as external memory and runs a full GC for every ~64 MB more
   * of it: a start that mapped 7,500 consume queue files at open spent 2.4 s of its 5.5 s in 350
   * mark-compacts and most of the rest in mmap, though recovery reads through pread and most
   * queues of a broker that has many are idle (1.0 s lazily); a store of 200 one-GiB segments
   * started in 1.2 s with 200 mark-compacts, and in 0.11 s with 3 once only its last segment was
   * mapped at open (recovery reads the others through its scan pool). A filesystem that turned read-only since the open refuses a
   * writable mapping: the file is mapped for reading, and refuses writes (see checkWritable).
   */
  private map(taken = false): Buffer {
    if (this.fd < 0) throw new StoreError('IO_ERROR', `${this.path} was closed before it was mapped`);
    if (!taken) takeFile(this.path, { descriptor: false });
    const { buffer: b, readOnly } = mapShared(this.path, this.fd, this.fileSize, this.readOnlyOpen);
    this.mappedReadOnly = readOnly;
    this.mapping = b;
    if (this.random) this.advise(b, true);
    return b;
  }

  /**
   * Every write into the mapping is preceded by populating its pages for writing (prefault,
   * ensureBacked): those refuse a file mapped for reading only, before a store into it would be a
   * SIGSEGV (populating a read-only mapping for writing fails with EINVAL, which prefault would
   * take for an old kernel).
   */
  private checkWritable(): void {
    if (this.mapping === null) this.map(); // how it can be mapped is what is asked
    if (this.mappedReadOnly) {
      throw new StoreError('SERVICE_NOT_AVAILABLE', `${this.path} cannot be written: its filesystem refused a writable mapping (read-only?)`);
    }
  }

  /**
   * Opens (creating and pre-sizing if needed) a segment. An existing file of another size is
   * refused: mapping past a file's end would kill the process with SIGBUS on first touch.
   */
  static open(path: string, fileFromOffset: number, fileSize: number, opts: { create: boolean; readOnly?: boolean; lazy?: boolean }): MappedFile {
    takeFile(path, { mapping: !opts.lazy }); // before creating anything: see file-budget.ts (a lazy mapping is taken by map)
    const { fd, sparse } = openSized(path, fileSize, opts);
    const f = new MappedFile(path, fileFromOffset, fileSize, fd, opts.readOnly ?? false);
    if (!opts.lazy) {
      try {
        f.map(true);
      } catch (e) {
        closeSync(fd);
        throw e;
      }
    }
    f.sparse = sparse;
    if (sparse) f.syncDirectory();
    return f;
  }

  get name(): string {
    return basename(this.path);
  }

  get isFull(): boolean {
    return this.wrotePosition >= this.fileSize;
  }

  get remaining(): number {
    return this.fileSize - this.wrotePosition;
  }

  /**
   * Makes sure the pages up to `upTo` (plus a chunk ahead) are in the page cache and mapped
   * writable, in one madvise(MADV_POPULATE_WRITE) per PREFAULT_CHUNK instead of a page fault per
   * 4 KiB, and asks the populator thread, if any, to bring in pages further ahead.
   *
   * - Speed: a first touch costs a trap, a page allocation and zeroing (more under
   *   virtualization); on the bench VM copying 1 KiB records into fresh mappings ran 4-8x faster
   *   prefaulted in bulk. WRITE rather than READ: a READ-populated page of a shared mapping is
   *   mapped read-only and takes a second fault on the first store (ext4's page_mkwrite);
   *   skipping it made appends 18% faster. With a populator the pages are in the page cache
   *   already and this only maps them.
   * - Safety: a store into a mapped page the filesystem cannot back (disk full, file truncated
   *   behind our back) kills the process with SIGBUS. Populating first turns that into an error
   *   here, before any byte is written: the append fails with SERVICE_NOT_AVAILABLE, as RocketMQ
   *   answers when its disk is full, and the process lives.
   *
   * The price is at most one chunk of zero pages dirtied ahead of the data, written by a flush and
   * again with the data. Population never starts below the write position's page, so stored data
   * is never dirtied again. Kernels without it (before 5.14) just take the faults.
   */
  prefault(upTo: number, ahead = PREFAULT_CHUNK): void {
    this.checkWritable();
    if (upTo <= this.populatedTo) return;
    // madvise wants a page-aligned start, so the frontier always moves by whole pages.
    const start = Math.max(this.populatedTo, Math.floor(this.wrotePosition / PAGE) * PAGE);
    const end = Math.min(this.fileSize, Math.ceil((Math.max(upTo, start) + ahead) / PAGE) * PAGE);
    this.requestAhead(upTo);
    this.populateForWrite(start, end);
    this.populatedTo = end;
    if (this.releasedTo < 0) this.releasedTo = start;
    // Once per chunk, like the population: a chunk behind the writer is left mapped.
    if (this.releaseBehind) this.releaseWritten(Math.floor(this.wrotePosition / PAGE) * PAGE - PREFAULT_CHUNK);
  }

  /**
   * For files written at scattered positions (consume queue units, index slots and entries):
   * makes sure the pages under [pos, pos + len) are backed before a store into them, one page at
   * a time (see prefault for why). Throws SERVICE_NOT_AVAILABLE when the filesystem cannot.
   */
  ensureBacked(pos: number, len: number): void {
    this.checkWritable();
    const bits = (this.backedPages ??= new Uint8Array(Math.ceil(this.fileSize / PAGE)));
    const last = Math.floor((pos + len - 1) / PAGE);
    for (let p = Math.floor(pos / PAGE); p <= last; p++) {
      if (bits[p] === 1) continue;
      this.populateForWrite(p * PAGE, Math.min(this.fileSize, (p + 1) * PAGE));
      bits[p] = 1;
    }
  }

  /** madvise(MADV_POPULATE_WRITE) of [start, end); EINVAL alone means a kernel without it. */
  private populateForWrite(start: number, end: number): void {
    if (!populateSupported || end <= start) return;
    try {
      mmap.advise(this.buffer, start, end - start, MADV_POPULATE_WRITE as 0);
    } catch (e) {
      const errno = Number(/failed, (\d+)/.exec((e as Error).message)?.[1]);
      if (errno === EINVAL) populateSupported = false;
      else throw new StoreError('SERVICE_NOT_AVAILABLE', `cannot back ${this.path} bytes [${start}, ${end}) with pages (errno ${errno}): disk full, or the file was truncated?`, { cause: e });
    }
  }

  /** Asks the populator thread (if any) to bring pages up to `upTo` and beyond into the page cache. */
  requestAhead(upTo: number): void {
    if (this.populator && upTo > this.requestedTo) {
      // It keeps PREFAULT_AHEAD in front of the writer; asked again every chunk.
      this.requestedTo = upTo + PREFAULT_CHUNK;
      this.populator.request(this.path, this.fileFromOffset, Math.min(this.fileSize, upTo + PREFAULT_AHEAD));
    }
  }

  /**
   * Turns the kernel's read-around off (MADV_RANDOM) or back on for this mapping. With it on,
   * the first fault in a hole fills a whole read-ahead window (read_ahead_kb: 8 MiB on the bench
   * VM) with zeroed pages while the faulting thread waits: one 20-byte write into a new 6 MB
   * consume queue file put all 1465 of its pages in memory and took 1.5 ms, against one page and
   * 0.03 ms without. Files written in small pieces (consume queues while appended to) and
   * hash-addressed files (the index) want it off. The commit log keeps it: its populator fills
   * pages through read-around at half the CPU cost of page-by-page faults (measured).
   */
  adviseRandom(on: boolean): void {
    if (on === this.random) return;
    this.random = on;
    if (this.mapping) this.advise(this.mapping, on); // else given when mapped
  }

  private advise(b: Buffer, random: boolean): void {
    if (!adviceSupported) return;
    try {
      mmap.advise(b, 0, this.fileSize, random ? mmap.MADV_RANDOM : mmap.MADV_NORMAL);
    } catch {
      adviceSupported = false; // advice only: the file works the same without it
    }
  }

  /** Bytes readers may see: what is in the file. */
  get readPosition(): number {
    return this.staged ? this.committedPosition : this.wrotePosition;
  }

  /**
   * One pwritev(2) of `parts`, back to back, at file position `pos`, on libuv's pool (a group that
   * straddles two staging buffers is still one write: under SYNC_FLUSH each write is a round trip
   * to the disk). `durable`: through an O_DSYNC descriptor, so the bytes are on disk when it
   * returns (one system call instead of a write and an fdatasync); the flushed position follows.
   */
  writeAt(parts: Buffer[], pos: number, durable: boolean, cb: (err: Error | null, written: number) => void): void {
    if (!durable) return writev(this.fd, parts, pos, cb);
    if (this.dirSync) {
      this.awaitDirectory().then(
        () => this.writeAt(parts, pos, durable, cb),
        (e: Error) => cb(e, 0),
      );
      return;
    }
    if (this.dsyncFd < 0) {
      try {
        this.dsyncFd = openSync(this.path, constants.O_RDWR | constants.O_DSYNC);
      } catch (e) {
        return cb(e as Error, 0);
      }
    }
    writev(this.dsyncFd, parts, pos, (err, written) => {
      if (!err && pos + written > this.flushedPosition && this.flushedPosition >= pos) this.flushedPosition = pos + written;
      cb(err, written);
    });
  }

  /** Zero-copy view of [pos, pos + len) of this file. */
  slice(pos: number, len: number): Buffer {
    return this.buffer.subarray(pos, pos + len);
  }

  /**
   * Makes everything written so far durable; resolves the flushed position. Concurrent callers
   * share one fdatasync, and a call made while one runs waits for it and then flushes again
   * (so every byte written before the call is covered).
   */
  async flush(): Promise<number> {
    await this.awaitDirectory();
    while (this.flushing) await this.flushing;
    // Closed while this call waited (a rolled index file truncated by recovery): nothing to flush.
    if (this.fd < 0) return this.flushedPosition;
    const target = this.readPosition;
    if (target <= this.flushedPosition) return this.flushedPosition;
    this.flushing = new Promise<number>((resolve, reject) => {
      fdatasync(this.fd, (err) => {
        this.flushing = null;
        if (err) return reject(new StoreError('IO_ERROR', `fdatasync ${this.path} failed`, { cause: err }));
        if (target > this.flushedPosition) this.flushedPosition = target;
        resolve(this.flushedPosition);
      });
    });
    return this.flushing;
  }

  /**
   * Unmaps this mapping's pages below `upTo` (MADV_DONTNEED: the page cache keeps them, dirty
   * ones included, and the next touch maps them again). Why: writing back a page that is mapped
   * writable means write-protecting it again, one TLB shootdown (an interrupt to every other core
   * running this process) per page. On the bench VM those were 9% of all CPU under a full-speed
   * append load, and took the event loop's core too. A page of an append-only file is never
   * written again once the writer has passed it, so it is unmapped before its writeback: one
   * shootdown per chunk instead of one per page. Done a chunk at a time as the writer goes:
   * releasing at flush time instead, all that was written since the last flush in one call on the
   * event loop, made paced send latency worse. Readers (pulls) map the pages back in, read-only,
   * 16 per fault.
   */
  private releaseWritten(upTo: number): void {
    const end = Math.floor(upTo / PAGE) * PAGE;
    if (end <= this.releasedTo || this.mapping === null) return;
    try {
      mmap.advise(this.mapping, this.releasedTo, end - this.releasedTo, mmap.MADV_DONTNEED);
      this.releasedTo = end;
    } catch {
      // Only a saving: a mapping that refuses it is flushed as it is.
      this.releaseBehind = false;
    }
  }

  /**
   * Makes this file's directory entry durable, in the background: a new file's data is only
   * safe once its name is, but an fsync of the directory takes milliseconds (up to 20 ms with
   * writeback running) and files are created on the append path. Every durable write and flush
   * of the file waits for it; a failed one is retried by the next.
   */
  syncDirectory(): void {
    const p = syncDir(dirname(this.path));
    p.catch(() => undefined); // reported to the write or flush that waits for it
    this.dirSync = p;
  }

  /** False from the creation of the file until a durable write or flush has seen its directory synced. */
  get directorySynced(): boolean {
    return this.dirSync === null;
  }

  private async awaitDirectory(): Promise<void> {
    const p = this.dirSync;
    if (!p) return;
    try {
      await p;
      if (this.dirSync === p) this.dirSync = null;
    } catch (cause) {
      if (this.dirSync === p) this.syncDirectory();
      throw new StoreError('IO_ERROR', `fsync of the directory of ${this.path} failed`, { cause });
    }
  }

  /** Sets positions after recovery; bytes past `pos` that are not zero are zeroed (a torn tail). */
  truncateTo(pos: number): void {
    this.wrotePosition = pos;
    this.committedPosition = pos;
    this.flushedPosition = Math.min(this.flushedPosition, pos);
    zeroTornTail(this, pos);
  }

  /**
   * Reads file bytes [pos, pos + target.length) with pread, not through the mapping, for scans of
   * parts that may never have been written. On tmpfs a read fault in a hole allocates a page, and
   * on a full tmpfs that fault is a SIGBUS: a store that had filled its disk could not start again.
   * pread reads holes as zeros without allocating. Returns the bytes read (short at the file's end).
   */
  readAt(target: Buffer, pos: number, len = target.length): number {
    try {
      return readSync(this.fd, target, 0, Math.min(len, this.fileSize - pos), pos);
    } catch (cause) {
      throw new StoreError('IO_ERROR', `cannot read ${this.path} at ${pos}`, { cause });
    }
  }

  close(): void {
    if (this.dsyncFd >= 0) {
      closeSync(this.dsyncFd);
      this.dsyncFd = -1;
    }
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  destroy(): void {
    this.close();
    try {
      unlinkSync(this.path);
    } catch (cause) {
      throw new StoreError('IO_ERROR', `cannot delete ${this.path}`, { cause });
    }
  }
}

const MADV_POPULATE_WRITE = 23;
const EINVAL = 22;
const PAGE = 4096;
let adviceSupported = true;
const PREFAULT_CHUNK = 1 << 20;
/** How far ahead a populator thread is asked to stay. */
const PREFAULT_AHEAD = 16 << 20;
let populateSupported = true;

