import type { StoreConfig } from './config.js';
import type { MappedFileQueue } from './mapped-file-queue.js';
import { StoreError, errnoOf, isLastingIoError } from './errors.js';

const PAGE = 4096;

interface Waiter {
  nextOffset: number;
  deadline: number;
  resolve: (flushed: boolean) => void;
}

/**
 * Makes commit log bytes durable, in one of RocketMQ's two modes.
 *
 * ASYNC_FLUSH: a timer every `intervalMs` flushes when at least `leastPages` pages are dirty, or
 * anything dirty once `thoroughIntervalMs` has passed since the last full flush.
 *
 * SYNC_FLUSH as group commit: a send registers the offset it needs durable and waits. One flush
 * runs at a time; every send that arrived while it ran is covered by the next one, so many
 * waiting sends share a single fdatasync. A send not covered within `timeoutMs` resolves false
 * (FLUSH_DISK_TIMEOUT). Bytes nobody waits for are flushed every `timeoutMs / 10`. fdatasync runs on libuv's pool: the event loop never blocks on disk.
 */
export class CommitLogFlusher {
  private readonly queue: MappedFileQueue;
  private readonly opts: FlusherOptions;
  private waiters: Waiter[] = [];
  private head = 0;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private lastThorough = Date.now();
  private stopped = false;
  flushCount = 0;
  /**
   * Set once a flush fails with EIO or EROFS: the kernel may have dropped the dirty pages, or the
   * filesystem went read-only (ext4's errors=remount-ro), so nothing appended can be made durable.
   * The store then refuses appends (SERVICE_NOT_AVAILABLE) rather than acknowledge what will be
   * lost. RocketMQ logs the failure and goes on; a transient error of another kind still does.
   */
  failure: StoreError | null = null;

  constructor(queue: MappedFileQueue, opts: FlusherOptions) {
    this.queue = queue;
    this.opts = opts;
  }

  start(): void {
    const period = this.opts.sync ? Math.max(10, Math.floor(this.opts.timeoutMs / 10)) : this.opts.intervalMs;
    this.timer = setInterval(() => (this.opts.sync ? this.syncTick() : this.tick()), period);
    this.timer.unref();
  }

  /** SYNC_FLUSH: resolves true once every byte before `nextOffset` is durable, false on timeout. */
  waitFor(nextOffset: number): Promise<boolean> {
    if (this.queue.maxFlushedPosition >= nextOffset) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      this.waiters.push({ nextOffset, deadline: Date.now() + this.opts.timeoutMs, resolve });
      if (!this.running) {
        this.running = true;
        // Let the other sends decoded in this turn of the event loop join the same flush.
        setImmediate(() => void this.groupCommit());
      }
    });
  }

  private async groupCommit(): Promise<void> {
    try {
      while (this.head < this.waiters.length) {
        const storeTs = this.opts.lastStoreTimestamp();
        const flushed = await this.flushNow(storeTs);
        const now = Date.now();
        while (this.head < this.waiters.length) {
          const w = this.waiters[this.head]!;
          if (w.nextOffset <= flushed) w.resolve(true);
          else if (w.deadline <= now) w.resolve(false);
          else break;
          this.head++;
        }
        this.compact();
      }
    } catch (e) {
      this.opts.onError(e);
      this.failAll();
    } finally {
      this.running = false;
    }
  }

  /**
   * SYNC_FLUSH between sends: times out overdue waiters, and flushes bytes nobody waits for (a
   * slave's replicated log), as RocketMQ's group commit service does when it has no requests.
   */
  private syncTick(): void {
    this.expire(Date.now());
    if (this.running || this.stopped || this.queue.unflushedBytes === 0) return;
    this.running = true;
    this.flushNow(this.opts.lastStoreTimestamp())
      .catch((e) => this.opts.onError(e))
      .finally(() => {
        this.running = false;
        // A send that arrived meanwhile found a flush running and left starting one to it.
        if (this.head < this.waiters.length) {
          this.running = true;
          setImmediate(() => void this.groupCommit());
        }
      });
  }

  /** Times out waiters whose flush is overdue (a stuck disk must not hang sends forever). */
  private expire(now: number): void {
    while (this.head < this.waiters.length && this.waiters[this.head]!.deadline <= now) {
      this.waiters[this.head++]!.resolve(false);
    }
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.head);
      this.head = 0;
    } else if (this.head === this.waiters.length) {
      this.waiters.length = 0;
      this.head = 0;
    }
  }

  private failAll(): void {
    while (this.head < this.waiters.length) this.waiters[this.head++]!.resolve(false);
    this.compact();
  }

  private tick(): void {
    if (this.running || this.stopped) return;
    const now = Date.now();
    const dirtyPages = Math.floor(this.queue.maxWrotePosition / PAGE) - Math.floor(this.queue.maxFlushedPosition / PAGE);
    const thorough = now - this.lastThorough >= this.opts.thoroughIntervalMs;
    if (dirtyPages < this.opts.leastPages && !(thorough && this.queue.unflushedBytes > 0)) return;
    if (thorough) this.lastThorough = now;
    this.running = true;
    this.flushNow(this.opts.lastStoreTimestamp())
      .catch((e) => this.opts.onError(e))
      .finally(() => (this.running = false));
  }

  private async flushNow(storeTs: number): Promise<number> {
    let flushed: number;
    try {
      flushed = await this.queue.flush();
    } catch (e) {
      if (this.failure === null && isLastingIoError(e)) {
        // Staged commits that failed already say so (StagedWrites.failure).
        this.failure = e instanceof StoreError && e.code === 'SERVICE_NOT_AVAILABLE' ? e : new StoreError('SERVICE_NOT_AVAILABLE', `the commit log cannot be made durable (${errnoOf(e)}): appends are refused until restart`, { cause: e });
      }
      throw e;
    }
    this.flushCount++;
    if (storeTs > 0) this.opts.onFlushed(storeTs);
    return flushed;
  }

  /** Flushes everything now (shutdown), after any flush in progress. */
  async flushAll(): Promise<void> {
    await this.flushNow(this.opts.lastStoreTimestamp());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** The flusher's settings from a store config. */
export function flushTiming(cfg: StoreConfig): Pick<FlusherOptions, 'sync' | 'intervalMs' | 'leastPages' | 'thoroughIntervalMs' | 'timeoutMs'> {
  return {
    sync: cfg.flushDiskType === 'SYNC_FLUSH',
    intervalMs: cfg.flushIntervalCommitLog,
    leastPages: cfg.flushCommitLogLeastPages,
    thoroughIntervalMs: cfg.flushCommitLogThoroughInterval,
    timeoutMs: cfg.syncFlushTimeout,
  };
}

export interface FlusherOptions {
  sync: boolean;
  intervalMs: number;
  leastPages: number;
  thoroughIntervalMs: number;
  timeoutMs: number;
  /** Store time of the newest appended record, taken when a flush starts. */
  lastStoreTimestamp: () => number;
  /** Called with that time once the flush is durable (checkpoint's physicMsgTimestamp). */
  onFlushed: (storeTimestamp: number) => void;
  onError: (e: unknown) => void;
}
