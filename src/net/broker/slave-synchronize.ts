import { RequestCode, ResponseCode } from '../codes.js';
import { parseFastjson } from '../fastjson.js';
import type { Logger } from '../logger.js';
import type { RemotingClient } from '../remoting-client.js';
import { RemotingCommand } from '../remoting-command.js';
import type { ConsumerOffsetManager } from './consumer-offset-manager.js';
import type { ScheduleMessageService } from './schedule-message-service.js';
import type { SubscriptionGroupManager } from './subscription-group-manager.js';
import type { TopicConfigManager } from './topic-config-manager.js';

export interface SlaveSynchronizeOptions {
  client: RemotingClient;
  topics: TopicConfigManager;
  offsets: ConsumerOffsetManager;
  groups: SubscriptionGroupManager;
  schedule: ScheduleMessageService;
  logger: Logger;
  timeoutMs: number;
}

/**
 * A slave's copy of its master's metadata (RocketMQ's SlaveSynchronize): topics, consumer offsets,
 * delay offsets and subscription groups, fetched over remoting from the master's address the
 * NameServer names. Replication carries only the commit log; without these a slave could not
 * serve a pull (no topic, no group) nor start a consumer where the master's left off. Runs once
 * the master is known and then every 10 s; a step that fails is logged and retried next time.
 */
export class SlaveSynchronize {
  private masterAddr: string | null = null;
  private running: Promise<void> | null = null;
  /** Completed rounds (tests wait on it). */
  rounds = 0;

  constructor(private readonly o: SlaveSynchronizeOptions) {}

  setMasterAddr(addr: string): void {
    const first = this.masterAddr === null;
    this.masterAddr = addr;
    if (first) void this.syncAll();
  }

  syncAll(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = null));
    return this.running;
  }

  private async round(): Promise<void> {
    const addr = this.masterAddr;
    if (!addr) return;
    const { topics, offsets, groups, schedule } = this.o;
    await this.step(addr, RequestCode.GET_ALL_TOPIC_CONFIG, 'topic config', (b) => {
      if (topics.syncFrom(b)) this.o.logger.info(`synchronized topic config from master ${addr}`);
    });
    await this.step(addr, RequestCode.GET_ALL_CONSUMER_OFFSET, 'consumer offsets', (b) => offsets.syncFrom(b));
    await this.step(addr, RequestCode.GET_ALL_DELAY_OFFSET, 'delay offsets', (b) => schedule.syncFrom(b));
    await this.step(addr, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, 'subscription groups', (b) => {
      if (groups.syncFrom(b)) this.o.logger.info(`synchronized subscription groups from master ${addr}`);
    });
    this.rounds++;
  }

  private async step(addr: string, code: number, what: string, apply: (body: unknown) => unknown): Promise<void> {
    try {
      const res = await this.o.client.invoke(addr, RemotingCommand.createRequest(code), this.o.timeoutMs);
      if (res.code !== ResponseCode.SUCCESS) throw new Error(`code ${res.code}: ${res.remark ?? ''}`);
      await apply(parseFastjson((res.body ?? Buffer.alloc(0)).toString('utf8') || '{}'));
    } catch (e) {
      this.o.logger.warn(`synchronizing ${what} from master ${addr} failed: ${(e as Error).message}`);
    }
  }
}
