import { parseDelayLevels } from './delay-levels.js';
import type { StoreConfig } from './config.js';
import type { CommitLog } from './commit-log.js';
import type { ConsumeQueueTable } from './consume-queue-table.js';
import type { StoreCheckpoint } from './checkpoint.js';
import { MESSAGE_MAGIC, storeTimestampOf } from './message-codec.js';
import { SegmentWalker } from './segment-walk.js';
import { SegmentScanPool } from './segment-scan-pool.js';
import { fillFromRecord, newDispatchRequest, type Dispatcher } from './dispatch.js';
import type { IndexService } from './index-service.js';
import type { PagePopulator } from './page-populator.js';

/** Segments at least this big are validated on pool threads (smaller ones cost less than starting them). */
const PARALLEL_SCAN_MIN_SEGMENT = 16 << 20;

export interface RecoveryResult {
  abnormal: boolean;
  /** Commit log offset where valid data ends (the next append goes here). */
  validEnd: number;
  /** Records read back and offered to the dispatchers (already dispatched ones are skipped by them). */
  redispatched: number;
  /** Whether the checked segments were validated on pool threads (big segments). */
  pooled?: boolean;
  /** How long loading and recovering the files took (set by the store). */
  ms?: number;
}

/** What a store start opens and recovers. */
export interface StoreFiles {
  config: StoreConfig;
  commitLog: CommitLog;
  consumeQueues: ConsumeQueueTable;
  index: IndexService;
  checkpoint: StoreCheckpoint;
  dispatcher: Dispatcher;
  populator: PagePopulator | null;
  warn: (message: string) => void;
}

/**
 * A start's file work: opens the commit log, consume queues and index files, recovers them
 * (recoverStore), and readies the commit log for appends. On failure closes what it opened.
 */
export async function openAndRecover(s: StoreFiles, lastExitOK: boolean): Promise<RecoveryResult> {
  const started = performance.now();
  const log = s.commitLog.queue;
  try {
    log.load();
    if (log.droppedEmptyTail) s.warn(`dropped ${log.droppedEmptyTail}: an empty last segment left by a crash during its creation`);
    s.consumeQueues.load(s.warn);
    s.index.load(lastExitOK, s.checkpoint.indexMsgTimestamp);
    const result = await recoverStore(s.config, s.commitLog, s.consumeQueues, s.checkpoint, s.dispatcher, lastExitOK, s.warn);
    result.ms = Math.round(performance.now() - started);
    s.index.truncateBeyond(result.validEnd);
    log.preallocateNext();
    const last = log.last;
    // Population starts at the write position: stored pages must not be dirtied again.
    if (last) last.populatedTo = Math.floor(last.wrotePosition / 4096) * 4096;
    if (s.populator) {
      log.populator = s.populator;
      if (last) last.populator = s.populator;
    }
    return result;
  } catch (e) {
    log.close();
    s.consumeQueues.close();
    await s.index.close();
    throw e;
  }
}

/**
 * Brings commit log and derived files back to a consistent state, RocketMQ style:
 *
 * 1. Consume queues: keep units up to the first invalid one.
 * 2. Commit log: walk records from a start segment (after a clean stop, the third-to-last; after a
 *    crash, the newest segment whose first record predates the checkpoint minus 3 s), validating
 *    magic, lengths and body CRC.
 * 3. Dispatch again what the consume queues may lack. After a crash: every valid record walked
 *    (dispatchers are idempotent: units lost in the crash are rebuilt, present ones skipped).
 *    After a clean stop every record was dispatched and flushed (the store keeps its abort marker
 *    otherwise), so only records past the end of the newest unit of any queue, as RocketMQ's
 *    reputFromOffset: none usually, every record when the consumequeue directory was removed
 *    (a rebuild, from the first segment). Dispatching all of the last three segments again cost
 *    40% of the start of a full store and brought back topics deleted before the stop.
 * 4. The first invalid record ends the log: the torn tail is zeroed, later segments deleted, and
 *    queue units pointing at or past that end are dropped (derived files never outlive their data).
 */
export async function recoverStore(
  cfg: StoreConfig,
  commitLog: CommitLog,
  cqTable: ConsumeQueueTable,
  checkpoint: StoreCheckpoint,
  dispatcher: Dispatcher,
  lastExitOK: boolean,
  log?: (message: string) => void,
): Promise<RecoveryResult> {
  cqTable.recover();
  const files = commitLog.queue.files;
  if (files.length === 0) {
    for (const cq of cqTable.all()) cq.destroy();
    return { abnormal: !lastExitOK, validEnd: 0, redispatched: 0 };
  }
  const start = lastExitOK ? Math.max(0, files.length - 3) : abnormalStart(cfg, commitLog, checkpoint);
  const checkedFrom = files[start]!.fileFromOffset;
  let dispatchFrom = lastExitOK ? Math.max(commitLog.minOffset, cqTable.maxPhysicOffset()) : checkedFrom;
  const req = newDispatchRequest();
  const delayLevels = parseDelayLevels(cfg.messageDelayLevel);
  let redispatched = 0;
  let dispatchTo = Infinity;
  const visit = (buf: Buffer, pos: number, at: number): void => {
    if (at < dispatchFrom || at >= dispatchTo) return;
    dispatcher.dispatch(fillFromRecord(req, buf, pos, delayLevels));
    redispatched++;
  };
  const walker = new SegmentWalker(cfg.maxMessageSize + 64 * 1024 + 4096);
  if (dispatchFrom < checkedFrom) {
    // A rebuild reaches into segments recovery does not check: read them as RocketMQ's reput does.
    const i = files.indexOf(commitLog.queue.findByOffset(dispatchFrom)!);
    walker.walk(files.slice(i, start), dispatchFrom, false, visit, (at) => log?.(`recovery: unreadable record at commit log offset ${at}; rebuilding queues from the next segment on`));
  }
  const checked = files.slice(start);
  let validEnd: number;
  const pooled = cfg.checkCRCOnRecover && checked.length > 1 && cfg.mappedFileSizeCommitLog >= PARALLEL_SCAN_MIN_SEGMENT;
  if (pooled) {
    // Body CRCs of big segments on pool threads, a segment each; then one pass here without them.
    const pool = new SegmentScanPool();
    try {
      validEnd = await pool.validEnd(checked, checkedFrom, true, walker.maxRecordSize);
    } finally {
      await pool.close();
    }
    dispatchTo = validEnd;
    const from = Math.max(dispatchFrom, checkedFrom);
    if (from < validEnd) walker.walk(files.slice(files.indexOf(commitLog.queue.findByOffset(from)!)), from, false, visit);
  } else {
    validEnd = walker.walk(checked, checkedFrom, cfg.checkCRCOnRecover, visit);
  }
  if (dispatchFrom > validEnd) {
    // Queue units past the valid end (the log's tail was damaged after the stop): they are dropped
    // below, and nothing here says which units before them are sound. Dispatch all checked records.
    dispatchFrom = checkedFrom;
    dispatchTo = validEnd;
    walker.walk(files.slice(start), checkedFrom, false, visit);
  }
  commitLog.queue.truncateFrom(validEnd);
  for (const f of files) f.flushedPosition = f.wrotePosition;
  cqTable.truncateDirty(validEnd);
  cqTable.correctMinOffsets(commitLog.minOffset);
  for (const cq of cqTable.all()) commitLog.setNextQueueOffset(cq.topic, cq.queueId, cq.maxOffsetInQueue);
  const last = commitLog.queue.last;
  if (last && last.wrotePosition > 0) commitLog.lastStoreTimestamp = lastRecordTimestamp(commitLog, validEnd);
  return { abnormal: !lastExitOK, validEnd, redispatched, pooled };
}

/** Newest segment whose first record is a message stored before the checkpoint's safe time. */
function abnormalStart(cfg: StoreConfig, commitLog: CommitLog, checkpoint: StoreCheckpoint): number {
  const files = commitLog.queue.files;
  const safe = checkpoint.minTimestamp(cfg.messageIndexEnable && cfg.messageIndexSafe);
  for (let i = files.length - 1; i >= 0; i--) {
    // pread, not the mapping: a segment created just before a crash may be a hole (MappedFile.readAt).
    if (files[i]!.readAt(HEAD, 0) < HEAD.length || HEAD.readInt32BE(4) !== MESSAGE_MAGIC) continue;
    const ts = storeTimestampOf(HEAD, 0);
    if (ts !== 0 && ts <= safe) return i;
  }
  return 0;
}

/** The start of a segment's first record, up to its store timestamp whatever its hosts. */
const HEAD = Buffer.alloc(128);

function lastRecordTimestamp(commitLog: CommitLog, validEnd: number): number {
  // Cheap: the checkpoint only needs a recent time, and the newest queue unit's record has it.
  let best = 0;
  for (const f of commitLog.queue.files) {
    if (f.wrotePosition === 0 || f.readAt(HEAD, 0) < HEAD.length) continue;
    if (HEAD.readInt32BE(4) === MESSAGE_MAGIC) best = Math.max(best, storeTimestampOf(HEAD, 0));
  }
  return best || (validEnd > 0 ? Date.now() : 0);
}
