import { PROPERTY } from '../../store/index.js';
import { RequestCode } from '../codes.js';
import { consoleLogger, type Logger } from '../logger.js';
import { RemotingError } from '../remoting-error.js';
import type { Connection } from '../connection.js';
import { PRODUCER_DEFAULTS, type ProducerConfig, buildConfig } from './client-config.js';
import { ClientInstance, type ProducerMember } from './client-instance.js';
import { MQClientError, errorMessage, illegalArgument } from './errors.js';
import { Message, encodeProperties, type MessageExt } from './message.js';
import { encodeBatchBody } from './message-batch.js';
import { createUniqId } from './message-id.js';
import type { MessageQueue } from './message-queue.js';
import { Namespace } from './namespace.js';
import { LatencyFaultTolerance } from './latency-fault.js';
import { isRetryTopic } from './names.js';
import { type TopicRouteData, publishQueues } from './route.js';
import { type SendResult, SendRequestEncoder, parseSendResponse, sendSigner } from './send-request.js';
import { type Mode, type SendJob, exhausted, newJob, selectByUser, takeRetryCounts } from './send-job.js';
import { REPLY_MESSAGE_FLAG, prepareRequest } from './request-reply.js';
import { TraceDispatcher, tracePub } from './trace-dispatcher.js';
import { checkBody, checkGroup, checkSendTopic } from './validators.js';
import { requestSigner } from '../acl-signature.js';
import { compressBody } from './compression.js';

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


/** A transaction's half message (MessageSysFlag.TRANSACTION_PREPARED_TYPE). */
const SYSFLAG_TRANSACTION_PREPARED = 0x4;

export class Producer implements ProducerMember {
  readonly config: ProducerConfig;
  protected readonly logger: Logger;
  private readonly encoder: SendRequestEncoder;
  protected instance: ClientInstance | null = null;
  private readonly publishInfo = new Map<string, MessageQueue[]>();
  private readonly routeLookups = new Map<string, Promise<MessageQueue[]>>();
  private sendWhichQueue = Math.floor(Math.random() * 1024);
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  /** Broker connections, looked up once instead of per send. */
  private readonly conns = new Map<string, Connection>();
  /** With enableMsgTrace: where each send's Pub record goes. */
  protected readonly tracer: TraceDispatcher | null;
  /** sendLatencyFaultEnable: brokers slow or failing lately are skipped for a while. */
  private readonly faults: LatencyFaultTolerance | null;
  /** Wraps the topics and queues sent to, unwraps those handed back. */
  protected readonly ns: Namespace;
  /** Topics whose brokers had this client's heartbeat before a request went there. */
  private readonly requestTopics = new Set<string>();

  constructor(opts: ProducerOptions = {}) {
    const { logger, ...cfg } = opts;
    this.logger = logger ?? consoleLogger('producer', 'warn');
    this.config = buildConfig(PRODUCER_DEFAULTS, cfg, (m) => this.logger.warn(m));
    this.ns = Namespace.of(this.config);
    this.faults = this.config.sendLatencyFaultEnable ? new LatencyFaultTolerance() : null;
    const { accessKey, securityToken, secretKey } = this.config;
    this.encoder = new SendRequestEncoder(this.config.producerGroup, this.config.createTopicKey, this.config.defaultTopicQueueNums, requestSigner(this.config), accessKey ? sendSigner(accessKey, securityToken, secretKey) : undefined);
    this.tracer = this.config.enableMsgTrace ? new TraceDispatcher(this.config.customizedTraceTopic, this.config, this.logger) : null;
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
    const inst = ClientInstance.join(this.config, this.logger, (inst) => inst.registerProducer(this));
    this.instance = inst;
    // As DefaultMQProducerImpl.start(): brokers the instance already knows (shared with other
    // members) hear of this group now; brokers learned later are heartbeated as they appear.
    inst.sendHeartbeatToAllBrokers().catch((err: unknown) => this.logger.warn('heartbeat at start failed: %s', (err as Error).message));
  }

  async shutdown(): Promise<void> {
    const inst = this.instance;
    if (!inst) return;
    this.instance = null;
    await this.tracer?.shutdown();
    await inst.unregister('producer', this.group);
    await inst.release();
  }

  /**
   * Sends `msg` as a request and resolves with its reply (DefaultMQProducer.request): the consumer
   * answers with createReplyMessage. TIMEOUT when no reply comes within `timeoutMs`.
   */
  async request(msg: Message, timeoutMs = this.config.sendMsgTimeout): Promise<MessageExt> {
    const inst = this.instance;
    if (!inst) throw new MQClientError('NOT_STARTED', 'producer is not started');
    const begin = Date.now();
    const id = prepareRequest(msg, inst.clientId, timeoutMs);
    // The broker pushes the reply over the channel of this client's producer heartbeat.
    if (!this.requestTopics.has(msg.topic)) {
      await this.fetchPublishMessageQueues(msg.topic);
      await inst.sendHeartbeatToAllBrokers();
      this.requestTopics.add(msg.topic);
    }
    const reply = inst.replies.wait(id, timeoutMs, msg.topic);
    this.send(msg, { timeoutMs: Math.max(1, timeoutMs - (Date.now() - begin)) }).catch((err: unknown) =>
      inst.replies.fail(id, new MQClientError('SEND_FAILED', `send request message to <${msg.topic}> fail: ${(err as Error).message}`, { cause: err })),
    );
    return reply;
  }

  publishTopics(): Iterable<string> {
    return this.publishInfo.keys();
  }

  onRouteChanged(topic: string, route: TopicRouteData): void {
    if (this.publishInfo.has(topic)) this.publishInfo.set(topic, publishQueues(topic, route));
  }

  /** The queues this producer sends a topic's messages to. */
  async fetchPublishMessageQueues(topic: string): Promise<MessageQueue[]> {
    return (await this.findPublishQueues(this.ns.wrap(topic))).map((mq) => this.ns.unwrapQueue(mq));
  }

  send(msg: Message, opts: SendOptions = NO_SEND_OPTIONS): Promise<SendResult> {
    return this.sendMessage(msg, opts, 'sync') as Promise<SendResult>;
  }

  /** Node-style callback form of send (uses retryTimesWhenSendAsyncFailed). */
  sendCallback(msg: Message, cb: SendCallback, opts: SendOptions = NO_SEND_OPTIONS): void {
    const call = (err: Error | null, r?: SendResult): void => {
      // A throwing callback must not become an unhandled rejection that takes the process down.
      try {
        cb(err, r);
      } catch (e) {
        this.logger.error('send callback threw: %s', e instanceof Error && e.stack ? e.stack : errorMessage(e));
      }
    };
    (this.sendMessage(msg, opts, 'async') as Promise<SendResult>).then(
      (r) => call(null, r),
      (e: unknown) => call(e as Error),
    );
  }

  /** Fire and forget: one attempt, no response awaited. Resolves once written. */
  async sendOneway(msg: Message, opts: SendOptions = NO_SEND_OPTIONS): Promise<void> {
    await this.sendMessage(msg, opts, 'oneway');
  }

  /** Several messages of one topic in one SEND_BATCH_MESSAGE; they land in one queue, consecutively. */
  sendBatch(msgs: readonly Message[], opts: SendOptions = NO_SEND_OPTIONS): Promise<SendResult> {
    let body: Buffer;
    try {
      if (msgs.length === 0) throw illegalArgument('batch is empty');
      for (const m of msgs) {
        if (m.topic !== msgs[0]!.topic) throw illegalArgument('The topic of the messages in one batch should be the same');
        if (m.delayTimeLevel > 0) throw illegalArgument('TimeDelayLevel is not supported for batching');
        if (isRetryTopic(m.topic)) throw illegalArgument('Retry Group is not supported for batching');
        checkBody(m.body, this.config.maxMessageSize);
        if (m.uniqKey === undefined) m.properties.set(PROPERTY.UNIQ_KEY, createUniqId());
      }
      checkSendTopic(msgs[0]!.topic);
      body = encodeBatchBody(msgs);
      if (body.length > this.config.maxMessageSize) throw illegalArgument(`the batch body size ${body.length} over max value, MAX: ${this.config.maxMessageSize}`);
    } catch (err) {
      return Promise.reject(err);
    }
    const uniqIds = msgs.map((m) => m.uniqKey!).join(',');
    return this.submit(newJob(RequestCode.SEND_BATCH_MESSAGE, msgs[0]!, this.ns.wrap(msgs[0]!.topic), uniqIds, body, 0, '', 'sync', opts, this.config.sendMsgTimeout)).then(this.unwrapResult) as Promise<SendResult>;
  }

  private sendMessage(msg: Message, opts: SendOptions, mode: Mode): Promise<SendResult | void> {
    let job: SendJob;
    // Every failure, validation or encoding, is the returned promise's: callers of send() and
    // sendCallback() must never see a synchronous throw instead.
    try {
      if (!(msg instanceof Message)) throw illegalArgument('not a Message');
      checkSendTopic(msg.topic);
      checkBody(msg.body, this.config.maxMessageSize);
      let uniq = msg.uniqKey;
      if (uniq === undefined) {
        uniq = createUniqId();
        msg.properties.set(PROPERTY.UNIQ_KEY, uniq);
      }
      let body = msg.body;
      let sysFlag = 0;
      if (body.length >= this.config.compressMsgBodyOverHowmuch) {
        ({ body, sysFlag } = compressBody(body, this.config.compressType, this.config.compressLevel));
      }
      if (msg.properties.get(PROPERTY.TRAN_MSG) === 'true') sysFlag |= SYSFLAG_TRANSACTION_PREPARED;
      // As Java's sendKernelImpl: a send to a retry topic carries the redelivery counts in the
      // request header (the broker moves the message to the DLQ past the maximum), not as properties.
      const retry = isRetryTopic(msg.topic) ? takeRetryCounts(msg.properties) : undefined;
      // A consumer's answer to a request-reply message goes as SEND_REPLY_MESSAGE_V2, as Java's client sends it.
      const code = msg.properties.get(PROPERTY.MSG_TYPE) === REPLY_MESSAGE_FLAG ? RequestCode.SEND_REPLY_MESSAGE_V2 : RequestCode.SEND_MESSAGE_V2;
      job = newJob(code, msg, this.ns.wrap(msg.topic), uniq, body, sysFlag, encodeProperties(msg.properties), mode, opts, this.config.sendMsgTimeout);
      job.retry = retry;
    } catch (err) {
      return Promise.reject(err);
    }
    const sent = this.ns.active ? this.submit(job).then(this.unwrapResult) : this.submit(job);
    const t = this.tracer;
    if (!t || mode === 'oneway') return sent;
    return sent.then((r) => (r && tracePub(t, this.group, msg, r, job.begin, job.body.length, this.instance?.findBrokerAddrInPublish(r.messageQueue.brokerName) ?? ''), r));
  }

  /** A send result names the queue without this client's namespace (MQClientAPIImpl.processSendResponse). */
  private readonly unwrapResult = <T extends SendResult | void>(r: T): T => {
    if (r && this.ns.active) r.messageQueue = this.ns.unwrapQueue(r.messageQueue);
    return r;
  };

  /*
   * The send path is written with plain promise chains instead of async functions: it runs for
   * every message, and each async frame or extra promise is garbage at 100k sends per second.
   */

  /** Takes an in-flight slot (waiting for one if the window is full), runs the job, frees the slot. */
  private submit(job: SendJob): Promise<SendResult | void> {
    if (!this.instance) return Promise.reject(new MQClientError('NOT_STARTED', `producer ${this.group} is not started`));
    if (this.inFlight >= this.config.maxInFlightSends) return new Promise<void>((r) => this.slotWaiters.push(r)).then(() => this.submit(job));
    this.inFlight++;
    // tryOnce runs user code (a MessageQueueSelector) and the encoder before its first await; a
    // synchronous throw there must still free the slot, or maxInFlightSends such failures would
    // leave every later send waiting for a slot forever.
    let attempt: Promise<SendResult | void>;
    try {
      attempt = this.tryOnce(job);
    } catch (err) {
      attempt = Promise.reject(err);
    }
    return attempt.then(this.releaseOk, this.releaseErr);
  }

  private readonly releaseOk = <T>(r: T): T => {
    this.release();
    return r;
  };

  private readonly releaseErr = (err: unknown): never => {
    this.release();
    throw err;
  };

  private release(): void {
    this.inFlight--;
    this.slotWaiters.shift()?.();
  }

  /** One attempt: pick the queue (another broker than the last failed one), find the connection, send. */
  private tryOnce(job: SendJob): Promise<SendResult | void> {
    const inst = this.instance;
    if (!inst) return Promise.reject(new MQClientError('SHUT_DOWN', `producer ${this.group} was shut down`));
    const queues = this.publishInfo.get(job.topic);
    if (queues === undefined || queues.length === 0) return this.findPublishQueues(job.topic).then(() => this.tryOnce(job));
    if (job.times === 0) {
      job.fixed = job.opts.queue ? this.ns.wrapQueue(job.opts.queue) : job.opts.selector ? selectByUser(job, queues, this.ns) : undefined;
      job.times = job.fixed || job.mode === 'oneway' ? 1 : 1 + (job.mode === 'sync' ? this.config.retryTimesWhenSendFailed : this.config.retryTimesWhenSendAsyncFailed);
    }
    const left = job.timeoutMs - (Date.now() - job.begin);
    if (left <= 0) return Promise.reject(exhausted(job));
    const mq = job.fixed ?? this.selectQueue(queues, job.lastBroker);
    job.lastBroker = mq.brokerName;
    job.attempt++;
    job.attemptBegin = Date.now();
    const addr = inst.findBrokerAddrInPublish(mq.brokerName);
    if (addr === undefined) {
      return inst.requireMasterAddr(job.topic, mq.brokerName).then(
        (a) => this.connectAndSend(job, mq, a, left),
        (err: unknown) => this.afterError(job, mq, err),
      );
    }
    return this.connectAndSend(job, mq, addr, left);
  }

  private connectAndSend(job: SendJob, mq: MessageQueue, addr: string, left: number): Promise<SendResult | void> {
    const conn = this.conns.get(addr);
    if (conn !== undefined && !conn.closed) return this.sendOn(job, mq, addr, conn, left);
    return this.instance!.remoting.getConnection(addr).then(
      (c) => {
        this.conns.set(addr, c);
        return this.sendOn(job, mq, addr, c, left);
      },
      (err: unknown) => this.afterError(job, mq, err),
    );
  }

  private sendOn(job: SendJob, mq: MessageQueue, addr: string, conn: Connection, left: number): Promise<SendResult | void> {
    const cmd = job.retry
      ? this.encoder.buildRetry(job.topic, mq.queueId, job.sysFlag, Date.now(), job.msg.flag, job.properties, job.body, job.retry)
      : this.encoder.build(job.code, job.topic, mq.queueId, job.sysFlag, Date.now(), job.msg.flag, job.properties, job.body);
    if (job.mode === 'oneway') {
      conn.invokeOneway(cmd);
      return RESOLVED;
    }
    return conn.invoke(cmd, left).then(
      (res) => {
        let result: SendResult;
        try {
          result = parseSendResponse(res, addr, mq, job.uniqIds);
        } catch (err) {
          return this.afterError(job, mq, err);
        }
        this.faults?.update(mq.brokerName, Date.now() - job.attemptBegin, false);
        if (result.sendStatus !== 'SEND_OK' && this.config.retryAnotherBrokerWhenNotStoreOK && job.attempt < job.times) return this.tryOnce(job);
        return result;
      },
      (err: unknown) => this.afterError(job, mq, err),
    );
  }

  /** A failed attempt: try again elsewhere if the error allows and attempts remain, else fail the send. */
  private afterError(job: SendJob, mq: MessageQueue, err: unknown): Promise<SendResult | void> {
    job.lastErr = err;
    this.faults?.update(mq.brokerName, Date.now() - job.attemptBegin, true);
    const retriable = err instanceof RemotingError ? err.code !== 'CLIENT_CLOSED' : err instanceof MQClientError && err.retriable;
    this.logger.warn('send to %s of %s failed (attempt %d/%d): %s', mq.brokerName, job.topic, job.attempt, job.times, (err as Error).message);
    if (!retriable) return Promise.reject(err);
    if (job.attempt < job.times) return this.tryOnce(job);
    return Promise.reject(exhausted(job));
  }

  /** Round-robin; on a retry, a queue of another broker than the one that failed if there is one. */
  private selectQueue(queues: readonly MessageQueue[], lastBroker: string | undefined): MessageQueue {
    if (this.faults) return this.faults.select(queues, () => this.sendWhichQueue++ & 0x7fffffff);
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

const RESOLVED: Promise<void> = Promise.resolve();
const NO_SEND_OPTIONS: SendOptions = Object.freeze({});
