import { consoleLogger, type Logger } from '../logger.js';
import { CONSUMER_DEFAULTS, type ConsumerConfig, buildConfig } from './client-config.js';
import { ClientInstance, type ConsumerMember } from './client-instance.js';
import { MQClientError } from './errors.js';
import { type MessageQueue, compareMessageQueue, mqKey } from './message-queue.js';
import { TOOLS_CONSUMER_GROUP } from './names.js';
import { RemoteOffsetStore } from './offset-store.js';
import { Namespace } from './namespace.js';
import { PullAPI, type PullResult } from './pull-api.js';
import { type TopicRouteData, subscribeQueues } from './route.js';
import { MessageSelector, type SubscriptionData, subscriptionFromSelector } from './subscription.js';
import { checkGroup } from './validators.js';

/**
 * A pull consumer (DefaultMQPullConsumer): the caller chooses queues and offsets and pulls
 * explicitly; the consumer only keeps routes fresh, heart-beats its group, and stores the offsets
 * it is given (written to the broker every persistConsumerOffsetInterval and at shutdown).
 */
export interface PullConsumerOptions extends Partial<ConsumerConfig> {
  logger?: Logger;
}

/** Broker-side wait of pullBlockIfNotFound (Java BROKER_SUSPEND_MAX_TIME_MILLIS of the pull consumer). */
const BLOCK_SUSPEND_MS = 20_000;

export class PullConsumer implements ConsumerMember {
  readonly config: ConsumerConfig;
  readonly group: string;
  readonly messageModel: string;
  readonly consumeFromWhere: string;
  readonly consumeType = 'CONSUME_ACTIVELY';
  private readonly logger: Logger;
  private instance: ClientInstance | null = null;
  private offsets: RemoteOffsetStore | null = null;
  private pullApi: PullAPI | null = null;
  private readonly subs = new Map<string, SubscriptionData>();
  private readonly offsetQueues = new Map<string, MessageQueue>();
  /** Queues given and messages returned name topics without the namespace; the wire has it. */
  private readonly ns: Namespace;

  constructor(opts: PullConsumerOptions = {}) {
    const { logger, ...cfg } = opts;
    this.logger = logger ?? consoleLogger('pull-consumer', 'warn');
    this.config = buildConfig(CONSUMER_DEFAULTS, { consumerGroup: TOOLS_CONSUMER_GROUP, ...cfg }, (m) => this.logger.warn(m));
    ({ consumerGroup: this.group, messageModel: this.messageModel, consumeFromWhere: this.consumeFromWhere } = this.config);
    this.ns = Namespace.of(this.config);
  }

  async start(): Promise<void> {
    if (this.instance) return;
    checkGroup(this.group);
    const inst = ClientInstance.join(this.config, this.logger, (i) => i.registerConsumer(this));
    this.instance = inst;
    this.offsets = new RemoteOffsetStore(inst, this.group, this.logger);
    this.pullApi = new PullAPI(inst, this.group);
  }

  async shutdown(): Promise<void> {
    const inst = this.instance;
    if (!inst) return;
    await this.offsets!.persistAll(this.offsetQueues.values(), false);
    this.instance = null;
    await inst.unregister('consumer', this.group);
    await inst.release();
  }

  subscriptions(): SubscriptionData[] {
    return [...this.subs.values()];
  }

  onRouteChanged(_topic: string, _route: TopicRouteData): void {}

  async doRebalance(): Promise<void> {}

  async persistOffsets(): Promise<void> {
    await this.offsets?.persistAll(this.offsetQueues.values(), true);
  }

  private started(): ClientInstance {
    if (!this.instance) throw new MQClientError('NOT_STARTED', `pull consumer ${this.group} is not started`);
    return this.instance;
  }

  /** Readable queues of a topic, sorted. */
  async fetchSubscribeMessageQueues(raw: string): Promise<MessageQueue[]> {
    const inst = this.started();
    const topic = this.ns.wrap(raw);
    const route = (await inst.updateTopicRoute(topic)) ?? inst.getRoute(topic);
    if (!route) throw new MQClientError('NO_ROUTE', `Can not find Message Queue for this topic, ${raw}`);
    return subscribeQueues(topic, route).sort(compareMessageQueue).map((mq) => this.ns.unwrapQueue(mq));
  }

  /** One pull that answers at once (NO_NEW_MSG when nothing is there); a tag expression or a MessageSelector. */
  pull(mq: MessageQueue, subExpression: string | MessageSelector, offset: number, maxNums: number, timeoutMs = this.config.consumerPullTimeoutMillis): Promise<PullResult> {
    return this.doPull(mq, subExpression, offset, maxNums, 0, timeoutMs);
  }

  /** A long poll: the broker holds the request until a message arrives or 20 s pass. */
  pullBlockIfNotFound(mq: MessageQueue, subExpression: string | MessageSelector, offset: number, maxNums: number): Promise<PullResult> {
    return this.doPull(mq, subExpression, offset, maxNums, BLOCK_SUSPEND_MS, this.config.consumerTimeoutMillisWhenSuspend);
  }

  private async doPull(raw: MessageQueue, subExpression: string | MessageSelector, offset: number, maxNums: number, suspendMs: number, timeoutMs: number): Promise<PullResult> {
    this.started();
    const mq = this.ns.wrapQueue(raw);
    if (offset < 0) throw new MQClientError('ILLEGAL_ARGUMENT', 'offset < 0');
    if (maxNums <= 0) throw new MQClientError('ILLEGAL_ARGUMENT', 'maxNums <= 0');
    const sel = typeof subExpression === 'string' ? MessageSelector.byTag(subExpression) : subExpression;
    let sub = this.subs.get(mq.topic);
    if (sub === undefined || sub.expressionType !== sel.type || sub.subString !== (sel.expression.trim() || '*')) {
      sub = subscriptionFromSelector(mq.topic, sel);
      this.subs.set(mq.topic, sub);
    }
    const result = await this.pullApi!.pull(mq, sub, offset, maxNums, { suspendTimeoutMs: suspendMs, timeoutMs, postSubscription: true });
    this.ns.unwrapTopics(result.msgFoundList);
    return result;
  }

  updateConsumeOffset(raw: MessageQueue, offset: number): void {
    this.started();
    const mq = this.ns.wrapQueue(raw);
    this.offsetQueues.set(mqKey(mq), mq);
    this.offsets!.updateOffset(mq, offset, false);
  }

  offsetTable(topic: string): [MessageQueue, number][] {
    return this.offsets?.offsetTable(topic) ?? [];
  }

  /** The group's offset of a queue (-1 if none); `fromStore` asks the broker instead of memory. */
  fetchConsumeOffset(mq: MessageQueue, fromStore: boolean): Promise<number> {
    this.started();
    return this.offsets!.readOffset(this.ns.wrapQueue(mq), fromStore ? 'READ_FROM_STORE' : 'MEMORY_FIRST_THEN_STORE');
  }

  async maxOffset(raw: MessageQueue): Promise<number> {
    const inst = this.started();
    const mq = this.ns.wrapQueue(raw);
    return inst.api.getMaxOffset(await inst.requireMasterAddr(mq.topic, mq.brokerName), mq.topic, mq.queueId);
  }

  async minOffset(raw: MessageQueue): Promise<number> {
    const inst = this.started();
    const mq = this.ns.wrapQueue(raw);
    return inst.api.getMinOffset(await inst.requireMasterAddr(mq.topic, mq.brokerName), mq.topic, mq.queueId);
  }

  async searchOffset(raw: MessageQueue, timestamp: number): Promise<number> {
    const inst = this.started();
    const mq = this.ns.wrapQueue(raw);
    return inst.api.searchOffset(await inst.requireMasterAddr(mq.topic, mq.brokerName), mq.topic, mq.queueId, timestamp);
  }

  async earliestMsgStoreTime(raw: MessageQueue): Promise<number> {
    const inst = this.started();
    const mq = this.ns.wrapQueue(raw);
    return inst.api.getEarliestMsgStoretime(await inst.requireMasterAddr(mq.topic, mq.brokerName), mq.topic, mq.queueId);
  }
}
