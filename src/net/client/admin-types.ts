import type { MessageQueue } from './message-queue.js';

/** What MQAdmin's queries answer (RocketMQ's admin body types, as mqadmin prints them). */

export interface TopicOffset {
  mq: MessageQueue;
  minOffset: number;
  maxOffset: number;
  lastUpdateTimestamp: number;
}

export interface ConsumeProgress {
  mq: MessageQueue;
  brokerOffset: number;
  consumerOffset: number;
  lastTimestamp: number;
}

export interface BrokerStatsData {
  statsMinute: { sum: number; tps: number; avgpt: number };
  statsHour: { sum: number; tps: number; avgpt: number };
  statsDay: { sum: number; tps: number; avgpt: number };
}

export interface ConsumerConnection {
  connectionSet: { clientAddr: string; clientId: string; language: string; version: number }[];
  consumeType?: string;
  messageModel?: string;
  consumeFromWhere?: string;
  /** Topic to subscription, in the broker's order. */
  subscriptionTable?: Record<string, { topic: string; subString: string }>;
}

/** One queue of a consumer offset reset (RollbackStats): where it was, what the time maps to, where it is now. */
export interface RollbackStats {
  brokerName: string;
  queueId: number;
  brokerOffset: number;
  consumerOffset: number;
  timestampOffset: number;
  rollbackOffset: number;
}

/** ConsumeStatsList: each subscription group's ConsumeStats per topic on one broker, and the summed lag. */
export interface BrokerConsumeStats {
  brokerAddr: string;
  totalDiff: number;
  groups: { group: string; stats: { consumeTps: number; offsets: [MessageQueue, Omit<ConsumeProgress, 'mq'>][] }[] }[];
}
