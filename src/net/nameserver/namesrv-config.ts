import { homedir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parsePropertiesText } from '../../store/properties-file.js';
import { applyConfig } from '../../store/config-schema.js';
import { NETTY_SERVER_CONFIG_KEYS } from '../remoting-server.js';

/**
 * NameServer configuration: RocketMQ NamesrvConfig / NettyServerConfig key names and defaults
 * (listenPort 9876, scan every 10 s, expire brokers silent for 120 s). `bindAddress` empty = all
 * interfaces.
 */
export const NAMESRV_DEFAULTS = {
  listenPort: 9876,
  bindAddress: '',
  kvConfigPath: join(homedir(), 'namesrv', 'kvConfig.json'),
  scanNotActiveBrokerInterval: 10_000,
  brokerChannelExpiredTime: 120_000,
  orderMessageEnable: false,
  /** Netty's frame limit (com.rocketmq.remoting.frameMaxLength). */
  maxFrameSize: 16 * 1024 * 1024,
  /** Close connections idle this long (serverChannelMaxIdleTimeSeconds, in ms here); 0 disables. */
  serverChannelMaxIdleTime: 120_000,
  /** RocketMQ's tls.config.file: a tls.properties with tls.server.* keys; empty = no TLS. */
  tlsConfigFile: '',
};

export type NamesrvConfig = typeof NAMESRV_DEFAULTS;

/** Java NamesrvConfig keys accepted without effect (no warning), plus Netty's tuning keys. */
const ACCEPTED_JAVA_KEYS: ReadonlySet<string> = new Set([
  'rocketmqHome',
  'configStorePath',
  'productEnvName',
  'clusterTest',
  ...NETTY_SERVER_CONFIG_KEYS,
]);

/** A port out of range reached Node's listen() as an error naming no key; zero intervals spin timers. */
const NAMESRV_RANGES: Record<string, readonly [number, number?]> = {
  listenPort: [0, 65535],
  scanNotActiveBrokerInterval: [1],
  brokerChannelExpiredTime: [1],
  maxFrameSize: [1024],
};

/**
 * Typed config from `.properties` text (or already-parsed pairs) over the defaults. Unknown keys
 * are reported through `warn`, naming them; a bad value throws a BAD_CONFIG StoreError naming the key.
 */
export function namesrvConfig(
  values: string | Map<string, string> | Partial<Record<keyof NamesrvConfig, string | number | boolean>> = {},
  warn: (msg: string) => void = () => {},
): NamesrvConfig {
  const props = typeof values === 'string' ? parsePropertiesText(values) : values;
  return applyConfig(NAMESRV_DEFAULTS, props as Map<string, string>, { warn, alsoKnown: ACCEPTED_JAVA_KEYS, ranges: NAMESRV_RANGES });
}

export function loadNamesrvConfig(file: string, warn?: (msg: string) => void): NamesrvConfig {
  return namesrvConfig(readFileSync(file, 'utf8'), warn);
}
