import { PROPERTY } from '../../store/index.js';
import type { Logger } from '../logger.js';
import type { MessageExt } from './message.js';
import type { MessageQueue } from './message-queue.js';
import type { ProcessQueue } from './process-queue.js';
import { isRetryTopic } from './names.js';
import { errorMessage } from './errors.js';

/**
 * Concurrent consumption for a push consumer (ConsumeMessageConcurrentlyService): pulled messages
 * are cut into batches of consumeMessageBatchMaxSize and handed to the listener, at most
 * `concurrency` batches at a time across all queues. A batch that fails (the listener throws or
 * answers RECONSUME_LATER) is sent back to the broker's retry topic for later redelivery; if even
 * that fails it is consumed again here after a delay. Either way its offsets are released only
 * once it is settled, so the committed offset never passes an unsettled message.
 */
export type ConsumeStatus = 'CONSUME_SUCCESS' | 'RECONSUME_LATER';

export interface ConsumeContext {
  readonly mq: MessageQueue;
  /** Delay level of the redelivery if this batch fails: 0 = the broker's choice (3 + reconsumeTimes), -1 = DLQ. */
  delayLevelWhenNextConsume: number;
}

/** Returning nothing (or resolving) means success; throwing means RECONSUME_LATER. */
export type MessageListener = (msgs: MessageExt[], ctx: ConsumeContext) => ConsumeStatus | void | Promise<ConsumeStatus | void>;

export interface ConsumeServiceDeps {
  group: string;
  concurrency: number;
  batchMaxSize: number;
  retryDelayMs: number;
  logger: Logger;
  listener: MessageListener;
  /** Sends one message back for redelivery; rejects if the broker did not take it. */
  sendBack(msg: MessageExt, delayLevel: number): Promise<void>;
  /** A batch settled: commit what the process queue now allows. */
  settled(pq: ProcessQueue, msgs: MessageExt[]): void;
  /** The listener answered for a batch (the consumer's RT and TPS figures, message traces); `thrown`: it threw. */
  consumed?(pq: ProcessQueue, msgs: MessageExt[], ok: boolean, rtMs: number, thrown: boolean): void;
}

interface Task {
  pq: ProcessQueue;
  msgs: MessageExt[];
}

export class ConsumeService {
  /**
   * Batches waiting for a slot, from qHead on. Taken slots are cleared and the array compacted
   * once most of it is taken: a consumer working through a backlog never sees it empty, and
   * the slots behind qHead would otherwise keep every consumed message (bodies included) alive.
   */
  private queue: (Task | undefined)[] = [];
  private qHead = 0;
  private running = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly d: ConsumeServiceDeps) {}

  /** Batches being consumed now. */
  get active(): number {
    return this.running;
  }

  submit(pq: ProcessQueue, msgs: MessageExt[]): void {
    if (this.stopped) return;
    const size = Math.max(1, this.d.batchMaxSize);
    for (let i = 0; i < msgs.length; i += size) this.queue.push({ pq, msgs: msgs.slice(i, i + size) });
    this.drain();
  }

  /**
   * Starts nothing more and resolves when nothing is being consumed, or after `timeoutMs`.
   * Batches still queued and pending retries are dropped (unsettled: redelivered later); batches
   * the listener is running now settle as usual, so their offsets can be committed at shutdown.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    this.qHead = 0;
    if (this.running === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private drain(): void {
    while (!this.stopped && this.running < this.d.concurrency && this.qHead < this.queue.length) {
      const task = this.queue[this.qHead]!;
      this.queue[this.qHead++] = undefined;
      if (this.qHead === this.queue.length) {
        this.queue.length = 0;
        this.qHead = 0;
      } else if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.qHead);
        this.qHead = 0;
      }
      if (task.pq.dropped) continue;
      this.running++;
      void this.run(task).finally(() => {
        this.running--;
        if (this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
        this.drain();
      });
    }
  }

  private async run(task: Task): Promise<void> {
    const { pq, msgs } = task;
    for (const m of msgs) {
      // Redelivered messages arrive on %RETRY%<group>: show them under their original topic.
      const origin = m.properties[PROPERTY.RETRY_TOPIC];
      if (origin !== undefined && isRetryTopic(m.topic)) m.topic = origin;
    }
    const ctx: ConsumeContext = { mq: pq.mq, delayLevelWhenNextConsume: 0 };
    let ok: boolean;
    let thrown = false;
    const began = Date.now();
    pq.consumeStarted(msgs, began);
    try {
      const status = await this.d.listener(msgs, ctx);
      ok = status === undefined || status === 'CONSUME_SUCCESS';
    } catch (err) {
      this.d.logger.warn('consumer %s listener failed on %s: %s', this.d.group, pq.mq.topic, errorMessage(err));
      ok = false;
      thrown = true;
    }
    this.d.consumed?.(pq, msgs, ok, Date.now() - began, thrown);
    if (pq.dropped) return;
    if (ok) {
      this.d.settled(pq, msgs);
      return;
    }
    const retryHere: MessageExt[] = [];
    const sentBack: MessageExt[] = [];
    await Promise.all(
      msgs.map((m) =>
        this.d.sendBack(m, ctx.delayLevelWhenNextConsume).then(
          () => sentBack.push(m),
          (err: unknown) => {
            this.d.logger.warn('send back of %s failed, consuming it again locally: %s', m.msgId, errorMessage(err));
            // Counted as a redelivery, as Java does, so a listener that gives up after N
            // attempts (by reconsumeTimes) still gets there while the broker refuses send-backs.
            m.reconsumeTimes++;
            retryHere.push(m);
          },
        ),
      ),
    );
    if (sentBack.length > 0) this.d.settled(pq, sentBack);
    if (retryHere.length > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.queue.push({ pq, msgs: retryHere });
        this.drain();
      }, this.d.retryDelayMs);
      this.timers.add(t);
    }
  }
}
