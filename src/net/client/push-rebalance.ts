import type { Logger } from '../logger.js';
import type { ClientInstance } from './client-instance.js';
import type { ConsumerConfig } from './client-config.js';
import { errorMessage } from './errors.js';
import { type MessageQueue, mqKey } from './message-queue.js';
import { isRetryTopic } from './names.js';
import type { OffsetStore } from './offset-store.js';
import { ProcessQueue } from './process-queue.js';
import type { QueueLocks } from './queue-locks.js';
import { type AllocateStrategy, shareOfTopic } from './rebalance.js';
import { type TopicRouteData, subscribeQueues } from './route.js';
import { resolveStartOffset } from './start-offset.js';
import type { SubscriptionData } from './subscription.js';

/** What a push consumer lends its rebalance. */
export interface PushRebalanceDeps {
  group: string;
  config: ConsumerConfig;
  logger: Logger;
  broadcasting: boolean;
  allocate: AllocateStrategy;
  subs: ReadonlyMap<string, SubscriptionData>;
  instance(): ClientInstance | null;
  running(): boolean;
  offsets(): OffsetStore;
  /** Orderly clustering consumers hold broker locks on their queues. */
  locks(): QueueLocks | null;
  /** Resolves once the queue's batch in hand is answered (orderly: before its lock goes). */
  idle(pq: ProcessQueue): Promise<void>;
  /** Starts the pull loop of a queue just taken. */
  startPull(pq: ProcessQueue): void;
}

/**
 * RebalancePushImpl: which queues of each subscribed topic this member holds, and the process
 * queue of each. A rebalance asks, topic by topic, for the member's share (every queue when
 * broadcasting), lets go of queues no longer its own (offsets committed first, orderly locks
 * released once the batch in hand is answered) and takes up new ones at their start offsets.
 * Queues of topics no longer subscribed go too (truncateMessageQueueNotMyTopic).
 */
export class PushRebalance {
  readonly processQueues = new Map<string, ProcessQueue>();
  private readonly subscribeInfo = new Map<string, MessageQueue[]>();

  constructor(private readonly d: PushRebalanceDeps) {}

  /** Records a subscribed topic's queues; true when they changed (the caller rebalances at once). */
  onRouteChanged(topic: string, route: TopicRouteData): boolean {
    if (!this.d.subs.has(topic)) return false;
    const before = (this.subscribeInfo.get(topic) ?? []).map(mqKey).join();
    const queues = subscribeQueues(topic, route);
    this.subscribeInfo.set(topic, queues);
    return queues.map(mqKey).join() !== before;
  }

  async doRebalance(): Promise<void> {
    const inst = this.d.instance();
    if (!inst || !this.d.running()) return;
    // Each topic on its own, as RebalanceImpl.doRebalance: the consumer list comes from a broker
    // of that topic, and one topic whose broker is unreachable must not leave the others'
    // queues unassigned (or held by a member that should have let them go).
    for (const sub of this.d.subs.values()) {
      await this.rebalanceTopic(inst, sub.topic).catch((err: unknown) => {
        if (!isRetryTopic(sub.topic)) this.d.logger.warn('rebalance of %s on %s failed: %s', this.d.group, sub.topic, errorMessage(err));
      });
    }
    for (const [key, pq] of [...this.processQueues]) if (!this.d.subs.has(pq.mq.topic)) await this.letGo(key, pq);
    this.spreadTopicThresholds();
  }

  /**
   * RebalancePushImpl.messageQueueChanged: topic-level flow control limits become per-queue ones,
   * shared over every queue held (as Java divides, whatever their topics).
   */
  private spreadTopicThresholds(): void {
    const n = this.processQueues.size;
    const cfg = this.d.config;
    if (n === 0) return;
    if (cfg.pullThresholdForTopic !== -1) cfg.pullThresholdForQueue = Math.max(1, Math.floor(cfg.pullThresholdForTopic / n));
    if (cfg.pullThresholdSizeForTopic !== -1) cfg.pullThresholdSizeForQueue = Math.max(1, Math.floor(cfg.pullThresholdSizeForTopic / n));
  }

  private async rebalanceTopic(inst: ClientInstance, topic: string): Promise<void> {
    const queues = this.subscribeInfo.get(topic) ?? [];
    if (queues.length === 0 && !isRetryTopic(topic)) this.d.logger.warn('doRebalance %s: no route for topic %s', this.d.group, topic);
    const mine = await shareOfTopic(inst, this.d.group, topic, queues, this.d.broadcasting, this.d.allocate);
    if (mine) await this.updateAssignment(topic, mine);
  }

  /** Drops queues no longer ours (committing their offsets first) and starts pulling new ones. */
  private async updateAssignment(topic: string, mine: readonly MessageQueue[]): Promise<void> {
    const want = new Set(mine.map(mqKey));
    for (const [key, pq] of [...this.processQueues]) if (pq.mq.topic === topic && !want.has(key)) await this.letGo(key, pq);
    const locks = this.d.locks();
    for (const mq of mine) {
      const key = mqKey(mq);
      if (this.processQueues.has(key)) continue;
      const pq = new ProcessQueue(mq, -1);
      // Orderly: a queue is taken only once locked, and its offset read after that, since the
      // member that held it before may have committed more meanwhile.
      if (locks && !(await locks.lock(pq))) {
        this.d.logger.warn('doRebalance %s: %s not taken, its lock is held by another member', this.d.group, key);
        continue;
      }
      let offset: number;
      try {
        offset = await resolveStartOffset(this.d.instance()!, this.d.offsets(), mq, this.d.config);
      } catch (err) {
        this.d.logger.warn('start offset of %s unknown, retrying at next rebalance: %s', key, errorMessage(err));
        continue;
      }
      if (!this.d.running() || this.processQueues.has(key)) continue;
      pq.nextOffset = offset;
      this.processQueues.set(key, pq);
      this.d.startPull(pq);
    }
  }

  private async letGo(key: string, pq: ProcessQueue): Promise<void> {
    pq.dropped = true;
    this.processQueues.delete(key);
    const offsets = this.d.offsets();
    await offsets.persist(pq.mq).catch((err: unknown) => this.d.logger.warn('persist offset of %s failed: %s', key, errorMessage(err)));
    offsets.removeOffset(pq.mq);
    // Orderly: the lock goes once the batch in hand is answered, so two members never run it at once.
    const locks = this.d.locks();
    if (locks) void this.d.idle(pq).then(() => locks.unlock(pq.mq));
  }
}
