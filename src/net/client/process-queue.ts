import type { MessageExt } from './message.js';
import type { MessageQueue } from './message-queue.js';

/**
 * One assigned queue of a push consumer (ProcessQueue): where the next pull starts, and which
 * pulled messages are still being consumed. Consumption runs concurrently, so messages finish out
 * of order; the offset that may be committed is the lowest offset still in flight (or one past
 * the highest pulled when none is), so a crash never skips an unconsumed message.
 *
 * Offsets arrive in increasing order, so in-flight offsets are an append-only array with a head
 * index plus a set of finished ones: put and remove are O(1) amortized.
 */
export class ProcessQueue {
  readonly mq: MessageQueue;
  /** Set when the queue was reassigned or the consumer stopped: results are then ignored. */
  dropped = false;
  /** Queue offset the next pull asks for. */
  nextOffset: number;
  private offsets: number[] = [];
  private head = 0;
  private readonly finished = new Set<number>();
  private maxOffset = -1;

  constructor(mq: MessageQueue, nextOffset: number) {
    this.mq = mq;
    this.nextOffset = nextOffset;
  }

  /** Messages pulled and not yet consumed. */
  get count(): number {
    return this.offsets.length - this.head - this.finished.size;
  }

  put(msgs: readonly MessageExt[]): void {
    for (const m of msgs) {
      if (m.queueOffset <= this.maxOffset) continue;
      this.offsets.push(m.queueOffset);
      this.maxOffset = m.queueOffset;
    }
  }

  /** Marks messages consumed; returns the offset to commit, or -1 if nothing was ever pulled. */
  remove(msgs: readonly MessageExt[]): number {
    if (this.maxOffset < 0) return -1;
    for (const m of msgs) this.finished.add(m.queueOffset);
    while (this.head < this.offsets.length && this.finished.delete(this.offsets[this.head]!)) this.head++;
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.head = 0;
    }
    return this.head < this.offsets.length ? this.offsets[this.head]! : this.maxOffset + 1;
  }
}
