import type { StoreConfig } from './config.js';
import type { CommitLog } from './commit-log.js';
import type { ConsumeQueueTable } from './consume-queue-table.js';
import type { IndexService } from './index-service.js';
import type { RemoteDispatcher } from './dispatch.js';
import type { StoreLogger } from './store-options.js';
import { CleanCommitLogService } from './clean-commit-log.js';
import { collectGarbageSoon } from './collect-garbage.js';
import { CleanConsumeQueueService } from './clean-consume-queue.js';
import { diskSpace, type DiskSpace } from './disk-usage.js';

/** Test hooks of retention (StoreOptions.retentionHooks): a clock, disk figures, first delays. */
export interface RetentionHooks {
  now?: () => number;
  diskSpace?: (path: string) => Promise<DiskSpace | null>;
  /** Delay before the first clean pass (RocketMQ: 60 s after start). */
  firstCleanDelayMs?: number;
  /** Delay before the first disk check (RocketMQ: 1 s after start). */
  firstDiskCheckDelayMs?: number;
}

export interface CleanServiceDeps {
  cfg: StoreConfig;
  commitLog: CommitLog;
  consumeQueues: ConsumeQueueTable;
  index: IndexService;
  log: StoreLogger;
  /** The remote dispatcher while it is active, else null. */
  remote(): RemoteDispatcher | null;
  /** After each pass (the store refreshes its view of the index worker's files). */
  afterPass?: () => void;
  hooks?: RetentionHooks;
}

export interface CleanPassResult {
  commitLogFiles: number;
  consumeQueueFiles: number;
}

/**
 * Retention, as RocketMQ's DefaultMessageStore schedules it: every `cleanResourceInterval` the
 * commit log pass, then the consume queue and index pass; a disk check every 10 s in between
 * (it marks the disk full, which stops appends). Passes never overlap, and shutdown waits for
 * the running one.
 *
 * On the store's thread, not in a worker: the segment lists, queue tables and min offsets it
 * changes are that thread's (the single writer's), and a pass is a few stats and unlinks on
 * libuv's pool with pauses in between, so it costs the event loop microseconds per file.
 */
export class CleanService {
  readonly commitLogCleaner: CleanCommitLogService;
  readonly consumeQueueCleaner: CleanConsumeQueueService;
  private running = false;
  private cleanTimer: NodeJS.Timeout | null = null;
  private diskTimer: NodeJS.Timeout | null = null;
  private pass: Promise<CleanPassResult> | null = null;
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly deps: CleanServiceDeps) {
    const isRunning = () => this.running;
    const sleep = (ms: number) => this.sleep(ms);
    const hooks = deps.hooks ?? {};
    this.commitLogCleaner = new CleanCommitLogService({
      cfg: deps.cfg,
      commitLog: deps.commitLog,
      log: deps.log,
      dispatchedBelow: () => deps.remote()?.dispatchedOffset ?? Number.MAX_SAFE_INTEGER,
      isRunning,
      now: hooks.now ?? Date.now,
      diskSpace: hooks.diskSpace ?? diskSpace,
      sleep,
    });
    this.consumeQueueCleaner = new CleanConsumeQueueService({
      consumeQueues: deps.consumeQueues,
      index: deps.index,
      remote: deps.remote,
      intervalMs: deps.cfg.deleteConsumeQueueFilesInterval,
      isRunning,
      sleep,
    });
  }

  /** Disk use above the warning level (appends are refused). */
  get diskFull(): boolean {
    return this.commitLogCleaner.diskFull;
  }

  start(): void {
    this.running = true;
    const hooks = this.deps.hooks ?? {};
    const cleanLoop = () => {
      this.cleanTimer = null;
      void this.runOnce().finally(() => {
        if (this.running) this.cleanTimer = unref(setTimeout(cleanLoop, this.deps.cfg.cleanResourceInterval));
      });
    };
    const diskLoop = () => {
      this.diskTimer = null;
      void this.commitLogCleaner.checkDisk().catch((e: unknown) => this.deps.log.error(`disk check failed: ${String(e)}`)).finally(() => {
        if (this.running) this.diskTimer = unref(setTimeout(diskLoop, 10_000));
      });
    };
    this.cleanTimer = unref(setTimeout(cleanLoop, hooks.firstCleanDelayMs ?? 60_000));
    this.diskTimer = unref(setTimeout(diskLoop, hooks.firstDiskCheckDelayMs ?? 1000));
  }

  /** One commit log pass then one consume queue and index pass (joins the running one, if any). */
  runOnce(): Promise<CleanPassResult> {
    this.pass ??= this.doPass().finally(() => (this.pass = null));
    return this.pass;
  }

  /** The mqadmin deleteExpiredCommitLog trigger: expired files go on the next passes, whatever the hour. */
  executeDeleteFilesManually(): void {
    this.commitLogCleaner.executeDeleteFilesManually();
  }

  private async doPass(): Promise<CleanPassResult> {
    const result: CleanPassResult = { commitLogFiles: 0, consumeQueueFiles: 0 };
    if (!this.running) return result;
    try {
      result.commitLogFiles = await this.commitLogCleaner.run();
      if (this.running) result.consumeQueueFiles = await this.consumeQueueCleaner.run(this.deps.commitLog.minOffset);
      // Deleted files keep their disk blocks until their mappings are collected; an idle heap may
      // not be collected for hours. Again next pass while a deleted segment is still mapped.
      if (result.commitLogFiles + result.consumeQueueFiles > 0 || this.commitLogCleaner.pendingReleaseBytes > 0) collectGarbageSoon();
      this.deps.afterPass?.();
    } catch (e) {
      // The next pass tries again; nothing was half done (a file leaves the lists before its unlink).
      this.deps.log.error(`deleting expired files failed: ${e instanceof Error && e.cause ? `${e.message}: ${String(e.cause)}` : String(e)}`);
    }
    return result;
  }

  /** Stops the timers and waits for a running pass (its pauses end at once). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.cleanTimer) clearTimeout(this.cleanTimer);
    if (this.diskTimer) clearTimeout(this.diskTimer);
    this.cleanTimer = this.diskTimer = null;
    for (const wake of this.sleepers) wake();
    await this.pass?.catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

function unref(t: NodeJS.Timeout): NodeJS.Timeout {
  t.unref();
  return t;
}
