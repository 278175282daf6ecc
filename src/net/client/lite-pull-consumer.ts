import { consoleLogger, type Logger } from '../logger.js';
import { CONSUMER_DEFAULTS, type ConsumerConfig, buildConfig } from './client-config.js';
import { ClientInstance, type ConsumerMember } from './client-instance.js';
import { MQClientError, errorMessage, illegalArgument } from './errors.js';
import type { MessageExt } from './message.js';
import { type MessageQueue, compareMessageQueue, mqKey } from './message-queue.js';
import { offsetStoreFor } from './local-offset-store.js';
import type { OffsetStore } from './offset-store.js';
import { Pauses } from './pauses.js';
import { ProcessQueue } from './process-queue.js';
import { PullAPI } from './pull-api.js';
import { ALLOCATE_STRATEGIES, type AllocateStrategy, shareOfTopic } from './rebalance.js';
import { Namespace } from './namespace.js';
import { type TopicRouteData, subscribeQueues } from './route.js';
import { resolveStartOffset } from './start-offset.js';
import { type MessageSelector, type SubscriptionData, buildSubscriptionData, subscriptionFromSelector } from './subscription.js';
import { checkGroup, checkTopic } from './validators.js';

export interface LitePullConsumerOptions extends Partial<ConsumerConfig> {
  logger?: Logger;
  /** Commit what poll() returned every autoCommitIntervalMillis (DefaultLitePullConsumer: true, 5 s). */
  autoCommit?: boolean;
  autoCommitIntervalMillis?: number;
  /** How long poll() waits for messages by default (5 s). */
  pollTimeoutMillis?: number;
  /** Pulling pauses while this many messages wait to be polled, over all queues (10000). */
  pullThresholdForAll?: number;
  /** A strategy object (setAllocateMessageQueueStrategy); wins over the named one. */
  allocateStrategy?: AllocateStrategy;
}

/** One pull's messages, waiting for poll(). */
interface Batch {
  pq: ProcessQueue;
  msgs: MessageExt[];
}

/** Java's PULL_TIME_DELAY_MILLS_WHEN_PAUSE / _WHEN_FLOW_CONTROL. */
const PAUSE_DELAY_MS = 1000;
const FLOW_CONTROL_DELAY_MS = 50;

/**
 * DefaultLitePullConsumer (RocketMQ 4.6+): the application polls instead of registering a
 * listener. Queues come from `subscribe` (the group rebalances them among its members, as push
 * consumers do) or from `assign` (the application chooses; no rebalance). A long-polling pull
 * loop per queue fills a shared buffer; `poll` hands out one pull's messages and moves that queue's
 * offset past them in memory, and `commitSync` (or auto commit) writes offsets to the broker;
 * without auto commit, what was polled and not committed comes again after a restart.
 * `seek` moves a queue, `pause`/`resume` stop and restart its pulls.
 */
export class LitePullConsumer implements ConsumerMember {
  readonly config: ConsumerConfig;
  readonly group: string;
  readonly messageModel: string;
  readonly consumeFromWhere: string;
  readonly consumeType = 'CONSUME_ACTIVELY';
  private readonly logger: Logger;
  private readonly autoCommit: boolean;
  private readonly autoCommitIntervalMs: number;
  private readonly pollTimeoutMs: number;
  private readonly pullThresholdForAll: number;
  private readonly allocate: AllocateStrategy;
  /** Topics and queues given name no namespace, polled messages neither; the wire has it. */
  private readonly ns: Namespace;
  private readonly subs = new Map<string, SubscriptionData>();
  private readonly subscribeInfo = new Map<string, MessageQueue[]>();
  private assigned: MessageQueue[] | null = null;
  private readonly queues = new Map<string, ProcessQueue>();
  private readonly paused = new Set<string>();
  /** Per queue, the offset past what poll() handed out: committed only by commitSync / auto commit. */
  private readonly polled = new Map<string, { mq: MessageQueue; offset: number }>();
  private readonly buffer: Batch[] = [];
  private buffered = 0;
  /** poll() waiting for messages: a pull that found some wakes it. */
  private readonly pollWaits = new Pauses();
  private readonly pauses = new Pauses();
  private instance: ClientInstance | null = null;
  private offsets: OffsetStore | null = null;
  private pullApi: PullAPI | null = null;
  private rebalanceTimer: NodeJS.Timeout | null = null;
  private lastCommit = Date.now();
  private running = false;

  constructor(opts: LitePullConsumerOptions = {}) {
    const { logger, autoCommit, autoCommitIntervalMillis, pollTimeoutMillis, pullThresholdForAll, allocateStrategy, ...cfg } = opts;
    this.logger = logger ?? consoleLogger('lite-pull', 'warn');
    // Java's lite pull consumer pulls 10 at a time unless told otherwise.
    this.config = buildConfig(CONSUMER_DEFAULTS, { pullBatchSize: 10, ...cfg }, (m) => this.logger.warn(m));
    ({ consumerGroup: this.group, messageModel: this.messageModel, consumeFromWhere: this.consumeFromWhere } = this.config);
    this.autoCommit = autoCommit ?? true;
    this.autoCommitIntervalMs = autoCommitIntervalMillis ?? 5000;
    this.pollTimeoutMs = pollTimeoutMillis ?? 5000;
    this.pullThresholdForAll = pullThresholdForAll ?? 10_000;
    this.allocate = allocateStrategy ?? ALLOCATE_STRATEGIES[this.config.allocateMessageQueueStrategy];
    this.ns = Namespace.of(this.config);
  }

  /** Subscribes a topic: the group's members share its queues. Not with assign(). */
  subscribe(raw: string, expr: string | MessageSelector = '*'): this {
    if (this.assigned) throw illegalArgument('subscribe and assign cannot be mixed');
    const topic = this.ns.wrap(checkTopic(raw));
    this.subs.set(topic, typeof expr === 'string' ? buildSubscriptionData(topic, expr) : subscriptionFromSelector(topic, expr));
    return this;
  }

  /** Stops consuming a topic: its queues go at the next rebalance (what was polled stays to commit). */
  unsubscribe(raw: string): void {
    const topic = this.ns.wrap(raw);
    this.subs.delete(topic);
    this.subscribeInfo.delete(topic);
    if (this.running) void this.instance?.rebalanceNow();
  }

  /** Takes exactly these queues (no group rebalance). Not with subscribe(). */
  assign(mqs: readonly MessageQueue[]): void {
    if (this.subs.size > 0) throw illegalArgument('subscribe and assign cannot be mixed');
    this.assigned = mqs.map((mq) => this.ns.wrapQueue(mq));
    if (this.running) void this.updateAssignment(this.assigned);
  }

  subscriptions(): SubscriptionData[] {
    return [...this.subs.values()];
  }

  /** The queues this consumer pulls now, sorted. */
  assignment(): MessageQueue[] {
    return [...this.queues.values()].map((pq) => pq.mq).sort(compareMessageQueue);
  }

  async start(): Promise<void> {
    if (this.instance) return;
    checkGroup(this.group);
    if (this.subs.size === 0 && !this.assigned) throw illegalArgument('nothing to consume: call subscribe() or assign() before start()');
    const inst = ClientInstance.join(this.config, this.logger, (i) => i.registerConsumer(this));
    this.instance = inst;
    this.offsets = offsetStoreFor(inst, this.config, this.logger);
    this.pullApi = new PullAPI(inst, this.group);
    this.running = true;
    if (this.assigned) {
      await this.updateAssignment(this.assigned);
      return;
    }
    for (const topic of this.subs.keys()) await inst.updateTopicRoute(topic).catch((err: unknown) => this.logger.warn('route of %s: %s', topic, errorMessage(err)));
    await inst.sendHeartbeatToAllBrokers();
    this.rebalanceTimer = setInterval(() => void inst.rebalanceNow(), this.config.rebalanceInterval);
    this.rebalanceTimer.unref();
    await inst.rebalanceNow();
  }

  async shutdown(): Promise<void> {
    const inst = this.instance;
    if (!inst) return;
    this.running = false;
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer);
    this.pauses.wakeAll();
    this.pollWaits.wakeAll();
    // Without auto commit, what was polled and not committed is polled again after a restart (as Java).
    if (this.autoCommit) await this.commitSync();
    else await this.offsets!.persistAll(this.assignment(), false);
    for (const pq of this.queues.values()) pq.dropped = true;
    this.queues.clear();
    this.instance = null;
    await inst.unregister('consumer', this.group);
    await inst.release();
  }

  /**
   * The messages of one pull, oldest first, or none after `timeoutMs`. Their queue's offset moves
   * past them in memory (committed by commitSync or auto commit), so polling again never returns
   * them, unless the queue is sought back.
   */
  async poll(timeoutMs = this.pollTimeoutMs): Promise<MessageExt[]> {
    if (!this.running) throw new MQClientError('NOT_STARTED', 'lite pull consumer is not running');
    if (this.autoCommit && Date.now() - this.lastCommit >= this.autoCommitIntervalMs) await this.commitSync();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const batch = this.buffer.shift();
      if (batch) {
        this.buffered -= batch.msgs.length;
        if (batch.pq.dropped) continue;
        const next = batch.pq.remove(batch.msgs);
        if (next >= 0) this.polled.set(mqKey(batch.pq.mq), { mq: batch.pq.mq, offset: next });
        return this.ns.unwrapTopics(batch.msgs);
      }
      const left = deadline - Date.now();
      if (left <= 0 || !this.running) return [];
      await this.pollWaits.pause(left);
    }
  }

  /** Writes every queue's polled-past offset to the broker (or the local file when broadcasting). */
  async commitSync(): Promise<void> {
    this.lastCommit = Date.now();
    if (!this.offsets) return;
    for (const { mq, offset } of this.polled.values()) this.offsets.updateOffset(mq, offset, false);
    await this.offsets.persistAll(this.assignment(), false);
  }

  /** The group's committed offset of `mq` on the broker (-1 when none). */
  committed(mq: MessageQueue): Promise<number> {
    if (!this.offsets) throw new MQClientError('NOT_STARTED', 'lite pull consumer is not started');
    return this.offsets.readOffset(this.ns.wrapQueue(mq), 'READ_FROM_STORE');
  }

  /** Moves `mq` (one of this consumer's) to `offset`: what was buffered for it is dropped and pulls start there. */
  async seek(raw: MessageQueue, offset: number): Promise<void> {
    const mq = this.ns.wrapQueue(raw);
    const pq = this.queues.get(mqKey(mq));
    if (!pq) throw illegalArgument(`The message queue is not in assigned list, may be rebalancing, message queue: ${mqKey(mq)}`);
    const addr = await this.instance!.requireMasterAddr(mq.topic, mq.brokerName);
    const [min, max] = await Promise.all([this.instance!.api.getMinOffset(addr, mq.topic, mq.queueId), this.instance!.api.getMaxOffset(addr, mq.topic, mq.queueId)]);
    if (offset < min || offset > max) throw illegalArgument(`Seek offset illegal, seek offset = ${offset}, min offset = ${min}, max offset = ${max}`);
    this.restart(pq, offset);
  }

  async seekToBegin(raw: MessageQueue): Promise<void> {
    const mq = this.ns.wrapQueue(raw);
    const addr = await this.instance!.requireMasterAddr(mq.topic, mq.brokerName);
    await this.seek(mq, await this.instance!.api.getMinOffset(addr, mq.topic, mq.queueId));
  }

  async seekToEnd(raw: MessageQueue): Promise<void> {
    const mq = this.ns.wrapQueue(raw);
    const addr = await this.instance!.requireMasterAddr(mq.topic, mq.brokerName);
    await this.seek(mq, await this.instance!.api.getMaxOffset(addr, mq.topic, mq.queueId));
  }

  /** Stops pulling these queues (what is buffered stays pollable). */
  pause(mqs: readonly MessageQueue[]): void {
    for (const mq of mqs) this.paused.add(mqKey(this.ns.wrapQueue(mq)));
  }

  resume(mqs: readonly MessageQueue[]): void {
    for (const mq of mqs) this.paused.delete(mqKey(this.ns.wrapQueue(mq)));
  }

  /** Every readable queue of a topic, from its route. */
  async fetchMessageQueues(raw: string): Promise<MessageQueue[]> {
    const topic = this.ns.wrap(raw);
    const route = await this.instance?.updateTopicRoute(topic);
    if (!route) throw new MQClientError('NO_ROUTE', `Can not find Message Queue for this topic, ${raw}`);
    return subscribeQueues(topic, route).sort(compareMessageQueue).map((mq) => this.ns.unwrapQueue(mq));
  }

  onRouteChanged(topic: string, route: TopicRouteData): void {
    if (this.subs.has(topic)) this.subscribeInfo.set(topic, subscribeQueues(topic, route));
  }

  async persistOffsets(): Promise<void> {
    // Offsets move only by poll, commitSync and auto commit, never behind the application's back.
  }

  async doRebalance(): Promise<void> {
    const inst = this.instance;
    if (!inst || !this.running || this.assigned) return;
    const mine: MessageQueue[] = [];
    for (const topic of this.subs.keys()) {
      const share = await shareOfTopic(inst, this.group, topic, this.subscribeInfo.get(topic) ?? [], this.messageModel === 'BROADCASTING', this.allocate).catch(() => null);
      // No member list (a broker unreachable): keep what this member has.
      mine.push(...(share ?? [...this.queues.values()].filter((pq) => pq.mq.topic === topic).map((pq) => pq.mq)));
    }
    await this.updateAssignment(mine);
  }

  private async updateAssignment(mine: readonly MessageQueue[]): Promise<void> {
    const want = new Set(mine.map(mqKey));
    for (const [key, pq] of this.queues) {
      if (want.has(key)) continue;
      pq.dropped = true;
      this.queues.delete(key);
      await this.offsets!.persist(pq.mq).catch((err: unknown) => this.logger.warn('persist offset of %s failed: %s', key, errorMessage(err)));
      this.offsets!.removeOffset(pq.mq);
      this.polled.delete(key);
    }
    for (const mq of mine) {
      const key = mqKey(mq);
      if (this.queues.has(key)) continue;
      let offset: number;
      try {
        offset = await resolveStartOffset(this.instance!, this.offsets!, mq, this.config);
      } catch (err) {
        this.logger.warn('start offset of %s unknown, retrying at next rebalance: %s', key, errorMessage(err));
        continue;
      }
      if (!this.running || this.queues.has(key)) continue;
      this.restart(new ProcessQueue(mq, offset), offset);
    }
  }

  /** A fresh process queue for `pq`'s queue at `offset`: the old one's buffered batches are skipped by poll. */
  private restart(pq: ProcessQueue, offset: number): void {
    pq.dropped = true;
    const next = new ProcessQueue(pq.mq, offset);
    this.queues.set(mqKey(pq.mq), next);
    // A seek moves what the next commit writes, as if the messages before it had been polled.
    this.polled.set(mqKey(pq.mq), { mq: pq.mq, offset });
    void this.pullLoop(next);
  }

  private async pullLoop(pq: ProcessQueue): Promise<void> {
    const key = mqKey(pq.mq);
    const sub = this.subs.get(pq.mq.topic) ?? buildSubscriptionData(pq.mq.topic, '*');
    while (!pq.dropped && this.running) {
      if (this.paused.has(key) || this.buffered >= this.pullThresholdForAll) {
        await this.pauses.pause(this.paused.has(key) ? PAUSE_DELAY_MS : FLOW_CONTROL_DELAY_MS);
        continue;
      }
      let result;
      try {
        result = await this.pullApi!.pull(pq.mq, sub, pq.nextOffset, this.config.pullBatchSize, {
          suspendTimeoutMs: this.config.brokerSuspendMaxTimeMillis,
          timeoutMs: this.config.consumerTimeoutMillisWhenSuspend,
          postSubscription: true,
        });
      } catch (err) {
        if (pq.dropped || !this.running) return;
        this.logger.warn('pull %s failed: %s', key, errorMessage(err));
        await this.pauses.pause(this.config.pullTimeDelayMillsWhenException);
        continue;
      }
      if (pq.dropped || !this.running) return;
      pq.nextOffset = result.nextBeginOffset;
      if (result.pullStatus === 'FOUND') {
        const fresh = pq.put(result.msgFoundList);
        if (fresh.length === 0) continue;
        this.buffer.push({ pq, msgs: fresh });
        this.buffered += fresh.length;
        this.pollWaits.wakeAll();
      } else if (result.pullStatus === 'OFFSET_ILLEGAL') {
        this.logger.warn('pull %s: offset illegal, moving to %d', key, result.nextBeginOffset);
        this.restart(pq, result.nextBeginOffset);
        return;
      }
    }
  }
}
