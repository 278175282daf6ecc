import { RemotingServer } from '../remoting-server.js';
import { loadTlsServer } from '../tls-config.js';
import type { Connection } from '../connection.js';
import { consoleLogger, type Logger } from '../logger.js';
import { RouteTable } from './route-table.js';
import { KvConfig } from './kv-config.js';
import { NamesrvProcessor } from './namesrv-processor.js';
import type { NamesrvConfig } from './namesrv-config.js';

/**
 * A RocketMQ 4.x NameServer: brokers register their topics here, clients ask for routes. Brokers
 * are dropped when their connection closes, or when silent for `brokerChannelExpiredTime`
 * (checked every `scanNotActiveBrokerInterval`). NameServers share nothing with each other.
 */
export class NameServer {
  readonly routes = new RouteTable<Connection>();
  readonly kv: KvConfig;
  private readonly cfg: NamesrvConfig;
  private readonly logger: Logger;
  private server: RemotingServer | undefined;
  private scanTimer: NodeJS.Timeout | undefined;

  private readonly configFile: string | null;

  /** `configFile`: the `-c` file, where UPDATE_NAMESRV_CONFIG writes its changes. */
  constructor(cfg: NamesrvConfig, logger: Logger = consoleLogger('namesrv'), configFile: string | null = null) {
    this.cfg = cfg;
    this.configFile = configFile;
    this.logger = logger;
    this.kv = new KvConfig(cfg.kvConfigPath, logger);
  }

  /** Loads the KV config, listens, starts the liveness scan; resolves the bound port. */
  async start(): Promise<number> {
    if (this.server !== undefined) throw new Error('NameServer already started');
    this.kv.load();
    const server = new RemotingServer({
      port: this.cfg.listenPort,
      host: this.cfg.bindAddress === '' ? undefined : this.cfg.bindAddress,
      maxFrameSize: this.cfg.maxFrameSize,
      idleTimeoutMs: this.cfg.serverChannelMaxIdleTime,
      name: 'namesrv',
      logger: this.logger,
      tls: loadTlsServer(this.cfg.tlsConfigFile),
    });
    new NamesrvProcessor({ routes: this.routes, kv: this.kv, config: this.cfg, configFile: this.configFile, logger: this.logger }).registerOn(server);
    server.on('disconnect', (conn: Connection) => {
      const removed = this.routes.onChannelDestroy(conn.remoteAddress, conn);
      if (removed !== undefined) this.logger.info('broker %s connection closed, removed from routes', removed);
    });
    this.server = server;
    const port = await server.listen();
    this.scanTimer = setInterval(() => this.scanNotActiveBroker(), this.cfg.scanNotActiveBrokerInterval);
    return port;
  }

  get port(): number {
    return this.server?.port ?? 0;
  }

  scanNotActiveBroker(): void {
    for (const { brokerAddr, channel } of this.routes.scanNotActiveBroker(Date.now(), this.cfg.brokerChannelExpiredTime)) {
      this.logger.warn('broker %s not heard from for %dms, removed', brokerAddr, this.cfg.brokerChannelExpiredTime);
      channel.close('broker channel expired');
    }
  }

  /** Stops the scan and the listener; in-flight requests are answered first. */
  async shutdown(): Promise<void> {
    clearInterval(this.scanTimer);
    this.scanTimer = undefined;
    await this.server?.close();
  }
}
