import { consoleLogger, type Logger } from '../logger.js';
import { CONSUMER_DEFAULTS, type ConsumerConfig, buildConfig } from './client-config.js';
import { ClientInstance, type ConsumerMember } from './client-instance.js';
import { ConsumeService, type MessageListener } from './consume-service.js';
import { errorMessage, illegalArgument } from './errors.js';
import type { MessageExt } from './message.js';
import { type MessageQueue, compareMessageQueue, mqKey } from './message-queue.js';
import { retryTopic } from './names.js';
import type { OffsetStore } from './offset-store.js';
import { offsetStoreFor } from './local-offset-store.js';
import { ProcessQueue } from './process-queue.js';
import { ConsumerStats } from './consumer-stats.js';
import { buildRunningInfo, processQueueInfo, type ConsumerRunningInfo } from './consumer-running-info.js';
import { PullAPI } from './pull-api.js';
import { ALLOCATE_STRATEGIES, type AllocateStrategy } from './rebalance.js';
import { PushRebalance } from './push-rebalance.js';
import { Namespace } from './namespace.js';
import type { TopicRouteData } from './route.js';
import { type MessageSelector, type SubscriptionData, buildSubscriptionData, subscriptionFromSelector } from './subscription.js';
import { checkGroup, checkTopic } from './validators.js';
import { checkClientInBroker } from './client-check.js';
import { ConsumerRetry } from './consumer-retry.js';
import { Pauses } from './pauses.js';
import { TraceDispatcher, traceConsume } from './trace-dispatcher.js';
import { consumeDirectly, type ConsumeMessageDirectlyResult } from './consume-directly.js';
import { OrderlyConsumeService, type MessageListenerOrderly } from './consume-orderly-service.js';
import { LOCK_RENEW_INTERVAL_MS, QueueLocks, lockAlive } from './queue-locks.js';

/**
 * A clustering push consumer (DefaultMQPushConsumer): the group's members split the queues of
 * each subscribed topic among themselves (rebalance every rebalanceInterval and whenever the
 * broker reports a membership change), run one long-polling pull loop per assigned queue, hand
 * the messages to the listener with bounded concurrency, and commit consumed offsets to the
 * broker. Failed messages go to the group's retry topic (%RETRY%<group>), which every member
 * also subscribes to. Delivery is at-least-once: a queue that moves between members mid-flight may
 * see a message twice. With an orderly listener each queue is consumed in order, one batch at a
 * time, by the member holding its lock on the broker (locked before it is pulled, renewed every
 * 20 s, given back when the queue moves or the consumer stops).
 */
export interface PushConsumerOptions extends Partial<ConsumerConfig> {
  logger?: Logger;
  /** Max time shutdown waits for batches being consumed (ours; Java awaitTerminationMillisWhenShutdown). */
  awaitTerminationMillisWhenShutdown?: number;
  /** A strategy object (setAllocateMessageQueueStrategy): by config, machine room, ...; wins over the named one. */
  allocateStrategy?: AllocateStrategy;
}

export class PushConsumer implements ConsumerMember {
  readonly config: ConsumerConfig;
  readonly group: string;
  readonly messageModel: string;
  readonly consumeFromWhere: string;
  readonly consumeType = 'CONSUME_PASSIVELY';
  private readonly logger: Logger;
  private readonly awaitTerminationMs: number;
  private readonly ns: Namespace;
  private readonly subs = new Map<string, SubscriptionData>();
  private readonly rebalance: PushRebalance;
  /** The rebalance's: queue key -> the process queue being pulled. */
  private readonly processQueues: Map<string, ProcessQueue>;
  /** suspend(): pull loops wait. */
  private suspended = false;
  private readonly stats = new ConsumerStats();
  private readonly tracer: TraceDispatcher | null;
  private startTimestamp = 0;
  private listener: MessageListener | null = null;
  private orderlyListener: MessageListenerOrderly | null = null;
  private instance: ClientInstance | null = null;
  private readonly retry: ConsumerRetry;
  private offsets: OffsetStore | null = null;
  private pullApi: PullAPI | null = null;
  private consumeService: ConsumeService | OrderlyConsumeService | null = null;
  /** Orderly clustering consumers lock their queues on the brokers. */
  private locks: QueueLocks | null = null;
  private rebalanceTimer: NodeJS.Timeout | null = null;
  private lockTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private running = false;
  /** The pull loops' waits: shutdown ends them, so no timer outlives the consumer. */
  private readonly pauses = new Pauses();

  constructor(opts: PushConsumerOptions = {}) {
    const { logger, awaitTerminationMillisWhenShutdown, allocateStrategy, ...cfg } = opts;
    this.logger = logger ?? consoleLogger('consumer', 'warn');
    this.awaitTerminationMs = awaitTerminationMillisWhenShutdown ?? 3000;
    this.config = buildConfig(CONSUMER_DEFAULTS, cfg, (m) => this.logger.warn(m));
    ({ consumerGroup: this.group, messageModel: this.messageModel, consumeFromWhere: this.consumeFromWhere } = this.config);
    this.ns = Namespace.of(this.config);
    this.rebalance = new PushRebalance({
      group: this.group, config: this.config, logger: this.logger, broadcasting: this.messageModel === 'BROADCASTING', subs: this.subs,
      allocate: allocateStrategy ?? ALLOCATE_STRATEGIES[this.config.allocateMessageQueueStrategy],
      instance: () => this.instance, running: () => this.running, offsets: () => this.offsets!, locks: () => this.locks,
      idle: (pq) => (this.consumeService as OrderlyConsumeService).idle(pq), startPull: (pq) => void this.pullLoop(pq),
    });
    this.processQueues = this.rebalance.processQueues;
    this.retry = new ConsumerRetry(() => this.instance, this.group, this.config, this.logger);
    this.tracer = this.config.enableMsgTrace ? new TraceDispatcher(this.config.customizedTraceTopic, this.config, this.logger) : null;
  }

  get clientId(): string | undefined {
    return this.instance?.clientId;
  }

  /** A tag expression (`*`, `TagA || TagB`), or a MessageSelector (MessageSelector.bySql for SQL92). */
  subscribe(raw: string, subExpression: string | MessageSelector = '*'): this {
    const topic = this.ns.wrap(checkTopic(raw));
    this.subs.set(topic, typeof subExpression === 'string' ? buildSubscriptionData(topic, subExpression) : subscriptionFromSelector(topic, subExpression));
    return this;
  }

  registerMessageListener(listener: MessageListener): this {
    this.listener = listener;
    this.orderlyListener = null;
    return this;
  }

  /**
   * Consumes each queue in order (MessageListenerOrderly): one batch at a time per queue, and,
   * under clustering, only while this member holds the queue's lock on its broker.
   */
  registerMessageListenerOrderly(listener: MessageListenerOrderly): this {
    this.orderlyListener = listener;
    this.listener = null;
    return this;
  }

  subscriptions(): SubscriptionData[] {
    return [...this.subs.values()];
  }

  /** ConsumerRunningInfo (GET_CONSUMER_RUNNING_INFO: mqadmin consumerStatus, the dashboard). */
  runningInfo(): ConsumerRunningInfo {
    const queues = [...this.processQueues.values()].map((pq) => ({ mq: pq.mq, info: processQueueInfo(pq) }));
    const { config, consumeType, startTimestamp } = this;
    return buildRunningInfo({ config, consumeType, startTimestamp, orderly: this.orderlyListener !== null, subscriptions: this.subscriptions(), queues, commitOffset: (mq) => this.offsets?.memoryOffset(mq) ?? -1, status: (t) => this.stats.status(t) });
  }

  offsetTable(topic: string): [MessageQueue, number][] {
    return this.offsets?.offsetTable(topic) ?? [];
  }

  /** An admin's CONSUME_MESSAGE_DIRECTLY: the listener runs once on `msg`, outside the pull flow. */
  consumeDirectly(msg: MessageExt, brokerName: string): Promise<ConsumeMessageDirectlyResult> {
    return consumeDirectly(this.orderlyListener ? { orderly: this.ns.deliver(this.orderlyListener) } : { concurrent: this.ns.deliver(this.listener!) }, msg, brokerName);
  }

  /** Queues this member consumes now, sorted. */
  assignedQueues(): MessageQueue[] {
    return [...this.processQueues.values()].map((pq) => pq.mq).sort(compareMessageQueue);
  }

  async start(): Promise<void> {
    if (this.instance) return;
    checkGroup(this.group);
    if (this.subs.size === 0) throw illegalArgument('no subscription: call subscribe() before start()');
    if (!this.listener && !this.orderlyListener) throw illegalArgument('no message listener: call registerMessageListener() before start()');
    // Broadcasting members keep their own progress and drop failures: no retry topic for them.
    const broadcasting = this.messageModel === 'BROADCASTING';
    const retry = retryTopic(this.group);
    if (!broadcasting && !this.subs.has(retry)) this.subs.set(retry, buildSubscriptionData(retry, '*'));
    const inst = ClientInstance.join(this.config, this.logger, (i) => i.registerConsumer(this));
    this.instance = inst;
    this.startTimestamp = Date.now();
    this.offsets = offsetStoreFor(inst, this.config, this.logger);
    this.pullApi = new PullAPI(inst, this.group);
    const consumed = (pq: ProcessQueue, msgs: MessageExt[], ok: boolean, rtMs: number, thrown: boolean): void => {
      pq.lastConsumeTimestamp = Date.now();
      this.stats.consumed(pq.mq.topic, rtMs, msgs.length, ok);
      if (this.tracer) traceConsume(this.tracer, this.group, msgs, ok, thrown, rtMs);
    };
    // As Java: a dropped queue's late batches commit nothing. Its queue was given away, or
    // restarted at another offset (a reset), which their commits would undo.
    const settled = (pq: ProcessQueue, msgs: MessageExt[]): void => {
      const commit = pq.remove(msgs);
      if (commit >= 0 && !pq.dropped) this.offsets!.updateOffset(pq.mq, commit, true);
    };
    const { consumeMessageBatchMaxSize: batchMaxSize, suspendCurrentQueueTimeMillis: suspendMs } = this.config;
    if (this.orderlyListener) {
      const needLock = this.messageModel === 'CLUSTERING';
      if (needLock) this.locks = new QueueLocks(inst, this.group, this.logger);
      this.consumeService = new OrderlyConsumeService({
        group: this.group, batchMaxSize, suspendMs, maxReconsumeTimes: this.config.maxReconsumeTimes, needLock, logger: this.logger,
        listener: this.ns.deliver(this.orderlyListener), sendToDlq: (m) => this.retry.sendToDlq(m), settled, consumed,
      });
    } else {
      this.consumeService = new ConsumeService({
        group: this.group, concurrency: this.config.consumeThreadMax, batchMaxSize, retryDelayMs: suspendMs, logger: this.logger,
        listener: this.ns.deliver(this.listener!), settled, consumed,
        // As Java: a broadcasting member's failures are logged and dropped, never redelivered.
        sendBack: broadcasting ? async (m) => this.logger.warn('BROADCASTING, the message consume failed, drop it, %s', m.msgId) : (m, level) => this.retry.sendBack(m, level),
      });
    }
    this.running = true;
    for (const topic of this.subs.keys()) {
      // The retry topic does not exist until the first send-back: TOPIC_NOT_EXIST is expected.
      await inst.updateTopicRoute(topic).catch((err: unknown) => this.logger.warn('route of %s: %s', topic, (err as Error).message));
    }
    try {
      await checkClientInBroker(inst, this.group, this.subs.values());
    } catch (err) {
      await this.shutdown();
      throw err;
    }
    await inst.sendHeartbeatToAllBrokers();
    this.rebalanceTimer = setInterval(() => void inst.rebalanceNow(), this.config.rebalanceInterval);
    this.rebalanceTimer.unref();
    const locks = this.locks;
    if (locks) {
      this.lockTimer = setInterval(() => void locks.lockAll(this.processQueues.values()), LOCK_RENEW_INTERVAL_MS);
      this.lockTimer.unref();
    } else if (!this.orderlyListener) {
      const timeoutMs = this.config.consumeTimeout * 60_000;
      this.expiryTimer = setInterval(() => void this.retry.sendBackExpired([...this.processQueues.values()], timeoutMs, settled), timeoutMs);
      this.expiryTimer.unref();
    }
    await inst.rebalanceNow();
  }

  async shutdown(): Promise<void> {
    const inst = this.instance;
    if (!inst) return;
    // Pull loops stop on `running`; queues are not dropped yet, because a dropped queue's results
    // are discarded and the batches finishing during the wait below must still commit their
    // offsets (Java shuts the consume service down before persistConsumerOffset, then destroys
    // the rebalance). Dropping first made every clean shutdown redeliver what was just consumed.
    this.running = false;
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer);
    if (this.lockTimer) clearInterval(this.lockTimer);
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.pauses.wakeAll();
    await this.consumeService!.stop(this.awaitTerminationMs);
    for (const pq of this.processQueues.values()) pq.dropped = true;
    await this.offsets!.persistAll([...this.processQueues.values()].map((pq) => pq.mq), false);
    // Orderly: let the queues go now rather than when the broker's locks expire (unlockAllMQ).
    const locks = this.locks;
    if (locks) await Promise.all([...this.processQueues.values()].map((pq) => locks.unlock(pq.mq)));
    this.processQueues.clear();
    this.instance = null;
    await inst.unregister('consumer', this.group);
    await inst.release();
    await Promise.all([this.retry.shutdown(), this.tracer?.shutdown()]);
  }

  /** New queues of a subscribed topic (e.g. the retry topic appearing) are taken up at once, not at the next period. */
  onRouteChanged(topic: string, route: TopicRouteData): void {
    if (this.rebalance.onRouteChanged(topic, route) && this.running) setImmediate(() => void this.instance?.rebalanceNow());
  }

  async persistOffsets(): Promise<void> {
    if (!this.offsets) return;
    await this.offsets.persistAll([...this.processQueues.values()].map((pq) => pq.mq), true);
  }

  doRebalance(): Promise<void> {
    return this.rebalance.doRebalance();
  }

  /** Stops pulling every queue (DefaultMQPushConsumer.suspend); what was pulled is still consumed. */
  suspend(): void {
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
    this.pauses.wakeAll();
  }

  /** Stops consuming a topic: its queues go at the next rebalance, their offsets committed. */
  unsubscribe(raw: string): void {
    this.subs.delete(this.ns.wrap(raw));
    if (this.running) void this.instance?.rebalanceNow();
  }

  private async pullLoop(pq: ProcessQueue): Promise<void> {
    const sub = this.subs.get(pq.mq.topic)!;
    const cfg = this.config;
    while (!pq.dropped && this.running) {
      if (this.suspended || pq.overLimits(this.config, this.orderlyListener !== null)) {
        await this.pause(this.suspended ? SUSPEND_DELAY_MS : FLOW_CONTROL_DELAY_MS);
        continue;
      }
      if (this.locks && !lockAlive(pq)) {
        // Lost (a broker restart, a renewal that failed): pull again once it is ours again.
        await this.pause(NOT_LOCKED_DELAY_MS);
        if (!pq.dropped && this.running) await this.locks.lock(pq);
        continue;
      }
      let result;
      const began = Date.now();
      try {
        const commitOffset = await this.offsets!.readOffset(pq.mq, 'READ_FROM_MEMORY');
        result = await this.pullApi!.pull(pq.mq, sub, pq.nextOffset, cfg.pullBatchSize, {
          commitOffset: commitOffset > 0 ? commitOffset : undefined,
          suspendTimeoutMs: cfg.brokerSuspendMaxTimeMillis,
          timeoutMs: cfg.consumerTimeoutMillisWhenSuspend,
          postSubscription: cfg.postSubscriptionWhenPull,
        });
      } catch (err) {
        if (pq.dropped || !this.running) break;
        this.logger.warn('pull %s:%d failed: %s', pq.mq.topic, pq.mq.queueId, (err as Error).message);
        await this.pause(cfg.pullTimeDelayMillsWhenException);
        continue;
      }
      if (pq.dropped || !this.running) break;
      pq.lastPullTimestamp = Date.now();
      this.stats.pulled(pq.mq.topic, pq.lastPullTimestamp - began, result.msgFoundList.length);
      pq.nextOffset = result.nextBeginOffset;
      if (result.pullStatus === 'FOUND' && result.msgFoundList.length > 0) {
        const fresh = pq.put(result.msgFoundList);
        if (fresh.length > 0) this.consumeService!.submit(pq, fresh);
      } else if (result.pullStatus === 'OFFSET_ILLEGAL') {
        this.logger.warn('pull %s:%d: offset illegal, moving to %d', pq.mq.topic, pq.mq.queueId, result.nextBeginOffset);
        await this.restartAt(pq, result.nextBeginOffset);
        break;
      } else if (pq.count === 0) {
        // Nothing in flight: skipped (filtered) offsets may be committed (correctTagsOffset).
        this.offsets!.updateOffset(pq.mq, result.nextBeginOffset, true);
      }
      if (cfg.pullInterval > 0) await this.pause(cfg.pullInterval);
    }
  }

  /**
   * An admin's reset by time, relayed by the broker: each queue this consumer pulls starts over
   * at its new offset (a fresh process queue, as for an illegal offset), and the new offsets are
   * committed at once so a rebalance elsewhere starts from them too. Queues it does not own are
   * left to the members that do, which got the same table.
   */
  async resetOffsets(topic: string, offsets: readonly (readonly [MessageQueue, number])[]): Promise<void> {
    if (!this.running) return;
    for (const [mq, offset] of offsets) {
      const pq = this.processQueues.get(mqKey(mq));
      if (mq.topic === topic && pq) await this.restartAt(pq, offset);
    }
  }

  /**
   * A queue whose offset the broker rejected (its consume queue was truncated, deleted and
   * recreated, or the store replaced) starts over at the broker's offset with a fresh process
   * queue, as Java drops it and lets the rebalance create a new one. Reusing it would mix the old
   * offsets still in flight with the new range: messages at or below the highest offset pulled
   * before were taken for already pulled, and the commit jumped past messages never consumed.
   */
  private async restartAt(pq: ProcessQueue, offset: number): Promise<void> {
    pq.dropped = true;
    this.offsets!.updateOffset(pq.mq, offset, false);
    await this.offsets!.persist(pq.mq).catch((err: unknown) => this.logger.warn('persist offset of %s failed: %s', mqKey(pq.mq), errorMessage(err)));
    const key = mqKey(pq.mq);
    // Unless a rebalance took the queue away meanwhile.
    if (!this.running || this.processQueues.get(key) !== pq) return;
    const next = new ProcessQueue(pq.mq, offset);
    // Orderly: the broker lock is this client's still; the fresh queue keeps it.
    [next.locked, next.lastLockTimestamp] = [pq.locked, pq.lastLockTimestamp];
    this.processQueues.set(key, next);
    void this.pullLoop(next);
  }

  private pause(ms: number): Promise<void> {
    return this.running ? this.pauses.pause(ms) : Promise.resolve();
  }
}

/** Java's PULL_TIME_DELAY_MILLS_WHEN_FLOW_CONTROL. */
const FLOW_CONTROL_DELAY_MS = 50;
/** Java's PULL_TIME_DELAY_MILLS_WHEN_SUSPEND (resume() wakes the loops at once). */
const SUSPEND_DELAY_MS = 1000;
/** How long a queue whose lock is not held waits before it asks again (Java: 3 s). */
const NOT_LOCKED_DELAY_MS = 3000;

