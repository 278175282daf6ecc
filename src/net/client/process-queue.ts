import type { MessageExt } from './message.js';
import type { MessageQueue } from './message-queue.js';

/**
 * One assigned queue of a push consumer (ProcessQueue): where the next pull starts, and which
 * pulled messages are still being consumed. Consumption runs concurrently, so messages finish out
 * of order; the offset that may be committed is the lowest offset still in flight (or one past
 * the highest pulled when none is), so a crash never skips an unconsumed message.
 *
 * What is in flight also drives pull flow control: how many messages, how many body bytes, and
 * the span from the lowest to the highest offset in flight (one stuck message holds back the
 * commit of everything after it, and a crash redelivers all of that).
 *
 * Offsets arrive in increasing order, so in-flight offsets are an append-only array with a head
 * index plus a map of the body size of each one not yet finished: put and remove are O(1) amortized.
 */
export class ProcessQueue {
  readonly mq: MessageQueue;
  /** Set when the queue was reassigned or the consumer stopped: results are then ignored. */
  dropped = false;
  /** Queue offset the next pull asks for. */
  nextOffset: number;
  /** When the last pull answered and the last batch was consumed (ConsumerRunningInfo). */
  lastPullTimestamp = Date.now();
  lastConsumeTimestamp = Date.now();
  /** Orderly consumers: whether this client holds the queue's broker lock, and since when. */
  locked = false;
  lastLockTimestamp = 0;
  private offsets: number[] = [];
  private head = 0;
  /** Offset -> message, for messages pulled and not yet consumed (its body length counts in `bytes`). */
  private readonly inFlight = new Map<number, MessageExt>();
  private bytes = 0;
  private maxOffset = -1;

  constructor(mq: MessageQueue, nextOffset: number) {
    this.mq = mq;
    this.nextOffset = nextOffset;
  }

  /** Messages pulled and not yet consumed. */
  get count(): number {
    return this.inFlight.size;
  }

  /** Body bytes of the messages pulled and not yet consumed. */
  get size(): number {
    return this.bytes;
  }

  /** Lowest and highest offset in flight; 0 when nothing is (ProcessQueueInfo's cachedMsgMin/MaxOffset). */
  get minOffset(): number {
    return this.inFlight.size === 0 ? 0 : this.offsets[this.head]!;
  }

  get maxInFlight(): number {
    return this.inFlight.size === 0 ? 0 : this.maxOffset;
  }

  /** Highest minus lowest offset in flight (getMaxSpan); 0 when nothing is. */
  get span(): number {
    return this.inFlight.size === 0 ? 0 : this.maxOffset - this.offsets[this.head]!;
  }

  /**
   * Adds pulled messages; returns those that were new. An offset at or below one already pulled
   * is not tracked again, so it must not be consumed again either.
   */
  put(msgs: readonly MessageExt[]): MessageExt[] {
    const added: MessageExt[] = [];
    for (const m of msgs) {
      if (m.queueOffset <= this.maxOffset) continue;
      this.offsets.push(m.queueOffset);
      this.inFlight.set(m.queueOffset, m);
      this.bytes += m.body.length;
      this.maxOffset = m.queueOffset;
      added.push(m);
    }
    return added;
  }

  /** The listener was handed these messages now (MessageAccessor.setConsumeStartTimeStamp): a field, no allocation. */
  consumeStarted(msgs: readonly MessageExt[], now = Date.now()): void {
    for (const m of msgs) m.consumeStartTime = now;
  }

  /**
   * The oldest messages still in flight whose listener call began more than `timeoutMs` ago, at
   * most `max`, stopping at the first that is younger (ProcessQueue.cleanExpiredMsg): a hung
   * listener must not hold the queue's committed offset back for ever.
   */
  expired(timeoutMs: number, now = Date.now(), max = 16): MessageExt[] {
    const out: MessageExt[] = [];
    for (let i = this.head; i < this.offsets.length && out.length < max; i++) {
      const m = this.inFlight.get(this.offsets[i]!);
      if (!m) continue;
      if (!m.consumeStartTime || now - m.consumeStartTime <= timeoutMs) break;
      out.push(m);
    }
    return out;
  }

  /**
   * Pull flow control (DefaultMQPushConsumerImpl.pullMessage): without it a slow or stuck
   * listener lets pulled messages, and with them memory and the redelivery after a crash, grow
   * without bound. The span limit only applies to concurrent consumption, where one stuck
   * message holds back the commit of everything after it.
   */
  overLimits(cfg: { pullThresholdForQueue: number; pullThresholdSizeForQueue: number; consumeConcurrentlyMaxSpan: number }, orderly: boolean): boolean {
    if (this.count >= cfg.pullThresholdForQueue || this.size > cfg.pullThresholdSizeForQueue * 1024 * 1024) return true;
    return !orderly && this.span > cfg.consumeConcurrentlyMaxSpan;
  }

  /** Marks messages consumed; returns the offset to commit, or -1 if nothing was ever pulled. */
  remove(msgs: readonly MessageExt[]): number {
    if (this.maxOffset < 0) return -1;
    for (const m of msgs) {
      const held = this.inFlight.get(m.queueOffset);
      if (held === undefined) continue;
      this.inFlight.delete(m.queueOffset);
      this.bytes -= held.body.length;
    }
    while (this.head < this.offsets.length && !this.inFlight.has(this.offsets[this.head]!)) this.head++;
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.head = 0;
    }
    return this.head < this.offsets.length ? this.offsets[this.head]! : this.maxOffset + 1;
  }
}
