import { parseDelayLevels } from './delay-levels.js';
import type { StoreConfig } from './config.js';
import type { CommitLog } from './commit-log.js';
import type { ConsumeQueueTable } from './consume-queue-table.js';
import type { StoreCheckpoint } from './checkpoint.js';
import { MESSAGE_MAGIC, storeTimestampOf } from './message-codec.js';
import { CHECK_BLANK, checkRecord } from './record-check.js';
import { fillFromRecord, newDispatchRequest, type Dispatcher } from './dispatch.js';

export interface RecoveryResult {
  abnormal: boolean;
  /** Commit log offset where valid data ends (the next append goes here). */
  validEnd: number;
  /** Records read back and offered to the dispatchers (already dispatched ones are skipped by them). */
  redispatched: number;
}

/**
 * Brings commit log and derived files back to a consistent state, RocketMQ style:
 *
 * 1. Consume queues: keep units up to the first invalid one.
 * 2. Commit log: walk records from a start segment (after a clean stop, the third-to-last; after a
 *    crash, the newest segment whose first record predates the checkpoint minus 3 s), validating
 *    magic, lengths and body CRC. Every valid record is re-dispatched: dispatchers are idempotent,
 *    so units lost in the crash (or a missing queue) are rebuilt and present ones skipped.
 * 3. The first invalid record ends the log: the torn tail is zeroed, later segments deleted, and
 *    queue units pointing at or past that end are dropped (derived files never outlive their data).
 */
export function recoverStore(
  cfg: StoreConfig,
  commitLog: CommitLog,
  cqTable: ConsumeQueueTable,
  checkpoint: StoreCheckpoint,
  dispatcher: Dispatcher,
  lastExitOK: boolean,
): RecoveryResult {
  cqTable.recover();
  const files = commitLog.queue.files;
  if (files.length === 0) {
    for (const cq of cqTable.all()) cq.destroy();
    return { abnormal: !lastExitOK, validEnd: 0, redispatched: 0 };
  }
  const start = lastExitOK ? Math.max(0, files.length - 3) : abnormalStart(cfg, commitLog, checkpoint);
  const req = newDispatchRequest();
  const delayLevels = parseDelayLevels(cfg.messageDelayLevel);
  const maxSize = cfg.maxMessageSize + 64 * 1024 + 4096;
  let validEnd = files[start]!.fileFromOffset;
  let redispatched = 0;
  scan: for (let i = start; i < files.length; i++) {
    const f = files[i]!;
    let pos = 0;
    for (;;) {
      const r = checkRecord(f.buffer, pos, f.fileSize, cfg.checkCRCOnRecover, maxSize);
      if (r === CHECK_BLANK) {
        validEnd = f.fileFromOffset + f.fileSize;
        continue scan;
      }
      if (r <= 0) break scan;
      dispatcher.dispatch(fillFromRecord(req, f.buffer, pos, delayLevels));
      redispatched++;
      pos += r;
      validEnd = f.fileFromOffset + pos;
    }
  }
  commitLog.queue.truncateFrom(validEnd);
  for (const f of files) f.flushedPosition = f.wrotePosition;
  cqTable.truncateDirty(validEnd);
  cqTable.correctMinOffsets(commitLog.minOffset);
  for (const cq of cqTable.all()) commitLog.setNextQueueOffset(cq.topic, cq.queueId, cq.maxOffsetInQueue);
  const last = commitLog.queue.last;
  if (last && last.wrotePosition > 0) commitLog.lastStoreTimestamp = lastRecordTimestamp(commitLog, validEnd);
  return { abnormal: !lastExitOK, validEnd, redispatched };
}

/** Newest segment whose first record is a message stored before the checkpoint's safe time. */
function abnormalStart(cfg: StoreConfig, commitLog: CommitLog, checkpoint: StoreCheckpoint): number {
  const files = commitLog.queue.files;
  const safe = checkpoint.minTimestamp(cfg.messageIndexEnable && cfg.messageIndexSafe);
  for (let i = files.length - 1; i >= 0; i--) {
    const b = files[i]!.buffer;
    if (b.readInt32BE(4) !== MESSAGE_MAGIC) continue;
    const ts = storeTimestampOf(b, 0);
    if (ts !== 0 && ts <= safe) return i;
  }
  return 0;
}

function lastRecordTimestamp(commitLog: CommitLog, validEnd: number): number {
  // Cheap: the checkpoint only needs a recent time, and the newest queue unit's record has it.
  let best = 0;
  for (const f of commitLog.queue.files) {
    if (f.wrotePosition === 0) continue;
    if (f.buffer.readInt32BE(4) === MESSAGE_MAGIC) best = Math.max(best, storeTimestampOf(f.buffer, 0));
  }
  return best || (validEnd > 0 ? Date.now() : 0);
}
