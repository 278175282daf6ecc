import { availableParallelism, homedir, hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import {
  STORE_DEFAULTS,
  StoreError,
  applyConfig,
  parsePropertiesText,
  storeConfig,
  type StoreConfig,
} from '../../store/index.js';
import { NETTY_SERVER_CONFIG_KEYS } from '../remoting-server.js';
import { tlsServerMode } from '../tls-config.js';
import { firstNonLoopbackIPv4 } from './local-address.js';

/**
 * The broker's configuration: RocketMQ 4.9 `BrokerConfig` / `NettyServerConfig` key names and
 * defaults for what this broker implements, plus a few keys of ours (marked). Store keys live in
 * `StoreConfig`; one `.properties` file feeds both.
 */
export const BROKER_DEFAULTS = {
  brokerClusterName: 'DefaultCluster',
  /** Empty = the local hostname (RocketMQ's default). */
  brokerName: '',
  brokerId: 0,
  /** `;`-separated NameServer addresses; default env NAMESRV_ADDR. */
  namesrvAddr: '',
  listenPort: 10911,
  /** Empty = first non-loopback IPv4 address (127.0.0.1 if none). */
  brokerIP1: '',
  /** Empty = brokerIP1 (RocketMQ uses the local address; following IP1 keeps one-host setups coherent). */
  brokerIP2: '',
  /** Interface to listen on; empty = all interfaces, as RocketMQ. */
  bindAddress: '',
  autoCreateTopicEnable: true,
  autoCreateSubscriptionGroup: true,
  clusterTopicEnable: true,
  brokerTopicEnable: true,
  traceTopicEnable: false,
  msgTraceTopicName: 'RMQ_SYS_TRACE_TOPIC',
  defaultTopicQueueNums: 8,
  brokerPermission: 6,
  longPollingEnable: true,
  shortPollingTimeMills: 1000,
  /** Ours: upper bound on a parked pull's suspend time (the Java client's BROKER_SUSPEND_MAX_TIME_MILLIS). */
  brokerSuspendMaxTimeMillis: 15_000,
  flushConsumerOffsetInterval: 5000,
  flushDelayOffsetInterval: 10_000,
  registerNameServerPeriod: 30_000,
  registerBrokerTimeoutMills: 6000,
  slaveReadEnable: false,
  rejectTransactionMessage: false,
  /** Also store request-reply replies in <cluster>_REPLY_TOPIC (they are pushed to the requester either way). */
  storeReplyMessageEnable: true,
  /** Check every request against the plain ACL files (conf/plain_acl.yml and conf/acl/ under rocketmqHome). */
  aclEnable: false,
  /** Where conf/ (ACL files) is looked for; empty = env ROCKETMQ_HOME, else this installation. */
  rocketmqHome: '',
  /** Consumers may select messages with SQL92 expressions over their properties. */
  enablePropertyFilter: false,
  /** A half message younger than this is not checked back yet (ms). */
  transactionTimeOut: 6000,
  /** Check-backs per half message before it is given up. */
  transactionCheckMax: 15,
  /** How often half messages are looked at for check-backs (ms). */
  transactionCheckInterval: 60_000,
  regionId: 'DefaultRegion',
  traceOn: true,
  /**
   * RocketMQ 4.x's filter server processes per broker (filtersrv, removed in 5.0). Not built here:
   * only 0 is accepted. The key is reported because RocketMQ's tools read it (exportConfigs).
   */
  filterServerNums: 0,
  defaultQueryMaxNum: 32,
  /** Ours: a client channel without heartbeat for this long is dropped (RocketMQ hard-codes 120 s). */
  clientChannelExpiredTime: 120_000,
  /** Ours: how often expired client channels are looked for (RocketMQ: 10 s). */
  clientChannelScanInterval: 10_000,
  /** Ours: largest accepted remoting frame (RocketMQ: system property com.rocketmq.remoting.frameMaxLength). */
  maxFrameSize: 16 * 1024 * 1024,
  /** Ours: listen on listenPort - 2 too (RocketMQ's VIP channel). */
  vipChannelEnable: true,
  /**
   * RocketMQ's tls.config.file: a tls.properties with tls.server.* keys (see src/net/tls-config.ts).
   * Empty = no TLS. With tls.server.mode=enforcing the broker also speaks TLS to NameServers.
   */
  tlsConfigFile: '',
};

export type BrokerConfig = typeof BROKER_DEFAULTS;

export interface BrokerSettings {
  broker: BrokerConfig;
  store: StoreConfig;
}

export interface BrokerOverrides {
  /** `-n`: replaces namesrvAddr. */
  namesrvAddr?: string;
  /** Any other key (broker or store), applied after the file. */
  values?: Record<string, string | number | boolean>;
}

export class BrokerConfigError extends Error {
  readonly code = 'BAD_CONFIG';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerConfigError';
  }
}

/** Zero would expire every client at once, or never wait between polls (numbers are >= 0 anyway). */
const BROKER_RANGES: Record<string, readonly [number, number?]> = {
  listenPort: [0, 65535],
  brokerPermission: [0, 15],
  defaultTopicQueueNums: [1, 1024],
  shortPollingTimeMills: [1],
  brokerSuspendMaxTimeMillis: [1],
  registerBrokerTimeoutMills: [1],
  defaultQueryMaxNum: [1],
  clientChannelExpiredTime: [1],
  clientChannelScanInterval: [1],
  transactionTimeOut: [1],
  transactionCheckMax: [1],
  transactionCheckInterval: [1],
  maxFrameSize: [1024],
};

const BROKER_KEYS: ReadonlySet<string> = new Set(Object.keys(BROKER_DEFAULTS));

/**
 * NettyClientConfig keys, which a RocketMQ broker's config text carries (so does ours: see
 * nettyClientConfig) and its config files may set. Tuning with no meaning here, except useTLS,
 * which follows tls.server.mode (a file that disagrees is warned about).
 */
const NETTY_CLIENT_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'clientWorkerThreads',
  'clientCallbackExecutorThreads',
  'clientOnewaySemaphoreValue',
  'clientAsyncSemaphoreValue',
  'connectTimeoutMillis',
  'channelNotActiveInterval',
  'clientChannelMaxIdleTimeSeconds',
  'clientSocketSndBufSize',
  'clientSocketRcvBufSize',
  'clientPooledByteBufAllocatorEnable',
  'clientCloseSocketIfTimeout',
  'useTLS',
]);

/** RocketMQ BrokerConfig tuning keys (thread pools, queues, locks) with no meaning here: accepted silently. */
const ACCEPTED_JAVA_KEYS: ReadonlySet<string> = new Set([
  ...NETTY_SERVER_CONFIG_KEYS,
  ...NETTY_CLIENT_CONFIG_KEYS,
  'sendMessageThreadPoolNums',
  'pullMessageThreadPoolNums',
  'queryMessageThreadPoolNums',
  'adminBrokerThreadPoolNums',
  'clientManageThreadPoolNums',
  'consumerManageThreadPoolNums',
  'heartbeatThreadPoolNums',
  'sendThreadPoolQueueCapacity',
  'pullThreadPoolQueueCapacity',
  'waitTimeMillsInSendQueue',
  'osPageCacheBusyTimeOutMills',
  'useReentrantLockWhenPutMessage',
]);
const STORE_KEYS: ReadonlySet<string> = new Set(Object.keys(STORE_DEFAULTS));

/** Splits key/value pairs between broker and store configs; keys known to neither are warned once. */
export function brokerSettings(
  props: Map<string, string>,
  overrides: BrokerOverrides = {},
  warn: (msg: string) => void = () => {},
): BrokerSettings {
  const all = new Map<string, string | number | boolean>(props);
  for (const [k, v] of Object.entries(overrides.values ?? {})) all.set(k, v);
  const brokerVals: Record<string, string | number | boolean> = {};
  const storeVals = new Map<string, string>();
  for (const [k, v] of all) {
    if (BROKER_KEYS.has(k)) brokerVals[k] = v;
    else if (STORE_KEYS.has(k)) storeVals.set(k, String(v));
    else if (!ACCEPTED_JAVA_KEYS.has(k)) warn(`unknown config key "${k}" ignored`);
  }
  if (overrides.namesrvAddr !== undefined) brokerVals.namesrvAddr = overrides.namesrvAddr;
  try {
    const broker = applyConfig(BROKER_DEFAULTS, brokerVals, { ranges: BROKER_RANGES });
    const store = storeConfig(storeVals);
    const useTLS = all.get('useTLS');
    if (useTLS !== undefined && String(useTLS).trim() !== String(nettyClientConfig(broker).useTLS)) {
      warn(`config key "useTLS"=${useTLS} ignored: the broker's own calls use TLS exactly when tls.server.mode is enforcing (tlsConfigFile)`);
    }
    return finish(broker, store);
  } catch (e) {
    if (e instanceof StoreError || e instanceof BrokerConfigError) throw new BrokerConfigError(e.message, { cause: e });
    throw e;
  }
}

/**
 * Validates an UPDATE_BROKER_CONFIG request's pairs: each key must be a broker or store key, each
 * value valid for it (the error names the first that is not). Returns the typed values by config.
 */
export function parseConfigUpdate(props: Map<string, string>): { broker: Partial<BrokerConfig>; store: Partial<StoreConfig> } {
  const brokerVals: Record<string, string> = {};
  const storeVals = new Map<string, string>();
  for (const [k, v] of props) {
    if (BROKER_KEYS.has(k)) brokerVals[k] = v;
    else if (STORE_KEYS.has(k)) storeVals.set(k, v);
    else throw new BrokerConfigError(`config key "${k}" is unknown`);
  }
  try {
    const broker = applyConfig(BROKER_DEFAULTS, brokerVals, { ranges: BROKER_RANGES });
    const store = storeConfig(storeVals);
    const pick = <T extends object>(cfg: T, keys: Iterable<string>): Partial<T> => Object.fromEntries([...keys].map((k) => [k, cfg[k as keyof T]])) as Partial<T>;
    return { broker: pick(broker, Object.keys(brokerVals)), store: pick(store, storeVals.keys()) };
  } catch (e) {
    if (e instanceof StoreError) throw new BrokerConfigError(e.message, { cause: e });
    throw e;
  }
}

/** Reads one `.properties` file (the `-c FILE` of mqbroker) into broker and store configs. */
export function loadBrokerConfig(
  file: string | null,
  overrides: BrokerOverrides = {},
  warn?: (msg: string) => void,
): BrokerSettings {
  let text = '';
  if (file) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new BrokerConfigError(`cannot read config file ${file}: ${(e as Error).message}`, { cause: e });
    }
  }
  return brokerSettings(parsePropertiesText(text), overrides, warn);
}

function finish(broker: BrokerConfig, store: StoreConfig): BrokerSettings {
  if (!broker.namesrvAddr) broker.namesrvAddr = process.env.NAMESRV_ADDR ?? '';
  if (!broker.brokerName) broker.brokerName = hostname() || 'DEFAULT_BROKER';
  if (!broker.brokerIP1) broker.brokerIP1 = firstNonLoopbackIPv4() ?? '127.0.0.1';
  if (!broker.brokerIP2) broker.brokerIP2 = broker.brokerIP1;
  checkSettings(broker, store);
  // RocketMQ forces masters to id 0 whatever the file says.
  if (store.brokerRole !== 'SLAVE') broker.brokerId = 0;
  // Ours: a leading ~ in store paths means the home directory, so shipped configs can say ~/store-broker-a.
  for (const k of ['storePathRootDir', 'storePathCommitLog', 'storePathConsumerQueue', 'storePathIndex'] as const) {
    if (store[k] === '~' || store[k].startsWith('~/')) store[k] = homedir() + store[k].slice(1);
  }
  // RocketMQ always puts HA on listenPort + 1, ignoring a configured haListenPort.
  if (broker.listenPort !== 0) store.haListenPort = broker.listenPort + 1;
  return { broker, store };
}

/**
 * The rules that tie settings together or that a key's type does not say; the error names the
 * key. Checked at start, and on a config update against the settings it would leave, so that an
 * update written to the config file cannot leave a broker that refuses to start.
 */
export function checkSettings(broker: BrokerConfig, store: StoreConfig): void {
  const bad = (key: string, why: string): never => {
    throw new BrokerConfigError(`config key "${key}": ${why}`);
  };
  if (broker.listenPort !== 0 && broker.vipChannelEnable && broker.listenPort < 3) {
    bad('listenPort', `${broker.listenPort} leaves no room for the VIP port listenPort - 2`);
  }
  for (const a of splitNamesrvAddr(broker.namesrvAddr)) {
    if (!/^[^:\s]+:\d{1,5}$/.test(a)) bad('namesrvAddr', `"${a}" is not host:port`);
  }
  if (broker.filterServerNums !== 0) bad('filterServerNums', `filter servers are not supported (RocketMQ 4.x's filtersrv, removed in 5.0): filter with tags or SQL92 (enablePropertyFilter) instead`);
  if (!/^[%|a-zA-Z0-9_-]+$/.test(broker.brokerClusterName)) bad('brokerClusterName', `"${broker.brokerClusterName}" has illegal characters`);
  if (!/^[%|a-zA-Z0-9_.-]+$/.test(broker.brokerName)) bad('brokerName', `"${broker.brokerName}" has illegal characters`);
  if (store.brokerRole === 'SLAVE' && broker.brokerId <= 0) bad('brokerId', `a SLAVE needs brokerId > 0 (got ${broker.brokerId})`);
}

export function splitNamesrvAddr(addr: string): string[] {
  return addr.split(';').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Parsing lives with the store config, which holds `messageDelayLevel` (as RocketMQ's MessageStoreConfig). */
export { parseDelayLevels } from '../../store/delay-levels.js';

/**
 * Every broker and store setting as `key=value` lines (MixAll.properties2String): what `mqbroker
 * -p` prints and GET_BROKER_CONFIG answers, so an operator sees the values in effect, defaults
 * included.
 */
export function allConfigsText(broker: BrokerConfig, store: StoreConfig): string {
  let out = '';
  for (const [k, v] of Object.entries({ ...broker, ...store, ...nettyClientConfig(broker) })) if (v !== null && v !== undefined) out += `${k}=${String(v)}\n`;
  return out;
}

/**
 * The keys RocketMQ 4.9 marks @ImportantField (BrokerConfig's, then MessageStoreConfig's; its
 * Netty configs have none), which `mqbroker -m` prints. Its fetchNamesrvAddrByAddressServer,
 * commitIntervalCommitLog and flushCommitLogTimed have no counterpart here.
 */
const IMPORTANT_KEYS = [
  'namesrvAddr', 'brokerIP1', 'brokerName', 'brokerClusterName', 'brokerId', 'autoCreateTopicEnable',
  'autoCreateSubscriptionGroup', 'msgTraceTopicName', 'traceTopicEnable', 'rejectTransactionMessage',
  'transactionTimeOut', 'transactionCheckMax', 'transactionCheckInterval', 'aclEnable',
  'storePathRootDir', 'storePathCommitLog', 'flushIntervalCommitLog', 'deleteWhen', 'fileReservedTime',
  'maxTransferBytesOnMessageInMemory', 'maxTransferCountOnMessageInMemory', 'maxTransferBytesOnMessageInDisk',
  'maxTransferCountOnMessageInDisk', 'accessMessageInMemoryMaxRatio', 'messageIndexEnable', 'messageIndexSafe',
  'haMasterAddress', 'brokerRole', 'flushDiskType', 'cleanFileForciblyEnable', 'transientStorePoolEnable',
] as const;

/** `mqbroker -m`: the important settings only, as `key=value` lines like `-p`'s. */
export function importantConfigsText(broker: BrokerConfig, store: StoreConfig): string {
  const all: Record<string, unknown> = { ...broker, ...store };
  return IMPORTANT_KEYS.map((k) => `${k}=${String(all[k] ?? '')}\n`).join('');
}

/**
 * The NettyClientConfig values a RocketMQ broker's config text carries and its tools read:
 * exportConfigs copies `useTLS` (Java's fails on a missing key: Properties refuses null) and
 * exportMetrics reports `clientCallbackExecutorThreads` as the broker's CPU count. They follow
 * from other settings here, so they are reported, not configured.
 */
function nettyClientConfig(broker: BrokerConfig): { useTLS: boolean; clientCallbackExecutorThreads: number } {
  return {
    // The broker's own calls (to NameServers) speak TLS when its server enforces it (BrokerController).
    useTLS: tlsServerMode(broker.tlsConfigFile) === 'enforcing',
    // Java's default: Runtime.availableProcessors().
    clientCallbackExecutorThreads: availableParallelism(),
  };
}
