import type { MessageFilter } from '../../store/index.js';
import type { Logger } from '../logger.js';

/** A pull parked until a message it can use arrives or its suspend time runs out. */
interface HeldPull {
  readonly topic: string;
  readonly queueId: number;
  readonly offset: number;
  readonly filter: MessageFilter;
  readonly deadline: number;
  readonly replay: () => void;
  timer: NodeJS.Timeout | null;
  done: boolean;
}

export interface LongPollingOptions {
  longPollingEnable: boolean;
  shortPollingTimeMills: number;
  /** Cap on a request's suspendTimeoutMillis. */
  maxSuspendMillis: number;
  /** Safety-net scan period (RocketMQ's hold thread wakes every 5 s). */
  checkIntervalMillis?: number;
  getMaxOffset(topic: string, queueId: number): number;
  logger: Logger;
}

/**
 * RocketMQ's PullRequestHoldService. A pull that finds nothing and carries the SUSPEND flag is
 * parked under `<topic>@<queueId>`; the store's message-arriving listener wakes it as soon as a
 * message past its offset whose tag the filter accepts is dispatched, and a timer replays it when
 * its suspend time ends (the replay answers PULL_NOT_FOUND then). With longPollingEnable=false
 * requests wait shortPollingTimeMills and arrivals do not wake them. Replays run on a later tick,
 * never inside the store's dispatch callback. Single-threaded (event loop).
 */
export class PullRequestHoldService {
  /** topic -> queueId -> parked pulls (nested, so the per-message lookup builds no key string). */
  private readonly held = new Map<string, Map<number, HeldPull[]>>();
  private readonly pending = new Set<HeldPull>();
  private flushScheduled = false;
  private scanTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Periodic checks run so far (tests tell an arrival wake-up from a check's). */
  scans = 0;

  constructor(private readonly opts: LongPollingOptions) {}

  start(): void {
    const every = this.opts.checkIntervalMillis ?? (this.opts.longPollingEnable ? 5000 : this.opts.shortPollingTimeMills);
    this.scanTimer = setInterval(() => this.scan(), every);
    this.scanTimer.unref();
  }

  get size(): number {
    let n = 0;
    for (const queues of this.held.values()) for (const list of queues.values()) n += list.length;
    return n;
  }

  /** Parks a pull; `replay` re-executes it (without suspending again) and sends its response. */
  suspend(topic: string, queueId: number, offset: number, filter: MessageFilter, suspendMillis: number, replay: () => void): void {
    if (this.stopped) {
      replay();
      return;
    }
    const wait = this.opts.longPollingEnable
      ? Math.max(0, Math.min(suspendMillis, this.opts.maxSuspendMillis))
      : this.opts.shortPollingTimeMills;
    const h: HeldPull = { topic, queueId, offset, filter, deadline: Date.now() + wait, replay, timer: null, done: false };
    let queues = this.held.get(topic);
    if (!queues) this.held.set(topic, (queues = new Map()));
    const list = queues.get(queueId);
    if (list) list.push(h);
    else queues.set(queueId, [h]);
    h.timer = setTimeout(() => this.wake(h), wait);
  }

  /**
   * The store's MessageArrivingListener: `nextQueueOffset` is the queue's new max offset. A
   * `tagsCode` of undefined (periodic scan) wakes every request behind the max offset.
   */
  notifyMessageArriving(topic: string, queueId: number, nextQueueOffset: number, tagsCode?: number): void {
    // Called for every stored message: stay allocation-free when no pull is parked.
    if (this.held.size === 0 || (!this.opts.longPollingEnable && tagsCode !== undefined)) return;
    const list = this.held.get(topic)?.get(queueId);
    if (!list) return;
    // Backwards: wake() removes the entry at i.
    for (let i = list.length - 1; i >= 0; i--) {
      const h = list[i]!;
      if (h.done || nextQueueOffset <= h.offset) continue;
      if (tagsCode !== undefined && !h.filter.isMatchedByConsumeQueue(tagsCode)) continue;
      this.wake(h);
    }
  }

  /** Answers every parked pull now (graceful shutdown) and stops parking new ones. */
  shutdown(): void {
    this.stopped = true;
    if (this.scanTimer) clearInterval(this.scanTimer);
    for (const queues of [...this.held.values()]) for (const list of [...queues.values()]) for (const h of [...list]) this.wake(h);
    this.flush();
  }

  private scan(): void {
    this.scans++;
    for (const [topic, queues] of [...this.held]) {
      for (const queueId of [...queues.keys()]) {
        let max: number;
        try {
          max = this.opts.getMaxOffset(topic, queueId);
        } catch (e) {
          this.opts.logger.warn(`long polling scan of ${topic}@${queueId} failed: ${(e as Error).message}`);
          continue;
        }
        this.notifyMessageArriving(topic, queueId, max);
      }
    }
  }

  private wake(h: HeldPull): void {
    if (h.done) return;
    h.done = true;
    if (h.timer) clearTimeout(h.timer);
    const queues = this.held.get(h.topic);
    const list = queues?.get(h.queueId);
    if (queues && list) {
      const i = list.indexOf(h);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) queues.delete(h.queueId);
      if (queues.size === 0) this.held.delete(h.topic);
    }
    this.pending.add(h);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = [...this.pending];
    this.pending.clear();
    for (const h of batch) {
      try {
        h.replay();
      } catch (e) {
        this.opts.logger.error(`replaying a held pull on ${h.topic}@${h.queueId} failed: ${(e as Error).message}`);
      }
    }
  }
}
