import type { HostAddress, MessageStore, StoreConfig } from '../../store/index.js';
import type { Logger } from '../logger.js';
import type { BrokerConfig } from './broker-config.js';
import type { BrokerStats } from './broker-stats.js';
import type { BrokerStatsManager } from './stats-manager.js';
import type { ConsumerManager } from './consumer-manager.js';
import type { ProducerManager } from './producer-manager.js';
import type { ConsumerOffsetManager } from './consumer-offset-manager.js';
import type { PullRequestHoldService } from './long-polling.js';
import type { ScheduleMessageService } from './schedule-message-service.js';
import type { SubscriptionGroupManager } from './subscription-group-manager.js';
import type { TopicConfigManager } from './topic-config-manager.js';

/** What request processors share: the broker's state, injected so processors test in-process. */
export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly storeConfig: StoreConfig;
  readonly store: MessageStore;
  readonly topics: TopicConfigManager;
  readonly offsets: ConsumerOffsetManager;
  readonly groups: SubscriptionGroupManager;
  readonly consumers: ConsumerManager;
  readonly producers: ProducerManager;
  readonly holdService: PullRequestHoldService;
  readonly schedule: ScheduleMessageService;
  readonly stats: BrokerStats;
  /** Per-topic and per-group counters (VIEW_BROKER_STATS_DATA). */
  readonly brokerStats: BrokerStatsManager;
  readonly logger: Logger;
  /** "ip:port" this broker advertises (brokerIP1 and the bound listen port). */
  readonly brokerAddr: string;
  /** The STOREHOST written into records (brokerIP1:listenPort). */
  readonly storeHost: HostAddress;
}
