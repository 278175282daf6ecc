import type { StoreConfig } from './config.js';
import type { CommitLog } from './commit-log.js';
import { fillFromRecord, newDispatchRequest, type Dispatcher } from './dispatch.js';
import { parseDelayLevels } from './delay-levels.js';
import { BLANK_MAGIC, MESSAGE_MAGIC } from './message-codec.js';
import { checkRecord } from './record-check.js';
import { StoreError } from './errors.js';
import type { StoreLogger } from './store-options.js';

/**
 * A slave's commit log writer (RocketMQ's appendToCommitLog plus its reput service). The master's
 * bytes are copied in at exactly the offsets they had there, blank segment tails included, so
 * both logs name every record by the same offset; then each record that is now complete is
 * dispatched to the consume queues and the index, in order. A record split across two transfers
 * is dispatched when its second part arrives.
 */
export class ReplicaAppender {
  /** Records before this offset are dispatched. */
  private scanned = -1;
  private readonly req = newDispatchRequest();
  private readonly delayLevels: number[];
  private readonly maxSize: number;
  /** Set once a replicated record does not validate: dispatch stops there, the bytes are kept. */
  failure: StoreError | null = null;

  constructor(
    private readonly cfg: StoreConfig,
    private readonly commitLog: CommitLog,
    private readonly dispatcher: Dispatcher,
    /** After records were dispatched: publishes them; may return a wait for room (a full ring). */
    private readonly afterDispatch: () => Promise<void> | undefined,
    private readonly log: StoreLogger,
  ) {
    this.delayLevels = parseDelayLevels(cfg.messageDelayLevel);
    this.maxSize = cfg.maxMessageSize + 64 * 1024 + 4096;
  }

  /** Stores `body` at `offset`, which must be where the log ends (anywhere on a segment start when empty). */
  append(offset: number, body: Buffer): number | Promise<number> {
    const q = this.commitLog.queue;
    const end = q.maxWrotePosition;
    if (q.isEmpty || end === 0) {
      if (offset % q.fileSize !== 0) throw new StoreError('MESSAGE_ILLEGAL', `replication into an empty commit log must start on a segment boundary, not at ${offset}`);
    } else if (offset !== end) {
      throw new StoreError('MESSAGE_ILLEGAL', `replicated bytes at ${offset} do not continue the commit log, which ends at ${end}`);
    }
    if (this.scanned < 0 || q.isEmpty) this.scanned = offset;
    const file = q.lastForWrite(offset);
    const pos = offset - file.fileFromOffset;
    if (pos !== file.wrotePosition || body.length > file.remaining) {
      throw new StoreError('MESSAGE_ILLEGAL', `replicated bytes at ${offset} (${body.length}) do not fit segment ${file.fileFromOffset}`);
    }
    file.prefault(pos + body.length);
    body.copy(file.buffer, pos);
    file.wrotePosition = pos + body.length;
    const newEnd = file.fileFromOffset + file.wrotePosition;
    const dispatched = this.dispatchUpTo(newEnd);
    const room = dispatched > 0 ? this.afterDispatch() : undefined;
    return room ? room.then(() => newEnd) : newEnd;
  }

  private dispatchUpTo(end: number): number {
    const q = this.commitLog.queue;
    let n = 0;
    while (this.failure === null && this.scanned < end) {
      const f = q.findByOffset(this.scanned);
      if (!f) break;
      const pos = this.scanned - f.fileFromOffset;
      const limit = f.wrotePosition;
      if (pos + 8 > limit) break;
      const b = f.buffer;
      const size = b.readInt32BE(pos);
      const magic = b.readInt32BE(pos + 4);
      if (magic === BLANK_MAGIC) {
        this.scanned = f.fileFromOffset + f.fileSize;
        continue;
      }
      // The rest of this record comes with the next transfer.
      if (magic === MESSAGE_MAGIC && size > 8 && size <= this.maxSize && pos + size > limit) break;
      const r = checkRecord(b, pos, limit, this.cfg.checkCRCOnRecover, this.maxSize);
      if (r <= 0) {
        this.failure = new StoreError('DISPATCH_FAILED', `replicated record at ${this.scanned} does not validate: nothing after it is dispatched`);
        this.log.error(this.failure.message);
        break;
      }
      this.dispatcher.dispatch(fillFromRecord(this.req, b, pos, this.delayLevels));
      this.commitLog.lastStoreTimestamp = this.req.storeTimestamp;
      this.scanned += r;
      n++;
    }
    return n;
  }
}
