import { deflateSync } from 'node:zlib';
import { PROPERTY, SYSFLAG_COMPRESSED, encodeProperties } from '../../store/index.js';
import { RequestCode } from '../codes.js';
import { consoleLogger, type Logger } from '../logger.js';
import { RemotingError } from '../remoting-error.js';
import { PRODUCER_DEFAULTS, type ProducerConfig, buildConfig } from './client-config.js';
import { ClientInstance, type ProducerMember } from './client-instance.js';
import { MQClientError, illegalArgument } from './errors.js';
import { Message } from './message.js';
import { encodeBatchBody } from './message-batch.js';
import { createUniqId } from './message-id.js';
import type { MessageQueue } from './message-queue.js';
import { isRetryTopic } from './names.js';
import { type TopicRouteData, publishQueues } from './route.js';
import { type SendResult, SendRequestEncoder, parseSendResponse } from './send-request.js';
import { checkBody, checkGroup, checkSendTopic } from './validators.js';

/**
 * A producer (DefaultMQProducer): sends to the queues of a topic round-robin, or to the queue a
 * MessageQueueSelector picks (ordered messages: same key, same queue, so consumers see them in
 * send order). A failed send is retried up to retryTimesWhenSendFailed times, each time on a queue
 * of another broker when there is one, within sendMsgTimeout. At most maxInFlightSends requests
 * are in flight; further sends wait for a slot, so a fast caller cannot queue unbounded memory.
 */
export type MessageQueueSelector = (mqs: readonly MessageQueue[], msg: Message, arg: unknown) => MessageQueue;

export interface SendOptions {
  timeoutMs?: number;
  /** Send to exactly this queue (no retry elsewhere). */
  queue?: MessageQueue;
  /** Pick the queue (no retry elsewhere: ordering must not be broken by a retry). */
  selector?: MessageQueueSelector;
  arg?: unknown;
}

export type SendCallback = (err: Error | null, result?: SendResult) => void;

export interface ProducerOptions extends Partial<ProducerConfig> {
  logger?: Logger;
}

type Mode = 'sync' | 'async' | 'oneway';

export class Producer implements ProducerMember {
  readonly config: ProducerConfig;
  private readonly logger: Logger;
  private readonly encoder: SendRequestEncoder;
  private instance: ClientInstance | null = null;
  private readonly publishInfo = new Map<string, MessageQueue[]>();
  private readonly routeLookups = new Map<string, Promise<MessageQueue[]>>();
  private sendWhichQueue = Math.floor(Math.random() * 1024);
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];

  constructor(opts: ProducerOptions = {}) {
    const { logger, ...cfg } = opts;
    this.logger = logger ?? consoleLogger('producer', 'warn');
    this.config = buildConfig(PRODUCER_DEFAULTS, cfg, (m) => this.logger.warn(m));
    this.encoder = new SendRequestEncoder(this.config.producerGroup, this.config.createTopicKey, this.config.defaultTopicQueueNums);
  }

  get group(): string {
    return this.config.producerGroup;
  }

  get clientId(): string | undefined {
    return this.instance?.clientId;
  }

  async start(): Promise<void> {
    if (this.instance) return;
    checkGroup(this.config.producerGroup);
    const inst = ClientInstance.acquire(this.config, this.logger);
    try {
      inst.registerProducer(this);
    } catch (err) {
      await inst.release();
      throw err;
    }
    inst.start();
    this.instance = inst;
  }

  async shutdown(): Promise<void> {
    const inst = this.instance;
    if (!inst) return;
    this.instance = null;
    await inst.unregister('producer', this.group);
    await inst.release();
  }

  publishTopics(): Iterable<string> {
    return this.publishInfo.keys();
  }

  onRouteChanged(topic: string, route: TopicRouteData): void {
    if (this.publishInfo.has(topic)) this.publishInfo.set(topic, publishQueues(topic, route));
  }

  /** The queues this producer sends a topic's messages to. */
  async fetchPublishMessageQueues(topic: string): Promise<MessageQueue[]> {
    return [...(await this.findPublishQueues(topic))];
  }

  send(msg: Message, opts: SendOptions = {}): Promise<SendResult> {
    return this.sendMessage(msg, opts, 'sync') as Promise<SendResult>;
  }

  /** Node-style callback form of send (uses retryTimesWhenSendAsyncFailed). */
  sendCallback(msg: Message, cb: SendCallback, opts: SendOptions = {}): void {
    (this.sendMessage(msg, opts, 'async') as Promise<SendResult>).then(
      (r) => cb(null, r),
      (e: unknown) => cb(e as Error),
    );
  }

  /** Fire and forget: one attempt, no response awaited. Resolves once written. */
  async sendOneway(msg: Message, opts: SendOptions = {}): Promise<void> {
    await this.sendMessage(msg, opts, 'oneway');
  }

  /** Several messages of one topic in one SEND_BATCH_MESSAGE; they land in one queue, consecutively. */
  async sendBatch(msgs: readonly Message[], opts: SendOptions = {}): Promise<SendResult> {
    if (msgs.length === 0) throw illegalArgument('batch is empty');
    const topic = msgs[0]!.topic;
    for (const m of msgs) {
      if (m.topic !== topic) throw illegalArgument('The topic of the messages in one batch should be the same');
      if (m.delayTimeLevel > 0) throw illegalArgument('TimeDelayLevel is not supported for batching');
      if (isRetryTopic(m.topic)) throw illegalArgument('Retry Group is not supported for batching');
      checkBody(m.body, this.config.maxMessageSize);
      if (m.uniqKey === undefined) m.properties.set(PROPERTY.UNIQ_KEY, createUniqId());
    }
    checkSendTopic(topic);
    const body = encodeBatchBody(msgs);
    if (body.length > this.config.maxMessageSize) throw illegalArgument(`the batch body size ${body.length} over max value, MAX: ${this.config.maxMessageSize}`);
    const uniqIds = msgs.map((m) => m.uniqKey!).join(',');
    return this.sendWithRetry(topic, uniqIds, opts, 'sync', msgs[0]!, (mq, addr, timeoutMs) => {
      const cmd = this.encoder.build(RequestCode.SEND_BATCH_MESSAGE, { topic, queueId: mq.queueId, sysFlag: 0, bornTimestamp: Date.now(), flag: 0, properties: '', reconsumeTimes: 0 }, body);
      return this.instance!.remoting.invoke(addr, cmd, timeoutMs).then((res) => parseSendResponse(res, addr, mq, uniqIds));
    }) as Promise<SendResult>;
  }

  private sendMessage(msg: Message, opts: SendOptions, mode: Mode): Promise<SendResult | void> {
    try {
      if (!(msg instanceof Message)) throw illegalArgument('not a Message');
      checkSendTopic(msg.topic);
      checkBody(msg.body, this.config.maxMessageSize);
    } catch (err) {
      return Promise.reject(err);
    }
    let uniq = msg.uniqKey;
    if (uniq === undefined) {
      uniq = createUniqId();
      msg.properties.set(PROPERTY.UNIQ_KEY, uniq);
    }
    let body = msg.body;
    let sysFlag = 0;
    if (body.length >= this.config.compressMsgBodyOverHowmuch) {
      body = deflateSync(body, { level: 5 });
      sysFlag |= SYSFLAG_COMPRESSED;
    }
    const properties = encodeProperties(msg.properties);
    const topic = msg.topic;
    return this.sendWithRetry(topic, uniq, opts, mode, msg, (mq, addr, timeoutMs) => {
      const cmd = this.encoder.build(RequestCode.SEND_MESSAGE_V2, { topic, queueId: mq.queueId, sysFlag, bornTimestamp: Date.now(), flag: msg.flag, properties, reconsumeTimes: 0 }, body);
      if (mode === 'oneway') return this.instance!.remoting.invokeOneway(addr, cmd);
      return this.instance!.remoting.invoke(addr, cmd, timeoutMs).then((res) => parseSendResponse(res, addr, mq, uniq));
    });
  }

  private async sendWithRetry(
    topic: string,
    uniqIds: string,
    opts: SendOptions,
    mode: Mode,
    msg: Message,
    attempt: (mq: MessageQueue, addr: string, timeoutMs: number) => Promise<SendResult | void>,
  ): Promise<SendResult | void> {
    const inst = this.instance;
    if (!inst) throw new MQClientError('NOT_STARTED', `producer ${this.group} is not started`);
    const timeoutMs = opts.timeoutMs ?? this.config.sendMsgTimeout;
    const begin = Date.now();
    if (this.inFlight >= this.config.maxInFlightSends) await new Promise<void>((r) => this.slotWaiters.push(r));
    this.inFlight++;
    try {
      const cached = this.publishInfo.get(topic);
      const queues = cached !== undefined && cached.length > 0 ? cached : await this.findPublishQueues(topic);
      const fixed = opts.queue ?? (opts.selector ? opts.selector(queues, msg, opts.arg) : undefined);
      const times = fixed || mode === 'oneway' ? 1 : 1 + (mode === 'sync' ? this.config.retryTimesWhenSendFailed : this.config.retryTimesWhenSendAsyncFailed);
      let lastBroker: string | undefined;
      let lastErr: unknown;
      for (let i = 0; i < times; i++) {
        const mq = fixed ?? this.selectQueue(queues, lastBroker);
        lastBroker = mq.brokerName;
        const left = timeoutMs - (Date.now() - begin);
        if (left <= 0) break;
        try {
          const addr = this.findBrokerAddr(mq) ?? (await inst.requireMasterAddr(topic, mq.brokerName));
          const result = await attempt(mq, addr, left);
          if (result && result.sendStatus !== 'SEND_OK' && this.config.retryAnotherBrokerWhenNotStoreOK && i + 1 < times) continue;
          return result;
        } catch (err) {
          lastErr = err;
          const retriable = err instanceof RemotingError ? err.code !== 'CLIENT_CLOSED' : err instanceof MQClientError && err.retriable;
          this.logger.warn('send to %s of %s failed (attempt %d/%d): %s', mq.brokerName, topic, i + 1, times, (err as Error).message);
          if (!retriable) throw err;
        }
      }
      if (lastErr === undefined) throw new MQClientError('TIMEOUT', `send to ${topic} timed out after ${timeoutMs}ms`);
      throw new MQClientError('SEND_FAILED', `send to ${topic} failed after ${times} attempt(s): ${(lastErr as Error).message}`, {
        cause: lastErr,
        responseCode: lastErr instanceof MQClientError ? lastErr.responseCode : undefined,
      });
    } finally {
      this.inFlight--;
      this.slotWaiters.shift()?.();
    }
  }

  private findBrokerAddr(mq: MessageQueue): string | undefined {
    return this.instance!.findBrokerAddrInPublish(mq.brokerName);
  }

  /** Round-robin; on a retry, a queue of another broker than the one that failed if there is one. */
  private selectQueue(queues: readonly MessageQueue[], lastBroker: string | undefined): MessageQueue {
    const n = queues.length;
    if (lastBroker !== undefined) {
      for (let i = 0; i < n; i++) {
        const mq = queues[(this.sendWhichQueue++ & 0x7fffffff) % n]!;
        if (mq.brokerName !== lastBroker) return mq;
      }
    }
    return queues[(this.sendWhichQueue++ & 0x7fffffff) % n]!;
  }

  /** Cached publish queues; else the NameServer route; else the auto-create template topic's. */
  private findPublishQueues(topic: string): Promise<MessageQueue[]> {
    const cached = this.publishInfo.get(topic);
    if (cached !== undefined && cached.length > 0) return Promise.resolve(cached);
    // Concurrent first sends to a topic share one lookup.
    let pending = this.routeLookups.get(topic);
    if (pending === undefined) {
      pending = this.lookupPublishQueues(topic).finally(() => this.routeLookups.delete(topic));
      this.routeLookups.set(topic, pending);
    }
    return pending;
  }

  private async lookupPublishQueues(topic: string): Promise<MessageQueue[]> {
    const inst = this.instance!;
    this.publishInfo.set(topic, []);
    let route = await inst.updateTopicRoute(topic);
    if (route === null) {
      route = await inst.updateTopicRoute(topic, { topic: this.config.createTopicKey, queueNums: this.config.defaultTopicQueueNums });
    }
    const queues = route ? publishQueues(topic, route) : [];
    this.publishInfo.set(topic, queues);
    if (queues.length === 0) {
      this.publishInfo.delete(topic);
      throw new MQClientError('NO_ROUTE', `No route info of this topic: ${topic}`);
    }
    return queues;
  }
}
