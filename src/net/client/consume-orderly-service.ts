import type { Logger } from '../logger.js';
import { errorMessage } from './errors.js';
import type { MessageExt } from './message.js';
import type { MessageQueue } from './message-queue.js';
import type { ProcessQueue } from './process-queue.js';
import { lockAlive } from './queue-locks.js';
import { Pauses } from './pauses.js';

/** ConsumeOrderlyStatus (ROLLBACK and COMMIT are deprecated in RocketMQ and not offered). */
export type ConsumeOrderlyStatus = 'SUCCESS' | 'SUSPEND_CURRENT_QUEUE_A_MOMENT';

export interface ConsumeOrderlyContext {
  readonly mq: MessageQueue;
  /** How long the queue waits before the batch is tried again after SUSPEND (-1: the consumer's suspendCurrentQueueTimeMillis). */
  suspendCurrentQueueTimeMillis: number;
}

/** Returning nothing (or resolving) means SUCCESS; throwing means SUSPEND_CURRENT_QUEUE_A_MOMENT. */
export type MessageListenerOrderly = (msgs: MessageExt[], ctx: ConsumeOrderlyContext) => ConsumeOrderlyStatus | void | Promise<ConsumeOrderlyStatus | void>;

export interface OrderlyDeps {
  group: string;
  batchMaxSize: number;
  suspendMs: number;
  /** Local attempts before a message goes to the DLQ; -1 = never (RocketMQ: Integer.MAX_VALUE for orderly). */
  maxReconsumeTimes: number;
  /** Clustering: consume only while this client holds the queue's broker lock. */
  needLock: boolean;
  logger: Logger;
  listener: MessageListenerOrderly;
  /** Sends a message that used up its attempts to the retry topic, from where the broker moves it to the DLQ. */
  sendToDlq(msg: MessageExt): Promise<void>;
  settled(pq: ProcessQueue, msgs: MessageExt[]): void;
  consumed?(pq: ProcessQueue, msgs: MessageExt[], ok: boolean, rtMs: number, thrown: boolean): void;
}

/** How long a queue whose lock lapsed waits before it looks again (tryLockLaterAndReconsume). */
const RELOCK_WAIT_MS = 100;

interface QueueState {
  waiting: MessageExt[];
  running: Promise<void> | null;
}

/**
 * ConsumeMessageOrderlyService: each queue's messages are handed to the listener one batch at a
 * time, in queue order; the next batch waits for the answer. SUSPEND (or a throw) keeps the batch
 * at the head of its queue and tries it again after a pause, counting attempts in
 * reconsumeTimes; past maxReconsumeTimes a message goes to the DLQ instead and the queue moves
 * on. Under clustering a queue is consumed only while its broker lock is alive, so two members
 * never run one queue's messages at the same time.
 */
export class OrderlyConsumeService {
  private readonly queues = new Map<ProcessQueue, QueueState>();
  private readonly pauses = new Pauses();
  private running = true;

  constructor(private readonly d: OrderlyDeps) {}

  submit(pq: ProcessQueue, msgs: MessageExt[]): void {
    let s = this.queues.get(pq);
    if (!s) {
      s = { waiting: [], running: null };
      this.queues.set(pq, s);
    }
    s.waiting.push(...msgs);
    if (!s.running) {
      const state = s;
      state.running = this.drain(pq, state).finally(() => {
        state.running = null;
        if (pq.dropped) this.queues.delete(pq);
      });
    }
  }

  /** Resolves when the queue's batch in hand (if any) is answered: before its lock is given up. */
  idle(pq: ProcessQueue): Promise<void> {
    return this.queues.get(pq)?.running ?? Promise.resolve();
  }

  /** Stops taking batches; waits up to `awaitMs` for those in hand. */
  async stop(awaitMs: number): Promise<void> {
    this.running = false;
    this.pauses.wakeAll();
    const busy = [...this.queues.values()].map((s) => s.running).filter((p): p is Promise<void> => p !== null);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(busy), new Promise<void>((r) => (timer = setTimeout(r, awaitMs)))]);
    clearTimeout(timer);
    this.queues.clear();
  }

  private async drain(pq: ProcessQueue, s: QueueState): Promise<void> {
    while (this.running && !pq.dropped && s.waiting.length > 0) {
      if (this.d.needLock && !lockAlive(pq)) {
        await this.pauses.pause(RELOCK_WAIT_MS);
        continue;
      }
      const batch = s.waiting.slice(0, Math.max(1, this.d.batchMaxSize));
      const ctx: ConsumeOrderlyContext = { mq: pq.mq, suspendCurrentQueueTimeMillis: -1 };
      const began = Date.now();
      let ok: boolean;
      let thrown = false;
      try {
        const status = await this.d.listener(batch, ctx);
        ok = status === undefined || status === 'SUCCESS';
      } catch (err) {
        this.d.logger.warn('consumer %s orderly listener failed on %s:%d: %s', this.d.group, pq.mq.topic, pq.mq.queueId, errorMessage(err));
        ok = false;
        thrown = true;
      }
      this.d.consumed?.(pq, batch, ok, Date.now() - began, thrown);
      if (pq.dropped) return;
      if (ok || (await this.giveUpOn(batch))) {
        s.waiting.splice(0, batch.length);
        this.d.settled(pq, batch);
        continue;
      }
      await this.pauses.pause(ctx.suspendCurrentQueueTimeMillis >= 0 ? ctx.suspendCurrentQueueTimeMillis : this.d.suspendMs);
    }
  }

  /**
   * checkReconsumeTimes: messages past their attempts go to the DLQ; true when all of the batch
   * went (the queue moves on). Otherwise every message not sent counts one more attempt.
   */
  private async giveUpOn(batch: MessageExt[]): Promise<boolean> {
    const max = this.d.maxReconsumeTimes;
    let suspend = false;
    for (const m of batch) {
      if (max >= 0 && m.reconsumeTimes >= max) {
        try {
          await this.d.sendToDlq(m);
          continue;
        } catch (err) {
          this.d.logger.warn('sending %s to the DLQ of %s failed, trying it again here: %s', m.msgId, this.d.group, errorMessage(err));
        }
      }
      m.reconsumeTimes++;
      suspend = true;
    }
    return !suspend;
  }
}
