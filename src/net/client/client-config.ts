import { networkInterfaces } from 'node:os';
import { Namespace } from './namespace.js';
import { applyConfig } from '../../store/index.js';
import { illegalArgument } from './errors.js';
import type { CompressType } from './compression.js';

/**
 * Client configuration: RocketMQ 4.9 key names and defaults (ClientConfig, DefaultMQProducer,
 * DefaultMQPushConsumer), one plain object per role. Options come either as a typed partial object
 * or as `.properties`-style string pairs (unknown key -> warning naming it, bad value -> error).
 */

/** First non-internal IPv4 address of this host (RemotingUtil.getLocalAddress), else loopback. */
export function localIPv4(): string {
  let fallback = '127.0.0.1';
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family !== 'IPv4' || a.internal) continue;
      if (!a.address.startsWith('192.168.')) return a.address;
      fallback = a.address;
    }
  }
  return fallback;
}

export const CLIENT_DEFAULTS = {
  /** NameServer addresses, `;`-separated; empty = env NAMESRV_ADDR. */
  namesrvAddr: '',
  clientIP: '',
  /** `DEFAULT` becomes `<pid>#<nanos>` at start, so two clients in one process stay distinct. */
  instanceName: 'DEFAULT',
  unitName: '',
  /**
   * Topics and groups of this client travel as `<namespace>%<name>` (ClientConfig.namespace); empty =
   * none, or the instance id of an `MQ_INST_x_y.` endpoint in namesrvAddr.
   */
  namespace: '',
  pollNameServerInterval: 30_000,
  heartbeatBrokerInterval: 30_000,
  persistConsumerOffsetInterval: 5000,
  /** Timeout of NameServer and admin calls. */
  mqClientApiTimeout: 3000,
  /**
   * ACL credentials: with an access key every request is signed, as Java's AclClientRPCHook with
   * SessionCredentials does (brokers with `aclEnable=true` refuse unsigned requests). Empty = unsigned.
   */
  accessKey: '',
  secretKey: '',
  securityToken: '',
  /** Speak TLS to NameServers and brokers (ClientConfig.useTLS); see tlsConfigFile. */
  useTLS: false,
  /**
   * RocketMQ's tls.config.file for clients: tls.test.mode.enable (true: the server's certificate is
   * not checked, RocketMQ's default), tls.client.trustCertPath, certPath, keyPath, keyPassword.
   */
  tlsConfigFile: '',
  /** Write message traces (sends and consumes) to the trace topic, as Java clients built with enableMsgTrace do. */
  enableMsgTrace: false,
  /** The trace topic; empty = RMQ_SYS_TRACE_TOPIC (brokers create it with traceTopicEnable=true). */
  customizedTraceTopic: '',
};

export const PRODUCER_DEFAULTS = {
  ...CLIENT_DEFAULTS,
  producerGroup: 'DEFAULT_PRODUCER',
  createTopicKey: 'TBW102',
  defaultTopicQueueNums: 4,
  sendMsgTimeout: 3000,
  compressMsgBodyOverHowmuch: 4096,
  /** ZLIB (what every RocketMQ consumer reads) or LZ4 (RocketMQ 5.x consumers and this client only). */
  compressType: 'ZLIB' as CompressType,
  /** zlib level (RocketMQ's rocketmq.message.compressLevel); LZ4 frames use their default. */
  compressLevel: 5,
  retryTimesWhenSendFailed: 2,
  retryTimesWhenSendAsyncFailed: 2,
  retryAnotherBrokerWhenNotStoreOK: false,
  /** Skip brokers whose recent sends were slow or failed (MQFaultStrategy); off, as in Java. */
  sendLatencyFaultEnable: false,
  maxMessageSize: 4 * 1024 * 1024,
  /** Ours: sends in flight per producer; further sends wait for a slot (Java 5.x backPressureForAsyncSendNum). */
  maxInFlightSends: 10_000,
};

export const CONSUMER_DEFAULTS = {
  ...CLIENT_DEFAULTS,
  consumerGroup: '',
  messageModel: 'CLUSTERING' as 'CLUSTERING' | 'BROADCASTING',
  consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET' as ConsumeFromWhere,
  /** For CONSUME_FROM_TIMESTAMP: `yyyyMMddHHmmss` (local time); empty = 30 minutes before start. */
  consumeTimestamp: '',
  allocateMessageQueueStrategy: 'AVG' as 'AVG' | 'AVG_BY_CIRCLE' | 'CONSISTENT_HASH',
  /** Messages consumed at the same time (Java consumeThreadMax). */
  consumeThreadMax: 20,
  consumeMessageBatchMaxSize: 1,
  pullBatchSize: 32,
  pullInterval: 0,
  /** Pulling a queue pauses while this many of its messages are pulled and not yet consumed. */
  pullThresholdForQueue: 1000,
  /** ... or while their bodies hold more than this many MiB (Java's unit too). */
  pullThresholdSizeForQueue: 100,
  /**
   * When set (not -1), the two limits above are this divided over the queues the consumer holds,
   * recomputed at each rebalance (Java's pullThresholdForTopic / pullThresholdSizeForTopic).
   */
  pullThresholdForTopic: -1,
  pullThresholdSizeForTopic: -1,
  /**
   * ... or while its lowest and highest offsets in flight are further apart than this: one slow
   * message holds back the committed offset, and everything after it would be redelivered.
   */
  consumeConcurrentlyMaxSpan: 2000,
  /** -1 = 16, as Java. */
  maxReconsumeTimes: -1,
  brokerSuspendMaxTimeMillis: 15_000,
  consumerTimeoutMillisWhenSuspend: 30_000,
  consumerPullTimeoutMillis: 10_000,
  pullTimeDelayMillsWhenException: 3000,
  /**
   * Minutes a listener call may take before its message is sent back for redelivery and no
   * longer holds the queue's offset back (Java's consumeTimeout; fractions allowed here).
   */
  consumeTimeout: 15,
  /** Delay before a message whose send-back failed is consumed again locally. */
  suspendCurrentQueueTimeMillis: 5000,
  /** Rebalance period (system property rocketmq.client.rebalance.waitInterval in Java). */
  rebalanceInterval: 20_000,
  /**
   * Send the subscription with every pull (PullSysFlag SUBSCRIPTION). Java push consumers default
   * to false and rely on the heartbeat; ali-ons sends it; true keeps a pull valid even when it
   * races the first heartbeat.
   */
  postSubscriptionWhenPull: true,
  /**
   * BROADCASTING: where each member keeps its offsets (Java's system property
   * rocketmq.client.localOffsetStoreDir); empty = ~/.rocketmq_offsets. The file is per client id,
   * so set instanceName for a broadcasting consumer whose progress must survive a restart.
   */
  localOffsetStoreDir: '',
};

export type ConsumeFromWhere = 'CONSUME_FROM_LAST_OFFSET' | 'CONSUME_FROM_FIRST_OFFSET' | 'CONSUME_FROM_TIMESTAMP';

export type ClientConfig = typeof CLIENT_DEFAULTS;
export type ProducerConfig = typeof PRODUCER_DEFAULTS;
export type ConsumerConfig = typeof CONSUMER_DEFAULTS;

const CHOICES = {
  messageModel: ['CLUSTERING', 'BROADCASTING'],
  consumeFromWhere: ['CONSUME_FROM_LAST_OFFSET', 'CONSUME_FROM_FIRST_OFFSET', 'CONSUME_FROM_TIMESTAMP'],
  allocateMessageQueueStrategy: ['AVG', 'AVG_BY_CIRCLE', 'CONSISTENT_HASH'],
  compressType: ['ZLIB', 'LZ4'],
} as const;

/** Defaults overridden by `opts`; strings are parsed and checked against each key's type. */
export function buildConfig<T extends ClientConfig>(
  defaults: T,
  opts: Partial<T> | Map<string, string> = {},
  warn: (msg: string) => void = () => {},
): T {
  const cfg = applyConfig(defaults, opts as Map<string, string> | Record<string, string | number | boolean>, { choices: CHOICES, warn, decimals: ['consumeTimeout'] });
  const level = (cfg as Partial<ProducerConfig>).compressLevel;
  if (level !== undefined && !(Number.isInteger(level) && level >= 0 && level <= 9)) throw illegalArgument(`compressLevel must be 0..9 (zlib), got ${level}`);
  if (Boolean(cfg.accessKey) !== Boolean(cfg.secretKey)) {
    throw illegalArgument('accessKey and secretKey must be set together (ACL credentials)');
  }
  if (!cfg.namesrvAddr) cfg.namesrvAddr = process.env.NAMESRV_ADDR ?? '';
  if (!cfg.clientIP) cfg.clientIP = localIPv4();
  // A client's group lives in its namespace (Java wraps it at start()).
  const ns = Namespace.of(cfg);
  const groups = cfg as Partial<Record<'producerGroup' | 'consumerGroup', string>>;
  if (groups.producerGroup !== undefined) groups.producerGroup = ns.wrap(groups.producerGroup);
  if (groups.consumerGroup !== undefined) groups.consumerGroup = ns.wrap(groups.consumerGroup);
  return cfg;
}

/**
 * What a client's inner producers (send-back, traces) take from it: where and how to connect and
 * sign, never its group, namespace or instance.
 */
export function innerClientConfig(c: ClientConfig): Partial<ClientConfig> {
  const { namesrvAddr, clientIP, unitName, mqClientApiTimeout, accessKey, secretKey, securityToken, useTLS, tlsConfigFile } = c;
  return { namesrvAddr, clientIP, unitName, mqClientApiTimeout, accessKey, secretKey, securityToken, useTLS, tlsConfigFile };
}

/** `a;b;c` -> trimmed, non-empty addresses. */
export function splitNamesrvAddr(s: string): string[] {
  // An `http://host:port` endpoint is the NameServer at host:port (NameServerAddressUtils.getNamesrvAddr).
  return s.split(';').map((a) => a.trim()).map((a) => (a.startsWith('http://') ? a.slice(a.lastIndexOf('/') + 1) : a)).filter((a) => a.length > 0);
}
