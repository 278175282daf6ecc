import type { ConsumeQueueTable } from './consume-queue-table.js';
import type { IndexService } from './index-service.js';
import type { RemoteDispatcher } from './dispatch.js';

export interface CleanConsumeQueueDeps {
  consumeQueues: ConsumeQueueTable;
  index: IndexService;
  /** The remote dispatcher while it owns the consume queue and index files, else null. */
  remote(): RemoteDispatcher | null;
  /** Pause after each queue that deleted files (`deleteConsumeQueueFilesInterval`). */
  intervalMs: number;
  isRunning(): boolean;
  sleep(ms: number): Promise<void>;
}

/**
 * RocketMQ's CleanConsumeQueueService: once the commit log's minimum offset has moved, deletes
 * each consume queue's files whose last unit points below it (never a queue's last file), moves
 * the queues' minimum offsets, then deletes index files that end below it.
 *
 * With dispatch workers, the workers own those files: they are told the new minimum and delete
 * by the same rule (paced there), while this thread's read-only views of the queues let go of
 * the same files at once and move their minimum offsets, so reads never reach a deleted unit.
 */
export class CleanConsumeQueueService {
  private lastPhysicalMinOffset = 0;

  constructor(private readonly deps: CleanConsumeQueueDeps) {}

  /** One pass for commit log minimum `minPhyOffset`; resolves how many queue files were deleted (or let go of). */
  async run(minPhyOffset: number): Promise<number> {
    if (minPhyOffset <= this.lastPhysicalMinOffset) return 0;
    this.lastPhysicalMinOffset = minPhyOffset;
    const { consumeQueues, remote } = this.deps;
    let n = 0;
    const worker = remote();
    if (worker) {
      worker.deleteExpired?.(minPhyOffset);
      for (const cq of consumeQueues.all()) n += cq.deleteExpiredFiles(minPhyOffset, false);
      return n;
    }
    for (const cq of [...consumeQueues.all()]) {
      if (!this.deps.isRunning()) return n;
      // The pass yields between queues: a topic may have been deleted (and its files) meanwhile.
      if (consumeQueues.find(cq.topic, cq.queueId) !== cq) continue;
      const deleted = cq.deleteExpiredFiles(minPhyOffset, true);
      n += deleted;
      if (deleted > 0 && this.deps.intervalMs > 0) await this.deps.sleep(this.deps.intervalMs);
    }
    if (this.deps.isRunning()) this.deps.index.deleteExpired(minPhyOffset);
    return n;
  }
}
