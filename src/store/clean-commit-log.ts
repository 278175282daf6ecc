import { stat, unlink } from 'node:fs/promises';
import type { StoreConfig } from './config.js';
import type { CommitLog } from './commit-log.js';
import type { StoreLogger } from './store-options.js';
import { commitLogDir, consumeQueueRootDir } from './file-names.js';
import { isTimeToDelete } from './delete-when.js';
import { usedRatio, type DiskSpace } from './disk-usage.js';
import { StoreError } from './errors.js';

/** RocketMQ's MappedFileQueue.DELETE_FILES_BATCH_MAX: files deleted per pass at most. */
export const DELETE_FILES_BATCH_MAX = 10;
/** RocketMQ's rocketmq.broker.diskSpaceWarningLevelRatio: above it the disk counts as full. */
export const DISK_SPACE_WARNING_LEVEL_RATIO = 0.9;
/** RocketMQ's rocketmq.broker.diskSpaceCleanForciblyRatio: above it files go before they expire. */
export const DISK_SPACE_CLEAN_FORCIBLY_RATIO = 0.85;
/** Passes a manual trigger arms (RocketMQ's MAX_MANUAL_DELETE_FILE_TIMES). */
const MAX_MANUAL_DELETE_FILE_TIMES = 20;

export interface CleanCommitLogDeps {
  cfg: StoreConfig;
  commitLog: CommitLog;
  log: StoreLogger;
  /** Commit log offset below which every record has its consume queue unit (workers may lag). */
  dispatchedBelow(): number;
  isRunning(): boolean;
  now(): number;
  diskSpace(path: string): Promise<DiskSpace | null>;
  /** Waits between deletions; returns early when the service stops. */
  sleep(ms: number): Promise<void>;
}

/**
 * RocketMQ's CleanCommitLogService: deletes the oldest commit log segments once they are older
 * than `fileReservedTime` hours, when it is time (`deleteWhen`), when the disk is fuller than
 * `diskMaxUsedSpaceRatio`, or for a while after a manual trigger; above the forced ratio (and with
 * `cleanFileForciblyEnable`) before they expire. Oldest first, stopping at the first file that
 * stays (no holes), never the segment being appended to, at most 10 per pass, paced by
 * `deleteCommitLogFilesInterval`.
 *
 * Runs on the store's thread, between appends: the segment list is the writer's and is only
 * changed there. What could block (stat, unlink, statfs) goes to libuv's pool.
 */
export class CleanCommitLogService {
  /** Disk use above the warning level: the store refuses appends (RocketMQ's DISK_FULL running flag). */
  diskFull = false;
  private cleanImmediately = false;
  private manualDeleteTimes = 0;
  /**
   * Blocks of deleted segments that are still mapped. A mapping is only released by garbage
   * collection, and until then the file's blocks stay allocated: without this, a disk check right
   * after a forced pass would still see the disk full and delete the next ten files, and so on.
   */
  private releasing = 0;
  private readonly released = new FinalizationRegistry<number>((bytes) => (this.releasing -= bytes));

  constructor(private readonly deps: CleanCommitLogDeps) {}

  /** Bytes of deleted segments whose mappings are not garbage collected yet. */
  get pendingReleaseBytes(): number {
    return this.releasing;
  }

  /** RocketMQ's executeDeleteFilesManually (mqadmin deleteExpiredCommitLog): the next 20 passes delete expired files whatever the hour. */
  executeDeleteFilesManually(): void {
    this.manualDeleteTimes = MAX_MANUAL_DELETE_FILE_TIMES;
  }

  /** One pass; resolves how many segments were deleted. */
  async run(): Promise<number> {
    const { cfg, log } = this.deps;
    const timeUp = isTimeToDelete(cfg.deleteWhen, new Date(this.deps.now()));
    const spaceFull = await this.checkDisk();
    const manual = this.manualDeleteTimes > 0;
    if (!timeUp && !spaceFull && !manual) return 0;
    if (manual) this.manualDeleteTimes--;
    const cleanAtOnce = cfg.cleanFileForciblyEnable && this.cleanImmediately;
    const n = await this.deleteExpiredFiles(cfg.fileReservedTime * 3_600_000, cleanAtOnce);
    if (n === 0 && spaceFull && this.cleanImmediately) log.warn('disk space will be full soon, but no commit log file could be deleted');
    return n;
  }

  /**
   * RocketMQ's isSpaceToDelete, for the commit log's and the consume queues' filesystems: sets
   * `diskFull` (above the warning level) and whether files go before they expire (above the
   * forced ratio); true when either is above `diskMaxUsedSpaceRatio` (clamped to 10-95 as
   * RocketMQ clamps it) or cannot be measured.
   */
  async checkDisk(): Promise<boolean> {
    const { cfg, log } = this.deps;
    const limit = Math.min(95, Math.max(10, cfg.diskMaxUsedSpaceRatio)) / 100;
    const clDir = commitLogDir(cfg);
    const cqDir = consumeQueueRootDir(cfg);
    const sameFs = await sameFilesystem(clDir, cqDir);
    const ratios = [usedRatio(await this.deps.diskSpace(clDir), this.releasing)];
    if (!sameFs) ratios.push(usedRatio(await this.deps.diskSpace(cqDir)));
    const max = Math.max(...ratios);
    const full = max > DISK_SPACE_WARNING_LEVEL_RATIO;
    if (full !== this.diskFull) {
      if (full) log.error(`disk maybe full soon, ${Math.round(max * 100)}% used: appends are refused until files are deleted`);
      else log.info(`disk space OK again, ${Math.round(max * 100)}% used`);
    }
    this.diskFull = full;
    this.cleanImmediately = max > DISK_SPACE_CLEAN_FORCIBLY_RATIO;
    return ratios.some((r) => r < 0 || r > limit);
  }

  private async deleteExpiredFiles(expiredMs: number, cleanAtOnce: boolean): Promise<number> {
    const { commitLog, log } = this.deps;
    const q = commitLog.queue;
    let deleted = 0;
    while (deleted < DELETE_FILES_BATCH_MAX && this.deps.isRunning()) {
      const f = q.first;
      if (!f || q.files.length <= 1) break;
      const end = f.fileFromOffset + f.fileSize;
      // Consume queue units must exist before their records may go: a worker may lag behind.
      if (end > this.deps.dispatchedBelow()) break;
      const st = await stat(f.path).catch((cause: NodeJS.ErrnoException) => {
        if (cause.code === 'ENOENT') return null; // removed by hand: only the mapping is left
        throw new StoreError('IO_ERROR', `cannot stat ${f.path}`, { cause });
      });
      if (st && this.deps.now() < st.mtimeMs + expiredMs && !cleanAtOnce) break;
      // Nothing may be in flight on the descriptor about to close (staged writes, a flush).
      await commitLog.whenCommitted(end);
      await f.flush();
      if (q.first !== f || q.files.length <= 1 || !this.deps.isRunning()) break;
      q.detachFirst();
      // A mapped file's blocks stay allocated until its mapping is garbage collected.
      if (f.isMapped && st) {
        this.releasing += st.blocks * 512;
        this.released.register(f.buffer.buffer, st.blocks * 512);
      }
      await unlink(f.path).catch((cause: NodeJS.ErrnoException) => {
        if (cause.code !== 'ENOENT') throw new StoreError('IO_ERROR', `cannot delete expired commit log file ${f.path}`, { cause });
      });
      deleted++;
      log.info(`deleted commit log file ${f.path}${cleanAtOnce ? ' (disk above the forced ratio)' : ''}`);
      if (deleted < DELETE_FILES_BATCH_MAX && q.files.length > 1 && this.deps.cfg.deleteCommitLogFilesInterval > 0) {
        await this.deps.sleep(this.deps.cfg.deleteCommitLogFilesInterval);
      }
    }
    return deleted;
  }
}

/** Whether two directories are on one filesystem; true when one does not exist yet (nothing to count twice). */
async function sameFilesystem(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    return sa.dev === sb.dev;
  } catch {
    return true;
  }
}
