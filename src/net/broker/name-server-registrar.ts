import { crc32 } from 'node:zlib';
import { RequestCode, ResponseCode } from '../codes.js';
import { stringifyFastjson } from '../fastjson.js';
import type { Logger } from '../logger.js';
import { RemotingCommand } from '../remoting-command.js';
import type { RemotingClient } from '../remoting-client.js';
import { splitNamesrvAddr, type BrokerConfig } from './broker-config.js';
import { isReadable, isWriteable } from './topic-config.js';
import type { TopicConfigManager } from './topic-config-manager.js';

export interface RegistrarOptions {
  config: BrokerConfig;
  topics: TopicConfigManager;
  client: RemotingClient;
  logger: Logger;
  /** "ip:port" of this broker's remoting server. */
  brokerAddr: string;
  /** "ip:port" of this broker's HA server (brokerIP2:listenPort+1). */
  haServerAddr: string;
  /** A slave: a NameServer named the master's HA address and remoting address. */
  onMaster?: (haMasterAddr: string, masterAddr: string) => void;
}

/**
 * Keeps this broker registered with every configured NameServer (RocketMQ's
 * BrokerController.registerBrokerAll): REGISTER_BROKER with the whole topic table at start, every
 * registerNameServerPeriod, and right after a topic change (changes in one tick coalesce into one
 * registration); UNREGISTER_BROKER at shutdown. NameServers are contacted in parallel and one being
 * down never blocks the others. A slave learns its master's address from the answers.
 */
export class NameServerRegistrar {
  private timer: NodeJS.Timeout | null = null;
  private pending = false;
  private inFlight: Promise<void> | null = null;
  private stopped = false;
  masterAddr: string | null = null;
  haMasterAddr: string | null = null;
  /** Registrations that got SUCCESS, for tests and logs. */
  registrations = 0;

  constructor(private readonly o: RegistrarOptions) {}

  get namesrvAddrs(): string[] {
    return splitNamesrvAddr(this.o.config.namesrvAddr);
  }

  /** Registers once (awaited) and schedules the periodic re-registration. */
  async start(): Promise<void> {
    this.o.topics.onChange(() => this.registerSoon());
    await this.registerAll();
    const period = Math.max(1000, Math.min(60_000, this.o.config.registerNameServerPeriod));
    this.timer = setInterval(() => void this.registerAll(), period);
    this.timer.unref();
  }

  /** Coalesces registrations requested within one tick. */
  registerSoon(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      void this.registerAll();
    });
  }

  async registerAll(): Promise<void> {
    if (this.stopped || this.namesrvAddrs.length === 0) return;
    // One registration at a time; a request made meanwhile runs after it with fresh topics.
    while (this.inFlight) await this.inFlight;
    this.inFlight = this.doRegister().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Stops the timer and sends UNREGISTER_BROKER to every NameServer. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    while (this.inFlight) await this.inFlight;
    const { config, brokerAddr, client, logger } = this.o;
    await Promise.all(
      this.namesrvAddrs.map(async (ns) => {
        const cmd = RemotingCommand.createRequest(RequestCode.UNREGISTER_BROKER, {
          brokerName: config.brokerName,
          brokerAddr,
          clusterName: config.brokerClusterName,
          brokerId: config.brokerId,
        });
        try {
          await client.invoke(ns, cmd, Math.min(3000, config.registerBrokerTimeoutMills));
          logger.info(`unregistered from NameServer ${ns}`);
        } catch (e) {
          logger.warn(`unregister from NameServer ${ns} failed: ${(e as Error).message}`);
        }
      }),
    );
  }

  /** RegisterBrokerBody JSON; topic perms are masked when the broker itself is not readable/writable. */
  body(): Buffer {
    const wrapper = this.o.topics.serializeWrapper();
    const bp = this.o.config.brokerPermission;
    if (!isReadable(bp) || !isWriteable(bp)) {
      for (const tc of wrapper.topicConfigTable.values()) tc.perm = bp;
    }
    return Buffer.from(stringifyFastjson({ filterServerList: [], topicConfigSerializeWrapper: wrapper }), 'utf8');
  }

  private async doRegister(): Promise<void> {
    const { config, brokerAddr, haServerAddr, client, logger } = this.o;
    const body = this.body();
    const header = {
      brokerAddr,
      brokerId: config.brokerId,
      brokerName: config.brokerName,
      clusterName: config.brokerClusterName,
      haServerAddr,
      compressed: false,
      bodyCrc32: crc32(body) & 0x7fffffff,
    };
    await Promise.all(
      this.namesrvAddrs.map(async (ns) => {
        try {
          const res = await client.invoke(ns, RemotingCommand.createRequest(RequestCode.REGISTER_BROKER, header, body), config.registerBrokerTimeoutMills);
          if (res.code !== ResponseCode.SUCCESS) {
            logger.warn(`register to NameServer ${ns} answered ${res.code}: ${res.remark ?? ''}`);
            return;
          }
          this.registrations++;
          if (res.extFields.masterAddr) this.masterAddr = res.extFields.masterAddr;
          // Only a NameServer that knows the master answers with its addresses: one that does not
          // yet (just restarted) must not stop replication that works.
          if (res.extFields.haServerAddr && res.extFields.masterAddr) {
            this.haMasterAddr = res.extFields.haServerAddr;
            this.o.onMaster?.(this.haMasterAddr, res.extFields.masterAddr);
          }
        } catch (e) {
          logger.warn(`register to NameServer ${ns} failed: ${(e as Error).message}`);
        }
      }),
    );
  }
}
