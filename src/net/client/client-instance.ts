import { RemotingClient } from '../remoting-client.js';
import { tlsClientOptions } from '../tls-config.js';
import type { Logger } from '../logger.js';
import { type ClientConfig, splitNamesrvAddr } from './client-config.js';
import { NamesrvClient } from './namesrv-client.js';
import { BrokerAPI } from './broker-api.js';
import { MASTER_ID, type TopicRouteData } from './route.js';
import { type SubscriptionData, subscriptionJson } from './subscription.js';
import { MQClientError } from './errors.js';
import type { MessageQueue } from './message-queue.js';
import type { MessageExt } from './message.js';
import { requestSigner } from '../acl-signature.js';
import type { ConsumerRunningInfo } from './consumer-running-info.js';
import { ReplyWaiters } from './request-reply.js';
import { registerClientProcessors } from './client-remoting-processor.js';
import type { ConsumeMessageDirectlyResult } from './consume-directly.js';

/**
 * What a client process shares between its producers and consumers (MQClientInstance): the
 * connections, the NameServer client, the route cache and broker address table, and the periodic
 * work (route refresh every pollNameServerInterval, heartbeats to every known broker every
 * heartbeatBrokerInterval, consumer offset persistence every persistConsumerOffsetInterval). It
 * answers the broker's NOTIFY_CONSUMER_IDS_CHANGED by rebalancing at once.
 *
 * Timers are unref'd: open connections and in-flight calls keep a process alive, idle clients don't.
 */
export interface ProducerMember {
  readonly group: string;
  /** A broker asks about a half message of this group (transaction producers only). */
  checkTransactionState?(brokerAddr: string, msg: MessageExt, header: Readonly<Record<string, string>>): void;
  /** Topics this producer has sent to: their routes are kept fresh. */
  publishTopics(): Iterable<string>;
  onRouteChanged(topic: string, route: TopicRouteData): void;
}

export interface ConsumerMember {
  readonly group: string;
  readonly consumeType: 'CONSUME_PASSIVELY' | 'CONSUME_ACTIVELY';
  readonly messageModel: string;
  readonly consumeFromWhere: string;
  subscriptions(): SubscriptionData[];
  onRouteChanged(topic: string, route: TopicRouteData): void;
  doRebalance(): Promise<void>;
  persistOffsets(): Promise<void>;
  /** CONSUME_MESSAGE_DIRECTLY: run the listener on one message (push consumers). */
  consumeDirectly?(msg: MessageExt, brokerName: string): Promise<ConsumeMessageDirectlyResult>;
  /** What this member reports to GET_CONSUMER_RUNNING_INFO (push consumers). */
  runningInfo?(): ConsumerRunningInfo;
  /** The offsets this member holds for a topic (GET_CONSUMER_STATUS_FROM_CLIENT; push and pull consumers). */
  offsetTable?(topic: string): [MessageQueue, number][];
  /** The broker moved the group's offsets (an admin's reset by time): consume from these now. */
  resetOffsets?(topic: string, offsets: readonly (readonly [MessageQueue, number])[]): Promise<void>;
}

const instances = new Map<string, ClientInstance>();

export class ClientInstance {
  readonly clientId: string;
  readonly remoting: RemotingClient;
  readonly namesrv: NamesrvClient;
  readonly api: BrokerAPI;
  /** Requests (Producer.request) waiting for their replies. */
  readonly replies: ReplyWaiters;
  readonly logger: Logger;
  private readonly cfg: ClientConfig;
  private readonly routes = new Map<string, TopicRouteData>();
  private readonly routeJson = new Map<string, string>();
  /** brokerName -> (brokerId -> address). */
  private readonly brokerAddrs = new Map<string, Map<number, string>>();
  private readonly producers = new Map<string, ProducerMember>();
  private readonly consumers = new Map<string, ConsumerMember>();
  /** Broker addresses sent a heartbeat since they (re)appeared in the broker table. */
  private readonly heartbeated = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private refs = 0;
  private started = false;
  private rebalancing: Promise<void> | null = null;
  private rebalanceAgain = false;

  private constructor(clientId: string, cfg: ClientConfig, logger: Logger) {
    this.clientId = clientId;
    this.cfg = cfg;
    this.logger = logger;
    this.replies = new ReplyWaiters(logger);
    this.remoting = new RemotingClient({
      logger,
      connectTimeoutMs: cfg.mqClientApiTimeout,
      beforeRequest: requestSigner(cfg),
      tls: cfg.useTLS ? tlsClientOptions(cfg.tlsConfigFile) : undefined,
      onReconnect: (addr) => this.heartbeatReconnected(addr),
    });
    this.namesrv = new NamesrvClient(this.remoting, splitNamesrvAddr(cfg.namesrvAddr), cfg.mqClientApiTimeout, logger);
    this.api = new BrokerAPI(this.remoting, cfg.mqClientApiTimeout);
    registerClientProcessors({
      remoting: this.remoting,
      replies: this.replies,
      logger,
      consumer: (g) => this.consumers.get(g),
      producer: (g) => this.producers.get(g),
      rebalanceNow: () => this.rebalanceNow(),
    });
  }

  /** The instance for this config's client id (created on first use), with one more user. */
  static acquire(cfg: ClientConfig, logger: Logger): ClientInstance {
    if (cfg.instanceName === 'DEFAULT') cfg.instanceName = `${process.pid}#${process.hrtime.bigint()}`;
    const clientId = `${cfg.clientIP}@${cfg.instanceName}${cfg.unitName ? `@${cfg.unitName}` : ''}`;
    let inst = instances.get(clientId);
    if (inst === undefined) {
      inst = new ClientInstance(clientId, cfg, logger);
      instances.set(clientId, inst);
    }
    inst.refs++;
    return inst;
  }

  /** acquire + register a member + start; the instance is released again if registering fails. */
  static join(cfg: ClientConfig, logger: Logger, register: (inst: ClientInstance) => void): ClientInstance {
    const inst = ClientInstance.acquire(cfg, logger);
    try {
      register(inst);
    } catch (err) {
      void inst.release();
      throw err;
    }
    inst.start();
    return inst;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.every(this.cfg.pollNameServerInterval, () => this.updateAllRoutes());
    this.every(this.cfg.heartbeatBrokerInterval, () => this.sendHeartbeatToAllBrokers());
    this.every(this.cfg.persistConsumerOffsetInterval, () => this.persistAllOffsets());
  }

  /** Drops one user; the last one stops the timers and closes the connections. */
  async release(): Promise<void> {
    if (--this.refs > 0) return;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    instances.delete(this.clientId);
    this.remoting.close();
    this.replies.failAll(new MQClientError('SHUT_DOWN', 'client shut down before the reply came'));
  }

  private every(ms: number, task: () => Promise<void>): void {
    let running = false;
    const t = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((err: unknown) => this.logger.warn('periodic task failed: %s', (err as Error).message))
        .finally(() => (running = false));
    }, ms);
    t.unref();
    this.timers.push(t);
  }

  registerProducer(p: ProducerMember): void {
    if (this.producers.has(p.group)) throw new MQClientError('ILLEGAL_ARGUMENT', `producer group ${p.group} already started in client ${this.clientId}`);
    this.producers.set(p.group, p);
  }

  registerConsumer(c: ConsumerMember): void {
    if (this.consumers.has(c.group)) throw new MQClientError('ILLEGAL_ARGUMENT', `consumer group ${c.group} already started in client ${this.clientId}`);
    this.consumers.set(c.group, c);
  }

  /** Removes a member and tells every broker (UNREGISTER_CLIENT), so the group rebalances without us. */
  async unregister(kind: 'producer' | 'consumer', group: string): Promise<void> {
    (kind === 'producer' ? this.producers : this.consumers).delete(group);
    const tasks: Promise<void>[] = [];
    for (const addr of this.allBrokerAddrs(false)) {
      const p = kind === 'producer' ? this.api.unregisterClient(addr, this.clientId, group) : this.api.unregisterClient(addr, this.clientId, undefined, group);
      tasks.push(p.catch((err: unknown) => this.logger.warn('unregister %s %s at %s failed: %s', kind, group, addr, (err as Error).message)));
    }
    await Promise.all(tasks);
  }

  getRoute(topic: string): TopicRouteData | undefined {
    return this.routes.get(topic);
  }

  /**
   * Fetches a topic's route from the NameServer (or, with `viaDefault`, derives it from the
   * auto-create template topic's route); on change, updates the broker table and tells the
   * members. Null when the topic is unknown (the cached route, if any, is kept).
   */
  async updateTopicRoute(topic: string, viaDefault?: { topic: string; queueNums: number }): Promise<TopicRouteData | null> {
    let route = await this.namesrv.getTopicRoute(viaDefault?.topic ?? topic);
    if (route === null) return null;
    // A topic the brokers will auto-create on first send: the template topic's brokers, at most
    // queueNums queues each (updateTopicRouteInfoFromNameServer with isDefault = true).
    if (viaDefault) route = { ...route, queueDatas: route.queueDatas.map((q) => ({ ...q, readQueueNums: Math.min(viaDefault.queueNums, q.readQueueNums), writeQueueNums: Math.min(viaDefault.queueNums, q.readQueueNums) })) };
    const json = JSON.stringify(route, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v));
    if (this.routeJson.get(topic) === json) return this.routes.get(topic)!;
    this.routeJson.set(topic, json);
    // Re-inserted so the newest route comes last and wins in the broker table.
    this.routes.delete(topic);
    this.routes.set(topic, route);
    this.rebuildBrokerTable();
    for (const p of this.producers.values()) p.onRouteChanged(topic, route);
    for (const c of this.consumers.values()) c.onRouteChanged(topic, route);
    return route;
  }

  /** Brokers named by no cached route are dropped (cleanOfflineBroker): no heartbeats to the departed. */
  private rebuildBrokerTable(): void {
    this.brokerAddrs.clear();
    for (const route of this.routes.values()) for (const bd of route.brokerDatas) this.brokerAddrs.set(bd.brokerName, new Map(bd.brokerAddrs));
    this.heartbeatNewBrokers();
  }

  /**
   * A broker that appears in the table gets a heartbeat now, not up to heartbeatBrokerInterval
   * later: Java's producer heartbeats from start() and again 1 s after, so a broker knows the
   * group's members (producer connections, transaction check-backs, consumer ids) right away.
   * Our routes, and with them the broker addresses, arrive with the first send or rebalance.
   */
  private heartbeatNewBrokers(): void {
    const current = new Set(this.allBrokerAddrs(this.consumers.size === 0));
    // A broker that left and comes back is new again.
    for (const addr of this.heartbeated) if (!current.has(addr)) this.heartbeated.delete(addr);
    if (this.producers.size === 0 && this.consumers.size === 0) return;
    const fresh = [...current].filter((addr) => !this.heartbeated.has(addr));
    if (fresh.length > 0) this.heartbeat(fresh).catch((err: unknown) => this.logger.warn('heartbeat to new brokers failed: %s', (err as Error).message));
  }

  /**
   * A broker connected to again may have restarted, knowing nothing of this client until its next
   * heartbeat (up to heartbeatBrokerInterval, 30 s): no producer to ask about its transactions, no
   * consumer of its groups. It gets one now, ahead of the request that reconnected.
   */
  private heartbeatReconnected(addr: string): void {
    if (this.producers.size === 0 && this.consumers.size === 0) return;
    if (!this.allBrokerAddrs(this.consumers.size === 0).includes(addr)) return;
    this.heartbeat([addr]).catch((err: unknown) => this.logger.warn('heartbeat to reconnected broker %s failed: %s', addr, (err as Error).message));
  }

  private async updateAllRoutes(): Promise<void> {
    const topics = new Set<string>();
    for (const p of this.producers.values()) for (const t of p.publishTopics()) topics.add(t);
    for (const c of this.consumers.values()) for (const s of c.subscriptions()) topics.add(s.topic);
    for (const topic of topics) {
      await this.updateTopicRoute(topic).catch((err: unknown) => this.logger.warn('route refresh of %s failed: %s', topic, (err as Error).message));
    }
  }

  /** Master address of a broker name. */
  findBrokerAddrInPublish(brokerName: string): string | undefined {
    return this.brokerAddrs.get(brokerName)?.get(MASTER_ID);
  }

  /** Address of a broker id (or, unless onlyThisBroker, any address) of a broker name. */
  findBrokerAddrInSubscribe(brokerName: string, brokerId: number, onlyThisBroker: boolean): { addr: string; slave: boolean } | undefined {
    const map = this.brokerAddrs.get(brokerName);
    if (map === undefined || map.size === 0) return undefined;
    const addr = map.get(brokerId);
    if (addr !== undefined) return { addr, slave: brokerId !== MASTER_ID };
    if (onlyThisBroker) return undefined;
    const [id, any] = map.entries().next().value as [number, string];
    return { addr: any, slave: id !== MASTER_ID };
  }

  /** Broker name serving an address, if a known route names it. */
  brokerNameOf(addr: string): string | undefined {
    for (const [name, map] of this.brokerAddrs) for (const a of map.values()) if (a === addr) return name;
    return undefined;
  }

  /** Master address of a broker name, refreshing the topic's route once if it is unknown. */
  async requireMasterAddr(topic: string, brokerName: string): Promise<string> {
    let addr = this.findBrokerAddrInPublish(brokerName);
    if (addr === undefined) {
      await this.updateTopicRoute(topic);
      addr = this.findBrokerAddrInPublish(brokerName);
    }
    if (addr === undefined) throw new MQClientError('NO_BROKER', `the broker[${brokerName}] not exist`);
    return addr;
  }

  /** Consumer ids of a group as one broker serving the topic knows them (sorted by the caller). */
  async findConsumerIdList(topic: string, group: string): Promise<string[]> {
    const route = this.routes.get(topic) ?? (await this.updateTopicRoute(topic));
    const bd = route?.brokerDatas[Math.floor(Math.random() * (route?.brokerDatas.length ?? 0))];
    const addr = bd?.brokerAddrs.get(MASTER_ID) ?? (bd ? [...bd.brokerAddrs.values()][0] : undefined);
    if (addr === undefined) return [];
    return this.api.getConsumerIdList(addr, group);
  }

  private allBrokerAddrs(mastersOnly: boolean): string[] {
    const out: string[] = [];
    for (const map of this.brokerAddrs.values()) {
      for (const [id, addr] of map) if (!mastersOnly || id === MASTER_ID) out.push(addr);
    }
    return out;
  }

  heartbeatBody(): Buffer {
    const consumerDataSet = [...this.consumers.values()].map((c) => ({
      consumeFromWhere: c.consumeFromWhere,
      consumeType: c.consumeType,
      groupName: c.group,
      messageModel: c.messageModel,
      subscriptionDataSet: c.subscriptions().map(subscriptionJson),
      unitMode: false,
    }));
    const producerDataSet = [...this.producers.keys()].map((groupName) => ({ groupName }));
    return Buffer.from(JSON.stringify({ clientID: this.clientId, consumerDataSet, producerDataSet }));
  }

  /** HEART_BEAT to every known broker (masters only when there are no consumers, as Java). */
  async sendHeartbeatToAllBrokers(): Promise<void> {
    if (this.producers.size === 0 && this.consumers.size === 0) return;
    await this.heartbeat(this.allBrokerAddrs(this.consumers.size === 0));
  }

  /** HEART_BEAT to these brokers; a failure is logged, the next periodic round tries again. */
  private async heartbeat(addrs: readonly string[]): Promise<void> {
    const body = this.heartbeatBody();
    await Promise.all(
      addrs.map((addr) => {
        this.heartbeated.add(addr);
        return this.api.heartbeat(addr, body).catch((err: unknown) => this.logger.warn('heartbeat to %s failed: %s', addr, (err as Error).message));
      }),
    );
  }

  private async persistAllOffsets(): Promise<void> {
    for (const c of this.consumers.values()) await c.persistOffsets();
  }

  /** Rebalances every consumer now; calls made while one runs coalesce into one more run. */
  rebalanceNow(): Promise<void> {
    if (this.rebalancing) {
      this.rebalanceAgain = true;
      return this.rebalancing;
    }
    this.rebalancing = (async () => {
      do {
        this.rebalanceAgain = false;
        for (const c of this.consumers.values()) {
          await c.doRebalance().catch((err: unknown) => this.logger.warn('rebalance of %s failed: %s', c.group, (err as Error).message));
        }
      } while (this.rebalanceAgain);
    })().finally(() => (this.rebalancing = null));
    return this.rebalancing;
  }
}
