import { subscriptionJson, type SubscriptionData } from '../subscription.js';
import type { TopicConsumeStatus } from './consumer-stats.js';
import { compareMessageQueue, type MessageQueue } from './message-queue.js';
import { mqKeyedEntries, mqKeyedJson } from './mq-keyed-map.js';
import { parseBody } from './lenient-json.js';
import { MQVersion, versionDesc } from '../codes.js';

/**
 * ConsumerRunningInfo (GET_CONSUMER_RUNNING_INFO, 307): what a consumer reports about itself to
 * `mqadmin consumerStatus` and the dashboard: its settings, subscriptions, every queue it holds
 * (ProcessQueueInfo) and its pull and consume rates. The body is fastjson's: `mqTable` is keyed by
 * MessageQueue objects, so it is written by hand and read leniently.
 */
export interface ProcessQueueInfo {
  commitOffset: number;
  cachedMsgMinOffset: number;
  cachedMsgMaxOffset: number;
  cachedMsgCount: number;
  cachedMsgSizeInMiB: number;
  transactionMsgMinOffset: number;
  transactionMsgMaxOffset: number;
  transactionMsgCount: number;
  locked: boolean;
  tryUnlockTimes: number;
  lastLockTimestamp: number;
  droped: boolean;
  lastPullTimestamp: number;
  lastConsumeTimestamp: number;
}

export interface ConsumerRunningInfo {
  properties: Record<string, string>;
  subscriptionSet: SubscriptionData[];
  mqTable: [MessageQueue, ProcessQueueInfo][];
  statusTable: Record<string, TopicConsumeStatus>;
  jstack?: string;
}

/** Property names of RocketMQ's ConsumerRunningInfo. */
export const RUNNING_INFO_PROP = {
  NAMESERVER_ADDR: 'PROP_NAMESERVER_ADDR',
  THREADPOOL_CORE_SIZE: 'PROP_THREADPOOL_CORE_SIZE',
  CONSUME_ORDERLY: 'PROP_CONSUMEORDERLY',
  CONSUME_TYPE: 'PROP_CONSUME_TYPE',
  CLIENT_VERSION: 'PROP_CLIENT_VERSION',
  CONSUMER_START_TIMESTAMP: 'PROP_CONSUMER_START_TIMESTAMP',
} as const;

export function encodeRunningInfo(info: ConsumerRunningInfo): Buffer {
  const mqs = [...info.mqTable].sort((a, b) => compareMessageQueue(a[0], b[0]));
  const mqTable = mqKeyedJson(mqs.map(([mq, pq]) => [mq, JSON.stringify(pq)] as const));
  const rest = JSON.stringify({
    jstack: info.jstack,
    properties: info.properties,
    statusTable: info.statusTable,
    subscriptionSet: info.subscriptionSet.map(subscriptionJson),
  });
  // fastjson's map with object keys, spliced in ahead of the plainly serializable fields.
  return Buffer.from(`{"mqTable":${mqTable},${rest.slice(1)}`, 'utf8');
}

export function decodeRunningInfo(body: Buffer | undefined, addr: string): ConsumerRunningInfo {
  const o = (parseBody(body, addr) ?? {}) as Record<string, unknown>;
  const plain = (v: unknown): Record<string, unknown> => (v instanceof Map ? Object.fromEntries(v) : ((v ?? {}) as Record<string, unknown>));
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(plain(o.properties))) properties[k] = String(v);
  const info: ConsumerRunningInfo = {
    properties,
    subscriptionSet: Array.isArray(o.subscriptionSet) ? (o.subscriptionSet as SubscriptionData[]) : [],
    mqTable: mqKeyedEntries(o.mqTable) as [MessageQueue, ProcessQueueInfo][],
    statusTable: plain(o.statusTable) as Record<string, TopicConsumeStatus>,
  };
  if (typeof o.jstack === 'string') info.jstack = o.jstack;
  return info;
}

/** Keys never reported: a running-info body travels to every admin tool that asks. */
const SECRET_KEYS = new Set(['secretKey', 'securityToken']);

export interface RunningInfoSource {
  config: Record<string, unknown>;
  subscriptions: SubscriptionData[];
  queues: Iterable<{ mq: MessageQueue; info: Omit<ProcessQueueInfo, 'commitOffset'> }>;
  commitOffset(mq: MessageQueue): number;
  status(topic: string): TopicConsumeStatus;
  startTimestamp: number;
  consumeType: string;
  orderly: boolean;
}

/** A push consumer's ConsumerRunningInfo, as DefaultMQPushConsumerImpl.consumerRunningInfo builds it. */
export function buildRunningInfo(src: RunningInfoSource): ConsumerRunningInfo {
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(src.config)) if (!SECRET_KEYS.has(k) && v !== undefined) properties[k] = String(v);
  properties[RUNNING_INFO_PROP.CONSUME_ORDERLY] = String(src.orderly);
  properties[RUNNING_INFO_PROP.THREADPOOL_CORE_SIZE] = String(src.config.consumeThreadMax ?? '');
  properties[RUNNING_INFO_PROP.CONSUMER_START_TIMESTAMP] = String(src.startTimestamp);
  properties[RUNNING_INFO_PROP.NAMESERVER_ADDR] = String(src.config.namesrvAddr ?? '');
  properties[RUNNING_INFO_PROP.CONSUME_TYPE] = src.consumeType;
  properties[RUNNING_INFO_PROP.CLIENT_VERSION] = versionDesc(MQVersion.CURRENT);
  const mqTable: [MessageQueue, ProcessQueueInfo][] = [];
  for (const { mq, info } of src.queues) mqTable.push([mq, { commitOffset: src.commitOffset(mq), ...info }]);
  const statusTable: Record<string, TopicConsumeStatus> = {};
  for (const s of src.subscriptions) statusTable[s.topic] = src.status(s.topic);
  return { properties, subscriptionSet: src.subscriptions, mqTable, statusTable };
}

/** What a push consumer's process queue says of itself (ProcessQueue.fillProcessQueueInfo). */
export function processQueueInfo(pq: { dropped: boolean; count: number; size: number; minOffset: number; maxInFlight: number; lastPullTimestamp: number; lastConsumeTimestamp: number; locked: boolean; lastLockTimestamp: number }): Omit<ProcessQueueInfo, 'commitOffset'> {
  return {
    cachedMsgMinOffset: pq.minOffset,
    cachedMsgMaxOffset: pq.maxInFlight,
    cachedMsgCount: pq.count,
    cachedMsgSizeInMiB: Math.floor(pq.size / (1024 * 1024)),
    transactionMsgMinOffset: 0,
    transactionMsgMaxOffset: 0,
    transactionMsgCount: 0,
    locked: pq.locked,
    tryUnlockTimes: 0,
    lastLockTimestamp: pq.lastLockTimestamp,
    droped: pq.dropped,
    lastPullTimestamp: pq.lastPullTimestamp,
    lastConsumeTimestamp: pq.lastConsumeTimestamp,
  };
}
