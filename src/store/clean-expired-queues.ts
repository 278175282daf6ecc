import { SCHEDULE_TOPIC } from './delay-levels.js';
import type { MessageStore } from './types.js';

/** What one pass of {@link cleanExpiredConsumeQueues} did. */
export interface CleanExpiredResult {
  /** Topics whose consume queues were deleted: every message they indexed is gone from the commit log. */
  deleted: string[];
  /** Topics with some expired queues kept because other queues of theirs still index live messages. */
  partlyExpired: string[];
}

/** How many times a pass waits for dispatch to catch up with appends before it gives up for now. */
const SETTLE_ATTEMPTS = 5;

/**
 * RocketMQ's cleanExpiredConsumerQueue (CLEAN_EXPIRED_CONSUMEQUEUE, `mqadmin cleanExpiredCQ`):
 * deletes the consume queues that only index messages the commit log no longer holds, so the
 * topics of long-gone traffic stop taking directories, files and memory. A queue whose last unit
 * points below the commit log's minimum offset is expired; the delay queues are kept.
 *
 * Two deliberate differences from RocketMQ, both to never lose a message:
 * - A topic goes whole or not at all (empty queues do not hold it back). Java deletes single
 *   queues, which restarts their queue offsets at 0 under consumers that remember higher ones.
 * - The pass runs once every record appended so far is dispatched: a record on its way to an
 *   expired queue is a live message, and the queue is no longer expired.
 */
export async function cleanExpiredConsumeQueues(store: MessageStore): Promise<CleanExpiredResult> {
  for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
    const end = store.getMaxPhyOffset();
    if (!(await store.whenDispatched(end))) continue;
    // From here to the delete nothing yields: no append can slip in between the check and it.
    if (store.getMaxPhyOffset() !== end) continue;
    return deleteExpired(store);
  }
  return { deleted: [], partlyExpired: [] };
}

function deleteExpired(store: MessageStore): CleanExpiredResult {
  const minPhy = store.getMinPhyOffset();
  const deleted: string[] = [];
  const partlyExpired: string[] = [];
  for (const topic of store.topics()) {
    if (topic === SCHEDULE_TOPIC) continue;
    let expired = 0;
    let live = 0;
    for (const q of store.queueIds(topic)) {
      const max = store.getMaxOffsetInQueue(topic, q);
      if (max <= 0) continue;
      // Retention moves a queue's minimum past units whose records are gone: none left is min = max.
      const last = store.getCommitLogOffsetInQueue(topic, q, max - 1);
      if (store.getMinOffsetInQueue(topic, q) >= max || (last >= 0 && last < minPhy)) expired++;
      else live++;
    }
    if (expired === 0) continue;
    if (live === 0) deleted.push(topic);
    else partlyExpired.push(topic);
  }
  if (deleted.length > 0) store.deleteTopics(deleted);
  return { deleted, partlyExpired };
}
