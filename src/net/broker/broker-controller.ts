import { loadTlsServer, tlsClientOptions, type TlsServer } from '../tls-config.js';
import { DefaultMessageStore, ShutdownSteps, parseHostAddress, type HostAddress, type MessageStore, type HaTransport, type PagePopulator, type RemoteDispatcher } from '../../store/index.js';
import { RequestCode, ResponseCode } from '../codes.js';
import type { Connection, RequestHandler } from '../connection.js';
import { silentLogger, type Logger } from '../logger.js';
import { RemotingClient } from '../remoting-client.js';
import { RemotingCommand } from '../remoting-command.js';
import { RemotingServer } from '../remoting-server.js';
import { freeBrokerPort } from '../free-port.js';
import { parseDelayLevels, type BrokerSettings } from './broker-config.js';
import type { BrokerContext } from './broker-context.js';
import { BrokerStats } from './broker-stats.js';
import { ConsumerManager } from './consumer-manager.js';
import { ConsumerOffsetManager } from './consumer-offset-manager.js';
import { PullRequestHoldService } from './long-polling.js';
import { NameServerRegistrar } from './name-server-registrar.js';
import { clientManageProcessors } from './processors/client-manage.js';
import { consumerManageProcessors } from './processors/consumer-manage.js';
import { offsetProcessors } from './processors/offsets.js';
import type { ProcessorTable } from './processors/processor-support.js';
import { pullProcessors } from './processors/pull.js';
import { queryProcessors } from './processors/query.js';
import { queueLockProcessors } from './processors/queue-lock.js';
import { runtimeInfoProcessors } from './processors/runtime-info.js';
import { resetOffsetProcessors } from './processors/reset-offset.js';
import { sendProcessors } from './processors/send.js';
import { topicAdminProcessors } from './processors/topic-admin.js';
import { RebalanceLockManager } from './rebalance-lock-manager.js';
import { ScheduleMessageService } from './schedule-message-service.js';
import { SubscriptionGroupManager } from './subscription-group-manager.js';
import { TopicConfigManager } from './topic-config-manager.js';
import { SlaveSynchronize } from './slave-synchronize.js';
import { ProducerManager } from './producer-manager.js';
import { BrokerStatsManager } from './stats-manager.js';
import { TransactionCheckService } from './transaction-check-service.js';
import { endTransactionProcessors } from './processors/end-transaction.js';
import { brokerConfigProcessors } from './processors/broker-config.js';
import { aclAdminProcessors } from './processors/acl-admin.js';
import { clientCallProcessors } from './processors/client-call.js';
import { replyProcessors } from './processors/reply.js';
import { queueMaintenanceProcessors } from './processors/queue-maintenance.js';
import { groupOffsetProcessors } from './processors/group-offsets.js';
import { brokerConsumeStatsProcessors } from './processors/broker-consume-stats.js';
import { PlainAccessValidator } from './plain-access-validator.js';
import { AclError } from './acl-permission.js';
import { rocketmqHome } from '../rocketmq-home.js';
import { makeDirs } from '../../store/make-dirs.js';

/** RocketMQ 4.5+ synchronizes a slave's metadata every 10 s. */
const SLAVE_SYNC_PERIOD_MS = 10_000;

export interface BrokerControllerOptions {
  logger?: Logger;
  /** A ready-made store (tests pass a MemoryMessageStore); default: DefaultMessageStore on the config. */
  store?: MessageStore;
  /** Consume queue/index building off the event loop (the entry points pass src/workers' WorkerDispatcher). */
  remoteDispatcher?: RemoteDispatcher;
  /** Commit log pages populated from another thread (the entry points pass src/workers' WorkerPagePopulator). */
  pagePopulator?: PagePopulator;
  /** Master/slave replication's sockets (the entry points pass src/workers' WorkerHa); none when absent. */
  ha?: HaTransport;
  /** The `-c FILE` the settings came from: UPDATE_BROKER_CONFIG writes there. */
  configFile?: string | null;
}

/**
 * Wires one broker: store, config managers, processors on two remoting servers (listenPort and
 * the VIP port listenPort - 2, which serves everything but PULL_MESSAGE, as RocketMQ's fast
 * server), long polling, delayed delivery and NameServer registration. `start()` opens the store
 * first and answers requests only once everything is loaded; `shutdown()` refuses new requests,
 * answers parked pulls, lets in-flight requests finish, persists offsets, unregisters, and closes
 * the store (which removes the abort marker).
 */
export class BrokerController {
  readonly settings: BrokerSettings;
  readonly logger: Logger;
  readonly store: MessageStore;
  readonly topics: TopicConfigManager;
  readonly offsets: ConsumerOffsetManager;
  readonly groups: SubscriptionGroupManager;
  readonly consumers: ConsumerManager;
  readonly producers: ProducerManager;
  readonly holdService: PullRequestHoldService;
  readonly schedule: ScheduleMessageService;
  readonly stats = new BrokerStats();
  readonly brokerStats = new BrokerStatsManager();
  readonly locks = new RebalanceLockManager();
  readonly client: RemotingClient;
  /** TLS of the broker's listeners (tlsConfigFile, or RocketMQ's permissive default), null for plain TCP only. */
  private readonly tls: TlsServer | null;
  private servers: RemotingServer[] = [];
  private registrar: NameServerRegistrar | null = null;
  /** A slave's copy of its master's metadata. */
  slaveSync: SlaveSynchronize | null = null;
  private readonly configFile: string | null;
  /** A master's check-backs of unended transactions. */
  transactionCheck: TransactionCheckService | null = null;
  private timers: NodeJS.Timeout[] = [];
  private accepting = false;
  /** With aclEnable: checks every request before its processor (RocketMQ's server RPC hook). */
  private acl: PlainAccessValidator | null = null;
  private stopping: Promise<void> | null = null;
  private listenPort: number;
  private storeHostAddr: HostAddress;

  constructor(settings: BrokerSettings, opts: BrokerControllerOptions = {}) {
    this.settings = settings;
    this.configFile = opts.configFile ?? null;
    const { broker, store } = settings;
    this.logger = opts.logger ?? silentLogger;
    this.listenPort = broker.listenPort;
    const storeHost = `${broker.brokerIP1}:${broker.listenPort}`;
    this.storeHostAddr = parseHostAddress(storeHost);
    this.store = opts.store ?? new DefaultMessageStore(store, { storeHost, logger: this.logger, remoteDispatcher: opts.remoteDispatcher, pagePopulator: opts.pagePopulator, ha: opts.ha, haBindAddress: settings.broker.bindAddress || undefined });
    const root = store.storePathRootDir;
    this.topics = new TopicConfigManager(broker, root, this.logger);
    this.offsets = new ConsumerOffsetManager(root);
    this.groups = new SubscriptionGroupManager(broker.autoCreateSubscriptionGroup, root, this.logger);
    this.consumers = new ConsumerManager(this.logger);
    this.producers = new ProducerManager(this.logger);
    this.holdService = new PullRequestHoldService({
      longPollingEnable: broker.longPollingEnable,
      shortPollingTimeMills: broker.shortPollingTimeMills,
      maxSuspendMillis: broker.brokerSuspendMaxTimeMillis,
      getMaxOffset: (t, q) => this.store.getMaxOffsetInQueue(t, q),
      logger: this.logger,
    });
    this.schedule = new ScheduleMessageService(this.store, parseDelayLevels(store.messageDelayLevel), root, this.logger);
    // As RocketMQ's BrokerStartup: the broker's own calls (to NameServers) speak TLS when its server enforces it.
    this.tls = loadTlsServer(broker.tlsConfigFile);
    const clientTls = this.tls?.mode === 'enforcing' ? tlsClientOptions(broker.tlsConfigFile) : undefined;
    this.client = new RemotingClient({ logger: this.logger, maxFrameSize: broker.maxFrameSize, tls: clientTls });
  }

  /** "brokerIP1:port" as registered with NameServers. */
  get brokerAddr(): string {
    return `${this.settings.broker.brokerIP1}:${this.listenPort}`;
  }

  get port(): number {
    return this.listenPort;
  }

  /** The VIP port, or 0 when that server is not running. */
  get vipPort(): number {
    return this.servers[1]?.port ?? 0;
  }

  get registeredCount(): number {
    return this.registrar?.registrations ?? 0;
  }

  context(): BrokerContext {
    return {
      config: this.settings.broker,
      storeConfig: this.settings.store,
      store: this.store,
      topics: this.topics,
      offsets: this.offsets,
      groups: this.groups,
      consumers: this.consumers,
      producers: this.producers,
      holdService: this.holdService,
      schedule: this.schedule,
      stats: this.stats,
      brokerStats: this.brokerStats,
      logger: this.logger,
      brokerAddr: this.brokerAddr,
      storeHost: this.storeHostAddr,
    };
  }

  /** All processors by request code (the in-process test seam and what both servers register). */
  processors(): Map<number, RequestHandler> {
    const ctx = this.context();
    const tables: ProcessorTable[] = [
      sendProcessors(ctx),
      pullProcessors(ctx),
      consumerManageProcessors(ctx),
      clientManageProcessors(ctx),
      offsetProcessors(ctx),
      topicAdminProcessors(ctx),
      runtimeInfoProcessors(ctx),
      resetOffsetProcessors(ctx),
      queryProcessors(ctx),
      queueLockProcessors(ctx, this.locks),
      endTransactionProcessors(ctx),
      aclAdminProcessors(ctx, () => this.acl),
      clientCallProcessors(ctx),
      replyProcessors(ctx),
      brokerConsumeStatsProcessors(ctx),
      queueMaintenanceProcessors(ctx),
      groupOffsetProcessors(ctx),
      brokerConfigProcessors(ctx, {
        configFile: this.configFile,
        onUpdated: (keys) => {
          // A permission change reaches clients through the NameServers' routes: register now, with
          // a new data version (a NameServer keeps its queue data while the version stays).
          if (!keys.includes('brokerPermission')) return;
          this.topics.dataVersion.next();
          this.registrar?.registerSoon();
        },
      }),
    ];
    const out = new Map<number, RequestHandler>();
    for (const t of tables) for (const [code, h] of t) out.set(code, this.gate(h));
    return out;
  }

  async start(): Promise<void> {
    const { broker, store } = this.settings;
    if (broker.listenPort === 0) await this.pickPort();
    makeDirs(store.storePathRootDir);
    // Refused (STORE_LOCKED) while another broker or store has the directory: see StoreLock.
    await this.store.start();
    try {
      this.topics.load();
      this.offsets.load();
      this.groups.load();
      this.schedule.load();
      if (broker.aclEnable) this.acl = new PlainAccessValidator(rocketmqHome(broker.rocketmqHome), this.logger);
      else this.logger.info('The broker does not enable acl');
      if (broker.longPollingEnable && store.brokerRole !== 'SLAVE') {
        this.store.setMessageArrivingListener((topic, queueId, next, tagsCode) => this.holdService.notifyMessageArriving(topic, queueId, next, tagsCode));
      }
      await this.listen();
    } catch (e) {
      await Promise.all(this.servers.map((s) => s.close()));
      await this.store.shutdown();
      throw e;
    }
    this.accepting = true;
    this.acl?.start();
    this.holdService.start();
    this.stats.start();
    this.brokerStats.start();
    if (store.brokerRole !== 'SLAVE') {
      this.schedule.start();
      this.transactionCheck = new TransactionCheckService(this.context());
      this.transactionCheck.start();
    } else {
      const sync = new SlaveSynchronize({ client: this.client, topics: this.topics, offsets: this.offsets, groups: this.groups, schedule: this.schedule, logger: this.logger, timeoutMs: 3000 });
      this.slaveSync = sync;
      this.every(SLAVE_SYNC_PERIOD_MS, () => void sync.syncAll());
    }
    this.every(broker.flushConsumerOffsetInterval, () => this.persistOffsets());
    this.every(broker.flushDelayOffsetInterval, () =>
      this.schedule.persist().catch((e: unknown) => this.logger.error(`persisting delay offsets failed: ${(e as Error).message}`)),
    );
    this.every(broker.clientChannelScanInterval, () => {
      this.consumers.scanExpired(broker.clientChannelExpiredTime);
      this.producers.scanExpired(broker.clientChannelExpiredTime);
    });
    this.registrar = new NameServerRegistrar({
      config: broker,
      topics: this.topics,
      client: this.client,
      logger: this.logger,
      brokerAddr: this.brokerAddr,
      haServerAddr: `${broker.brokerIP2}:${this.listenPort + 1}`,
      onMaster: (ha, master) => {
        this.store.updateHaMasterAddress(ha);
        this.slaveSync?.setMasterAddr(master);
      },
    });
    await this.registrar.start();
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.doShutdown();
    return this.stopping;
  }

  private async doShutdown(): Promise<void> {
    this.accepting = false;
    this.acl?.stop();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    // Parked pulls are answered now, then the servers stop accepting and let in-flight requests finish.
    this.holdService.shutdown();
    await Promise.all(this.servers.map((s) => s.close()));
    await this.registrar?.shutdown();
    this.client.close();
    this.stats.stop();
    this.brokerStats.stop();
    // A step that fails (a full disk fails every write) must not skip the ones after it: the
    // store's final flush and the removal of its abort marker above all.
    const steps = new ShutdownSteps((m) => this.logger.error(`shutdown: ${m}`));
    await steps.run('stopping the schedule service', () => this.schedule.shutdown());
    await steps.run('stopping transaction checks', () => this.transactionCheck?.stop());
    await steps.run('persisting consumer offsets', () => this.offsets.persist());
    // Topic and group changes are written as they happen; wait for the last ones to land.
    await steps.run('persisting topics and groups', () => Promise.all([this.topics.persisted(), this.groups.persisted()]));
    await steps.run('stopping the store', () => this.store.shutdown());
    if (steps.failed.length > 0) throw new AggregateError(steps.failed, `broker ${this.settings.broker.brokerName} stopped with ${steps.failed.length} failed step(s)`);
    this.logger.info(`broker ${this.settings.broker.brokerName} stopped`);
  }

  private async persistOffsets(): Promise<void> {
    try {
      await this.offsets.persist();
    } catch (e) {
      this.logger.error(`persisting consumer offsets failed: ${(e as Error).message}`);
    }
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      try {
        fn();
      } catch (e) {
        this.logger.error(`periodic task failed: ${(e as Error)?.stack ?? e}`);
      }
    }, Math.max(10, ms));
    t.unref();
    this.timers.push(t);
  }

  /** listenPort=0: choose the port now, before the store host and broker address are used. */
  private async pickPort(): Promise<void> {
    const { broker, store } = this.settings;
    broker.listenPort = await freeBrokerPort(broker.bindAddress || undefined);
    store.haListenPort = broker.listenPort + 1;
    this.listenPort = broker.listenPort;
    const storeHost = `${broker.brokerIP1}:${broker.listenPort}`;
    this.storeHostAddr = parseHostAddress(storeHost);
    this.store.setStoreHost(storeHost);
  }

  private async listen(): Promise<void> {
    const { broker } = this.settings;
    const host = broker.bindAddress || undefined;
    const handlers = this.processors();
    // A port in use is the likeliest start failure: say which of the broker's ports it is.
    const listening = (s: RemotingServer, port: number, which: string): Promise<number> =>
      s.listen().catch((e: Error) => {
        throw new Error(`broker cannot listen on ${host ?? '0.0.0.0'}:${port} (${which}): ${e.message}`, { cause: e });
      });
    const main = this.server('broker', broker.listenPort, host, handlers, false);
    this.servers.push(main);
    this.listenPort = await listening(main, broker.listenPort, 'listenPort');
    if (broker.vipChannelEnable && broker.listenPort > 2) {
      const vip = this.server('broker-vip', broker.listenPort - 2, host, handlers, true);
      this.servers.push(vip);
      await listening(vip, broker.listenPort - 2, 'the VIP channel, listenPort - 2; vipChannelEnable=false turns it off');
    }
  }

  private server(name: string, port: number, host: string | undefined, handlers: Map<number, RequestHandler>, vip: boolean): RemotingServer {
    const s = new RemotingServer({ name, port, host, maxFrameSize: this.settings.broker.maxFrameSize, logger: this.logger, tls: this.tls });
    for (const [code, h] of handlers) if (!(vip && code === RequestCode.PULL_MESSAGE)) s.registerProcessor(code, h);
    s.on('disconnect', (conn: Connection) => {
      this.consumers.connectionClosed(conn);
      this.producers.connectionClosed(conn);
    });
    return s;
  }

  /** Refuses requests while the broker is starting or stopping (the client retries elsewhere). */
  private gate(h: RequestHandler): RequestHandler {
    return (req, conn) => {
      if (!this.accepting) {
        return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_BUSY, '[REJECTREQUEST]system busy, broker is starting or shutting down');
      }
      if (this.acl) {
        try {
          this.acl.check(req, conn.remoteAddress);
        } catch (e) {
          if (!(e instanceof AclError)) throw e;
          this.logger.warn('acl: request %d from %s refused: %s', req.code, conn.remoteAddress, e.message);
          return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, e.remark);
        }
      }
      return h(req, conn);
    };
  }
}
