import type { MappedFile } from './mapped-file.js';
import { StoreError, errnoOf, isLastingIoError } from './errors.js';
import { END_FILE_MIN_BLANK_LENGTH } from './message-codec.js';

/** Size of one staging buffer; a record larger than this is written straight into the mapping. */
const CHUNK_BYTES = 1 << 20;
/**
 * Most bytes one commit write takes. A write may run on into the next staging buffer: a SYNC_FLUSH
 * group that straddles two buffers was two O_DSYNC round trips (one group in 14 at 64 x 1 KiB).
 */
const MAX_WRITE_BYTES = CHUNK_BYTES;
/** Staging memory cap: past it appends write straight into the mapping (back-pressure, flat memory). */
const MAX_CHUNKS = 32;
const RETRY_MS = 100;
const BEHIND_CHUNKS = 2;
const CAUGHT_UP_CHUNKS = 1;

interface Chunk {
  file: MappedFile;
  /** Staging buffer holding file bytes [base, end); null = written straight into the mapping. */
  buf: Buffer | null;
  base: number;
  end: number;
  /** File position up to which this chunk's bytes are in the file. */
  committed: number;
}

interface Waiter {
  offset: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * RocketMQ's transient store pool and commit service, for the commit log: appends are encoded
 * into reused in-memory buffers and committed to their segment with write(2) on libuv's pool, in
 * commit-log order, one write in flight at a time; readers (through the mapping) see a record only
 * once it is committed. Why: on the bench VM an fdatasync of pages dirtied through a shared
 * mapping took twice as long as one of pages dirtied by write(2) (each mapped page must be
 * write-protected again, with TLB shootdowns), and SYNC_FLUSH throughput is fdatasyncs per second
 * times the group size. The kernel-side copy also leaves the event loop's thread.
 *
 * A commit starts as soon as the event loop turns after an append, so committed trails written by
 * one write's duration; `whenCommitted` resolves once bytes are in the page cache. Under
 * SYNC_FLUSH a send is acknowledged only after that (and the flush); under ASYNC_FLUSH it is
 * acknowledged once staged, as RocketMQ's transient store pool does (see DefaultMessageStore).
 */
export class StagedWrites {
  /** Where the next encode goes (set by `reserve`). */
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  /** End offset (commit-log offset) of everything committed. */
  committedOffset = 0;
  /**
   * Commit writes done and the time they were in flight. Under SYNC_FLUSH each is one O_DSYNC
   * round trip to the disk, and a group commit's rate is its records per write over write time
   * plus the appends between writes: these say which of the two a throughput is made of.
   */
  commitWrites = 0;
  commitWriteMs = 0;
  private readonly chunks: Chunk[] = [];
  private readonly free: Buffer[] = [];
  private allocated = 0;
  private writing = false;
  private wasBehind = false;
  private scheduled = false;
  private stopped = false;
  private waiters: Waiter[] = [];
  private waiterHead = 0;
  /** The buffers of the write in flight (reused). */
  private readonly parts: Buffer[] = [];
  private readonly onCommitted: (offset: number) => void;
  private readonly onError: (e: Error) => void;
  private readonly durable: boolean;
  /**
   * Set when a commit fails with EIO or EROFS (isLastingIoError): staged bytes can no longer reach
   * their file. Commits stop, waiters are rejected with it, and the store refuses appends.
   */
  failure: StoreError | null = null;
  private readonly run = (): void => {
    this.scheduled = false;
    this.commitNext();
  };

  /** `durable`: commit through O_DSYNC (SYNC_FLUSH: a commit is the flush). */
  constructor(opts: { onCommitted: (offset: number) => void; onError: (e: Error) => void; durable: boolean }) {
    this.onCommitted = opts.onCommitted;
    this.onError = opts.onError;
    this.durable = opts.durable;
  }

  /** Chunks not yet released (staged or written straight into the mapping); for tests and stats. */
  get stagedChunks(): number {
    return this.chunks.length;
  }

  /**
   * Whether commits trail appends by several chunks: the writes into fresh page-cache pages are
   * then the bottleneck, and pages populated ahead from another thread pay off.
   */
  isBehind(): boolean {
    // Hysteresis: once behind, stay so until the backlog has drained, or populating would flap.
    const n = this.chunks.length;
    if (n > BEHIND_CHUNKS) this.wasBehind = true;
    else if (n <= CAUGHT_UP_CHUNKS) this.wasBehind = false;
    return this.wasBehind;
  }

  /**
   * Points `buf`/`pos` at the place where `len` bytes for `file`'s write position are to be
   * encoded; `advance(len)` must follow. `direct` forces the mapping (the BLANK end marker: its
   * few bytes stand for the rest of the segment).
   */
  reserve(file: MappedFile, len: number, direct = false): void {
    if (!file.staged) {
      file.staged = true;
      file.committedPosition = file.wrotePosition;
      if (this.chunks.length === 0) this.committedOffset = file.fileFromOffset + file.wrotePosition;
    }
    const wp = file.wrotePosition;
    const tail = this.chunks[this.chunks.length - 1];
    const continues = tail !== undefined && tail.file === file && tail.end === wp;
    if (!direct && continues && tail.buf && wp + len - tail.base <= tail.buf.length) {
      this.buf = tail.buf;
      this.pos = wp - tail.base;
      return;
    }
    const staging = direct || len > CHUNK_BYTES ? null : this.takeBuffer();
    if (staging) {
      this.chunks.push({ file, buf: staging, base: wp, end: wp, committed: wp });
      this.buf = staging;
      this.pos = 0;
      return;
    }
    // Into the mapping: its pages must be backed first, or a full disk is a SIGBUS. (The BLANK
    // marker's few bytes stand for the rest of the segment: only they are written.)
    if (direct) file.prefault(wp + END_FILE_MIN_BLANK_LENGTH, 0);
    else file.prefault(wp + len);
    if (!(continues && tail.buf === null)) this.chunks.push({ file, buf: null, base: wp, end: wp, committed: wp });
    this.buf = file.buffer;
    this.pos = wp;
  }

  /**
   * Before a batch: when its `len` bytes might not all find staging room, backs the mapping for
   * all of them now, so a failure (disk full) comes before the first record and never splits it.
   */
  ensureBacked(file: MappedFile, len: number): void {
    const spare = (this.free.length + MAX_CHUNKS - this.allocated) * CHUNK_BYTES;
    if (spare < len + CHUNK_BYTES) file.prefault(file.wrotePosition + len);
  }

  /** The `len` bytes reserved were encoded (the caller moves the file's write position). */
  advance(len: number): void {
    this.chunks[this.chunks.length - 1]!.end += len;
    if (!this.writing && !this.scheduled && !this.stopped && !this.failure) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  /** Resolves once every byte before `offset` is committed to its file. */
  whenCommitted(offset: number): Promise<void> {
    if (offset <= this.committedOffset || this.chunks.length === 0) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => this.waiters.push({ offset, resolve, reject }));
  }

  private takeBuffer(): Buffer | null {
    const b = this.free.pop();
    if (b) return b;
    if (this.allocated >= MAX_CHUNKS) return null;
    this.allocated++;
    return Buffer.allocUnsafeSlow(CHUNK_BYTES);
  }

  /** Commits the oldest uncommitted bytes; chains itself until nothing is left. */
  private commitNext(): void {
    while (this.chunks.length > 0 && !this.writing) {
      const c = this.chunks[0]!;
      if (c.committed < c.end && c.buf) {
        this.writeStaged();
        return;
      }
      // Mapping writes are in the page cache already: they only had to wait their turn.
      if (c.committed < c.end) this.committed(c, c.end);
      // The newest chunk stays while appends may still extend it.
      if (this.chunks.length === 1) break;
      this.chunks.shift();
      if (c.buf) this.free.push(c.buf);
    }
  }

  /**
   * Writes the first chunk's uncommitted bytes and, up to MAX_WRITE_BYTES, those of the staged
   * chunks that continue it in the same file, in one write.
   */
  private writeStaged(): void {
    const first = this.chunks[0]!;
    const parts = this.parts;
    parts.length = 0;
    let bytes = 0;
    for (let i = 0; i < this.chunks.length && bytes < MAX_WRITE_BYTES; i++) {
      const c = this.chunks[i]!;
      if (i > 0 && (c.file !== first.file || c.buf === null || c.base !== this.chunks[i - 1]!.end)) break;
      const len = Math.min(c.end - c.committed, MAX_WRITE_BYTES - bytes);
      if (len <= 0) break;
      const from = c.committed - c.base;
      parts.push(c.buf!.subarray(from, from + len));
      bytes += len;
    }
    const count = parts.length;
    this.writing = true;
    const started = performance.now();
    first.file.writeAt(parts, first.committed, this.durable, (err, written) => {
      this.writing = false;
      this.commitWrites++;
      this.commitWriteMs += performance.now() - started;
      if (err && isLastingIoError(err)) {
        this.failure = new StoreError('SERVICE_NOT_AVAILABLE', `commits to the commit log fail (${errnoOf(err)}): appends are refused until restart`, { cause: err });
        this.onError(this.failure);
        for (const w of this.waiters.splice(this.waiterHead)) w.reject(this.failure);
        this.waiters.length = this.waiterHead = 0;
        return;
      }
      if (err) {
        // Nothing is lost: the bytes stay staged and the write is retried (a full disk may clear).
        this.onError(new StoreError('IO_ERROR', `commit to ${first.file.path} failed, retrying`, { cause: err }));
        if (!this.stopped) setTimeout(this.run, RETRY_MS).unref();
        return;
      }
      // A short write commits a prefix: the chunks it covered in order, the last maybe in part.
      for (let i = 0; i < count && written > 0; i++) {
        const c = this.chunks[i]!;
        const take = Math.min(written, c.end - c.committed);
        this.committed(c, c.committed + take);
        written -= take;
      }
      this.commitNext();
    });
  }

  private committed(c: Chunk, upTo: number): void {
    c.committed = upTo;
    c.file.committedPosition = upTo;
    this.committedOffset = c.file.fileFromOffset + upTo;
    this.onCommitted(this.committedOffset);
    const ws = this.waiters;
    while (this.waiterHead < ws.length && ws[this.waiterHead]!.offset <= this.committedOffset) ws[this.waiterHead++]!.resolve();
    if (this.waiterHead === ws.length) {
      ws.length = 0;
      this.waiterHead = 0;
    } else if (this.waiterHead > 1024) {
      this.waiters = ws.slice(this.waiterHead);
      this.waiterHead = 0;
    }
  }

  /** No more retries or scheduled commits (after the final flush). */
  stop(): void {
    this.stopped = true;
  }
}
